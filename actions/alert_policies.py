"""Writing alert policies: validation and the two services.

``set_alert_policy`` and ``reset_alert_policy`` follow ``organisations.services``: keyword-only
``actor`` and ``reason``, privacy officers only, everything validated before anything is written,
one transaction. Changing a policy moves the pending alerts of that organisation's active
deadlines of that kind in the same transaction (``rules.deadlines.realign_alerts``). How a policy
becomes a clock rule: ``rules.policies``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeGuard

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from breachtrack.errors import field_error
from breachtrack.history import acting_as
from notifications.models import DeadlineKind
from organisations.models import AlertPolicy, Organisation, User
from organisations.services import authorise, require_reason, save_with_history
from rules import clocks
from rules.deadlines import realign_alerts

# Bounds that catch typing mistakes (minutes for hours, an extra zero) without limiting real use.
MAX_THRESHOLDS = 12
MAX_BEFORE_MINUTES = 30 * 24 * 60  # 30 days: no GDPR clock we track runs longer
MIN_OVERDUE_REPEAT_MINUTES = 15  # shorter repeats would flood people with reminders
MAX_OVERDUE_REPEAT_MINUTES = 30 * 24 * 60
MAX_TARGET_HOURS = 30 * 24  # the same bound as a processing agreement's notice target


# --- Validation -----------------------------------------------------------------------------------


def _is_whole_number(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_thresholds(value: object) -> list[int]:
    field = "thresholds_before_minutes"
    if not isinstance(value, (list, tuple)) or not all(_is_whole_number(item) for item in value):
        raise field_error(field, _("Give a list of whole numbers of minutes, e.g. [240, 30]."), "invalid")
    if len(value) > MAX_THRESHOLDS:
        raise field_error(field, _("At most %(max)d alerts before a deadline.") % {"max": MAX_THRESHOLDS}, "max_length")
    if any(item <= 0 for item in value):
        raise field_error(
            field, _("Each alert must come a positive number of minutes before the deadline."), "min_value"
        )
    if any(item > MAX_BEFORE_MINUTES for item in value):
        raise field_error(
            field,
            _("An alert more than %(days)d days before a deadline is not a reminder.")
            % {"days": MAX_BEFORE_MINUTES // 1440},
            "max_value",
        )
    if len(set(value)) != len(value):
        raise field_error(field, _("The same alert moment is listed twice."), "duplicate")
    return sorted(value, reverse=True)


def _check_minutes_or_hours(field: str, value: object, minimum: int, maximum: int, unit: str) -> int | None:
    if value is None:
        return None
    if not _is_whole_number(value):
        raise field_error(field, _("Give a whole number of %(unit)s, or nothing.") % {"unit": unit}, "invalid")
    if not minimum <= value <= maximum:
        raise field_error(
            field,
            _("Give between %(min)d and %(max)d %(unit)s.") % {"min": minimum, "max": maximum, "unit": unit},
            "min_value" if value < minimum else "max_value",
        )
    return value


def _check_kind(kind: str) -> str:
    if kind not in DeadlineKind.values:
        raise field_error("kind", _("Not a kind of deadline."), "invalid_choice")
    return kind


def _check_target(kind: str, target_hours: object) -> int | None:
    target_hours = _check_minutes_or_hours("target_hours", target_hours, 1, MAX_TARGET_HOURS, _("hours"))
    if target_hours is not None and clocks.DEFAULT_RULES[kind].is_legal_deadline:
        raise field_error(
            "target_hours",
            _(
                "The law fixes this deadline (GDPR Art. 33(1): 72 hours after awareness); it cannot be changed. "
                "Leave the target empty and set only when to be alerted."
            ),
            "fixed_by_law",
        )
    return target_hours


def _all_checked(*checks: Callable[[], Any]) -> list[Any]:
    """Run every check; their values, or one error naming every field that failed."""
    values: list[Any] = []
    errors: dict[str, list[ValidationError]] = {}
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
    organisation: Organisation,
    kind: str,
    *,
    thresholds_before_minutes: Sequence[int],
    overdue_repeat_minutes: int | None = None,
    target_hours: int | None = None,
    actor: User,
    reason: str,
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
            "overdue_repeat_minutes",
            overdue_repeat_minutes,
            MIN_OVERDUE_REPEAT_MINUTES,
            MAX_OVERDUE_REPEAT_MINUTES,
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
def reset_alert_policy(organisation: Organisation, kind: str, *, actor: User, reason: str) -> None:
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


def _realign(organisation: Organisation, kind: str, *, actor: User, reason: str) -> None:
    # Recomputing an incident's deadlines writes no history today; acting_as keeps it attributed
    # should a derived write ever become historied.
    with acting_as(actor, reason):
        realign_alerts(organisation.pk, kind, now=timezone.now())
