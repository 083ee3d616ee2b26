"""Reading an incident's history tables: one query per table, whatever the history's size.

Shared by :mod:`readers.asof` (the register as known at an instant) and :mod:`readers.timeline`
(every change in order). The history rows are the evidence: both read them, neither reads the
live tables for facts, so "what the register said" and "what changed" come from the same rows.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter


@dataclass(frozen=True)
class Source:
    """One historied model of the register and how its history rows name the incident."""

    key: str  # short name used in the as-of register, the diff and the JSON export
    model_label: str

    @property
    def model(self):
        from django.apps import apps

        return apps.get_model(self.model_label)

    def history_filter(self, incident_id: int) -> dict:
        """The lookup on the history table: a column, or a subquery on a parent's history (same query)."""
        if self.key == "incident":
            return {"id": incident_id}
        if self.key == "processor_notices":
            parent = SOURCES_BY_KEY["relationships"].model.history.filter(incident_id=incident_id)
            return {"relationship_id__in": parent.values("id")}
        if self.key == "countdown_revisions":
            parent = SOURCES_BY_KEY["threats"].model.history.filter(incident_id=incident_id)
            return {"threat_id__in": parent.values("id")}
        return {"incident_id": incident_id}


# Every historied model that belongs to one incident's register (docs/domain.md#register): what the
# as-of view rebuilds and the timeline merges.
SOURCES: tuple[Source, ...] = (
    Source("incident", "incidents.Incident"),
    Source("parties", "incidents.IncidentParty"),
    Source("authorities", "incidents.IncidentAuthority"),
    Source("relationships", "incidents.ProcessingRelationship"),
    Source("processor_notices", "incidents.ProcessorNotice"),
    Source("awareness", "incidents.AwarenessRecord"),
    Source("estimates", "incidents.AffectedEstimate"),
    Source("threats", "incidents.ExtortionThreat"),
    Source("countdown_revisions", "incidents.ExtortionCountdown"),
    Source("publications", "incidents.Publication"),
    Source("filings", "filings.AuthorityFiling"),
    Source("decisions", "filings.NotificationDecisionRecord"),
    Source("assessments", "communications.CommunicationAssessment"),
    Source("waves", "communications.CommunicationWave"),
)
SOURCES_BY_KEY = {source.key: source for source in SOURCES}

# Notes annotate the register; they are not part of it. The timeline reads them (and filters the
# privileged ones by audience); the as-of register and its diff do not, so a privileged note can
# never reach those pages.
NOTES = Source("notes", "incidents.IncidentNote")

# Columns that change on every save and say nothing a reader needs in a diff.
NOISE_FIELDS = ("updated_at",)


def load(incident_id: int, *, until: datetime | None = None) -> dict[str, list]:
    """All history rows of the incident's register, per source key, oldest first.

    One query per history table (the child tables filter through a subquery on their parent's
    history, in the same statement); ``until`` keeps only rows recorded at or before it.
    """
    rows: dict[str, list] = {}
    for source in SOURCES:
        queryset = source.model.history.filter(**source.history_filter(incident_id))
        if until is not None:
            queryset = queryset.filter(history_date__lte=until)
        rows[source.key] = list(queryset.order_by("history_date", "history_id"))
    _attach_usernames(rows)
    return rows


class Row:
    """A history record read as plain column values, without building a model instance.

    The timeline reads every record of an incident's history (10,000 and more); building a model
    instance per record was a third of its time. A ``Row`` holds the same attribute values a
    history instance would (``row.known_at``, ``row.party_id``, ``row.history_date``), in
    ``__dict__`` as Django keeps them, so :func:`field_changes` reads both alike. Its class, one
    per history model (:func:`row_class`), carries ``_meta`` and ``instance_type``.
    """

    _meta = None  # the history model's options (set per subclass)
    instance_type = None  # the tracked model (set per subclass)
    _tracked_attnames: tuple[str, ...] = ()
    # Fields whose descriptor cleans a value on assignment (django-countries' multiple CountryField
    # turns "NL,BE" into a list): applied to each row, so its values are those of an instance.
    _cleaning_descriptors: tuple[tuple[str, object], ...] = ()

    def __init__(self, values: dict):
        self.__dict__ = values
        for attname, descriptor in self._cleaning_descriptors:
            descriptor.__set__(self, values[attname])

    @property
    def instance(self):
        """The tracked model instance as this record holds it (as simple-history's ``instance``, no query)."""
        values = self.__dict__
        return self.instance_type(**{attname: values[attname] for attname in self._tracked_attnames})


