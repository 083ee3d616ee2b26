"""Reading a regime file (TOML, stdlib tomllib) into values, refusing anything it does not understand.

Every error names the file and the path inside it ("demo.toml: versions[0].reports[1].period:
exactly one unit key ..."), so whoever edits a rule file learns what to fix without reading code.
Unknown keys are refused everywhere: a misspelt ``ends`` must not silently become a default.
The format and its conventions are documented in docs/regimes.md.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rules.regimes import calendars, conditions, durations, vocabulary
from rules.regimes.model import (
    FACT_ANCHORS,
    REPORT_PREFIX,
    STANDARD_ALERTS,
    YEAR_END_PREFIX,
    Alerts,
    Backstop,
    Regime,
    Report,
    RuleVersion,
)
from rules.regimes.text import Text

CERTAINTIES = ("firm", "likely", "open")
SLUG = re.compile(r"^[a-z][a-z0-9_]*$")
PLACE = re.compile(r"^(?:EU|[A-Z]{2}(?:-[A-Z0-9]{1,3})?)$")
COUNTRY = re.compile(r"^[A-Z]{2}$")
# Upper bounds per unit: a period longer than these is a typing error, not a rule.
MAX_AMOUNT = {
    durations.HOURS: 24 * 366,
    durations.CALENDAR_DAYS: 3660,
    durations.BUSINESS_DAYS: calendars.MAX_BUSINESS_DAYS,
    durations.MONTHS: 120,
}
# hours = 0 is "at the anchor itself": a backstop such as "at the latest when the residents are
# told" (latest = { anchor = "report:residents", period = { hours = 0 } }). A day, business-day
# or month count of 0 has no meaning under the day-1 convention.
MIN_AMOUNT = {durations.HOURS: 0}
_REGIME_KEYS = ({"code", "title", "jurisdiction", "source", "certainty", "versions"}, {"applicability"})
_VERSION_KEYS = ({"version", "effective_from", "enabled", "reports"}, set[str]())
_REPORT_KEYS = (
    {"code", "title", "recipient", "recipient_title", "anchor", "period", "legal", "basis"},
    {"condition", "latest", "alerts"},
)
_ALERT_KEYS = (set[str](), {"before", "overdue_every"})
# An alert distance: "<n>m", "<n>h" or "<n>d", n at least 1 (a distance of 0 is the due moment,
# which always alerts). Up to a year: anything longer is a typing error, not a warning.
ALERT_SPAN = re.compile(r"^([0-9]+)([mhd])$")
_ALERT_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}
MAX_ALERT_SPAN = timedelta(days=366)
NO_OVERDUE_ALERTS = "none"


class RegimeFileError(ValueError):
    """A regime file that cannot be used, with the file and the path of what is wrong."""


class _At:
    """Where in a file we are, to name it in an error."""

    def __init__(self, file: str, path: str = "") -> None:
        self.file = file
        self.path = path

    def __truediv__(self, part: str | int) -> _At:
        if isinstance(part, int):
            return _At(self.file, f"{self.path}[{part}]")
        return _At(self.file, f"{self.path}.{part}" if self.path else part)

    def error(self, message: str) -> RegimeFileError:
        where = f"{self.file}: {self.path}" if self.path else self.file
        return RegimeFileError(f"{where}: {message}")


def load_file(path: str | Path) -> Regime:
    """Read and validate one regime file; raise :class:`RegimeFileError` on the first problem."""
    path = Path(path)
    at = _At(path.name)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise at.error(f"not valid TOML: {error}") from error
    except OSError as error:
        raise at.error(f"cannot be read: {error}") from error
    return _regime(data, at, path.stem)


def _keys(table: object, at: _At, keys: tuple[set[str], set[str]]) -> dict:
    required, optional = keys
    if not isinstance(table, dict):
        raise at.error(f"must be a table, got {_kind(table)}")
    unknown = sorted(set(table) - required - optional)
    if unknown:
        allowed = ", ".join(sorted(required | optional))
        raise at.error(f"unknown key {unknown[0]!r} (allowed: {allowed})")
    missing = sorted(required - set(table))
    if missing:
        raise at.error(f"missing key {missing[0]!r}")
    return table


def _kind(value: object) -> str:
    return {dict: "a table", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def _str(table: dict, key: str, at: _At, pattern: re.Pattern[str] | None = None) -> str:
    value = table[key]
    if not isinstance(value, str) or not value.strip():
        raise (at / key).error(f"must be a non-empty string, got {_kind(value)}")
    if pattern is not None and not pattern.match(value):
        raise (at / key).error(f"{value!r} does not match {pattern.pattern}")
    return value


def _bool(table: dict, key: str, at: _At) -> bool:
    value = table[key]
    if not isinstance(value, bool):
        raise (at / key).error(f"must be true or false, got {_kind(value)}")
    return value


def _int(table: dict, key: str, at: _At, maximum: int, minimum: int = 1) -> int:
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise (at / key).error(f"must be a whole number, got {_kind(value)}")
    if not minimum <= value <= maximum:
        raise (at / key).error(f"must be between {minimum} and {maximum}, got {value}")
    return value


def _text(table: dict, key: str, at: _At, *, plain: bool = False) -> Text:
    """``{ en = "...", nl = "..." }``; with ``plain``, also one string that reads the same in both
    languages (a citation such as "45 CFR 164.404"), kept as that string in each."""
    where = at / key
    value = table[key]
    if plain and not isinstance(value, dict):
        if not isinstance(value, str) or not value.strip():
            raise where.error(f"must be a non-empty string or a table {{ en, nl }}, got {_kind(value)}")
        return Text(value, value)
    value = _keys(value, where, ({"en", "nl"}, set()))
    return Text(_str(value, "en", where), _str(value, "nl", where))


def _array(table: dict, key: str, at: _At) -> list:
    value = table[key]
    if not isinstance(value, list) or not value:
        raise (at / key).error(f"must be a non-empty array, got {_kind(value) if value != [] else 'an empty one'}")
    return value


def _regime(data: dict, at: _At, stem: str) -> Regime:
    table = _keys(data, at, _REGIME_KEYS)
    code = _str(table, "code", at, SLUG)
    if code != stem:
        raise (at / "code").error(f"{code!r} must equal the file name {stem!r}")
    certainty = _str(table, "certainty", at)
    if certainty not in CERTAINTIES:
        raise (at / "certainty").error(f"{certainty!r} is not one of {', '.join(CERTAINTIES)}")
    versions = tuple(_version(v, at / "versions" / i, code) for i, v in enumerate(_array(table, "versions", at)))
    _check_versions(versions, at / "versions", certainty)
    applicability = table.get("applicability")
    return Regime(
        code=code,
        title=_text(table, "title", at),
        jurisdiction=_place(table, "jurisdiction", at),
        source=_text(table, "source", at, plain=True),
        certainty=certainty,
        applicability=None if applicability is None else _condition(applicability, at / "applicability"),
        versions=versions,
    )


def _check_versions(versions: tuple[RuleVersion, ...], at: _At, certainty: str) -> None:
    seen: set[str] = set()
    for i, version in enumerate(versions):
        if version.version in seen:
            raise (at / i / "version").error(f"{version.version!r} appears twice")
        seen.add(version.version)
        if i and version.effective_from <= versions[i - 1].effective_from:
            raise (at / i / "effective_from").error(
                f"{version.effective_from} is not after versions[{i - 1}]'s {versions[i - 1].effective_from}: "
                "versions must be ordered by effective_from"
            )
        if certainty == "open" and version.enabled:
            raise (at / i / "enabled").error("a regime of certainty 'open' ships with enabled = false")


def _version(data: object, at: _At, regime: str) -> RuleVersion:
    table = _keys(data, at, _VERSION_KEYS)
    effective_from = table["effective_from"]
    if not isinstance(effective_from, date) or isinstance(effective_from, datetime):
        raise (at / "effective_from").error(f"must be a TOML date (2024-04-26), got {_kind(effective_from)}")
    raw = _array(table, "reports", at)
    codes: list[str] = []
    for i, report in enumerate(raw):
        code = _str(_keys(report, at / "reports" / i, _REPORT_KEYS), "code", at / "reports" / i, SLUG)
        if code in codes:
            raise (at / "reports" / i / "code").error(f"{code!r} appears twice in this version")
        codes.append(code)
    reports = tuple(_report(report, at / "reports" / i, codes) for i, report in enumerate(raw))
    _check_chains(reports, at / "reports")
    titles = tuple((report.code, report.title) for report in reports)
    return RuleVersion(
        regime=regime,
        version=_str(table, "version", at),
        effective_from=effective_from,
        enabled=_bool(table, "enabled", at),
        reports=tuple(dataclasses.replace(report, report_titles=titles) for report in reports),
    )


def _check_chains(reports: tuple[Report, ...], at: _At) -> None:
    """Refuse chained anchors that go round in a circle (a report due after its own submission)."""
    after = {
        r.code: [a.removeprefix(REPORT_PREFIX) for a in _anchors(r) if a.startswith(REPORT_PREFIX)] for r in reports
    }
    for i, report in enumerate(reports):
        path, todo = [report.code], list(after[report.code])
        while todo:
            code = todo.pop()
            if code == report.code:
                raise (at / i / "anchor").error(f"chained anchors go round in a circle through {report.code!r}")
            if code not in path:
                path.append(code)
                todo.extend(after[code])


def _anchors(report: Report) -> list[str]:
    return [report.anchor] + ([report.latest.anchor] if report.latest else [])


def _report(table: dict, at: _At, codes: list[str]) -> Report:
    code = table["code"]
    period = _period(table["period"], at / "period")
    anchor = _anchor(table, at, code, codes, period)
    latest = None
    if "latest" in table:
        where = at / "latest"
        backstop = _keys(table["latest"], where, ({"anchor", "period"}, set()))
        backstop_period = _period(backstop["period"], where / "period")
        latest = Backstop(_anchor(backstop, where, code, codes, backstop_period), backstop_period)
    condition = table.get("condition")
    return Report(
        code=code,
        title=_text(table, "title", at),
        recipient=_str(table, "recipient", at, SLUG),
        recipient_title=_text(table, "recipient_title", at),
        anchor=anchor,
        period=period,
        legal=_bool(table, "legal", at),
        condition=None if condition is None else _condition(condition, at / "condition"),
        basis=_text(table, "basis", at),
        latest=latest,
        alerts=_alerts(table["alerts"], at / "alerts", period, latest) if "alerts" in table else STANDARD_ALERTS,
    )


def _alerts(data: object, at: _At, period: durations.Period, latest: Backstop | None) -> Alerts:
    """``alerts = { before = ["3h", "1h", "30m"], overdue_every = "3h" }``; a key left out keeps the standard's."""
    table = _keys(data, at, _ALERT_KEYS)
    if not table:
        raise at.error("an empty table: give before, overdue_every or both (or leave alerts out for the standard)")
    before = STANDARD_ALERTS.before
    if "before" in table:
        raw = _array(table, "before", at)
        spans: list[timedelta] = []
        for i, item in enumerate(raw):
            where = at / "before" / i
            span = _span(item, where)
            if span in spans:
                raise where.error(f"{item!r} appears twice (as {raw[spans.index(span)]!r})")
            if period.unit == durations.HOURS and latest is None and span >= timedelta(hours=period.amount):
                raise where.error(
                    f"{item!r} is not shorter than the period ({period.amount} hours): it would never fire"
                )
            spans.append(span)
        before = tuple(spans)
    overdue = STANDARD_ALERTS.overdue_every
    if "overdue_every" in table:
        value = table["overdue_every"]
        overdue = None if value == NO_OVERDUE_ALERTS else _span(value, at / "overdue_every", NO_OVERDUE_ALERTS)
    return Alerts(before=before, overdue_every=overdue)


