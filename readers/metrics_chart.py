"""Horizontal bar charts of the metrics page: pure geometry, no ORM, drawn as inline SVG.

The template writes the strings computed here into attributes (coordinates formatted with a dot,
so a Dutch page never writes "12,5" into an SVG attribute); every colour is a CSS class of
``web/static/metrics/metrics.css``, so the page needs no style attribute and no script under the
Content-Security-Policy. The table of figures beside each chart is its accessible fallback.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

WIDTH = 680
# The labels are right-aligned against the bars, so a label wider than the room left of the bars
# runs off the SVG's left edge and is clipped (the Dutch labels were, at a fixed 190). The room is
# sized to the longest label instead, up to MAX_LABEL_WIDTH; a longer label wraps onto a second
# line and, past that, ends in "…" (the table beside the chart and the bar's <title> hold it whole).
CHAR_WIDTH = 6.6  # a generous average advance of a 12 px sans-serif glyph, in SVG units
MAX_LABEL_WIDTH = 330
MIN_LABEL_WIDTH = 80
LABEL_PAD = 8  # between the label's end and the bar
VALUE_ROOM = 110  # room for the value after the longest bar
BAR_HEIGHT = 22
GAP = 8
TOP = 4
LINE_HEIGHT = 12


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
    label_lines: tuple[tuple[str, str], ...] = ()  # (line, its y): one or two lines


def wrap_label(label: str, max_chars: int) -> list[str]:
    """``label`` on at most two lines of ``max_chars``; the second ends in "…" when it still overflows."""
    if len(label) <= max_chars:
        return [label]
    cut = label.rfind(" ", 0, max_chars + 1)
    cut = cut if cut > 0 else max_chars
    first, rest = label[:cut].rstrip(), label[cut:].strip()
    if len(rest) > max_chars:
        rest = rest[: max_chars - 1].rstrip() + "…"
    return [first, rest]


def label_room(labels: list[str]) -> int:
    """The width left of the bars: the longest (wrapped) label's, within the bounds."""
    max_chars = int(MAX_LABEL_WIDTH / CHAR_WIDTH)
    longest = max((len(line) for label in labels for line in wrap_label(label, max_chars)), default=0)
    return math.ceil(min(max(longest * CHAR_WIDTH, MIN_LABEL_WIDTH), MAX_LABEL_WIDTH)) + LABEL_PAD


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
    room = label_room([name for name, *_rest in rows])
    plot = WIDTH - room - VALUE_ROOM
    max_chars = int(MAX_LABEL_WIDTH / CHAR_WIDTH)
    bars = []
    for index, (name, value, text, tone, href) in enumerate(rows):
        y = TOP + index * (BAR_HEIGHT + GAP)
        width = plot * max(value, 0) / largest
        lines = wrap_label(name, max_chars)
        # One line sits on the bar's text line; two straddle the bar's middle.
        first_y = y + BAR_HEIGHT * 0.7 if len(lines) == 1 else y + BAR_HEIGHT / 2 - 1
        bars.append(
            Bar(
                label=name,
                value_text=text,
                tone=tone,
                x=str(room),
                y=_fmt(y),
                width=_fmt(width),
                text_y=_fmt(y + BAR_HEIGHT * 0.7),
                value_x=_fmt(room + width + 6),
                href=href,
                label_lines=tuple((line, _fmt(first_y + i * LINE_HEIGHT)) for i, line in enumerate(lines)),
            )
        )
    height = TOP * 2 + len(rows) * (BAR_HEIGHT + GAP)
    return BarChart(bars, WIDTH, height, room - LABEL_PAD, label)
