"""One timeline of an incident: domain events and history changes, merged.

Each entry has two instants: ``event_at``, *when it happened* (aware_at, informed_at,
submitted_at, sent_at, published_at, fired_at, ...), and ``recorded_at``, *when we wrote it down*
(the history record that first held the value shown). A history change (field, old -> new, actor,
reason) happened when it was recorded, so both instants are its ``history_date``. Entries are
sorted by event time, then recorded time.

Sources: the history tables (one query each, read as plain rows by ``history_rows.load_rows``:
no model instance per record); the facts are the latest version of each object, the changes are
each non-creation version diffed in memory against its predecessor (``history_rows.field_changes``);
the alerts (``notifications.AlertEvent``, one query); the party and authority names (two
queries). Nothing grows the number of queries but the number of tables.

Notes and legal privilege: an incident's notes (``incidents.IncidentNote``) are
entries of kind ``note`` (event time: when what it describes happened, else when it was written),
and their edits are history changes like any other. Who reads the timeline is an explicit,
required argument, :class:`Audience`: ``REGULATOR`` for everything that leaves the building (the
JSON download, share links, any PDF/CSV export) and ``INTERNAL_UNPRIVILEGED`` for members who may
not read privileged notes (viewers) leave out every note that is *currently* privileged together
with *every* history record of it, so a note marked privileged after the fact does not leak
through its earlier versions. ``INTERNAL`` (officers, legal) shows them, each entry flagged
``is_privileged``; :func:`as_json` refuses such entries, so no export can carry one.

JSON export schema ``breachtrack.timeline/2`` (:func:`as_json`; 2 added ``deadlines``)::

    {
      "schema": "breachtrack.timeline/2",
      "generated_at": "<UTC ISO 8601 instant>",
      "chain": {...},                 # evidence.chain.export_stamp(organisation): the chain head
                                      # and its latest RFC 3161 anchor ("anchor": {"at", "tsa", ...} or null)
      "incident": {"id": int, "reference": str, "title": str, "organisation": str},
      "deadlines": [                  # the active clocks at generated_at, by due moment
        {"kind": str, "kind_label": str, "party": str, "is_legal_deadline": bool,
         "started_at": "<UTC>", "due_at": "<UTC>",
         "outer_bound_at": "<UTC>" | null,   # Reg. 1182/71 bound of the 72 hours (information only)
         "met_at": "<UTC>" | null, "state": "pending" | "overdue" | "met_on_time" | "met_late",
         # a report under another regime (kind "regime_report", kind_label "NIS2 · Early warning ..."):
         "regime": str, "report": str, "recipient": str, "rule_version": str}   # only on such rows
      ],
      "entries": [                    # sorted by event_at, then recorded_at
        {
          "event_at": "<UTC ISO 8601>",      # when it happened
          "recorded_at": "<UTC ISO 8601>",   # when it was written down (history record or row creation)
          "kind": str,                       # see KINDS
          "summary": str,                    # human-readable, in the request's language
          "actor": str,                      # username of the recorder ("" for the system's alerts)
          "reason": str,                     # the change reason recorded with the history record
          "object": {"model": "app_label.model", "id": int},
          "changes": [{"field": str, "old": any, "new": any,    # history changes only, else []
                       "label": str, "old_text": str, "new_text": str}]
        }
      ]
    }

Values in ``changes`` are JSON values: instants as UTC ISO 8601 strings, decimals as strings,
lists as lists, anything else as its string form. Beside them, the same change in people's
language (:mod:`readers.wording`, in the request's language and zone): ``label`` (the field's
label), ``old_text`` and ``new_text`` (choice labels, names, local times with their zone, local
numbers; "—" for nothing). Added in ``breachtrack.timeline/2``, with ``deadlines``; an export
served with the page or a share link also opens with ``summary`` (:mod:`readers.regulator_summary`).

Notes (a new ``kind`` value, added under ``breachtrack.timeline/1``): an entry of kind ``note`` has
``summary`` "Note: <its text>", ``event_at`` when what it describes happened (its creation when
it does not say), ``object`` ``{"model": "incidents.incidentnote", ...}``; an edit of the note is
a ``change`` entry of that object (``body``, ``occurred_at``, ``is_legally_privileged``). A note
that is legally privileged *now* is absent from the export with all its ``change`` entries.

CSV export ``breachtrack.timeline-csv/1`` (:mod:`readers.timeline_csv`, for spreadsheets): the
same entries. UTF-8 with a byte-order mark, CRLF, RFC 4180 quoting, every record 12 fields::

    schema,generated_at,organisation,incident_id,incident_reference,incident_title,chain,chain_seq,chain_sha256,,,
    breachtrack.timeline-csv/1,<UTC ISO 8601>,<name>,<id>,<reference>,<title>,org:<id>,<seq>,<sha256>,,,
    ,,,,,,,,,,,
    entry,event_at,recorded_at,kind,summary,actor,reason,model,object_id,field,old,new
    1,<UTC ISO 8601>,<UTC ISO 8601>,occurred,The breach started,<username>,<reason>,incidents.incident,7,,,
    9,...,change,...,incidents.incident,7,is_ongoing,true,false     # one record per changed field,
    9,...,change,...,incidents.incident,7,contained_at,,2025-07-08T16:00:00Z   # same entry number

Records 1-2 are the file's metadata (``chain*``: the chain head, as ``"chain"`` above), record 3
is empty, record 4 names the entry columns. ``old``/``new`` are the JSON values above written as
text (``true``/``false``, lists as JSON arrays, nothing as an empty cell). A cell that starts
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'`` (formula
injection). The HTTP response repeats the chain head in ``X-BreachTrack-Chain``.

PDF export (:mod:`readers.timeline_pdf`, for reading and printing): the same entries on A4,
times in the installation's display zone, the chain head in every page's footer.
"""

