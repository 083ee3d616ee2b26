"""What an alert says: thresholds in words, pure functions of the label."""

from __future__ import annotations

import pytest
from django.utils import translation

from notifications.messages import threshold_text


@pytest.mark.parametrize(
    ("label", "text"),
    [
        ("before:48h", "due in 48 hours"),
        ("before:1h", "due in 1 hour"),
        ("before:90m", "due in 90 minutes"),
        ("before:45s", "due in 45 seconds"),
        ("due", "due now"),
        ("overdue:12h", "overdue by 12 hours"),
        ("overdue:1h", "overdue by 1 hour"),
    ],
)
def test_each_threshold_reads_as_words(label, text):
    with translation.override("en"):
        assert threshold_text(label) == text


def test_an_unknown_label_is_shown_as_it_is_rather_than_hidden():
    assert threshold_text("someday:later") == "someday:later"