_ROW_CLASSES: dict[type, type] = {}


def row_class(history_model) -> type:
    """The :class:`Row` subclass for one history model (cached)."""
    if history_model not in _ROW_CLASSES:
        from django.db.models.query_utils import DeferredAttribute

        kept = {field.attname for field in history_model._meta.fields}
        tracked = tuple(f.attname for f in history_model.instance_type._meta.fields if f.attname in kept)
        cleaning = tuple(
            (field.attname, descriptor)
            for field in history_model._meta.concrete_fields
            if hasattr(descriptor := history_model.__dict__.get(field.attname), "__set__")
            and not isinstance(descriptor, DeferredAttribute)
        )
        _ROW_CLASSES[history_model] = type(
            f"{history_model.__name__}Row",
            (Row,),
            {
                "_meta": history_model._meta,
                "instance_type": history_model.instance_type,
                "_tracked_attnames": tracked,
                "_cleaning_descriptors": cleaning,
            },
        )
    return _ROW_CLASSES[history_model]


def load_rows(incident_id: int, sources=None) -> dict[str, list[Row]]:
    """As :func:`load` (one query per table, oldest first), read as :class:`Row` objects.

    ``values_list()`` applies the same database converters as model loading, so every value equals
    what a history instance would hold; only the instance itself is not built. Each record comes
    as a tuple (``values()`` builds a dict per record in Python; ``zip`` does it in C). Instants
    are the exception: they are read as text and parsed here (:func:`_instant_columns`), each
    distinct text once: every version repeats the instants of its object that did not change.
    """
    rows: dict[str, list] = {}
    parsed: dict[str, datetime] = {}
    for source in SOURCES if sources is None else sources:
        history = source.model.history
        make = row_class(history.model)
        queryset = history.filter(**source.history_filter(incident_id)).order_by("history_date", "history_id")
        attnames, columns, instants = _columns(history.model)
        found = []
        for record in queryset.values_list(*columns):
            values = dict(zip(attnames, record, strict=True))
            for position, attname in instants:
                text = record[position]
                if text is not None:
                    value = parsed.get(text)
                    if value is None:
                        value = parsed[text] = _parse_instant(text)
                    values[attname] = value
            found.append(make(values))
        rows[source.key] = found
    _attach_usernames(rows)
    return rows


_COLUMNS: dict[type, tuple] = {}


def _columns(history_model) -> tuple[tuple[str, ...], list, tuple[tuple[int, str], ...]]:
    """The history model's columns for :func:`load_rows` (cached per model): the attnames in the
    order selected, what ``values_list()`` selects (the plain columns, then each instant cast to
    text, :func:`_instant_columns`) and the (position, attname) of each instant."""
    if history_model not in _COLUMNS:
        plain, instants = _instant_columns(history_model)
        aliases = _INSTANT_ALIASES[history_model]
        attnames = (*plain, *[attname for _alias, attname in aliases])
        positions = tuple((len(plain) + k, attname) for k, (_alias, attname) in enumerate(aliases))
        _COLUMNS[history_model] = (attnames, [*plain, *instants.values()], positions)
    return _COLUMNS[history_model]


_INSTANT_ALIASES: dict[type, tuple[tuple[str, str], ...]] = {}


def _instant_columns(history_model) -> tuple[list[str], dict]:
    """The history model's columns: plain ones by attname, instants cast to text under an alias.

    Parsing instants was the largest cost left in a 10,000-record timeline: psycopg's
    timestamptz loader (which Django wraps in Python to apply the connection's zone) and
    SQLite's converter spend ten times longer per value than ``datetime.fromisoformat`` on the
    text the database writes itself: ``2025-07-03 22:00:00+00`` (PostgreSQL, whose session
    Django keeps in UTC) or ``2025-07-03 22:00:00`` (SQLite, which stores UTC).
    """
    from django.db import models
    from django.db.models.functions import Cast

    plain, instants, aliases = [], {}, []
    for field in history_model._meta.concrete_fields:
        if isinstance(field, models.DateTimeField):
            alias = f"instant_text_{field.attname}"
            instants[alias] = Cast(field.attname, output_field=models.TextField())
            aliases.append((alias, field.attname))
        else:
            plain.append(field.attname)
    _INSTANT_ALIASES[history_model] = tuple(aliases)
    return plain, instants