from __future__ import annotations

import enum
import operator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext as _

from evidence.chain import export_stamp
from incidents.models import AffectedEstimate
from notifications.models import AlertEvent
from organisations.models import Authority, Party
from readers import history_rows, wording
from readers.ics import deadlines_of, party_of
from readers.notes import may_read_privileged
from readers.regime_labels import deadline_label, regime_keys
from rules import clocks

# 2: a "deadlines" list (each clock with its due moment and the Reg. 1182/71 outer bound).
SCHEMA = "breachtrack.timeline/2"

KINDS = (
    "occurred",
    "occurred_until",
    "detected",
    "investigation_started",
    "contained",
    "awareness",
    "processor_notice",
    "estimate",
    "filing",
    "notification_decision",
    "assessment",
    "communication_wave",
    "extortion_threat",
    "police_report",
    "payment_decision",
    "countdown",
    "leak",
    "note",
    "alert",
    "change",
    "deletion",
)


class Audience(enum.Enum):
    """Who will read a timeline: it decides whether legally privileged notes are in it.

    Required by :func:`incident_timeline` (no default), so no caller can forget to choose.
    Every export is ``REGULATOR``; the logged-in page is ``for_reader(...)``.
    """

    INTERNAL = "internal"  # members who may read privileged notes: everything, privileged entries flagged
    INTERNAL_UNPRIVILEGED = "internal_unprivileged"  # members who may not (viewers): as REGULATOR for notes
    REGULATOR = "regulator"  # anything that leaves the building: no privileged note, none of its history

    @property
    def includes_privileged(self) -> bool:
        return self is Audience.INTERNAL

    @classmethod
    def for_reader(cls, user, organisation) -> Audience:
        """The audience of a logged-in member's timeline page."""
        return cls.INTERNAL if may_read_privileged(user, organisation) else cls.INTERNAL_UNPRIVILEGED


class PrivilegedEntryInExport(ValueError):
    """An entry flagged legally privileged reached an export: refused rather than written."""


