"""The timeline exports' fast paths write what the plain ones wrote, to the byte.

Each fast path is compared with the code it replaced, kept here as the reference: the JSON written
a few hundred entries at a time (``timeline.json_text``) with ``json.dumps`` of the whole document
through Django's encoder (what ``JsonResponse`` wrote); the CSV's entry lines (``timeline_csv.lines``)
with ``csv.writer`` of records made cell by cell; the versions diffed as tuples read once
(``history_rows.successive_changes``) with ``field_changes`` of each pair. On the demo case (every
kind of fact and change) and on an incident whose texts hold quotes, commas, line breaks, formula
triggers and accents, in English and Dutch, through the renderers the downloads and share links use.
"""

from __future__ import annotations

import csv
import gc
import io
import itertools
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import strategies as st

from actions import incidents as services
from actions import notes as note_actions
from breachtrack.memory import cycle_collection_paused
from evidence.chain import export_stamp
from readers import history_rows, regulator_summary, timeline, timeline_csv
from readers.timeline_csv import neutralise, value_text
from web.evidence import views

LANGUAGES = ["en", "nl"]


@pytest.fixture
def awkward_incident(incident, officer, now):
    """An incident whose every kind of text is hard to write: quotes, commas, line breaks,
    formula triggers, accents, the euro sign; changed several times, with notes, one edited."""
    services.update_incident(
        incident,
        title='Ransomware "LockBit", Zoë\'s lab — €1,100,000',
        description='He said "pay", then: 1,100,000\nsecond line\r\nthird',
        actor=officer,
        reason="notes, quoted",
    )
    services.update_incident(incident, description="=1+1", actor=officer, reason="@SUM(1+1)")
    services.update_incident(incident, title="-2+3", description="", actor=officer, reason='"quoted"\tand tabbed')
    note = note_actions.add_note(
        incident, body='A note, with "quotes"\nand a line', actor=officer, reason="+first note"
    )
    note_actions.add_note(
        incident,
        body="When it began",
        occurred_at=datetime(2025, 7, 3, 21, 0, tzinfo=UTC),
        occurred_tz="UTC",
        actor=officer,
        reason="second note",
    )
    assert note.pk
    return incident


INCIDENTS = ["demo_incident", "awkward_incident"]


def _frozen(request, name: str):
    """The incident, with the clock then stopped (the demo loads in real time), so an export and
    its reference carry the same ``generated_at``."""
    incident = request.getfixturevalue(name)
    request.getfixturevalue("time_machine").move_to(datetime.now(UTC), tick=False)
    return incident


