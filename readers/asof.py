"""As of T: what an incident's register said at an instant, and what changed between two.

The register as known at T is rebuilt from the history tables only (the rows recorded at or before
T, the latest version per object, deleted objects dropped): the incident's fields, parties,
authorities, awareness records (withdrawn ones kept, marked), processor notices, estimates,
filings, decisions not to notify, Art. 34 assessments, waves and the extortion facts.

The deadlines *as they were known then* are derived, never read: the deadline rows are derived
state without history, so they are recomputed with the pure :mod:`rules.clocks` from the
as-of facts, with ``now = T``: the Art. 33(1) clock of each controller (met by a filing recorded
by T), each processor's Art. 33(2) lag, each controller's Art. 33(4) follow-up and Art. 34
communication clock, and each threat actor's countdown. The follow-up and Art. 34 targets are the
organisation's alert policy *as it stood at T* (read from its history); the installation's
defaults behind it are today's settings, which have no history.

Queries: one per history table (see :mod:`readers.history_rows`) plus the party and authority
names (two) and the alert policies (one), whatever the size of the history. The directory entries (an organisation's parties,
the authorities) are read from their own history as they stood at T, so a party renamed later
shows under the name it had then; an entry with no history row by T (recorded before history
was kept) falls back to its current row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils.translation import gettext as _

from incidents.choices import EstimateMeasure
from incidents.models.incident import TIME_FACTS
from notifications.models import DeadlineKind
from organisations.models import Authority, Party
from readers import history_rows, wording
from readers.register import ControllerClock, ProcessorLagRow, ThreatRow, controller_clocks
from rules import clocks
from rules.awareness import earliest_awareness
from rules.deadlines import communication_clocks_from, follow_up_clocks_from
from rules.filing_chains import standing_initials
from rules.policies import OrganisationRulesAsOf


@dataclass(frozen=True)
class DerivedClock:
    """A target clock as known at T: one controller's Art. 33(4) follow-up or Art. 34 communication."""

    party: object  # the incident party (controller), names as of T
    started_at: datetime
    due_at: datetime
    met_at: datetime | None
    status: clocks.DeadlineStatus


@dataclass(frozen=True)
class RegisterAsOf:
    """The register as it stood at ``at`` (model instances rebuilt from their history rows)."""

    at: datetime
    incident: object | None  # None: the incident was not yet recorded at ``at``
    parties: list
    authorities: list
    relationships: list
    awareness: list
    processor_notices: list
    estimates: dict[str, list]
    current_estimates: dict[str, object]
    filings: list
    decisions: list
    assessments: list
    waves: list
    threats: list[ThreatRow]
    publications: list
    controller_clocks: list[ControllerClock]
    processor_lags: list[ProcessorLagRow]
    follow_up_clocks: list[DerivedClock] = field(default_factory=list)  # Art. 33(4), a target
    communication_clocks: list[DerivedClock] = field(default_factory=list)  # Art. 34, a target
    versions: dict[str, dict] = field(default_factory=dict)  # source key -> {object id: history row}

    @property
    def target_clock_tables(self) -> list[tuple[str, list[DerivedClock]]]:
        """The two target-clock tables of the page, with their titles."""
        return [
            (_("Further information to the authority (Art. 33(4)), as known then"), self.follow_up_clocks),
            (_("Communication to data subjects (Art. 34), as known then"), self.communication_clocks),
        ]


# The two readings of "as of T" a reviewer chooses between.
RECORDED = "recorded"  # what the register said at T: the history written down by T
OCCURRED = "occurred"  # what had happened by T, as the register knows it now
BASES = (RECORDED, OCCURRED)

# Per source, the instant at which its fact happened (sources without one -- the incident, its
# parties, authorities and processor relationships -- are the frame, kept whatever T is).
EVENT_FIELDS = {
    "processor_notices": "informed_at",
    "awareness": "aware_at",
    "estimates": "known_at",
    "threats": "first_contact_at",
    "countdown_revisions": "announced_at",
    "publications": "published_at",
    "filings": "submitted_at",
    "decisions": "decided_at",
    "assessments": "decided_at",
    "waves": "sent_at",  # a wave happened when it was sent; one not sent by T had not happened
}