@dataclass(frozen=True)
class Entry:
    event_at: datetime
    recorded_at: datetime
    kind: str
    summary: str
    actor: str
    reason: str
    model: str  # app_label.model of the object
    object_id: int
    changes: list[tuple[str, object, object]] = field(default_factory=list)
    is_privileged: bool = False  # a legally privileged note or its history (Audience.INTERNAL only)

    def __init__(
        self,
        event_at: datetime,
        recorded_at: datetime,
        kind: str,
        summary: str,
        actor: str,
        reason: str,
        model: str,
        object_id: int,
        changes: list[tuple[str, object, object]] | None = None,
        is_privileged: bool = False,
    ):
        # Still frozen (assignment raises), but filled in one step: the generated __init__ of a
        # frozen dataclass calls object.__setattr__ once per field, and a timeline builds 10,000
        # entries (a fifth of the entries' time went there).
        self.__dict__.update(
            event_at=event_at,
            recorded_at=recorded_at,
            kind=kind,
            summary=summary,
            actor=actor,
            reason=reason,
            model=model,
            object_id=object_id,
            changes=[] if changes is None else changes,
            is_privileged=is_privileged,
        )


def incident_timeline(incident, *, audience: Audience, rows: dict | None = None) -> list[Entry]:
    """Every entry of the incident's timeline for ``audience``, sorted by event time then recorded time.

    Steps: read the history (one query per table, as plain rows: no model instance per record);
    leave out the notes ``audience`` may not read, with all their versions; name the parties and
    authorities (two queries); derive the domain events from the latest version of each object;
    diff each non-creation version against its predecessor; add the alerts (one query); sort.
    ``rows``: the history rows of :func:`load_rows`, when the caller has read them already.
    """
    if not isinstance(audience, Audience):
        raise TypeError(f"audience must be an readers.timeline.Audience, not {audience!r}")
    if rows is None:
        rows = load_rows(incident)
    grouped = {key: history_rows.versions_by_object(found) for key, found in rows.items()}
    grouped["notes"] = _notes_for(grouped["notes"], audience)
    names = _names(grouped)
    entries: list[Entry] = []
    # Translated once, not once per change: thousands of changes share two sentences.
    texts = {
        "deletion": _("%(model)s deleted"),
        "change": _("%(model)s changed: %(fields)s"),
        "labels": FieldLabels(),
    }
    for key, objects in grouped.items():
        events = EVENTS.get(key, _no_events)
        for versions in objects.values():
            found = _changes(versions, texts) if len(versions) > 1 else []
            if versions[-1].history_type != "-":
                found += events(versions, names)
            if key == "notes" and versions[-1].is_legally_privileged:
                found = [replace(entry, is_privileged=True) for entry in found]
            entries += found
    entries += _alerts(incident)
    entries.sort(key=_order)
    return entries


def load_rows(incident) -> dict[str, list]:
    """Every history row the timeline reads (the register's tables and the notes), oldest first:
    one query per table. An export reads them once for its timeline and its regulator's summary."""
    return history_rows.load_rows(incident.pk, (*history_rows.SOURCES, history_rows.NOTES))


def _notes_for(notes: dict[int, list], audience: Audience) -> dict[int, list]:
    """The notes ``audience`` may read, each with all its versions.

    Decided on each note's *latest* version: a note privileged now is left out with every
    earlier version (written before it was marked); a note whose privilege legal removed is
    shown with its whole history.
    """
    if audience.includes_privileged:
        return notes
    return {pk: versions for pk, versions in notes.items() if not versions[-1].is_legally_privileged}


# The sort key, read in C: no Python call per entry.
_order = operator.attrgetter("event_at", "recorded_at", "kind", "object_id")


# --- History changes ----------------------------------------------------------------------------


def _changes(versions: list, texts: dict) -> list[Entry]:
    """One entry per version after the first: a deletion, or the fields that changed (none: no entry)."""
    entries = []
    label = versions[0].instance_type._meta.label_lower
    if label not in texts:
        texts[label] = str(versions[0].instance_type._meta.verbose_name)  # a lazy string: cast once per model
    change, deletion, name = texts["change"], texts["deletion"], texts[label]
    actor_name, labels, model = history_rows.actor_name, texts["labels"], versions[0].instance_type
    # The summary names the changed fields: written once per model and set of fields, not per entry.
    summaries = texts.setdefault(("summaries", label), {})
    for row, changes in zip(versions[1:], history_rows.successive_changes(versions), strict=True):
        if row.history_type == "-":
            summary, changes, kind = deletion % {"model": name}, [], "deletion"
        else:
            if not changes:
                continue  # a save that changed nothing a reader needs (only updated_at)
            fields = tuple([c[0] for c in changes])
            summary = summaries.get(fields)
            if summary is None:
                words = ", ".join([labels(model, field_name) for field_name in fields])
                summary = summaries[fields] = change % {"model": name, "fields": words}
            kind = "change"
        entries.append(
            Entry(
                row.history_date,
                row.history_date,
                kind,
                summary,
                actor_name(row),
                row.history_change_reason or "",
                label,
                row.id,
                changes,
            )
        )
    return entries


