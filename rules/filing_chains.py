"""How a controller's filings bear on its clocks. Pure: filing and estimate objects in memory, no ORM.

* Art. 33(1): the authority clock is met by the earliest initial filing that was
  not withdrawn afterwards (a withdrawal takes back the initial it follows).
* Art. 33(4): a follow-up is owed, on a target (not a number in the law), when a
  phased filing was submitted, or when a count recorded after the latest filing
  differs materially from the count that filing gave. The next follow-up meets it.

"Recorded after a filing" is decided by estimate id against the highest id the
filing's frozen content saw, so rows sharing a timestamp are still ordered.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from filings.choices import FilingType
from incidents.choices import EstimateMeasure


class Filing(Protocol):
    """What these rules read of a filing: a ``filings.AuthorityFiling`` or its historical record."""

    @property
    def pk(self) -> Any: ...
    @property
    def controller_id(self) -> int: ...
    @property
    def authority_id(self) -> int: ...
    @property
    def filing_type(self) -> str: ...
    @property
    def submitted_at(self) -> datetime: ...
    @property
    def is_phased(self) -> bool: ...
    @property
    def content(self) -> Any: ...


class Estimate(Protocol):
    """What these rules read of a count: an ``incidents.AffectedEstimate`` or its historical record."""

    @property
    def pk(self) -> Any: ...
    @property
    def measure(self) -> str: ...
    @property
    def low(self) -> int: ...
    @property
    def high(self) -> int | None: ...
    @property
    def known_at(self) -> datetime: ...
    @property
    def party_id(self) -> int | None: ...


def standing_initials(filings: Iterable[Filing]) -> dict[int, datetime]:
    """Per controller id, the submission time of its earliest initial filing not withdrawn since.

    ``filings`` in submission order; chains are per controller and authority.
    """
    current: dict[tuple[int, int], Filing] = {}
    standing: list[Filing] = []
    for filing in filings:
        chain = (filing.controller_id, filing.authority_id)
        if filing.filing_type == FilingType.INITIAL:
            current[chain] = filing
            standing.append(filing)
        elif filing.filing_type == FilingType.WITHDRAWAL and chain in current:
            standing.remove(current.pop(chain))
    met: dict[int, datetime] = {}
    for filing in standing:
        held = met.get(filing.controller_id)
        if held is None or filing.submitted_at < held:
            met[filing.controller_id] = filing.submitted_at
    return met


def material_change(before: int | None, after: int | None, percent: int) -> bool:
    """Whether a count moved by at least ``percent`` % (a first count where there was none: yes)."""
    if after is None:
        return False
    if before is None or before == 0:
        return after != before
    return abs(after - before) * 100 >= before * percent


def _seen(filing: Filing) -> int:
    return int(filing.content.get("register.last_estimate_id") or 0)


def count_trigger(filing: Filing, estimates: Iterable[Estimate], until_id: int | None, percent: int) -> datetime | None:
    """When a count recorded after ``filing`` (up to estimate ``until_id``) first differed materially.

    Only an estimate that becomes the controller's current figure counts (an
    estimate for another controller does not), compared with the figure frozen
    in the filing. The clock starts when the new figure was known, but never
    before the filing itself.
    """
    ordered = sorted(estimates, key=lambda e: e.pk)
    for estimate in ordered:
        if estimate.pk <= _seen(filing) or (until_id is not None and estimate.pk > until_id):
            continue
        current = latest_estimates([e for e in ordered if e.pk <= estimate.pk], filing.controller_id)
        if current.get(estimate.measure) is not estimate:
            continue
        before = representative_count(filing.content.get(f"numbers.{estimate.measure}"))
        after = estimate.high if estimate.high is not None else estimate.low
        if estimate.measure in EstimateMeasure.values and material_change(before, after, percent):
            return max(estimate.known_at, filing.submitted_at)
    return None


def follow_up_cycle(
    filings: Sequence[Filing], estimates: Collection[Estimate], percent: int
) -> tuple[datetime, datetime | None] | None:
    """The latest follow-up obligation of one controller: ``(started_at, met_at)``, or None.

    Steps, for each filing that is not a withdrawal, in submission order:
    1. it starts an obligation if it is phased, or if a later count (before the
       next filing) differs materially from its own;
    2. the next follow-up filing after it meets that obligation; a withdrawal
       first ends it (nothing more is owed on a withdrawn notification).
    The last obligation found is the one the deadline row shows.
    """
    cycle: tuple[datetime, datetime | None] | None = None
    for index, filing in enumerate(filings):
        if filing.filing_type == FilingType.WITHDRAWAL:
            cycle = None
            continue
        later = filings[index + 1 :]
        until_id = _seen(later[0]) if later else None
        started = filing.submitted_at if filing.is_phased else count_trigger(filing, estimates, until_id, percent)
        if started is None:
            continue
        answer = next((f for f in later if f.filing_type in (FilingType.FOLLOW_UP, FilingType.WITHDRAWAL)), None)
        if answer is None:
            cycle = (started, None)
        elif answer.filing_type == FilingType.FOLLOW_UP:
            cycle = (started, answer.submitted_at)
        else:
            cycle = None
    return cycle


def latest_estimates(estimates: Collection[Estimate], controller_id: int | None) -> dict[str, Estimate]:
    """Per measure, the latest estimate for this controller, else the latest for the whole incident.

    "Latest" is by ``known_at`` then id, as on the register page.
    """
    chosen: dict[str, Estimate] = {}
    for measure in EstimateMeasure.values:
        rows = sorted((e for e in estimates if e.measure == measure), key=lambda e: (e.known_at, e.pk))
        own = [e for e in rows if e.party_id == controller_id]
        whole = [e for e in rows if e.party_id is None]
        candidates = own or whole
        if candidates:
            chosen[measure] = candidates[-1]
    return chosen


def representative_count(number: Mapping[str, Any] | None) -> int | None:
    """One figure for a stored count: the upper bound of a range, else the number."""
    if number is None:
        return None
    return number["high"] if number.get("high") is not None else number["low"]