def _span(value: object, at: _At, alternative: str = "") -> timedelta:
    """An alert distance ("30m", "6h", "2d") as a positive timedelta."""
    expected = 'a duration such as "30m", "6h" or "2d"' + (f" or {alternative!r}" if alternative else "")
    if not isinstance(value, str):
        raise at.error(f"must be {expected}, got {_kind(value)}")
    match = ALERT_SPAN.match(value)
    if match is None:
        raise at.error(f"{value!r} is not {expected}")
    span = int(match.group(1)) * _ALERT_UNITS[match.group(2)]
    if span <= timedelta(0):
        raise at.error(f"{value!r} must be positive")
    if span > MAX_ALERT_SPAN:
        raise at.error(f"{value!r} is longer than {MAX_ALERT_SPAN.days} days")
    return span


def _anchor(table: dict, at: _At, own: str, codes: list[str], period: durations.Period) -> str:
    anchor = _str(table, "anchor", at)
    where = at / "anchor"
    if anchor.startswith(REPORT_PREFIX):
        target = anchor.removeprefix(REPORT_PREFIX)
        if target == own:
            raise where.error(f"{anchor!r}: a report cannot be due after its own submission")
        if target not in codes:
            raise where.error(f"{anchor!r}: no report {target!r} in this version (reports: {', '.join(codes)})")
        return anchor
    if anchor.startswith(YEAR_END_PREFIX):
        if anchor.removeprefix(YEAR_END_PREFIX) not in FACT_ANCHORS:
            raise where.error(f"{anchor!r}: year_end needs a fact anchor ({', '.join(FACT_ANCHORS)})")
        if period.zone is None:
            raise where.error(f"{anchor!r}: a year-end anchor needs a period with a zone (the year ends locally)")
        return anchor
    if anchor not in FACT_ANCHORS:
        raise where.error(
            f"unknown anchor {anchor!r} (fact anchors: {', '.join(FACT_ANCHORS)}; or report:<code>, year_end:<anchor>)"
        )
    return anchor


