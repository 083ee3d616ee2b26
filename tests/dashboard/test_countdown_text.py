"""What a countdown says, on the server and (through countdown_messages) in the browser."""

from __future__ import annotations

from datetime import timedelta

from django.utils import translation

from readers.clock_states import UNDER_6H, UNDER_24H
from web.templatetags.dashboard_tags import countdown_messages, span_text


def test_spans_read_as_days_then_a_clock_floored_to_the_second():
    assert span_text(timedelta(days=2, hours=3, minutes=4, seconds=5, milliseconds=999)) == "2 d 03:04:05"
    assert span_text(timedelta(hours=23, minutes=59, seconds=59)) == "23:59:59"
    assert span_text(timedelta(0)) == "00:00:00"


def test_the_script_gets_the_same_bands_as_the_server():
    thresholds = countdown_messages()["thresholds"]
    assert thresholds == {"under_24h": UNDER_24H.total_seconds(), "under_6h": UNDER_6H.total_seconds()}


def test_the_scripts_phrases_follow_the_page_language():
    with translation.override("nl"):
        messages = countdown_messages()
    assert messages["left"] == "nog {time}"
    assert messages["overdue"] == "{time} over tijd"
    assert messages["states"]["under_24h"] == "minder dan 24 u"
    assert messages["extortion_states"]["overdue"] == "termijn voorbij"
    with translation.override("en"):
        assert countdown_messages()["extortion_states"]["overdue"] == "deadline passed"
