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

from readers import history_rows, wording
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
    record: str  # the record's kind, and whose it is ("Awareness record · Stichting BVO")
    change: str  # "added", "removed", "changed"
    field: str  # the field's label
    before: str  # the value at the start, in words ("—" for none)
    after: str  # the value at the end, in words
    steps: list  # asof.Step: who, when, why
    first: bool = True  # the record's first row (the page names the record once)


# Fields that say whose a record is, in the order they are tried.
OWNER_FIELDS = ("controller", "party", "processor", "authority")


def _owner(model, fields: list, names: wording.Names) -> str:
    values = {name: (before if after is None else after) for name, before, after in fields}
    for name in OWNER_FIELDS:
        if values.get(name) is not None:
            return wording.value_text(model, name, values[name], names)
    return ""


def diff_rows(diffs: list) -> list[DiffRow]:
    """Each field of each record as its own row, in words (labels, names, local times), with
    the history steps between; an added or removed record lists what it held."""
    names = wording.Names()
    models = {}
    for diff in diffs:
        models[diff.source] = history_rows.SOURCES_BY_KEY[diff.source].model
        for name, before, after in diff.fields:
            names.want(models[diff.source], name, before)
            names.want(models[diff.source], name, after)
    rows = []
    for diff in diffs:
        model = models[diff.source]
        owner = _owner(model, diff.fields, names)
        record = f"{diff.label} · {owner}" if owner else diff.label
        if not diff.fields:
            rows.append(DiffRow(record, diff.change, "", wording.NOTHING, wording.NOTHING, diff.steps))
            continue
        for index, (name, before, after) in enumerate(diff.fields):
            rows.append(
                DiffRow(
                    record,
                    diff.change,
                    wording.field_label(model, name),
                    wording.value_text(model, name, before, names),
                    wording.value_text(model, name, after, names),
                    diff.steps,
                    first=index == 0,
                )
            )
    return rows
