"""Reading an incident's history tables: one query per table, whatever the history's size.

Shared by :mod:`evidence.asof` (the register as known at an instant) and :mod:`evidence.timeline`
(every change in order). The history rows are the evidence: both read them, neither reads the
live tables for facts, so "what the register said" and "what changed" come from the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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


# Every historied model that belongs to one incident's register (REFERENCE §1, issue 5 item 4).
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
    changes = []
    for name, attname in _tracked_fields(type(new)):
        before, after = old.__dict__.get(attname), new.__dict__.get(attname)
        if before != after:
            changes.append((name, before, after))
    return changes


_TRACKED: dict[type, tuple[tuple[str, str], ...]] = {}


def _tracked_fields(history_model) -> tuple[tuple[str, str], ...]:
    """(name, attname) of the tracked model's fields kept in its history, noise left out; cached per model."""
    if history_model not in _TRACKED:
        kept = {field.name for field in history_model._meta.fields}
        _TRACKED[history_model] = tuple(
            (field.name, field.attname)
            for field in history_model.instance_type._meta.concrete_fields
            if field.name in kept and field.name not in NOISE_FIELDS
        )
    return _TRACKED[history_model]


def actor_name(row) -> str:
    """The recorder's username, as attached by :func:`load` ("" when none was recorded)."""
    return getattr(row, "actor", "")
