"""Alert policies: validation, the services that write them, and their resolution into clock rules.

* **Services** (``set_alert_policy``, ``reset_alert_policy``) follow organisations.services: keyword-
  only ``actor`` and ``reason``, privacy officers only, everything validated before anything is
  written, one transaction. Changing a policy moves the pending alerts of that organisation's
  active deadlines of that kind in the same transaction (``notifications.deadlines.realign``).
* **Resolution** (``clock_rule``, ``organisation_rules``, ``with_alert_policy``) turns
  (organisation, kind) into an ``incidents.clocks.ClockRule``; without a policy the defaults of
  ``clocks.DEFAULT_RULES`` apply. ``incidents.clocks`` stays pure: this module reads the rows
  and hands it plain values.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from breachtrack.errors import field_error
from breachtrack.history import acting_as
from incidents import clocks
from organisations.models import AlertPolicy, Organisation
from organisations.services import authorise, require_reason, save_with_history

# Bounds that catch typing mistakes (minutes for hours, an extra zero) without limiting real use.
MAX_THRESHOLDS = 12
MAX_BEFORE_MINUTES = 30 * 24 * 60  # 30 days: no GDPR clock we track runs longer
MIN_OVERDUE_REPEAT_MINUTES = 15  # shorter repeats would flood people with reminders
MAX_OVERDUE_REPEAT_MINUTES = 30 * 24 * 60
MAX_TARGET_HOURS = 30 * 24  # the same bound as a processing agreement's notice target


# --- Resolution -----------------------------------------------------------------------------------


# Installation-wide targets for the kinds whose duration is a target, not law; an organisation's
# policy (target_hours) overrides them, and clocks.DEFAULT_RULES is the fallback of both.
INSTALLATION_TARGET_SETTINGS = {
    "follow_up": "BREACHTRACK_FOLLOW_UP_TARGET_HOURS",
    "data_subject_communication": "BREACHTRACK_DATA_SUBJECT_TARGET_HOURS",
}


def installation_rule(kind: str) -> clocks.ClockRule:
    """The rule of ``kind`` before any organisation's policy: the code's, with the settings' target."""
    base = clocks.DEFAULT_RULES[kind]
    hours = getattr(settings, INSTALLATION_TARGET_SETTINGS.get(kind, ""), None)
    return clocks.rule_with_duration(base, timedelta(hours=hours)) if hours else base


def clock_rule(kind: str, policy: AlertPolicy | None) -> clocks.ClockRule:
    """The rule of ``kind`` for an organisation with ``policy`` (None: the installation's defaults)."""
    base = installation_rule(kind)
    if policy is None:
        return base
    duration = base.duration
    if policy.target_hours is not None and not base.is_legal_deadline:
        duration = timedelta(hours=policy.target_hours)
    repeat = policy.overdue_repeat_minutes
    return dataclasses.replace(
        base,
        duration=duration,
        thresholds_before=tuple(timedelta(minutes=m) for m in policy.thresholds_before_minutes),
        overdue_repeat=timedelta(minutes=repeat) if repeat is not None else None,
    )


class OrganisationRules:
    """The rule of every kind for one organisation, read with one query."""

    def __init__(self, organisation_id: int):
        self.policies = {policy.kind: policy for policy in AlertPolicy.objects.filter(organisation_id=organisation_id)}

    def __getitem__(self, kind: str) -> clocks.ClockRule:
        return clock_rule(kind, self.policies.get(kind))


def organisation_rules(organisation_id: int) -> OrganisationRules:
    return OrganisationRules(organisation_id)


class OrganisationRulesAsOf(OrganisationRules):
    """The same, with the policies as they stood at ``at`` (read from their history: one query).

    The installation's defaults (settings) are today's: settings have no history.
    """

    def __init__(self, organisation_id: int, at):
        self.policies = {}
        versions = AlertPolicy.history.filter(organisation_id=organisation_id, history_date__lte=at).order_by(
            "kind", "-history_date", "-history_id"
        )
        seen = set()
        for version in versions:
            if version.kind in seen:
                continue
            seen.add(version.kind)
            if version.history_type != "-":
                self.policies[version.kind] = version.instance


def default_notice_target_hours(organisation_id: int) -> int:
    """The Art. 33(2) target for a new processing relationship that names none of its own."""
    from notifications.models import DeadlineKind

    return organisation_rules(organisation_id)[DeadlineKind.PROCESSOR_NOTICE].duration // timedelta(hours=1)


def with_alert_policy(deadlines: models.QuerySet) -> models.QuerySet:
    """Deadline rows annotated with their organisation's policy for their kind (one query in all).

    Subqueries, not a join: the sweep locks the rows it picks (``FOR UPDATE``), and a join would
    lock the incident too, making the sweep skip rows whose incident a service is editing.
    """
    from incidents.models import Incident

    # order_by(): the models' default orderings would add a join and a sort to every subquery.
    organisation_id = Incident.objects.filter(pk=OuterRef(OuterRef("incident_id"))).order_by().values("organisation_id")
    policy = AlertPolicy.objects.filter(organisation_id=Subquery(organisation_id[:1]), kind=OuterRef("kind")).order_by()
    return deadlines.annotate(
        alert_policy_id=Subquery(policy.values("pk")[:1]),
        alert_policy_thresholds=Subquery(policy.values("thresholds_before_minutes")[:1], output_field=models.JSONField()),
        alert_policy_overdue=Subquery(policy.values("overdue_repeat_minutes")[:1]),
    )