def _period(data: object, at: _At) -> durations.Period:
    if not isinstance(data, dict):
        raise at.error(f"must be a table, got {_kind(data)}")
    units = [key for key in durations.UNITS if key in data]
    if len(units) != 1:
        got = ", ".join(units) if units else "none"
        raise at.error(f"exactly one unit key ({', '.join(durations.UNITS)}), got {got}")
    unit = units[0]
    rolls = "roll" in data
    required = {unit} | {
        durations.HOURS: set(),
        durations.CALENDAR_DAYS: {"ends", "zone"},
        durations.BUSINESS_DAYS: {"calendar", "ends", "zone"},
        durations.MONTHS: {"zone"},
    }[unit]
    if rolls:
        required |= {"roll", "calendar", "zone"}
    table = _keys(data, at, (required, set()))
    period = durations.Period(
        unit=unit,
        amount=_int(table, unit, at, MAX_AMOUNT[unit], MIN_AMOUNT.get(unit, 1)),
        calendar=_checked(table, "calendar", at, calendars.check_calendar),
        ends=_checked(table, "ends", at, _check_ends),
        zone=_checked(table, "zone", at, _check_zone),
        roll=_checked(table, "roll", at, _check_roll),
    )
    return period


def _checked(table: dict, key: str, at: _At, check: Callable[[str], None]) -> str | None:
    if key not in table:
        return None
    value = _str(table, key, at)
    try:
        check(value)
    except ValueError as error:
        raise (at / key).error(str(error)) from error
    return value