def register_as_of(incident, at: datetime, *, basis: str = RECORDED, rows: dict | None = None) -> RegisterAsOf:
    """The register as known at ``at`` (``basis`` RECORDED), or what had happened by ``at``
    as the register knows it today (``basis`` OCCURRED).

    Steps: read the history rows (recorded by ``at``, or all of them; one query per table); keep
    the latest version of each object, drop deleted ones; for OCCURRED, keep only the facts whose
    own instant is at or before ``at`` (and blank the incident's own instants after it); rebuild
    model instances and attach the party and authority names (two queries); derive the clocks
    with ``now = at``.

    ``rows``: the incident's history rows already read by the caller (``history_rows.load_rows``,
    every record, oldest first), so an export that also builds the timeline reads the history once;
    the records after ``at`` are left out here as the query would have.
    """
    if basis not in BASES:
        raise ValueError(f"unknown basis {basis!r}")
    until = at if basis == RECORDED else None
    if rows is None:
        rows = history_rows.load(incident.pk, until=until)
    versions = {source.key: history_rows.latest_at(rows[source.key], until) for source in history_rows.SOURCES}
    if basis == OCCURRED:
        versions = happened_by(versions, at)
    return build_register(versions, at)


def happened_by(versions: dict[str, dict], at: datetime) -> dict[str, dict]:
    """The versions of the facts that had happened by ``at`` (their own instant at or before it).

    The incident's own instants after ``at`` (contained, ended ...) are blanked on a copy: at
    ``at`` the breach was not yet contained, whatever was written down later.
    """
    kept = {}
    for key, found in versions.items():
        name = EVENT_FIELDS.get(key)
        if name is None:
            kept[key] = found
            continue
        kept[key] = {
            pk: row for pk, row in found.items() if getattr(row, name) is not None and getattr(row, name) <= at
        }
    kept["incident"] = {pk: _incident_by(row, at) for pk, row in versions.get("incident", {}).items()}
    return kept


@dataclass(frozen=True)
class BlankedVersion:
    """A history row of the incident with its own instants after a moment blanked."""

    history_id: int
    history_date: datetime
    instance: object


def _incident_by(row, at: datetime) -> BlankedVersion:
    """A copy of the incident's history row with its own instants after ``at`` blanked."""
    instance = row.instance
    for name in TIME_FACTS:
        value = getattr(instance, f"{name}_at")
        if value is not None and value > at:
            setattr(instance, f"{name}_at", None)
    return BlankedVersion(row.history_id, row.history_date, instance)


def build_register(versions: dict[str, dict], at: datetime) -> RegisterAsOf:
    """The register from one version per object (``versions``: source key -> {id: history row})."""
    objects = {key: _instances(found) for key, found in versions.items()}
    parties = _with_names(objects, at)
    earliest = earliest_awareness(objects["awareness"])
    filings = sorted(objects["filings"], key=lambda f: (f.submitted_at, f.pk))
    decisions = sorted(objects["decisions"], key=lambda d: (d.decided_at, d.pk))
    estimates_list = sorted(objects["estimates"], key=lambda e: (e.known_at, e.pk))
    estimates = {measure: [e for e in estimates_list if e.measure == measure] for measure in EstimateMeasure.values}
    decided = {decision.controller_id for decision in decisions}
    return RegisterAsOf(
        at=at,
        incident=objects["incident"][0] if objects["incident"] else None,
        parties=parties,
        authorities=objects["authorities"],
        relationships=objects["relationships"],
        awareness=sorted(objects["awareness"], key=lambda a: (a.aware_at, a.pk)),
        processor_notices=sorted(objects["processor_notices"], key=lambda n: (n.informed_at, n.pk)),
        estimates=estimates,
        current_estimates={measure: found[-1] for measure, found in estimates.items() if found},
        filings=filings,
        decisions=decisions,
        assessments=sorted(objects["assessments"], key=lambda a: a.pk),
        waves=sorted(objects["waves"], key=lambda w: (w.planned_at, w.pk)),
        threats=_threat_rows(objects, at),
        publications=sorted(objects["publications"], key=lambda p: (p.published_at, p.pk)),
        controller_clocks=controller_clocks(parties, earliest, at, standing_initials(filings), decided),
        processor_lags=_processor_lags(objects, earliest, at),
        versions=versions,
        **_target_clocks(objects, parties, filings, estimates_list, at),
    )