# --- Domain events ------------------------------------------------------------------------------


def _event(versions, attribute: str, kind: str, summary: str) -> list[Entry]:
    """One event at the current value of ``attribute``, recorded when that value was first written."""
    latest = versions[-1]
    value = getattr(latest, attribute)
    if value is None:
        return []
    written = latest
    for row in reversed(versions):
        if getattr(row, attribute) != value:
            break
        written = row
    return [
        Entry(
            value,
            written.history_date,
            kind,
            summary,
            history_rows.actor_name(written),
            written.history_change_reason or "",
            latest.instance_type._meta.label_lower,
            latest.id,
        )
    ]


def _no_events(versions, names) -> list[Entry]:
    return []


def _incident_events(versions, names) -> list[Entry]:
    return [
        *_event(versions, "occurred_from_at", "occurred", _("The breach started")),
        *_event(versions, "occurred_until_at", "occurred_until", _("The breach ended")),
        *_event(versions, "detected_at", "detected", _("The breach was detected")),
        *_event(versions, "investigation_started_at", "investigation_started", _("The investigation started")),
        *_event(versions, "contained_at", "contained", _("The breach was contained")),
    ]


def _awareness_events(versions, names) -> list[Entry]:
    row = versions[-1]
    summary = _("%(party)s became aware (Art. 33)") % {"party": names.party(row.party_id)}
    if row.is_withdrawn:
        summary = _("%(summary)s — withdrawn: %(why)s") % {"summary": summary, "why": row.withdrawal_reason}
    return _event(versions, "aware_at", "awareness", summary)


def _notice_events(versions, names) -> list[Entry]:
    row = versions[-1]
    processor, controller = names.relationships.get(row.relationship_id, (None, None))
    summary = _("%(processor)s informed %(controller)s (Art. 33(2))") % {
        "processor": names.party(processor),
        "controller": names.party(controller),
    }
    return _event(versions, "informed_at", "processor_notice", summary)


def _estimate_events(versions, names) -> list[Entry]:
    """An incident can hold thousands of estimates: their texts and labels are translated once
    per timeline (``names.estimates``) and the value is formatted from the row itself."""

    row = versions[-1]
    texts = names.estimate_texts()
    measure = texts["measures"].get(row.measure, row.measure)
    summary = texts["value"] % {"measure": measure, "value": wording.count_text(row, texts["number"])}
    if row.party_id:
        summary = texts["for_party"] % {"summary": summary, "party": names.party(row.party_id)}
    return _event(versions, "known_at", "estimate", summary)


def _filing_events(versions, names) -> list[Entry]:
    row = versions[-1].instance
    summary = _("%(type)s filing to %(authority)s for %(controller)s") % {
        "type": row.get_filing_type_display(),
        "authority": names.authority(row.authority_id),
        "controller": names.party(row.controller_id),
    }
    return _event(versions, "submitted_at", "filing", summary)


def _decision_events(versions, names) -> list[Entry]:
    summary = _("Decision not to notify the authority, for %(controller)s") % {
        "controller": names.party(versions[-1].controller_id)
    }
    return _event(versions, "decided_at", "notification_decision", summary)


def _assessment_events(versions, names) -> list[Entry]:
    row = versions[-1].instance
    summary = _("Art. 34 assessment for %(controller)s: %(verdict)s") % {
        "controller": names.party(row.controller_id),
        "verdict": row.verdict,
    }
    return _event(versions, "decided_at", "assessment", summary)


