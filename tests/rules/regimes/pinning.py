"""What the pinned regime tests share: a regime's report by code, facts with defaults, local times.

Every pinned case states its anchor and its expected due moment as a wall-clock time in the
jurisdiction's zone (how the legal text reads), and compares instants: an aware datetime in
America/New_York equals the same instant in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from rules.regimes import Facts, Regime, Report, Suggestion, catalogue, report_applies, suggest


def regime(code: str) -> Regime:
    return catalogue()[code]


def report(code: str, report_code: str, on: date | None = None) -> Report:
    """The report of the version in force on ``on`` (default: the latest version)."""
    found = regime(code)
    version = found.version_on(on) if on is not None else found.versions[-1]
    assert version is not None, f"{code} has no enabled version on {on}"
    return version.report(report_code)


def local(zone: str, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=ZoneInfo(zone))  # type: ignore[misc]


def due(found: Report, **anchors: datetime) -> datetime | None:
    """The due moment for anchors given as keywords (``report__residents`` for ``report:residents``)."""
    moment = found.due_at({name.replace("__", ":"): at for name, at in anchors.items()})
    if moment is not None:
        assert moment.utcoffset() == timedelta(0), "due moments are aware UTC"
    return moment


def facts(
    places: Mapping[str, int] | None = None,
    *,
    total: int | None = None,
    entities: Iterable[str] = (),
    established: str | None = None,
    flags: Mapping[str, bool] | None = None,
) -> Facts:
    places = dict(places or {})
    return Facts(
        places=places,
        total=total if total is not None else (sum(places.values()) if places else None),
        entities=frozenset(entities),
        established=established,
        flags=dict(flags or {}),
    )


def applies(found: Report, given: Facts) -> bool:
    return report_applies(found, given)[0]


def suggestions(given: Facts, on: date) -> dict[str, Suggestion]:
    return {s.regime.code: s for s in suggest(given, on)}


def reasons_en(found: Suggestion | tuple) -> str:
    reasons = found.reasons if isinstance(found, Suggestion) else found
    return " | ".join(reason.en for reason in reasons)


def reasons_nl(found: Suggestion | tuple) -> str:
    reasons = found.reasons if isinstance(found, Suggestion) else found
    return " | ".join(reason.nl for reason in reasons)


def assert_bilingual(found: Regime) -> None:
    """Titles, recipient titles and bases in English and Dutch, never left empty."""
    assert found.title.en and found.title.nl
    for version in found.versions:
        for item in version.reports:
            for text in (item.title, item.recipient_title, item.basis):
                assert text.en.strip() and text.nl.strip(), (found.code, item.code)
            assert item.basis.en != item.basis.nl, (found.code, item.code)
