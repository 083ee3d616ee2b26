"""Counts and sizes as people type and read them (web/incidents/quantities.py), in English and Dutch."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from web.incidents.quantities import parse_count, parse_decimal, parse_size, show_count, show_size


@pytest.mark.parametrize(
    ("language", "text", "value"),
    [
        ("en", "53,000", Decimal("53000")),
        ("nl", "53.000", Decimal("53000")),
        ("en", "1.2", Decimal("1.2")),
        ("nl", "1,2", Decimal("1.2")),
        ("nl", "1.2", Decimal("1.2")),  # one group of fewer than three digits: a decimal point
        ("en", "1,200,000", Decimal("1200000")),
        ("nl", "1.200.000", Decimal("1200000")),
        ("en", "2,500,000.50", Decimal("2500000.50")),
        ("nl", "2.500.000,50", Decimal("2500000.50")),
        ("en", "53 000", Decimal("53000")),
    ],
)
def test_numbers_are_read_in_the_page_language(language, text, value):
    with translation.override(language):
        assert parse_decimal(text) == value


@pytest.mark.parametrize("text", ["", "lots", "1,2,3", "1.000,2.5", "1..2", "--5"])
def test_an_unreadable_number_is_refused(text):
    with pytest.raises(ValueError):
        parse_decimal(text)


def test_a_count_is_whole_and_not_negative():
    assert parse_count("53,000") == 53_000
    for text, code in (("53,5", "not_whole"), ("-3", "negative"), ("many", "invalid")):
        with pytest.raises(ValidationError) as refused:
            parse_count(text)
        assert refused.value.code == code


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("1.2 GB", 1_200_000_000),
        ("800 MB", 800_000_000),
        ("800MB", 800_000_000),
        ("1 GiB", 2**30),
        ("3 tb", 3 * 10**12),
        ("2,048 bytes", 2048),
        ("12 kB", 12_000),
    ],
)
def test_sizes_are_read_with_their_unit_in_bytes(text, size):
    with translation.override("en"):
        assert parse_size(text) == size


@pytest.mark.parametrize(("text", "code"), [("1.2", "no_unit"), ("1.2 GiG", "unknown_unit"), ("GB", "invalid")])
def test_a_size_without_a_known_unit_is_refused(text, code):
    with pytest.raises(ValidationError) as refused:
        parse_size(text)
    assert refused.value.code == code


@pytest.mark.parametrize(
    ("language", "count", "size", "shown_count", "shown_size"),
    [
        ("en", 53_000, 1_200_000_000, "53,000", "1.2\u00a0GB"),
        ("nl", 53_000, 1_200_000_000, "53.000", "1,2\u00a0GB"),
        ("en", 941_000, 800_000_000, "941,000", "800\u00a0MB"),
        ("nl", 7, 512, "7", "512 bytes"),
    ],
)
def test_counts_and_sizes_are_shown_in_the_page_language(language, count, size, shown_count, shown_size):
    with translation.override(language):
        assert show_count(count) == shown_count
        assert show_size(size) == shown_size