def policy_of_deadline(deadline) -> AlertPolicy | None:
    """The policy that governs a deadline row, from ``with_alert_policy``'s annotations if present.

    Only the ladder is taken from it: the row's own ``due_at - started_at`` is its duration.
    """
    if hasattr(deadline, "alert_policy_id"):
        if deadline.alert_policy_id is None:
            return None
        return AlertPolicy(
            pk=deadline.alert_policy_id,
            kind=deadline.kind,
            thresholds_before_minutes=deadline.alert_policy_thresholds,
            overdue_repeat_minutes=deadline.alert_policy_overdue,
        )
    return AlertPolicy.objects.filter(organisation__incidents=deadline.incident_id, kind=deadline.kind).first()


# --- Validation -----------------------------------------------------------------------------------


def _is_whole_number(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_thresholds(value) -> list[int]:
    field = "thresholds_before_minutes"
    if not isinstance(value, (list, tuple)) or not all(_is_whole_number(item) for item in value):
        raise field_error(field, _("Give a list of whole numbers of minutes, e.g. [240, 30]."), "invalid")
    if len(value) > MAX_THRESHOLDS:
        raise field_error(field, _("At most %(max)d alerts before a deadline.") % {"max": MAX_THRESHOLDS}, "max_length")
    if any(item <= 0 for item in value):
        raise field_error(field, _("Each alert must come a positive number of minutes before the deadline."), "min_value")
    if any(item > MAX_BEFORE_MINUTES for item in value):
        raise field_error(
            field, _("An alert more than %(days)d days before a deadline is not a reminder.") % {"days": MAX_BEFORE_MINUTES // 1440},
            "max_value",
        )
    if len(set(value)) != len(value):
        raise field_error(field, _("The same alert moment is listed twice."), "duplicate")
    return sorted(value, reverse=True)


def _check_minutes_or_hours(field: str, value, minimum: int, maximum: int, unit: str):
    if value is None:
        return None
    if not _is_whole_number(value):
        raise field_error(field, _("Give a whole number of %(unit)s, or nothing.") % {"unit": unit}, "invalid")
    if not minimum <= value <= maximum:
        raise field_error(
            field, _("Give between %(min)d and %(max)d %(unit)s.") % {"min": minimum, "max": maximum, "unit": unit},
            "min_value" if value < minimum else "max_value",
        )
    return value


def _check_kind(kind: str) -> str:
    from notifications.models import DeadlineKind

    if kind not in DeadlineKind.values:
        raise field_error("kind", _("Not a kind of deadline."), "invalid_choice")
    return kind


def _check_target(kind: str, target_hours):
    target_hours = _check_minutes_or_hours("target_hours", target_hours, 1, MAX_TARGET_HOURS, _("hours"))
    if target_hours is not None and clocks.DEFAULT_RULES[kind].is_legal_deadline:
        raise field_error(
            "target_hours",
            _("The law fixes this deadline (GDPR Art. 33(1): 72 hours after awareness); it cannot be changed. "
              "Leave the target empty and set only when to be alerted."),
            "fixed_by_law",
        )
    return target_hours


def _all_checked(*checks) -> list:
    """Run every check; their values, or one error naming every field that failed."""
    values, errors = [], {}
    for check in checks:
        try:
            values.append(check())
        except ValidationError as error:
            errors.update(error.error_dict)
    if errors:
        raise ValidationError(errors)
    return values


# --- Services --------------------------------------------------------------------------------------


def _lock_policy(organisation: Organisation, kind: str) -> AlertPolicy | None:
    return AlertPolicy.objects.select_for_update().filter(organisation=organisation, kind=kind).first()


@transaction.atomic
def set_alert_policy(
    organisation: Organisation, kind: str, *, thresholds_before_minutes, overdue_repeat_minutes=None,
    target_hours=None, actor, reason: str,
) -> AlertPolicy:
    """Create or replace the policy of ``kind`` for ``organisation``.

    Steps:
    1. refuse unless ``actor`` is a privacy officer of the organisation, and without a reason;
    2. validate every value (field errors with codes; nothing is written on a refusal);
    3. save the policy with its historical record;
    4. move the pending alerts of the organisation's active deadlines of that kind.
    """
    authorise(actor, organisation)
    reason = require_reason(reason)
    kind = _check_kind(kind)
    thresholds, repeat, target = _all_checked(
        lambda: _check_thresholds(thresholds_before_minutes),
        lambda: _check_minutes_or_hours(
            "overdue_repeat_minutes", overdue_repeat_minutes, MIN_OVERDUE_REPEAT_MINUTES, MAX_OVERDUE_REPEAT_MINUTES,
            _("minutes"),
        ),
        lambda: _check_target(kind, target_hours),
    )
    policy = _lock_policy(organisation, kind) or AlertPolicy(organisation=organisation, kind=kind)
    policy.thresholds_before_minutes = thresholds
    policy.overdue_repeat_minutes = repeat
    policy.target_hours = target
    save_with_history(policy, actor=actor, reason=reason)
    _realign(organisation, kind, actor=actor, reason=reason)
    return policy


@transaction.atomic
def reset_alert_policy(organisation: Organisation, kind: str, *, actor, reason: str) -> None:
    """Remove the policy of ``kind``: the defaults apply again. Its history keeps what it was."""
    authorise(actor, organisation)
    reason = require_reason(reason)
    kind = _check_kind(kind)
    policy = _lock_policy(organisation, kind)
    if policy is None:
        return
    with acting_as(actor, reason):
        policy.delete()
    _realign(organisation, kind, actor=actor, reason=reason)


def _realign(organisation: Organisation, kind: str, *, actor, reason: str) -> None:
    from notifications.deadlines import realign_alerts

    # Recomputing an incident's deadlines writes no history today; acting_as keeps it attributed
    # should a derived write ever become historied.
    with acting_as(actor, reason):
        realign_alerts(organisation.pk, kind, now=timezone.now())