def _target_clocks(objects: dict, parties: list, filings: list, estimates: list, at: datetime) -> dict:
    """The follow-up and Art. 34 clocks as known at ``at``, under the alert policies of ``at``.

    The same derivation as the live deadline rows (rules.deadlines), fed with the facts
    recorded by ``at``; a wave counts as sent only if its recorded version by ``at`` says so.
    """

    if not objects["incident"]:
        return {}
    rules = OrganisationRulesAsOf(objects["incident"][0].organisation_id, at)
    by_id = {party.pk: party for party in parties}

    def rows(found: dict) -> list[DerivedClock]:
        return sorted(
            (
                DerivedClock(
                    by_id.get(clock.party_id),
                    clock.started_at,
                    clock.due_at,
                    clock.met_at,
                    clocks.evaluate(clock.due_at, clock.met_at, at),
                )
                for clock in found.values()
            ),
            key=lambda row: (row.due_at, getattr(row.party, "pk", 0)),
        )

    follow_ups = follow_up_clocks_from(filings, estimates, rules[DeadlineKind.FOLLOW_UP]) if filings else {}
    communications = communication_clocks_from(
        sorted(objects["assessments"], key=lambda a: a.pk),
        objects["waves"],
        rules[DeadlineKind.DATA_SUBJECT_COMMUNICATION],
    )
    return {"follow_up_clocks": rows(follow_ups), "communication_clocks": rows(communications)}


def _instances(found: dict) -> list:
    return [row.instance for _pk, row in sorted(found.items())]


def _directory_as_of(model, ids: set, at: datetime) -> dict:
    """``{id: instance}`` of directory rows as they stood at ``at``: one query over ``model``'s
    history (the latest version recorded by ``at``), current rows only where none exists."""
    if not ids:
        return {}
    found = {}
    rows = model.history.filter(id__in=ids, history_date__lte=at).order_by("id", "-history_date", "-history_id")
    for row in rows:
        if row.id not in found and row.history_type != "-":
            found[row.id] = row.instance
    missing = ids - set(found)
    if missing:
        found.update(model.objects.in_bulk(missing))
    return found


def _with_names(objects: dict, at: datetime) -> list:
    """Attach the directory party to each incident party, and the authority to each authority row.

    Two queries (three if a directory row has no history by ``at``); the awareness records,
    estimates and relationships get their as-of party rows.
    """

    parties = objects["parties"]
    directory = _directory_as_of(Party, {p.party_id for p in parties}, at)
    for party in parties:
        if party.party_id in directory:
            party.party = directory[party.party_id]
    by_id = {party.pk: party for party in parties}
    for key, attribute in (
        ("awareness", "party"),
        ("estimates", "party"),
        ("relationships", "processor"),
        ("relationships", "controller"),
        ("filings", "controller"),
        ("decisions", "controller"),
        ("assessments", "controller"),
        ("waves", "controller"),
    ):
        for obj in objects[key]:
            linked = by_id.get(getattr(obj, f"{attribute}_id"))
            if linked is not None:
                setattr(obj, attribute, linked)
    authorities = _directory_as_of(Authority, {a.authority_id for a in objects["authorities"]}, at)
    for row in objects["authorities"]:
        if row.authority_id in authorities:
            row.authority = authorities[row.authority_id]
    return sorted(parties, key=lambda p: (p.role, p.pk))


def _processor_lags(objects: dict, earliest: dict, at: datetime) -> list[ProcessorLagRow]:
    """Each processor's Art. 33(2) lag as known at ``at`` (the notices recorded by then)."""
    rows = []
    for relationship in objects["relationships"]:
        informed = [n.informed_at for n in objects["processor_notices"] if n.relationship_id == relationship.pk]
        informed_at = min(informed, default=None)
        aware = earliest.get(relationship.processor_id)
        target = timedelta(hours=relationship.notice_target_hours)
        lag = None
        if aware is not None and (informed_at is None or informed_at >= aware.aware_at):
            lag = clocks.processor_lag(aware.aware_at, informed_at, target, at)
        rows.append(ProcessorLagRow(relationship, aware.aware_at if aware else None, informed_at, target, lag))
    return rows


