"""Deadline rows derived from an incident's facts, each with the ``next_alert_at`` the sweep reads.

Called by every incident service that changes a clock's inputs, inside that service's
transaction (the incident row is locked), so the rows never lag behind the facts.
The arithmetic is rules.clocks; this module only reads facts and writes rows.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from communications.choices import PUBLIC_CHANNELS
from communications.models import CommunicationAssessment, CommunicationWave
from filings.models import AuthorityFiling, NotificationDecisionRecord
from incidents.choices import Status
from incidents.models import AffectedEstimate, Incident
from notifications.models import AlertEvent, Deadline, DeadlineKind, RegimeDeadlineKind
from rules import clocks, obligations
from rules import policies as alert_policies
from rules.awareness import earliest_awareness
from rules.filing_chains import follow_up_cycle, standing_initials

# The kinds this module derives (all of them).
DERIVED_KINDS = (
    DeadlineKind.AUTHORITY_NOTIFICATION,
    DeadlineKind.PROCESSOR_NOTICE,
    DeadlineKind.DATA_SUBJECT_COMMUNICATION,
    DeadlineKind.FOLLOW_UP,
    DeadlineKind.EXTORTION_COUNTDOWN,
    RegimeDeadlineKind.REGIME_REPORT,
)


@dataclass(frozen=True)
class Clock:
    """What the facts say one deadline row should hold."""

    kind: str
    party_id: int | None
    relationship_id: int | None
    started_at: datetime
    due_at: datetime
    met_at: datetime | None
    rule: clocks.ClockRule
    extortion_threat_id: int | None = None
    # A regime report's clock (kind regime_report); blank for the GDPR's and the countdown.
    regime: str = ""
    report: str = ""
    recipient: str = ""
    rule_version: str = ""

    @property
    def key(self) -> tuple:
        """What identifies its row: kind and the facts the clock belongs to."""
        return (
            self.kind,
            self.party_id,
            self.relationship_id,
            self.extortion_threat_id,
            self.regime,
            self.report,
            self.recipient,
        )


def _row_key(row: Deadline) -> tuple:
    return (
        row.kind,
        row.party_id,
        row.relationship_id,
        row.extortion_threat_id,
        row.regime,
        row.report,
        row.recipient,
    )


def rule_for(deadline: Deadline) -> clocks.ClockRule:
    """The rule a stored row runs on: its organisation's rule for its kind, with the row's duration.

    The duration is kept implicitly as ``due_at - started_at`` (a processing agreement can set
    48h instead of 24h), so the sweep needs no join to recover it. The ladder comes from the
    organisation's alert policy: read from the row's annotations when it was fetched through
    ``Deadline.objects.with_alert_policy()`` (the sweep's ``Deadline.objects.due``), else one query.
    A regime row's ladder is its report's alerts in the rule version the row keeps (its regime,
    rule_version and report columns; the cached catalogue, no query), unless the organisation has
    a policy of its own for kind ``regime_report``.
    """
    report = alert_policies.regime_report_key(deadline.kind, deadline.regime, deadline.rule_version, deadline.report)
    base = alert_policies.clock_rule(deadline.kind, alert_policies.policy_of_deadline(deadline), report)
    return clocks.rule_with_duration(base, deadline.due_at - deadline.started_at)


def current_alert(rule: clocks.ClockRule, due_at: datetime, now: datetime) -> tuple[str, datetime] | None:
    """The latest threshold at or before ``now`` (the state the clock is in), or None."""
    passed = [alert for alert in clocks.alert_thresholds(rule, due_at, until=now) if alert[1] <= now]
    return passed[-1] if passed else None


def _facts_to_clocks(incident: Incident, kept_versions: dict[str, str] | None = None) -> dict[tuple, Clock]:
    awareness = list(incident.awareness_records.all())
    earliest = earliest_awareness(awareness)
    wanted: dict[tuple, Clock] = {}
    rules = alert_policies.organisation_rules(incident.organisation_id)
    authority_rule = rules[DeadlineKind.AUTHORITY_NOTIFICATION]
    for party in incident.parties.all():
        record = earliest.get(party.pk)
        if party.is_controller and record is not None:
            # met_at comes from the filings (_apply_authority_filings below).
            key: tuple[str, int, int | None] = (DeadlineKind.AUTHORITY_NOTIFICATION, party.pk, None)
            wanted[key] = Clock(*key, record.aware_at, clocks.authority_due_at(record.aware_at), None, authority_rule)
    for relationship in incident.processing_relationships.prefetch_related("notices"):
        record = earliest.get(relationship.processor_id)
        if record is None:
            continue
        rule = clocks.rule_with_duration(
            rules[DeadlineKind.PROCESSOR_NOTICE], timedelta(hours=relationship.notice_target_hours)
        )
        informed = [notice.informed_at for notice in relationship.notices.all()]
        key = (DeadlineKind.PROCESSOR_NOTICE, relationship.processor_id, relationship.pk)
        wanted[key] = Clock(
            *key, record.aware_at, clocks.due_at(rule, record.aware_at), min(informed, default=None), rule
        )
    _apply_authority_filings(incident, wanted)
    wanted.update(_follow_up_clocks(incident, rules))
    wanted.update(extortion_clocks(incident, rules))
    wanted.update(data_subject_communication_clocks(incident, rules))
    wanted.update(regime_clocks(incident, rules, kept_versions or {}, awareness))
    return wanted


def regime_clocks(
    incident: Incident, rules: alert_policies.OrganisationRules, kept_versions: dict[str, str], awareness: list
) -> dict[tuple, Clock]:
    """One clock per owed report of each confirmed regime whose anchors are known (rules.obligations).

    The row's period is the regime's (``due_at - started_at``) and whether it is law the report's;
    the ladder is the report's alerts in the row's rule version (or the organisation's policy for
    kind ``regime_report``), as ``rule_for`` and the sweep read it back.
    """
    wanted: dict[tuple, Clock] = {}
    for found in obligations.regime_obligations(incident, kept_versions=kept_versions, awareness=awareness):
        base = rules.regime_report(found.regime, found.rule_version, found.report)
        rule = dataclasses.replace(base, duration=found.due_at - found.started_at, is_legal_deadline=found.is_legal)
        clock = Clock(
            RegimeDeadlineKind.REGIME_REPORT,
            None,
            None,
            found.started_at,
            found.due_at,
            found.met_at,
            rule,
            regime=found.regime,
            report=found.report,
            recipient=found.recipient,
            rule_version=found.rule_version,
        )
        wanted[clock.key] = clock
    return wanted


def extortion_clocks(incident: Incident, rules: alert_policies.RuleBook) -> dict[tuple, Clock]:
    """One operational clock per threat whose latest countdown revision still runs (docs/domain.md#extortion).

    The clock starts when the actor announced that revision and is due at its deadline, so
    ``rule_for`` recovers a positive duration from the row (the model refuses a deadline that is
    not after its announcement). A withdrawal, or a revision whose deadline had passed when it was
    recorded (a historical record), gives no clock, so an existing row is deactivated. No legal
    clock reads these facts: a countdown never moves Art. 33(1) or Art. 34.
    """
    rule = rules[DeadlineKind.EXTORTION_COUNTDOWN]  # the organisation's ladder; the duration is the row's
    wanted: dict[tuple, Clock] = {}
    for threat in incident.extortion_threats.prefetch_related("countdown_revisions"):
        revisions = list(threat.countdown_revisions.all())  # ordered by announced_at, pk
        current = revisions[-1] if revisions else None
        if current is None or not current.starts_clock or current.deadline_at is None:  # starts_clock: has one
            continue
        clock = Clock(
            DeadlineKind.EXTORTION_COUNTDOWN,
            None,
            None,
            current.announced_at,
            current.deadline_at,
            None,
            clocks.rule_with_duration(rule, current.deadline_at - current.announced_at),
            extortion_threat_id=threat.pk,
        )
        wanted[clock.key] = clock
    return wanted


def _incident_filings(incident: Incident) -> list[AuthorityFiling]:
    return list(AuthorityFiling.objects.filter(incident=incident).order_by("submitted_at", "pk"))


def _apply_authority_filings(incident: Incident, wanted: dict[tuple, Clock]) -> None:
    """Art. 33(1) clocks: met by the earliest initial filing not withdrawn; closed by a decision not to notify.

    A controller that decided not to notify (and filed nothing that stands) keeps no active clock:
    the row is deactivated, not marked met, and the decision record says why.
    """
    met = standing_initials(_incident_filings(incident))
    decided = set(NotificationDecisionRecord.objects.filter(incident=incident).values_list("controller_id", flat=True))
    for key, clock in list(wanted.items()):
        if key[0] != DeadlineKind.AUTHORITY_NOTIFICATION:
            continue
        if key[1] in met:
            wanted[key] = dataclasses.replace(clock, met_at=met[key[1]])
        elif key[1] in decided:
            del wanted[key]


def _follow_up_clocks(incident: Incident, rules: alert_policies.RuleBook) -> dict[tuple, Clock]:
    """Art. 33(4) clocks, one per controller owing further information (a target, not law).

    Started by a phased filing or a materially changed count recorded after the latest filing
    (rules.filing_chains.follow_up_cycle); met by the next follow-up filing.
    """
    filings = _incident_filings(incident)
    if not filings:
        return {}
    return follow_up_clocks_from(filings, list(incident.estimates.all()), rules[DeadlineKind.FOLLOW_UP])


def follow_up_clocks_from(
    filings: list[AuthorityFiling], estimates: list[AffectedEstimate], rule: clocks.ClockRule
) -> dict[tuple, Clock]:
    """The Art. 33(4) clocks of these filings (ordered by submission) and estimates: no queries.

    ``rule``: the organisation's follow-up rule (its policy's target, else
    BREACHTRACK_FOLLOW_UP_TARGET_HOURS). Also used by the as-of view with the facts of an instant.
    """
    percent = settings.BREACHTRACK_FOLLOW_UP_MATERIAL_CHANGE_PERCENT
    by_controller: dict[int, list[AuthorityFiling]] = {}
    for filing in filings:
        by_controller.setdefault(filing.controller_id, []).append(filing)
    wanted: dict[tuple, Clock] = {}
    for controller_id, filings in by_controller.items():
        cycle = follow_up_cycle(filings, estimates, percent)
        if cycle is not None:
            key = (DeadlineKind.FOLLOW_UP, controller_id, None)
            wanted[key] = Clock(*key, cycle[0], clocks.due_at(rule, cycle[0]), cycle[1], rule)
    return wanted


def data_subject_communication_clocks(incident: Incident, rules: alert_policies.RuleBook) -> dict[tuple, Clock]:
    """One Art. 34 clock per controller whose current assessment says something is owed.

    Starts at the latest assessment's ``decided_at`` when it finds a high risk and no closing
    exemption, or at the authority's order (Art. 34(4)). Runs for the organisation's target
    (``BREACHTRACK_DATA_SUBJECT_TARGET_HOURS``; the law says "without undue delay", so
    ``is_legal_deadline`` is False). Met by the first sent wave to that controller's data
    subjects; under Art. 34(3)(c) only a public communication meets it. A controller whose
    current assessment owes nothing has no clock (an existing row goes inactive, not "met").
    An organisation's alert policy may set its own target (rules.policies).
    """
    return communication_clocks_from(
        list(incident.communication_assessments.order_by("pk")),
        list(incident.communication_waves.filter(sent_at__isnull=False)),
        rules[DeadlineKind.DATA_SUBJECT_COMMUNICATION],
    )


def communication_clocks_from(
    assessments: list[CommunicationAssessment], waves: list[CommunicationWave], rule: clocks.ClockRule
) -> dict[tuple, Clock]:
    """The Art. 34 clocks of these assessments (ordered by id) and waves: no queries.

    Also used by the as-of view with the facts recorded by an instant.
    """

    latest: dict[int, CommunicationAssessment] = {}
    for assessment in assessments:
        latest[assessment.controller_id] = assessment
    sent: dict[int, list[CommunicationWave]] = {}
    for wave in waves:
        if wave.sent_at is not None:
            sent.setdefault(wave.controller_id, []).append(wave)
    wanted: dict[tuple, Clock] = {}
    for controller_id, assessment in latest.items():
        if not assessment.requires_communication:
            continue
        public_only = assessment.requires_public_communication
        met = [
            w.sent_at
            for w in sent.get(controller_id, [])
            if w.sent_at is not None and (not public_only or w.channel in PUBLIC_CHANNELS)  # sent: always set
        ]
        started = assessment.clock_started_at
        key = (DeadlineKind.DATA_SUBJECT_COMMUNICATION, controller_id, None)
        wanted[key] = Clock(*key, started, clocks.due_at(rule, started), min(met, default=None), rule)
    return wanted


def _first_alert(deadline: Deadline, rule: clocks.ClockRule, now: datetime) -> tuple[str, datetime] | None:
    """The alert a row should wait for after its inputs changed.

    A clock whose thresholds already passed when it is (re)computed alerts once for its current
    state (the latest passed threshold, due at once), unless that was already recorded for this
    due moment; it never replays the older thresholds. Otherwise: the next threshold after now.
    """
    if deadline.met_at is not None:
        return None
    current = current_alert(rule, deadline.due_at, now)
    if current is not None and deadline.pk is not None:
        fired = AlertEvent.objects.filter(deadline=deadline, due_at=deadline.due_at, label=current[0]).exists()
        if fired:
            current = None
    if current is not None:
        return current
    return clocks.next_alert_at(rule, deadline.due_at, deadline.met_at, after=now)


def _set_alert(deadline: Deadline, alert: tuple[str, datetime] | None) -> None:
    deadline.next_alert_label, deadline.next_alert_at = alert if alert is not None else ("", None)


def _apply(deadline: Deadline, clock: Clock, now: datetime) -> list[str]:
    """Copy the clock onto the row; the fields that changed (empty: leave the sweep's column be)."""
    values = {
        "started_at": clock.started_at,
        "due_at": clock.due_at,
        "met_at": clock.met_at,
        "is_legal_deadline": clock.rule.is_legal_deadline,
        "is_active": True,
        "rule_version": clock.rule_version,
    }
    changed = [name for name, value in values.items() if getattr(deadline, name) != value]
    for name in changed:
        setattr(deadline, name, values[name])
    if changed:
        _set_alert(deadline, _first_alert(deadline, clock.rule, now))
        changed += ["next_alert_at", "next_alert_label"]
    return changed


def recompute_deadlines(incident: Incident, *, now: datetime) -> list[Deadline]:
    """Bring the incident's deadline rows in line with its facts.

    Steps:
    1. lock the existing rows (the sweep skips locked rows on PostgreSQL); a regime's rows give
       the rule version its clocks keep;
    2. derive the wanted clocks: one Art. 33(1) clock per controller with a non-withdrawn
       awareness (met by its filing, left out after a decision not to notify), one Art. 33(2)
       clock per relationship whose processor is aware, one Art. 33(4) follow-up clock per
       controller that owes further information, one operational clock per threat whose
       countdown runs, one clock per owed report of each confirmed regime (rules.obligations);
    3. create missing rows, update changed ones, deactivate rows whose inputs disappeared.

    A row whose inputs disappeared (awareness withdrawn) is kept with ``is_active=False`` and no
    pending alert rather than deleted: its AlertEvents are the record of what was detected and
    would go with it (cascade), and a new awareness reactivates the same row.
    """
    locked = list(Deadline.objects.select_for_update().filter(incident=incident, kind__in=DERIVED_KINDS).order_by("pk"))
    existing = {_row_key(row): row for row in locked}
    # A regime's rows keep the rule version they were computed with (rules.obligations).
    kept_versions: dict[str, str] = {}
    for held in locked:
        if held.kind == RegimeDeadlineKind.REGIME_REPORT:
            kept_versions.setdefault(held.regime, held.rule_version)
    # A closed register entry raises no more alerts; reopening it brings its clocks back.
    wanted = {} if incident.status == Status.CLOSED else _facts_to_clocks(incident, kept_versions)
    rows = []
    for clock in wanted.values():
        row = existing.pop(clock.key, None)
        if row is None:
            row = Deadline(
                incident=incident,
                kind=clock.kind,
                party_id=clock.party_id,
                relationship_id=clock.relationship_id,
                extortion_threat_id=clock.extortion_threat_id,
                regime=clock.regime,
                report=clock.report,
                recipient=clock.recipient,
            )
            _apply(row, clock, now)
            row.save()
        else:
            changed = _apply(row, clock, now)
            if changed:
                row.save(update_fields=changed + ["updated_at"])
        rows.append(row)
    for row in existing.values():
        if row.is_active:
            row.is_active = False
            _set_alert(row, None)
            row.save(update_fields=["is_active", "next_alert_at", "next_alert_label", "updated_at"])
    return rows


def realign_alerts(organisation_id: int, kind: str, *, now: datetime) -> int:
    """After an alert policy changed: move the pending alerts of the organisation's active
    deadlines of ``kind``; the number of rows whose pending alert moved.

    Steps:
    1. lock the incidents concerned (as every incident service does) and recompute their
       deadlines, which applies a changed target duration;
    2. recompute each row's next alert from the new ladder with ``_first_alert``: a threshold
       already recorded for the row's due moment is not replayed, past ones are never listed.
    Runs inside the caller's transaction.
    """

    rows = Deadline.objects.filter(incident__organisation_id=organisation_id, kind=kind, is_active=True)
    incident_ids = sorted(set(rows.values_list("incident_id", flat=True)))
    for incident in Incident.objects.select_for_update().filter(pk__in=incident_ids).order_by("pk"):
        recompute_deadlines(incident, now=now)
    moved = 0
    for row in rows.filter(incident_id__in=incident_ids).with_alert_policy():
        alert = _first_alert(row, rule_for(row), now)
        if alert != ((row.next_alert_label, row.next_alert_at) if row.next_alert_at else None):
            _set_alert(row, alert)
            row.save(update_fields=["next_alert_at", "next_alert_label", "updated_at"])
            moved += 1
    return moved