def _wave_events(versions, names) -> list[Entry]:
    row = versions[-1].instance
    summary = _("Communication wave sent to %(cohort)s (%(channel)s, %(count)s sent)") % {
        "cohort": row.cohort_label,
        "channel": row.get_channel_display(),
        "count": row.sent_count,
    }
    return _event(versions, "sent_at", "communication_wave", summary)


def _threat_events(versions, names) -> list[Entry]:
    row = versions[-1].instance
    return [
        *_event(
            versions,
            "first_contact_at",
            "extortion_threat",
            _("First contact by the threat actor %(actor)s") % {"actor": row.actor_name},
        ),
        *_event(
            versions,
            "police_reported_at",
            "police_report",
            _("Reported to the police (%(reference)s)") % {"reference": row.police_reference},
        ),
        *_event(
            versions,
            "payment_decided_at",
            "payment_decision",
            _("Payment decision: %(decision)s") % {"decision": row.get_payment_decision_display()},
        ),
    ]


def _countdown_events(versions, names) -> list[Entry]:
    row = versions[-1].instance
    if row.deadline_at is None:
        summary = _("Countdown: %(kind)s") % {"kind": row.get_kind_display()}
    else:
        summary = _("Countdown: %(kind)s, deadline %(deadline)s") % {
            "kind": row.get_kind_display(),
            "deadline": wording.instant_text(row.deadline_at),
        }
    return _event(versions, "announced_at", "countdown", summary)


def _note_events(versions, names) -> list[Entry]:
    """The note at the time it says things happened, else at the time it was written."""
    row = versions[-1]
    summary = _("Note: %(body)s") % {"body": row.body}
    if row.is_legally_privileged:
        summary = _("Legally privileged note (never exported): %(body)s") % {"body": row.body}
    if row.occurred_at is not None:
        return _event(versions, "occurred_at", "note", summary)
    created = versions[0]
    return [
        Entry(
            created.history_date,
            created.history_date,
            "note",
            summary,
            history_rows.actor_name(created),
            created.history_change_reason or "",
            row.instance_type._meta.label_lower,
            row.id,
        )
    ]


def _publication_events(versions, names) -> list[Entry]:
    """Where, and how much when it is known: the size of a leak is what a regulator asks next."""
    row = versions[-1]
    summary = _("Data published: %(where)s") % {"where": row.location}
    if row.records_count is not None:
        summary = _("Data published: %(where)s (%(records)s records)") % {
            "where": row.location,
            "records": wording.number_text(row.records_count),
        }
    return _event(versions, "published_at", "leak", summary)


EVENTS = {
    "incident": _incident_events,
    "awareness": _awareness_events,
    "processor_notices": _notice_events,
    "estimates": _estimate_events,
    "filings": _filing_events,
    "decisions": _decision_events,
    "assessments": _assessment_events,
    "waves": _wave_events,
    "threats": _threat_events,
    "countdown_revisions": _countdown_events,
    "publications": _publication_events,
    "notes": _note_events,
}


def _alerts(incident) -> list[Entry]:
    """The alerts the sweep recorded for the incident's deadlines (one query)."""

    entries = []
    for alert in AlertEvent.objects.filter(deadline__incident=incident).select_related("deadline"):
        summary = _("Alert %(label)s: %(deadline)s due %(due)s") % {
            "label": alert.label,
            "deadline": deadline_label(alert.deadline),
            "due": wording.instant_text(alert.due_at),
        }
        entries.append(
            Entry(alert.fired_at, alert.created_at, "alert", summary, "", "", AlertEvent._meta.label_lower, alert.pk)
        )
    return entries


# --- Names, read once ---------------------------------------------------------------------------


@dataclass
class _Names:
    parties: dict  # incident party id -> name
    authorities: dict  # authority id -> name
    relationships: dict  # relationship id -> (processor id, controller id)
    _estimate_texts: dict | None = None

    def party(self, party_id) -> str:
        return self.parties.get(party_id, _("unknown party"))

    def authority(self, authority_id) -> str:
        return self.authorities.get(authority_id, _("unknown authority"))

    def estimate_texts(self) -> dict:
        """The estimate sentences and measure labels, translated on first use (cached here)."""
        if self._estimate_texts is None:
            self._estimate_texts = {
                "value": _("%(measure)s: %(value)s"),
                "for_party": _("%(summary)s (for %(party)s)"),
                "number": wording.NumberText(),  # the reader's grouping, read once per timeline
                "measures": {
                    value: str(label) for value, label in AffectedEstimate._meta.get_field("measure").flatchoices
                },
            }
        return self._estimate_texts


