"""Alert policies resolved into clock rules (their writes: ``actions.alert_policies``).

* **Resolution** (``clock_rule``, ``organisation_rules``, ``Deadline.objects.with_alert_policy()``) turns
  (organisation, kind) into an ``rules.clocks.ClockRule``; without a policy the defaults of
  ``clocks.DEFAULT_RULES`` apply. ``rules.clocks`` stays pure: this module reads the rows
  and hands it plain values.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Protocol

from django.conf import settings

from notifications.models import Deadline, DeadlineKind
from organisations.models import AlertPolicy
from rules import clocks, obligations

# --- Resolution -----------------------------------------------------------------------------------


# Installation-wide targets for the kinds whose duration is a target, not law; an organisation's
# policy (target_hours) overrides them, and clocks.DEFAULT_RULES is the fallback of both.
INSTALLATION_TARGET_SETTINGS = {
    "follow_up": "BREACHTRACK_FOLLOW_UP_TARGET_HOURS",
    "data_subject_communication": "BREACHTRACK_DATA_SUBJECT_TARGET_HOURS",
}


def installation_rule(kind: str) -> clocks.ClockRule:
    """The rule of ``kind`` before any organisation's policy: the code's, with the settings' target."""
    base = clocks.rule_of_kind(kind)
    hours = getattr(settings, INSTALLATION_TARGET_SETTINGS.get(kind, ""), None)
    return clocks.rule_with_duration(base, timedelta(hours=hours)) if hours else base


# Which report of which rule version a regime row runs on: (regime, rule_version, report), the
# row's own columns; None for every other kind.
RegimeReportKey = tuple[str, str, str]


def regime_report_key(kind: str, regime: str, rule_version: str, report: str) -> RegimeReportKey | None:
    """The report a row of ``kind`` with these columns runs on, or None when it is no regime row."""
    return (regime, rule_version, report) if kind == clocks.REGIME_REPORT_RULE.kind else None


def regime_report_base(regime: str, rule_version: str, report: str) -> clocks.ClockRule:
    """The code's rule of a regime row naming (regime, rule version, report): that report's alerts.

    From the catalogue the rows are derived from (``rules.obligations.report_of_row``: no query);
    a row whose report no longer exists there falls back to ``clocks.REGIME_REPORT_RULE``, the
    standard ladder. The duration is a placeholder, as in ``REGIME_REPORT_RULE``: each row has its own.
    """
    found = obligations.report_of_row(regime, rule_version, report)
    if found is None:
        return clocks.REGIME_REPORT_RULE
    return clocks.report_clock_rule(found, clocks.REGIME_REPORT_RULE.duration)


def clock_rule(kind: str, policy: AlertPolicy | None, report: RegimeReportKey | None = None) -> clocks.ClockRule:
    """The rule of ``kind`` for an organisation with ``policy`` (None: the installation's defaults).

    A regime row (``report`` given) starts from its report's alerts in the rule version it keeps
    (``regime_report_base``: the cached catalogue, no query); an organisation's own policy
    for kind ``regime_report`` replaces that ladder, as it replaces the code's for every kind.
    """
    base = installation_rule(kind) if report is None else regime_report_base(*report)
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

    def regime_report(self, regime: str, rule_version: str, report: str) -> clocks.ClockRule:
        """The rule of a regime row naming (regime, rule version, report): its report's alerts."""
        kind = clocks.REGIME_REPORT_RULE.kind
        return clock_rule(kind, self.policies.get(kind), (regime, rule_version, report))


class PolicyBook:
    """The rules of several organisations at once: their policies read with one query, rules cached.

    For a batch of deadline rows (the sweep's): ``rule(organisation, kind, duration, report)`` equals
    ``rules.deadlines.rule_for`` of a row of that organisation and kind whose ``due_at - started_at``
    is ``duration`` (and, for a regime row, whose columns name ``report``: ``regime_report_key``),
    without a query or a new rule object per row.
    """

    def __init__(self, organisation_ids: Iterable[int]) -> None:
        wanted = sorted(set(organisation_ids))
        self.policies = {
            (policy.organisation_id, policy.kind): policy
            for policy in AlertPolicy.objects.filter(organisation_id__in=wanted).order_by()
        }
        self._rules: dict[tuple[int, str, timedelta, RegimeReportKey | None], clocks.ClockRule] = {}

    def rule(
        self, organisation_id: int, kind: str, duration: timedelta, report: RegimeReportKey | None = None
    ) -> clocks.ClockRule:
        key = (organisation_id, kind, duration, report)
        found = self._rules.get(key)
        if found is None:
            base = clock_rule(kind, self.policies.get((organisation_id, kind)), report)
            found = self._rules[key] = clocks.rule_with_duration(base, duration)
        return found


class RuleBook(Protocol):
    """The rule of each kind: an ``OrganisationRules``, or a plain mapping of kind to rule."""

    def __getitem__(self, kind: str, /) -> clocks.ClockRule: ...


def organisation_rules(organisation_id: int) -> OrganisationRules:
    return OrganisationRules(organisation_id)


class OrganisationRulesAsOf(OrganisationRules):
    """The same, with the policies as they stood at ``at`` (read from their history: one query).

    The installation's defaults (settings) are today's: settings have no history.
    """

    def __init__(self, organisation_id: int, at: datetime):
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
    return organisation_rules(organisation_id)[DeadlineKind.PROCESSOR_NOTICE].duration // timedelta(hours=1)


def policy_of_deadline(deadline: Deadline) -> AlertPolicy | None:
    """The policy that governs a deadline row, from ``DeadlineQuerySet.with_alert_policy``'s annotations if present.

    Only the ladder is taken from it: the row's own ``due_at - started_at`` is its duration.
    """
    if hasattr(deadline, "alert_policy_id"):
        if deadline.alert_policy_id is None:
            return None
        return AlertPolicy(
            pk=deadline.alert_policy_id,
            kind=deadline.kind,
            thresholds_before_minutes=deadline.alert_policy_thresholds,  # type: ignore[attr-defined]  # with_alert_policy's annotation
            overdue_repeat_minutes=deadline.alert_policy_overdue,  # type: ignore[attr-defined]  # with_alert_policy's annotation
        )
    return AlertPolicy.objects.filter(organisation__incidents=deadline.incident_id, kind=deadline.kind).first()
