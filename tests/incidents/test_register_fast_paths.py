"""The register page's and the timeline exports' fast paths write what the slow ones wrote.

Each fast path (instances built without ``Model.__init__``, the events excerpt ranked as tuples,
numbers grouped by ``str.format``, instants formatted with the day cached, change values worded
once) is compared here with the ORM or Django function it replaces, on the demo case (every kind
of fact, English and Dutch): the same values, of the same types, the same text to the byte.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.utils import timezone, translation
from django.utils.dateformat import format as date_format
from django.utils.formats import date_format as formats_date_format

from incidents.models import AffectedEstimate, AwarenessRecord, Incident, IncidentParty, ProcessorNotice
from notifications.models import Deadline
from organisations.models import User
from readers import asof, regulator_summary, timeline, wording
from readers.incident_page import TIMELINE_EXCERPT, incident_page
from readers.register import load_instances, register_view

LANGUAGES = ["en", "nl"]


@pytest.fixture
def demo(db, settings):
    from ops.demo import load_demo

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    load_demo("a demo password for tests")
    return list(Incident.objects.select_related("organisation").order_by("pk"))


def _values(obj) -> dict:
    """Every concrete field's value as the instance holds it (with its type: an aware instant
    in UTC must stay exactly that)."""
    return {
        field.attname: (type(getattr(obj, field.attname)), getattr(obj, field.attname))
        for field in obj._meta.concrete_fields
    }


def _same(fast: list, orm: list, joined: tuple[str, ...] = ()) -> None:
    assert [obj.pk for obj in fast] == [obj.pk for obj in orm]
    for made, loaded in zip(fast, orm, strict=True):
        assert type(made) is type(loaded)
        assert _values(made) == _values(loaded)
        assert made._state.adding is False and made._state.db == loaded._state.db
        for name in joined:
            related, expected = getattr(made, name), getattr(loaded, name)
            assert (related is None) == (expected is None)
            if expected is not None:
                assert _values(related) == _values(expected)
        assert str(made) == str(loaded)


def test_load_instances_builds_what_the_orm_builds(demo):
    assert any(incident.awareness_records.exists() for incident in demo)
    for incident in demo:
        parties = incident.parties.all()
        _same(
            load_instances(parties, IncidentParty, joined=("party",)),
            list(parties.select_related("party")),
            ("party",),
        )
        awareness = incident.awareness_records.order_by("aware_at")
        _same(
            load_instances(awareness, AwarenessRecord, joined=("recorded_by",), shared=True),
            list(awareness.select_related("recorded_by")),
            ("recorded_by",),
        )
        estimates = incident.estimates.order_by("known_at", "pk")
        _same(
            load_instances(estimates, AffectedEstimate, joined=("recorded_by",), shared=True),
            list(estimates.select_related("recorded_by")),
            ("recorded_by",),
        )
        notices = ProcessorNotice.objects.filter(relationship__incident=incident).order_by("informed_at", "pk")
        _same(load_instances(notices, ProcessorNotice), list(notices))
        deadlines = Deadline.objects.filter(incident=incident).order_by("due_at", "pk")
        _same(
            load_instances(deadlines, Deadline, joined=("extortion_threat",)),
            list(deadlines.select_related("extortion_threat")),
            ("extortion_threat",),
        )


def test_shared_joined_rows_are_one_instance_per_person(demo):
    incident = next(i for i in demo if i.estimates.count() > 1)
    estimates = load_instances(incident.estimates.all(), AffectedEstimate, joined=("recorded_by",), shared=True)
    people = {estimate.recorded_by_id for estimate in estimates}
    assert len({id(estimate.recorded_by) for estimate in estimates}) == len(people)


def test_every_instant_is_an_aware_utc_datetime(demo):
    register = register_view(demo[0], now=timezone.now())
    for record in register.awareness:
        assert record.aware_at.tzinfo is UTC and record.recorded_at.tzinfo is UTC


def test_the_events_excerpt_is_the_latest_events_newest_first(demo):
    officer = User.objects.get(username="officer@demo.example")
    for incident in demo:
        page = incident_page(incident, user=officer, now=timezone.now())
        register = page.register
        instants = sorted(
            [r.aware_at for r in register.awareness if not r.is_withdrawn]
            + [n.informed_at for row in register.processor_lags for n in row.notices]
            + [e.known_at for rows in register.estimates.values() for e in rows]
            + [f.submitted_at for f in register.filings]
            + [d.decided_at for d in register.decisions]
            + [r.announced_at for t in register.extortion.threats for r in t.revisions]
            + [p.published_at for p in register.extortion.publications]
            + [row.assessment.decided_at for row in page.communications if row.assessment is not None]
            + [w.sent_at for w in page.waves if w.sent_at is not None],
            reverse=True,
        )
        assert page.event_count == len(instants)
        assert [event.at for event in page.events] == instants[:TIMELINE_EXCERPT]
        assert all(isinstance(event.text, str) and event.text for event in page.events)


@pytest.mark.parametrize("language", LANGUAGES)
def test_number_text_groups_as_django_does(language):
    with translation.override(language):
        fast = wording.NumberText()
        for value in (0, 7, 999, 1000, -1000, 12345, 485000, 1_100_000, -987_654_321, Decimal("1100000.0000"), 2.5):
            assert fast(value) == wording.number_text(value)


@pytest.mark.parametrize("language", LANGUAGES)
def test_instants_are_written_as_date_format_writes_them(language):
    start = datetime(2025, 3, 29, 23, 30, tzinfo=UTC)  # across the spring change in Amsterdam
    with translation.override(language), timezone.override(ZoneInfo("Europe/Amsterdam")):
        for hours in range(0, 30, 3):
            value = start + timedelta(hours=hours, minutes=7)
            local = timezone.localtime(value)
            assert wording.local_text(local) == formats_date_format(local, wording.instant_format())
            assert wording.instant_text(value) == f"{date_format(local, wording.instant_format())} {local.tzname()}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_change_words_are_value_text_of_every_change(demo, language):
    with translation.override(language):
        for incident in demo:
            entries = timeline.incident_timeline(incident, audience=timeline.Audience.REGULATOR)
            words = timeline.change_words(entries)
            names = wording.Names()
            for entry, said in zip(entries, words, strict=True):
                model = apps.get_model(entry.model)
                assert said == [
                    (
                        wording.field_label(model, name),
                        wording.value_text(model, name, old, names),
                        wording.value_text(model, name, new, names),
                    )
                    for name, old, new in entry.changes
                ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_summary_counts_read_as_the_estimates_display_them(demo, language):
    with translation.override(language):
        for incident in demo:
            now = timezone.now()
            summary = regulator_summary.regulator_summary(incident, now)
            estimates = [e for found in asof.register_as_of(incident, now).estimates.values() for e in found]
            expected = [(e.get_measure_display(), wording.count_text(e), e.known_at) for e in estimates]
            assert [(c.measure, c.value, c.known_at) for c in summary.counts] == expected
            assert expected or not incident.estimates.exists()


def test_change_words_of_unhashable_and_repeated_values(db):
    """A dict (a filing's frozen content) or a list is worded each time; a repeated plain value
    once, with the same text as value_text."""
    from filings.models import AuthorityFiling

    at = datetime(2025, 7, 6, 8, 0, tzinfo=UTC)
    changes = [
        ("content", {"a": 1}, {"a": 2}),
        ("delay_reasons", "", "late"),
        ("submitted_at", at, at + timedelta(hours=1)),
        ("is_phased", True, False),
    ]
    entries = [
        timeline.Entry(at, at, "change", "s", "", "", "filings.authorityfiling", 1, changes),
        timeline.Entry(at, at, "change", "s", "", "", "filings.authorityfiling", 1, changes[1:]),
    ]
    words = timeline.change_words(entries)
    names = wording.Names()
    for entry, said in zip(entries, words, strict=True):
        assert said == [
            (
                wording.field_label(AuthorityFiling, name),
                wording.value_text(AuthorityFiling, name, old, names),
                wording.value_text(AuthorityFiling, name, new, names),
            )
            for name, old, new in entry.changes
        ]
