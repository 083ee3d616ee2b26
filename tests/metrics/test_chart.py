"""The metrics page's bar charts (readers.metrics_chart): every label fits left of its bar."""

from __future__ import annotations

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from readers import metrics_chart
from readers.metrics import LABELS


def _fits(chart) -> bool:
    """No label line starts left of the SVG's edge (x=0): right-aligned at label_x, it needs its width."""
    return all(
        chart.label_x - len(line) * metrics_chart.CHAR_WIDTH >= 0 for bar in chart.bars for line, _y in bar.label_lines
    )


@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_longest_real_labels_fit_in_english_and_dutch(language):
    with translation.override(language):
        kind = (
            "Kennisgeving aan de toezichthouder (art. 33(1))"
            if language == "nl"
            else "Authority notification (Art. 33(1))"
        )
        rows = [(f"{kind}: {label}", 1.0, "1", "neutral", "") for label in map(str, LABELS.values())]
    chart = metrics_chart.bar_chart("chart", rows)
    assert _fits(chart)
    # The bars start right of the labels and the longest value still fits on the right.
    assert all(float(bar.x) > chart.label_x for bar in chart.bars)
    assert max(float(bar.value_x) for bar in chart.bars) + metrics_chart.VALUE_ROOM - 6 <= chart.width


def test_a_short_label_leaves_the_bars_their_room():
    chart = metrics_chart.bar_chart("chart", [("on time", 3.0, "3", "ok", ""), ("late", 1.0, "1", "late", "")])
    assert chart.label_x == metrics_chart.MIN_LABEL_WIDTH and _fits(chart)
    assert float(chart.bars[0].width) > 400


@given(st.lists(st.text(min_size=0, max_size=200), min_size=1, max_size=8))
def test_any_label_fits_on_at_most_two_lines(labels):
    chart = metrics_chart.bar_chart("chart", [(label, 1.0, "1", "neutral", "") for label in labels])
    assert _fits(chart)
    assert all(1 <= len(bar.label_lines) <= 2 for bar in chart.bars)
