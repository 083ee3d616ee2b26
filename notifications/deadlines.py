"""Deadline rows derived from an incident's facts (STYLE.md habit 2).

Called by every incident service that changes a clock's inputs, inside that service's
transaction (the incident row is locked), so the rows never lag behind the facts.
The arithmetic is incidents.clocks; this module only reads facts and writes rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from incidents import clocks
from incidents.choices import Status
from incidents.selectors import earliest_awareness
from notifications.models import AlertEvent, Deadline, DeadlineKind

# The kinds this module derives; other kinds (Art. 34, Art. 33(4)) are left untouched.
DERIVED_KINDS = (
    DeadlineKind.AUTHORITY_NOTIFICATION,
    DeadlineKind.PROCESSOR_NOTICE,
    DeadlineKind.DATA_SUBJECT_COMMUNICATION,
)


@dataclass(frozen=True)
class Clock:
    """What the facts say one deadline row should hold."""

    kind: str
    party_id: int
    relationship_id: int | None
    started_at: datetime
    due_at: datetime
    met_at: datetime | None
    rule: clocks.ClockRule


def rule_for(deadline: Deadline) -> clocks.ClockRule:
    """The rule a stored row runs on: its kind's rule with the row's own duration.

    The duration is kept implicitly as ``due_at - started_at`` (a processing agreement can set
    48h instead of 24h), so the sweep needs no join to recover it.
    """
    return clocks.rule_with_duration(clocks.DEFAULT_RULES[deadline.kind], deadline.due_at - deadline.started_at)


def current_alert(rule: clocks.ClockRule, due_at: datetime, now: datetime) -> tuple[str, datetime] | None:
    """The latest threshold at or before ``now`` (the state the clock is in), or None."""
    passed = [alert for alert in clocks.alert_thresholds(rule, due_at, until=now) if alert[1] <= now]
    return passed[-1] if passed else None


def _facts_to_clocks(incident) -> dict[tuple, Clock]:
    awareness = list(incident.awareness_records.all())
    earliest = earliest_awareness(awareness)
    wanted: dict[tuple, Clock] = {}
    authority_rule = clocks.DEFAULT_RULES[DeadlineKind.AUTHORITY_NOTIFICATION]
    for party in incident.parties.all():
        record = earliest.get(party.pk)
        if party.is_controller and record is not None:
            # met_at stays None until authority filings exist (a later slice records them).
            key = (DeadlineKind.AUTHORITY_NOTIFICATION, party.pk, None)
            wanted[key] = Clock(
                *key, record.aware_at, clocks.authority_due_at(record.aware_at), None, authority_rule
            )
    for relationship in incident.processing_relationships.prefetch_related("notices"):
        record = earliest.get(relationship.processor_id)
        if record is None:
            continue
        rule = clocks.rule_with_duration(
            clocks.DEFAULT_RULES[DeadlineKind.PROCESSOR_NOTICE], timedelta(hours=relationship.notice_target_hours)
        )
        informed = [notice.informed_at for notice in relationship.notices.all()]
        key = (DeadlineKind.PROCESSOR_NOTICE, relationship.processor_id, relationship.pk)
        wanted[key] = Clock(*key, record.aware_at, clocks.due_at(rule, record.aware_at), min(informed, default=None), rule)
    wanted.update(data_subject_communication_clocks(incident))
    return wanted


def data_subject_communication_clocks(incident) -> dict[tuple, Clock]:
    """One Art. 34 clock per controller whose current assessment says something is owed.

    Starts at the latest assessment's ``decided_at`` when it finds a high risk and no closing
    exemption, or at the authority's order (Art. 34(4)). Runs for the organisation's target
    (``BREACHTRACK_DATA_SUBJECT_TARGET_HOURS``; the law says "without undue delay", so
    ``is_legal_deadline`` is False). Met by the first sent wave to that controller's data
    subjects; under Art. 34(3)(c) only a public communication meets it. A controller whose
    current assessment owes nothing has no clock (an existing row goes inactive, not "met").
    """
    from django.conf import settings

    from communications.choices import PUBLIC_CHANNELS

    rule = clocks.rule_with_duration(
        clocks.DEFAULT_RULES[DeadlineKind.DATA_SUBJECT_COMMUNICATION],
        timedelta(hours=settings.BREACHTRACK_DATA_SUBJECT_TARGET_HOURS),
    )
    latest: dict[int, object] = {}
    for assessment in incident.communication_assessments.order_by("pk"):
        latest[assessment.controller_id] = assessment
    sent: dict[int, list] = {}
    for wave in incident.communication_waves.filter(sent_at__isnull=False):
        sent.setdefault(wave.controller_id, []).append(wave)
    wanted: dict[tuple, Clock] = {}
    for controller_id, assessment in latest.items():
        if not assessment.requires_communication:
            continue
        public_only = assessment.requires_public_communication
        met = [w.sent_at for w in sent.get(controller_id, []) if not public_only or w.channel in PUBLIC_CHANNELS]
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
    }
    changed = [name for name, value in values.items() if getattr(deadline, name) != value]
    for name in changed:
        setattr(deadline, name, values[name])
    if changed:
        _set_alert(deadline, _first_alert(deadline, clock.rule, now))
        changed += ["next_alert_at", "next_alert_label"]
    return changed


def recompute_deadlines(incident, *, now: datetime) -> list[Deadline]:
    """Bring the incident's deadline rows in line with its facts.

    Steps:
    1. derive the wanted clocks: one Art. 33(1) clock per controller with a non-withdrawn
       awareness, one Art. 33(2) clock per relationship whose processor is aware;
    2. lock the existing rows (the sweep skips locked rows on PostgreSQL);
    3. create missing rows, update changed ones, deactivate rows whose inputs disappeared.

    A row whose inputs disappeared (awareness withdrawn) is kept with ``is_active=False`` and no
    pending alert rather than deleted: its AlertEvents are the record of what was detected and
    would go with it (cascade), and a new awareness reactivates the same row.
    """
    # A closed register entry raises no more alerts; reopening it brings its clocks back.
    wanted = {} if incident.status == Status.CLOSED else _facts_to_clocks(incident)
    existing = {
        (row.kind, row.party_id, row.relationship_id): row
        for row in Deadline.objects.select_for_update().filter(incident=incident, kind__in=DERIVED_KINDS)
    }
    rows = []
    for key, clock in wanted.items():
        row = existing.pop(key, None)
        if row is None:
            row = Deadline(incident=incident, kind=clock.kind, party_id=clock.party_id, relationship_id=clock.relationship_id)
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