def _reference_json(incident, now) -> bytes:
    """The JSON export as the view wrote it before: one dict, one ``json.dumps`` (``JsonResponse``)."""
    rows = timeline.load_rows(incident)
    entries = views.export_entries(incident, rows)
    body = timeline.as_json(incident, entries, now=now)
    summary = regulator_summary.summary_json(regulator_summary.regulator_summary(incident, now, rows=rows))
    text = json.dumps({**body, "summary": summary}, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8")


def _reference_records(entries):
    """The entry records as ``timeline_csv`` made them before: every cell made safe one by one."""
    for number, entry in enumerate(entries, start=1):
        common = [
            str(number),
            neutralise(timeline.json_value(entry.event_at)),
            neutralise(timeline.json_value(entry.recorded_at)),
            *[neutralise(cell) for cell in (entry.kind, str(entry.summary), entry.actor, entry.reason, entry.model)],
            neutralise(entry.object_id),
        ]
        if not entry.changes:
            yield [*common, "", "", ""]
        for name, old, new in entry.changes:
            yield [*common, neutralise(name), neutralise(value_text(old)), neutralise(value_text(new))]


def _reference_csv(incident, now) -> bytes:
    """The CSV export as written before: the same head, then ``csv.writer`` for every entry record."""
    rows = timeline.load_rows(incident)
    entries = views.export_entries(incident, rows)
    summary = regulator_summary.summary_lines(regulator_summary.regulator_summary(incident, now, rows=rows))
    head = timeline_csv.render(incident, [], stamp=export_stamp(incident.organisation_id), now=now, summary=summary)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(_reference_records(entries))
    return (head + buffer.getvalue()).encode("utf-8")


@pytest.mark.parametrize("name", INCIDENTS)
def test_the_json_export_is_the_document_json_dumps_wrote(request, name):
    incident = _frozen(request, name)
    for language in LANGUAGES:
        with translation.override(language):
            response = views.render_timeline_json(incident)
            expected = _reference_json(incident, timezone.now())
        assert response["Content-Type"] == "application/json"
        assert len(json.loads(response.content)["entries"]) > 5
        assert response.content == expected


@pytest.mark.parametrize("name", INCIDENTS)
def test_the_csv_export_is_what_csv_writer_wrote(request, name):
    incident = _frozen(request, name)
    for language in LANGUAGES:
        with translation.override(language):
            response = views.render_timeline_csv(incident)
            expected = _reference_csv(incident, timezone.now())
        assert response.content == expected
        assert b'""' in response.content or incident.title.startswith("Ransomware attack")


def test_a_json_export_longer_than_one_chunk_is_one_document(awkward_incident, now, monkeypatch):
    """Entries written in several chunks join into the same text as one ``json.dumps``."""
    monkeypatch.setattr(timeline, "ENTRIES_PER_CHUNK", 2)
    expected = _reference_json(awkward_incident, timezone.now())
    assert views.render_timeline_json(awkward_incident).content == expected


def test_the_pdf_still_reads_the_entries_the_other_exports_read(demo_incident):
    """One set of entries for all three exports: the PDF's rows are the JSON's entries."""
    rows = timeline.load_rows(demo_incident)
    entries = views.export_entries(demo_incident, rows)
    exported = json.loads(views.render_timeline_json(demo_incident).content)["entries"]
    assert [timeline.entry_json(entry)["summary"] for entry in entries] == [e["summary"] for e in exported]
    assert views.render_timeline_pdf(demo_incident).content.startswith(b"%PDF")


@pytest.mark.parametrize("name", INCIDENTS)
def test_each_version_is_diffed_as_field_changes_diffs_the_pair(request, name):
    rows = timeline.load_rows(request.getfixturevalue(name))
    compared = 0
    for found in rows.values():
        for versions in history_rows.versions_by_object(found).values():
            expected = [history_rows.field_changes(new, old) for old, new in itertools.pairwise(versions)]
            assert history_rows.successive_changes(versions) == expected
            compared += len(expected)
    assert compared >= 3


CSV_TEXT = st.text(alphabet=st.sampled_from(list("ab ,\"\r\n\t=é€'") + ["\u2028"]), max_size=12)


@given(cell=CSV_TEXT, other=CSV_TEXT)
def test_a_line_is_what_csv_writer_writes_for_any_cells(cell, other):
    cells = [cell, "", other, "plain", *[cell + other] * 8]  # twelve, as every record has
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    assert ",".join(timeline_csv.field(text) for text in cells) + "\r\n" == buffer.getvalue()


def test_the_collector_is_paused_for_the_block_and_back_on_after_it_even_on_an_error():
    assert gc.isenabled()
    with cycle_collection_paused():
        assert not gc.isenabled()
        with cycle_collection_paused():  # nested: the inner one leaves the outer's pause alone
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), cycle_collection_paused():
        raise ValueError
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    try:
        with cycle_collection_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_an_export_leaves_the_collector_on(awkward_incident, now):
    for render in (views.render_timeline_json, views.render_timeline_csv):
        assert render(awkward_incident).status_code == 200
        assert gc.isenabled()


def test_an_instant_repeated_across_versions_is_one_value(awkward_incident, now):
    """Each distinct instant text is parsed once: the versions of one object share the value."""
    rows = timeline.load_rows(awkward_incident)
    versions = history_rows.versions_by_object(rows["incident"])[awkward_incident.pk]
    assert len(versions) >= 4
    assert len({id(version.occurred_from_at) for version in versions}) == 1
    assert all(version.history_date.tzinfo is UTC for version in versions)
    assert versions[-1].history_date - versions[0].history_date >= timedelta(0)
