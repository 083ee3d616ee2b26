"""The affected-people chart's geometry: pure, on unsaved values, ``now`` passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from readers.estimate_chart import HEIGHT, LEFT, RIGHT, WIDTH, build_chart, nice_ceiling

UTC = UTC
T0 = datetime(2025, 8, 11, 9, 0, tzinfo=UTC)


def estimate(low, at, high=None, is_at_least=False, pk=None):
    return SimpleNamespace(low=low, high=high, known_at=at, is_at_least=is_at_least, pk=pk)


@pytest.mark.parametrize(
    ("value", "axis"),
    [(0, 1), (1, 1), (7, 10), (485_000, 500_000), (941_000, 1_000_000), (1_100_000, 1_500_000), (2_400, 2_500)],
)
def test_the_value_axis_ends_on_a_round_number(value, axis):
    assert nice_ceiling(value) == axis


def test_no_estimate_is_an_empty_chart():
    assert build_chart([], now=T0).is_empty


def test_the_real_case_is_a_rising_step_line_that_holds_until_now():
    rows = [
        estimate(485_000, T0),
        estimate(715_000, T0 + timedelta(days=10)),
        estimate(941_000, T0 + timedelta(days=20)),
    ]
    chart = build_chart(rows, now=T0 + timedelta(days=40))

    xs = [float(p.x) for p in chart.points]
    ys = [float(p.y) for p in chart.points]
    assert xs == sorted(xs) and xs[0] == LEFT
    assert ys == sorted(ys, reverse=True)  # higher counts are drawn higher up
    assert xs[2] == pytest.approx(LEFT + (WIDTH - LEFT - RIGHT) / 2)  # day 20 of 40
    assert chart.step_path.startswith(
        f"M {chart.points[0].x} {chart.points[0].y} H {chart.points[1].x} V {chart.points[1].y}"
    )
    assert chart.step_path.endswith(f"H {WIDTH - RIGHT:.1f}")  # the latest count holds until now
    assert [t.value for t in chart.value_ticks] == [0, 250_000, 500_000, 750_000, 1_000_000]
    assert [t.value for t in chart.time_ticks] == [T0, T0 + timedelta(days=40)]


def test_a_range_has_an_upper_end_and_a_floor_is_marked():
    chart = build_chart(
        [estimate(700_000, T0, high=800_000), estimate(850_000, T0 + timedelta(days=1), is_at_least=True)],
        now=T0 + timedelta(days=2),
    )
    ranged, floor = chart.points
    assert ranged.y_high is not None and float(ranged.y_high) < float(ranged.y)
    assert floor.is_at_least and floor.y_high is None
    assert all(0 <= float(p.y) <= HEIGHT for p in chart.points)


def test_coordinates_are_written_with_a_dot_whatever_the_language():
    chart = build_chart([estimate(3, T0), estimate(7, T0 + timedelta(hours=1))], now=T0 + timedelta(hours=3))
    for point in chart.points:
        float(point.x), float(point.y)
        assert "," not in point.x + point.y
