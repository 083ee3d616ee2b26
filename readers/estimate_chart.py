"""The "affected people over time" chart of the incident page: pure geometry, no ORM, ``now`` passed in.

Counts in a breach grow as the investigation goes on (485,000 → 715,000 → 941,000 in the real
case, docs/domain.md#demo-case). The chart is a step line: an estimate holds from the moment it became known
(``known_at``) until the next one, and the latest holds until ``now``. A range (``low``–``high``)
is drawn as a vertical bar, an "at least" number as an open marker with an arrow up.

The template draws inline SVG from the strings computed here (coordinates already formatted
with a dot, so a Dutch page does not write "12,5" into an attribute); every colour is a CSS
class in incidents/static/incidents/incident_page.css. The table next to it is the accessible
fallback and shows the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 72, 16, 16, 36  # room for the axis labels


@dataclass(frozen=True)
class ChartPoint:
    estimate: object  # incidents.AffectedEstimate
    x: str
    y: str  # the lower bound (or the single number)
    y_high: str | None  # the upper bound of a range
    is_at_least: bool


@dataclass(frozen=True)
class Tick:
    position: str  # y for the value axis, x for the time axis
    value: object  # an int (counts) or a datetime (time)


@dataclass(frozen=True)
class EstimateChart:
    points: list[ChartPoint]
    step_path: str  # SVG path "M x y H x V y ..." of the step line
    value_ticks: list[Tick]
    time_ticks: list[Tick]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    plot_bottom: int = HEIGHT - BOTTOM
    plot_right: int = WIDTH - RIGHT

    @property
    def is_empty(self) -> bool:
        return not self.points


def _fmt(value: float) -> str:
    return f"{value:.1f}"


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 1.5, 2, 2.5, 5 × 10^k that is >= ``value`` (an axis that ends on a round number)."""
    if value <= 0:
        return 1
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 1.5, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return int(step * magnitude)
    return 10 * magnitude  # pragma: no cover - the loop above always returns


def build_chart(estimates, *, now: datetime) -> EstimateChart:
    """The chart of ``estimates`` (one measure, ordered by ``known_at``), seen at ``now``."""
    rows = sorted(estimates, key=lambda e: (e.known_at, e.pk or 0))
    if not rows:
        return EstimateChart([], "", [], [])
    start = rows[0].known_at
    end = max(now, rows[-1].known_at)
    span = (end - start).total_seconds() or 1.0
    top_value = nice_ceiling(max(e.high if e.high is not None else e.low for e in rows))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x_of(at: datetime) -> float:
        return LEFT + plot_w * (at - start).total_seconds() / span

    def y_of(value: int) -> float:
        return TOP + plot_h * (1 - value / top_value)

    points = [
        ChartPoint(
            estimate=e,
            x=_fmt(x_of(e.known_at)),
            y=_fmt(y_of(e.low)),
            y_high=_fmt(y_of(e.high)) if e.high is not None and e.high != e.low else None,
            is_at_least=e.is_at_least,
        )
        for e in rows
    ]
    path = [f"M {points[0].x} {points[0].y}"]
    for point in points[1:]:
        path.append(f"H {point.x} V {point.y}")
    path.append(f"H {_fmt(x_of(end))}")
    value_ticks = [Tick(_fmt(y_of(top_value * k // 4)), top_value * k // 4) for k in range(5)]
    time_ticks = [Tick(_fmt(x_of(start)), start)]
    if end > start:
        time_ticks.append(Tick(_fmt(x_of(end)), end))
    return EstimateChart(points, " ".join(path), value_ticks, time_ticks)
