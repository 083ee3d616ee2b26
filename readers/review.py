"""The legal-review pages' logic: timeline filters, local-time pickers, readable diffs.

Pure functions over the in-memory timeline (``readers.timeline.Entry``) and the as-of diff
(``readers.asof.ObjectDiff``): no query here, so a filtered page costs what the unfiltered
timeline costs. Filters work on *when it happened* (``event_at``); dates are the reader's local
dates, each day from its local midnight to the next.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils.translation import gettext_lazy as _

from readers import history_rows
from rules import timeinput

# The timeline's kinds (readers.timeline.KINDS) in words, for the kind filter and the table.
KIND_LABELS = {
    "occurred": _("The breach started"),
    "occurred_until": _("The breach ended"),
    "detected": _("Detection"),
    "investigation_started": _("Investigation started"),
    "contained": _("Containment"),
    "awareness": _("Awareness (Art. 33)"),
    "processor_notice": _("Processor informed controller (Art. 33(2))"),
    "estimate": _("Estimate of the numbers affected"),
    "filing": _("Filing to an authority"),
    "notification_decision": _("Decision not to notify"),
    "assessment": _("Art. 34 assessment"),
    "communication_wave": _("Communication to data subjects"),
    "extortion_threat": _("Extortion threat"),
    "police_report": _("Police report"),
    "payment_decision": _("Payment decision"),
    "countdown": _("Threat actor's countdown"),
    "leak": _("Data published"),
    "note": _("Note"),
    "alert": _("Deadline alert"),
    "change": _("Change to the register"),
    "deletion": _("Deletion from the register"),
}


class BadLocalTime(ValueError):
    """A local date or time that cannot name one instant; the message names the field."""

    def __init__(self, message, *, code: str):
        super().__init__(message)
        self.code = code


def local_instant(value: datetime, *, zone_name: str, fold: str | None, label) -> datetime:
    """A wall-clock time in ``zone_name`` as a UTC instant; refused when it does not exist
    there (code ``nonexistent``) or happens twice and ``fold`` does not say which (``ambiguous``)."""
    try:
        return timeinput.local_to_utc(value, zone_name, fold or None)
    except timeinput.NonExistentLocalTime:
        raise BadLocalTime(
            _("%(field)s: %(time)s does not exist in %(zone)s (the clocks moved forward). Choose another time.")
            % {"field": label, "time": f"{value:%Y-%m-%d %H:%M}", "zone": zone_name},
            code="nonexistent",
        ) from None
    except timeinput.AmbiguousLocalTime:
        raise BadLocalTime(
            _(
                "%(field)s: %(time)s happens twice in %(zone)s (the clocks moved back). "
                "Say which one you mean: the earlier (summer time) or the later (winter time)."
            )
            % {"field": label, "time": f"{value:%Y-%m-%d %H:%M}", "zone": zone_name},
            code="ambiguous",
        ) from None


def day_start(day: date, *, zone_name: str, label) -> datetime:
    """The first instant of a local day (its midnight, or the first time after a gap at midnight)."""
    moment = datetime.combine(day, time.min)
    try:
        return local_instant(moment, zone_name=zone_name, fold="earlier", label=label)
    except BadLocalTime:
        # A zone that skips midnight (e.g. America/Santiago): the day starts when the gap ends.
        return local_instant(moment + timedelta(hours=1), zone_name=zone_name, fold="earlier", label=label)


@dataclass(frozen=True)
class TimelineFilters:
    kind: str = ""
    party_name: str = ""
    actor: str = ""
    since: datetime | None = None  # UTC, inclusive
    until: datetime | None = None  # UTC, exclusive
    text: str = ""

    @property
    def is_active(self) -> bool:
        return any((self.kind, self.party_name, self.actor, self.since, self.until, self.text))


def _haystack(entry) -> str:
    parts = [str(entry.summary), entry.actor, entry.reason]
    for field, old, new in entry.changes:
        parts += [field, "" if old is None else str(old), "" if new is None else str(new)]
    return "\n".join(parts).casefold()


def filter_entries(entries: list, filters: TimelineFilters) -> list:
    """The entries matching every filter given (in memory, order kept).

    The party filter matches the party's name in the entry's text: entries name parties in
    their summary (awareness, notices, filings, estimates ...), they do not carry party ids.
    """
    if not filters.is_active:
        return entries
    text = filters.text.casefold()
    party = filters.party_name.casefold()
    kept = []
    for entry in entries:
        if filters.kind and entry.kind != filters.kind:
            continue
        if filters.actor and entry.actor != filters.actor:
            continue
        if filters.since is not None and entry.event_at < filters.since:
            continue
        if filters.until is not None and entry.event_at >= filters.until:
            continue
        if (text or party) and not all(needle in _haystack(entry) for needle in (text, party) if needle):
            continue
        kept.append(entry)
    return kept


def actors_of(entries: list) -> list[str]:
    return sorted({entry.actor for entry in entries if entry.actor})


# --- The diff, one row per field ------------------------------------------------------------


@dataclass(frozen=True)
class DiffRow:
    record: str
    change: str  # "added", "removed", "changed"
    field: str  # the field's verbose name ("" for an added or removed record)
    before: object
    after: object
    steps: list  # asof.Step: who, when, why


def _field_label(source_key: str, name: str) -> str:
    source = history_rows.SOURCES_BY_KEY.get(source_key)
    if source is None:
        return name
    try:
        return str(source.model._meta.get_field(name).verbose_name)
    except Exception:  # a field that no longer exists on the model: its history name is still true
        return name


def diff_rows(diffs: list) -> list[DiffRow]:
    """Each changed field of each record as its own row, with the history steps between."""
    rows = []
    for diff in diffs:
        if diff.change != "changed":
            rows.append(DiffRow(diff.label, diff.change, "", None, None, diff.steps))
            continue
        for name, before, after in diff.fields:
            rows.append(DiffRow(diff.label, diff.change, _field_label(diff.source, name), before, after, diff.steps))
    return rows