def _threat_rows(objects: dict, at: datetime) -> list[ThreatRow]:
    """Each threat's countdown as known at ``at``: the revisions recorded by then, the latest one current."""
    rows = []
    for threat in sorted(objects["threats"], key=lambda t: (t.first_contact_at, t.pk)):
        revisions = sorted(
            (r for r in objects["countdown_revisions"] if r.threat_id == threat.pk),
            key=lambda r: (r.announced_at, r.pk),
        )
        current = revisions[-1] if revisions else None
        status = None
        if current is not None and current.deadline_at is not None:
            status = clocks.evaluate(current.deadline_at, None, at)
        own = [p for p in objects["publications"] if p.threat_id == threat.pk]
        rows.append(ThreatRow(threat, revisions, current, status, own))
    return rows


# --- Diff between two instants ------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One history record between the two instants: who wrote what, when and why."""

    recorded_at: datetime
    actor: str
    reason: str
    history_type: str  # "+" created, "~" changed, "-" deleted


@dataclass(frozen=True)
class ObjectDiff:
    source: str  # the history_rows source key, e.g. "awareness"
    object_id: int
    label: str
    change: str  # "added", "removed" or "changed"
    fields: list[tuple[str, object, object]]  # (field, value at t1, value at t2)
    steps: list[Step]


def diff_as_of(incident, t1: datetime, t2: datetime) -> list[ObjectDiff]:
    """What changed in the register between ``t1`` and ``t2`` (``t1 < t2``), per object.

    Steps: read the history recorded by ``t2`` (one query per table); take each object's version
    at ``t1`` and at ``t2``; classify added / removed / changed; diff the two versions field by
    field in memory; list the history records in between with actor and reason.
    """
    if t2 < t1:
        t1, t2 = t2, t1
    rows = history_rows.load(incident.pk, until=t2)
    diffs = []
    for source in history_rows.SOURCES:
        found = rows[source.key]
        before, after = history_rows.latest_at(found, t1), history_rows.latest_at(found, t2)
        between = [row for row in found if row.history_date > t1]
        for object_id in sorted(set(before) | set(after)):
            diff = _object_diff(source.key, object_id, before.get(object_id), after.get(object_id), between)
            if diff is not None:
                diffs.append(diff)
    return diffs


def _object_diff(key, object_id, old, new, between) -> ObjectDiff | None:
    steps = [
        Step(row.history_date, history_rows.actor_name(row), row.history_change_reason or "", row.history_type)
        for row in between
        if row.id == object_id
    ]
    if old is None and new is not None:
        held = [(name, None, value) for name, value in history_rows.field_values(new) if _shown(name, value)]
        return ObjectDiff(key, object_id, str(_label(new)), "added", held, steps)
    if new is None:
        held = [(name, value, None) for name, value in history_rows.field_values(old) if _shown(name, value)]
        return ObjectDiff(key, object_id, str(_label(old)), "removed", held, steps)
    if old.history_id == new.history_id:
        return None
    fields = history_rows.field_changes(new, old)
    if not fields:
        return None
    return ObjectDiff(key, object_id, str(_label(new)), "changed", fields, steps)


# Columns of an added or removed record that say nothing to a reader: its id, its incident (the
# page is the incident's) and bookkeeping.
# A filing's frozen content (a document of its own, shown on the filing's page) and its hash are
# left out too: the diff names the filing, its page shows what it said.
HIDDEN_IN_CONTENT = ("id", "incident", "organisation", "created_at", "updated_at", "content", "content_sha256")


def _shown(name: str, value) -> bool:
    return name not in HIDDEN_IN_CONTENT and value not in (None, "", [], {})


def _label(row) -> str:
    """The record's kind in words ("Processor notice"); what it held is listed under it."""
    return wording.model_label(row.instance_type)