def _parse_instant(text: str) -> datetime:
    """An instant as the database wrote it (UTC, with or without an offset) as an aware UTC datetime."""
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _attach_usernames(rows: dict[str, list]) -> None:
    """Each row's ``actor`` (the recorder's username): one query for all tables.

    Cheaper than ``select_related("history_user")``, which would build a user object per record
    for the few people who write an incident's history.
    """
    from django.contrib.auth import get_user_model

    User = get_user_model()
    ids = {row.history_user_id for found in rows.values() for row in found if row.history_user_id is not None}
    names = dict(User._base_manager.filter(pk__in=ids).values_list("pk", User.USERNAME_FIELD)) if ids else {}
    for found in rows.values():
        for row in found:
            row.actor = names.get(row.history_user_id, "")


def versions_by_object(rows) -> dict[int, list]:
    """Rows (oldest first) grouped per tracked object id, each list oldest first."""
    grouped: dict[int, list] = {}
    for row in rows:
        grouped.setdefault(row.id, []).append(row)
    return grouped


def latest_at(rows, at: datetime | None = None) -> dict[int, object]:
    """Per object id, its latest version recorded at or before ``at``; deleted objects left out."""
    latest: dict[int, object] = {}
    for row in rows:
        if at is not None and row.history_date > at:
            break  # rows are oldest first
        latest[row.id] = row
    return {pk: row for pk, row in latest.items() if row.history_type != "-"}


def field_changes(new, old) -> list[tuple[str, object, object]]:
    """(field, old, new) between two versions of one object, computed in memory.

    What simple-history's ``new.diff_against(old)`` finds, plus the fields it misses: it goes
    through ``model_to_dict``, which skips ``editable=False`` fields (a publication's risk
    reassessment, a filing's frozen content, the notice an awareness derives from), and evidence
    must show those. Also much cheaper (no two ``model_to_dict`` per pair: a 10,000-record timeline
    spent most of its time there). Our models track no many-to-many fields. Foreign keys compare
    and report their ids, as ``diff_against`` does. ``tests/evidence/test_timeline.py`` checks
    the two against each other.
    """
    names, values = _tracked_fields(type(new))
    before, after = values(old.__dict__), values(new.__dict__)
    if before == after:
        return []
    return [(name, b, a) for name, b, a in zip(names, before, after, strict=False) if b != a]


def successive_changes(versions: list) -> list[list[tuple[str, object, object]]]:
    """:func:`field_changes` of each version after the first against the one before it, aligned
    with ``versions[1:]``: the versions of one object, oldest first. Each version's values are
    read once (as a tuple), not once as the newer and again as the older of a pair."""
    if len(versions) < 2:
        return []
    names, values = _tracked_fields(type(versions[0]))
    read = [values(version.__dict__) for version in versions]
    return [
        [] if before == after else [(name, b, a) for name, b, a in zip(names, before, after, strict=False) if b != a]
        for before, after in itertools.pairwise(read)
    ]


def field_values(row) -> list[tuple[str, object]]:
    """(field, value) of one version, the tracked fields in model order (noise left out)."""
    names, values = _tracked_fields(type(row))
    return list(zip(names, values(row.__dict__), strict=True))


_TRACKED: dict[type, tuple[tuple[str, ...], object]] = {}


def _tracked_fields(history_model) -> tuple[tuple[str, ...], object]:
    """The names of the tracked model's fields kept in its history (noise left out), and a
    function reading their values, as a tuple, from a version's ``__dict__``; cached per model."""
    if history_model not in _TRACKED:
        kept = {field.name for field in history_model._meta.fields}
        fields = [
            field
            for field in history_model.instance_type._meta.concrete_fields
            if field.name in kept and field.name not in NOISE_FIELDS
        ]
        attnames = [field.attname for field in fields]
        getter = itemgetter(*attnames)
        read = getter if len(attnames) > 1 else (lambda values: (getter(values),))
        _TRACKED[history_model] = (tuple(field.name for field in fields), read)
    return _TRACKED[history_model]


def actor_name(row) -> str:
    """The recorder's username, as attached by :func:`load` ("" when none was recorded)."""
    return getattr(row, "actor", "")
