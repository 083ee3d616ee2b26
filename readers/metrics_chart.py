"""Horizontal bar charts of the metrics page: pure geometry, no ORM, drawn as inline SVG.

The template writes the strings computed here into attributes (coordinates formatted with a dot,
so a Dutch page never writes "12,5" into an SVG attribute); every colour is a CSS class of
``web/static/metrics/metrics.css``, so the page needs no style attribute and no script under the
Content-Security-Policy. The table of figures beside each chart is its accessible fallback.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 560
LABEL_WIDTH = 190  # room for the bar's label on the left
VALUE_ROOM = 110  # room for the value after the longest bar
BAR_HEIGHT = 22
GAP = 8
TOP = 4


@dataclass(frozen=True)
class Bar:
    label: str
    value_text: str
    tone: str  # a CSS modifier: ok, late, warn, neutral
    x: str
    y: str
    width: str
    text_y: str
    value_x: str
    href: str = ""


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    width: int
    height: int
    label_x: int
    label: str  # the chart's accessible name

    @property
    def is_empty(self) -> bool:
        return not self.bars


def _fmt(value: float) -> str:
    return f"{value:.1f}"


def bar_chart(label: str, rows: list[tuple[str, float, str, str, str]]) -> BarChart:
    """A chart of ``rows`` (label, value ≥ 0, value in words, tone, link), bars scaled to the largest."""
    largest = max((value for _l, value, _t, _o, _h in rows), default=0) or 1
    plot = WIDTH - LABEL_WIDTH - VALUE_ROOM
    bars = []
    for index, (name, value, text, tone, href) in enumerate(rows):
        y = TOP + index * (BAR_HEIGHT + GAP)
        width = plot * max(value, 0) / largest
        bars.append(
            Bar(
                label=name,
                value_text=text,
                tone=tone,
                x=str(LABEL_WIDTH),
                y=_fmt(y),
                width=_fmt(width),
                text_y=_fmt(y + BAR_HEIGHT * 0.7),
                value_x=_fmt(LABEL_WIDTH + width + 6),
                href=href,
            )
        )
    height = TOP * 2 + len(rows) * (BAR_HEIGHT + GAP)
    return BarChart(bars, WIDTH, height, LABEL_WIDTH - 8, label)
