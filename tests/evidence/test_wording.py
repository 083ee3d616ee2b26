"""Evidence in people's language (readers.wording): labels, choices, names, local times, numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from incidents.models import AffectedEstimate, Incident, Publication
from readers import wording


@pytest.mark.parametrize(
    ("hours", "text"),
    [
        (748.75, "31 d 4 h 45 min"),
        (72, "3 d"),
        (50.5, "2 d 2 h 30 min"),
        (24 * 31 + 0.25, "31 d 0 h 15 min"),
        (6, "6 h"),
        (0.5, "30 min"),
        (0, "0 min"),
    ],
)
def test_a_duration_reads_to_the_minute(hours, text):
    assert wording.duration_text(timedelta(hours=hours)) == text


def test_numbers_read_in_the_readers_locale():
    with translation.override("en"):
        assert wording.number_text(Decimal("1100000.0000")) == "1,100,000"
    with translation.override("nl"):
        assert wording.number_text(Decimal("1100000.0000")) == "1.100.000"
        assert wording.number_text(Decimal("2.50")) == "2,5"


def test_an_instant_reads_in_the_readers_zone_with_the_zone_named():
    moment = datetime(2025, 8, 9, 13, 0, tzinfo=UTC)
    with timezone.override("Europe/Amsterdam"), translation.override("en"):
        assert wording.instant_text(moment) == "Sat 9 Aug 2025, 15:00 CEST"
    with timezone.override("Europe/Amsterdam"), translation.override("nl"):
        assert wording.instant_text(moment) == "za 9 aug 2025, 15:00 CEST"


def test_field_labels_not_column_names():
    with translation.override("en"):
        label = wording.field_label(Incident, "occurred_until_at")
    assert "_" not in label and label[0].isupper()
    # An attname reads as its field's label, a removed field as words.
    assert wording.field_label(AffectedEstimate, "party_id") == wording.field_label(AffectedEstimate, "party")
    assert wording.field_label(Incident, "gone_field") == "gone field"


def test_choices_truth_values_and_nothing_read_as_words():
    with translation.override("en"):
        assert wording.value_text(AffectedEstimate, "measure", "data_subjects") == "Data subjects (Art. 33(3)(a))"
        assert wording.value_text(AffectedEstimate, "is_at_least", True) == "yes"
        assert wording.value_text(AffectedEstimate, "is_at_least", False) == "no"
        assert wording.value_text(AffectedEstimate, "high", None) == "—"
    with translation.override("nl"):
        assert wording.value_text(AffectedEstimate, "is_at_least", True) == "ja"


def test_a_list_of_choice_codes_reads_as_their_labels():
    field = next(f for f in Incident._meta.fields if getattr(f, "choices_enum", None) is not None)
    codes = list(field.choices_enum.values)[:2]
    with translation.override("en"):
        text = wording.value_text(Incident, field.name, codes)
    labels = dict(field.choices_enum.choices)
    assert text == ", ".join(str(labels[code]) for code in codes)


@pytest.mark.django_db
def test_a_person_reads_by_name_with_one_query_per_related_model(officer, lawyer, django_assert_num_queries):
    field = next(f for f in Publication._meta.fields if f.is_relation and f.related_model.__name__ == "User")
    names = wording.Names()
    for user in (officer, lawyer):
        names.want(Publication, field.name, user.pk)
    with django_assert_num_queries(1):
        texts = [wording.value_text(Publication, field.name, user.pk, names) for user in (officer, lawyer)]
    assert texts == [officer.get_full_name() or officer.get_username(), lawyer.get_full_name() or lawyer.get_username()]
    assert str(officer.pk) not in texts


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "nl"])
def test_an_exports_cached_wording_says_what_value_text_says(language, officer, lawyer):
    """ValueTexts (one per export, its look-ups cached) writes every value as value_text does, to the byte."""
    user_field = next(f for f in Publication._meta.fields if f.is_relation and f.related_model.__name__ == "User")
    choice_list = next(f for f in Incident._meta.fields if getattr(f, "choices_enum", None) is not None)
    moment = datetime(2025, 10, 26, 1, 30, tzinfo=UTC)
    cases = [
        (AffectedEstimate, "measure", "data_subjects"),
        (AffectedEstimate, "measure", "no_such_code"),
        (AffectedEstimate, "is_at_least", True),
        (AffectedEstimate, "is_at_least", False),
        (AffectedEstimate, "high", None),
        (AffectedEstimate, "note", ""),
        (AffectedEstimate, "note", "counted again"),
        (AffectedEstimate, "low", 0),
        (AffectedEstimate, "low", 1234567),
        (AffectedEstimate, "low", -1234567),
        (AffectedEstimate, "low", Decimal("1100000.0000")),
        (AffectedEstimate, "low", Decimal("2.50")),
        (AffectedEstimate, "low", 2.5),
        (AffectedEstimate, "known_at", moment),
        (AffectedEstimate, "known_at", moment + timedelta(hours=1)),
        (Incident, choice_list.name, list(choice_list.choices_enum.values)[:2]),
        (Incident, choice_list.name, []),
        (Incident, "gone_field", 12),
        (Publication, user_field.name, officer.pk),
        (Publication, user_field.name, lawyer.pk),
    ]
    with timezone.override("Europe/Amsterdam"), translation.override(language):
        plain = [wording.value_text(model, name, value, wording.Names()) for model, name, value in cases]
        cached = wording.ValueTexts()
        assert [cached(model, name, value) for model, name, value in cases] == plain
        assert [cached(model, name, value) for model, name, value in cases] == plain  # from its caches


@pytest.mark.parametrize("language", ["en", "nl"])
@pytest.mark.parametrize("zone", ["Europe/Amsterdam", "America/New_York", "Asia/Kolkata"])
def test_an_instants_text_is_the_languages_format_through_both_clock_changes(language, zone):
    """instant_text words each day once and writes the clock itself: the same text as Django's
    date_format of the whole INSTANT_FORMAT, across both of 2025's clock changes."""
    from django.utils.dateformat import format as date_format

    start = datetime(2025, 3, 29, 0, 0, 30, tzinfo=UTC)
    with translation.override(language), timezone.override(zone):
        for step in range(0, 60 * 24 * 220, 97):  # every 97 minutes for 220 days: March to November
            value = start + timedelta(minutes=step)
            local = timezone.localtime(value)
            assert wording.instant_text(value) == f"{date_format(local, wording.instant_format())} {local.tzname()}"