def _names(grouped: dict) -> _Names:
    """Names of the incident's parties (current directory names) and of the authorities: two queries."""

    latest = {key: [versions[-1] for versions in objects.values()] for key, objects in grouped.items()}
    directory = Party.objects.in_bulk({row.party_id for row in latest["parties"]})
    parties = {row.id: str(directory[row.party_id].name) for row in latest["parties"] if row.party_id in directory}
    authority_ids = {row.authority_id for row in latest["authorities"]} | {
        row.authority_id for row in latest["filings"]
    }
    authorities = {pk: str(a) for pk, a in Authority.objects.in_bulk(authority_ids).items()}
    relationships = {row.id: (row.processor_id, row.controller_id) for row in latest["relationships"]}
    return _Names(parties, authorities, relationships)


# --- JSON ---------------------------------------------------------------------------------------


def _instant(value: datetime) -> str:
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat().replace("+00:00", "Z")


_AS_IS = frozenset({type(None), bool, int, float, str})


def json_value(value):
    """A field value as JSON: instants in UTC ISO 8601, decimals as strings, lists as lists."""
    if type(value) in _AS_IS or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return _instant(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [json_value(item) for item in value]
    return str(value)


class FieldLabels:
    """Field labels in the active language, cached per model and field for one timeline."""

    def __init__(self):
        self.found: dict[tuple[type, str], str] = {}

    def __call__(self, model, name: str) -> str:
        key = (model, name)
        if key not in self.found:
            self.found[key] = wording.field_label(model, name)
        return self.found[key]


def change_words(entries: list[Entry]) -> list[list[tuple[str, str, str]]]:
    """Each entry's changes in words, aligned with ``entries``: (label, before, after), read by
    people -- labels, choice labels, names, local times in the active zone, local numbers.

    Names behind foreign keys are read with one query per related model for all the entries.
    """
    names = wording.Names()
    models = {}
    for entry in entries:  # one registry look-up per model, not per entry
        if entry.changes and entry.model not in models:
            models[entry.model] = apps.get_model(entry.model)
    links: dict[tuple, bool] = {}  # (model, field) -> whether its values name a related row
    for entry in entries:
        if entry.changes:
            model = models[entry.model]
            for name, old, new in entry.changes:
                key = (model, name)
                is_link = links.get(key)
                if is_link is None:
                    is_link = links[key] = names.links(model, name)
                if is_link:
                    names.want(model, name, old)
                    names.want(model, name, new)
    text = wording.ValueTexts(names)
    labels = FieldLabels()
    # A value changed from is usually the value the previous version changed to: each text is
    # written once per model, field and value (of the plain types: the others each time).
    fields: dict[tuple, tuple[str, dict]] = {}  # (model, field) -> (its label, {(type, value): text})

    def words(texts: dict, model, name: str, value) -> str:
        if type(value) not in _WORDED_ONCE:  # lists and dicts (unhashable), decimals, countries
            return text(model, name, value)
        found = texts.get((type(value), value))
        if found is None:
            found = texts[(type(value), value)] = text(model, name, value)
        return found

    worded = []
    for entry in entries:
        said = []
        if entry.changes:
            model = models[entry.model]
            for name, old, new in entry.changes:
                found = fields.get((model, name))
                if found is None:
                    found = fields[(model, name)] = (labels(model, name), {})
                label, texts = found
                said.append((label, words(texts, model, name, old), words(texts, model, name, new)))
        worded.append(said)
    return worded


_WORDED_ONCE = frozenset({type(None), bool, int, str, datetime, date})


def entry_json(entry: Entry, words: list[tuple[str, str, str]] | None = None) -> dict:
    event_at = _instant(entry.event_at)
    # A history change happened when it was recorded: one instant, formatted once.
    recorded_at = event_at if entry.recorded_at is entry.event_at else _instant(entry.recorded_at)
    value = json_value
    as_is = _AS_IS  # most values are JSON already: no call for them
    return {
        "event_at": event_at,
        "recorded_at": recorded_at,
        "kind": entry.kind,
        "summary": str(entry.summary),
        "actor": entry.actor,
        "reason": entry.reason,
        "object": {"model": entry.model, "id": entry.object_id},
        "changes": [{"field": name, "old": value(old), "new": value(new)} for name, old, new in entry.changes]
        if not words
        else [
            {
                "field": name,
                "old": old if type(old) in as_is else value(old),
                "new": new if type(new) in as_is else value(new),
                "label": said[0],
                "old_text": said[1],
                "new_text": said[2],
            }
            for (name, old, new), said in zip(entry.changes, words, strict=True)
        ],
    }


def as_json(incident, entries: list[Entry], *, now: datetime) -> dict:
    """The export: schema, generated_at, the organisation's chain head, the incident, the entries.

    Exports leave the building: build ``entries`` with ``Audience.REGULATOR``. An entry flagged
    privileged (from an ``INTERNAL`` timeline) is refused, never written.
    """
    refuse_privileged(entries)
    return {
        **_head(incident, now),
        "entries": [entry_json(entry, words) for entry, words in zip(entries, change_words(entries), strict=True)],
    }


def refuse_privileged(entries: list[Entry]) -> None:
    if any(entry.is_privileged for entry in entries):
        raise PrivilegedEntryInExport("a legally privileged entry cannot be exported: use Audience.REGULATOR")


def _head(incident, now: datetime) -> dict:
    """Everything of the export before its entries (the same keys, in the same order)."""
    return {
        "schema": SCHEMA,
        "generated_at": _instant(now),
        "chain": export_stamp(incident.organisation_id),
        "incident": {
            "id": incident.pk,
            "reference": incident.reference,
            "title": incident.title,
            "organisation": str(incident.organisation),
        },
        "deadlines": deadlines_json(incident, now=now),
    }


ENTRIES_PER_CHUNK = 500


def json_text(incident, entries: list[Entry], *, now: datetime, summary: dict | None = None) -> str:
    """:func:`as_json` (then ``"summary": summary``, when given) as compact JSON text: the text
    ``json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))``
    writes, to the byte.

    Written ``ENTRIES_PER_CHUNK`` entries at a time, so the export never holds a dict per entry
    for all 10,000 of them at once (memory, and the collector's walks over it).
    """
    refuse_privileged(entries)
    encode = DjangoJSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    words = change_words(entries)
    chunks = [
        encode(
            [
                entry_json(entry, said)
                for entry, said in zip(
                    entries[start : start + ENTRIES_PER_CHUNK], words[start : start + ENTRIES_PER_CHUNK], strict=True
                )
            ]
        )[1:-1]  # the entries without the list's brackets
        for start in range(0, len(entries), ENTRIES_PER_CHUNK)
    ]
    head = encode(_head(incident, now))[:-1]  # without its closing brace
    tail = "}" if summary is None else f',"summary":{encode(summary)}}}'
    return f'{head},"entries":[{",".join(chunks)}]{tail}'


def deadlines_json(incident, *, now: datetime) -> list[dict]:
    """The incident's active clocks as they stand at ``now`` (one query): each with its due moment
    and, for the 72 hours of Art. 33(1), the Reg. 1182/71 outer bound (``rules.clocks.outer_bound_at``)."""
    return [
        {
            "kind": deadline.kind,
            "kind_label": deadline_label(deadline),
            **regime_keys(deadline),
            "party": party_of(deadline),
            "is_legal_deadline": deadline.is_legal_deadline,
            "started_at": _instant(deadline.started_at),
            "due_at": _instant(deadline.due_at),
            "outer_bound_at": json_value(clocks.outer_bound_at(deadline.kind, deadline.started_at)),
            "met_at": json_value(deadline.met_at),
            "state": clocks.evaluate(deadline.due_at, deadline.met_at, now).state.value,
        }
        for deadline in deadlines_of(incident)
    ]