def _check_ends(value: str) -> None:
    if value != durations.END_OF_DAY and not durations.CLOCK_TIME.match(value):
        raise ValueError(f"{value!r} is neither 'end_of_day' nor a local time 'HH:MM'")


def _check_zone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"{value!r} is not an IANA time zone") from error


def _check_roll(value: str) -> None:
    if value not in durations.ROLLS:
        raise ValueError(f"{value!r} is not one of {', '.join(durations.ROLLS)}")


_LEAVES: dict[str, tuple[set[str], Callable[[dict, _At], conditions.Condition]]] = {}


def _condition(data: object, at: _At) -> conditions.Condition:
    """One node of a condition tree: a combinator (all, any, not) or a leaf."""
    if not isinstance(data, dict):
        raise at.error(f"must be a table, got {_kind(data)}")
    kinds = [key for key in _LEAVES if key in data]
    if len(kinds) != 1:
        got = ", ".join(kinds) if kinds else ", ".join(sorted(data)) or "nothing"
        raise at.error(f"a condition needs exactly one of {', '.join(_LEAVES)}; got {got}")
    keys, build = _LEAVES[kinds[0]]
    return build(_keys(data, at, (keys, set())), at)


def _named(table: dict, key: str, at: _At, section: str) -> str:
    """A slug the vocabulary has words for (an entity tag, a flag), so no reason shows the code."""
    value = _str(table, key, at, SLUG)
    known = getattr(vocabulary.vocabulary(), section)
    if value not in known:
        raise (at / key).error(
            f"{value!r} has no words in {vocabulary.VOCABULARY_FILE.name} [{section}] (known: {', '.join(sorted(known))})"
        )
    return value


def _place(table: dict, key: str, at: _At, pattern: re.Pattern[str] = PLACE) -> str:
    """A place code the vocabulary names ("US-NY" -> "New York")."""
    value = _str(table, key, at, pattern)
    if value not in vocabulary.vocabulary().places:
        raise (at / key).error(f"{value!r} has no name in {vocabulary.VOCABULARY_FILE.name} [places]")
    return value


def _children(table: dict, key: str, at: _At) -> tuple[conditions.Condition, ...]:
    return tuple(_condition(item, at / key / i) for i, item in enumerate(_array(table, key, at)))


_LEAVES.update(
    {
        "all": ({"all"}, lambda t, at: conditions.All(_children(t, "all", at))),
        "any": ({"any"}, lambda t, at: conditions.Any(_children(t, "any", at))),
        "not": ({"not"}, lambda t, at: conditions.Not(_condition(t["not"], at / "not"))),
        "place": (
            {"place", "at_least"},
            lambda t, at: conditions.Place(_place(t, "place", at), _int(t, "at_least", at, 10**10)),
        ),
        "any_place_at_least": (
            {"any_place_at_least", "within"},
            lambda t, at: conditions.AnyPlaceAtLeast(
                _int(t, "any_place_at_least", at, 10**10), _place(t, "within", at, COUNTRY)
            ),
        ),
        "total_at_least": (
            {"total_at_least"},
            lambda t, at: conditions.TotalAtLeast(_int(t, "total_at_least", at, 10**10)),
        ),
        "total_below": ({"total_below"}, lambda t, at: conditions.TotalBelow(_int(t, "total_below", at, 10**10))),
        "entity": ({"entity"}, lambda t, at: conditions.Entity(_named(t, "entity", at, "entities"))),
        "established": ({"established"}, lambda t, at: conditions.Established(_place(t, "established", at))),
        "flag": ({"flag"}, lambda t, at: conditions.Flag(_named(t, "flag", at, "flags"))),
    }
)
