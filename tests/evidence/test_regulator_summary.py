"""A regulator's first page: every timeline export opens on a summary per controller."""

from __future__ import annotations

import io
import json

import pypdf
import pytest
from django.urls import reverse
from django.utils import timezone, translation

from readers.regulator_summary import regulator_summary, summary_json, summary_lines

pytestmark = pytest.mark.django_db


@pytest.fixture
def legal_client(client, demo_incident):
    from organisations.models import User

    client.force_login(User.objects.get(username="legal@demo.example"))
    return client


def _lines(incident, language):
    with translation.override(language), timezone.override("Europe/Amsterdam"):
        return summary_lines(regulator_summary(incident, timezone.now()))


def test_each_controller_reads_aware_from_whom_its_72_hours_the_bound_and_its_processors_lag(demo_incident):
    blocks = dict(_lines(demo_incident, "en"))

    programme = blocks["Controller: Demo Screening Programme"]
    assert programme[0] == (
        "Aware at Wed 6 Aug 2025, 15:00 CEST (Notice from a processor (Art. 33(2)) from Demo Diagnostics Laboratory B.V.)."
    )
    assert programme[1] == (
        "72 hours ended at Sat 9 Aug 2025, 15:00 CEST "
        "(if Regulation 1182/71 governs the period: Sat 9 Aug 2025, 16:00 CEST)."
    )
    assert programme[2].startswith("State: overdue by ")
    # The laboratory knew on 6 July 10:00 CEST and told the programme a month later: 31 d 5 h,
    # against the 24 h agreed with it.
    assert programme[3] == (
        "Processor Demo Diagnostics Laboratory B.V. informed it at Wed 6 Aug 2025, 15:00 CEST, "
        "31 d 5 h after becoming aware: over its target of 1 d by 30 d 5 h."
    )
    assert set(blocks) >= {
        "Controller: St. Demo Hospital",
        "Controller: GP Practice De Demo",
        "Counts over time",
    }
    counts = blocks["Counts over time"]
    assert counts[0] == "Data subjects (Art. 33(3)(a)): ≈485,000, known at Mon 11 Aug 2025, 10:00 CEST."
    assert "≥850,000" in " ".join(counts)


def test_in_dutch_the_numbers_and_dates_are_dutch(demo_incident):
    text = " ".join(line for _heading, lines in _lines(demo_incident, "nl") for line in lines)

    assert "≈485.000" in text and "485,000" not in text
    assert "wo 6 aug 2025, 15:00 CEST" in text


def test_the_json_export_opens_with_the_summary_machine_values_and_words(legal_client, demo_incident):
    response = legal_client.get(reverse("evidence:timeline_json", args=[demo_incident.pk]))
    body = json.loads(response.content)

    summary = body["summary"]
    programme = next(c for c in summary["controllers"] if c["name"] == "Demo Screening Programme")
    assert programme["aware_at"] == "2025-08-06T13:00:00Z"
    assert programme["due_at"] == "2025-08-09T13:00:00Z"
    assert programme["outer_bound_at"] == "2025-08-09T14:00:00Z"
    assert programme["aware_from"] == "Demo Diagnostics Laboratory B.V."
    lag = programme["processors"][0]
    assert (lag["target_minutes"], lag["lag_minutes"], lag["over_target_by_minutes"]) == (
        24 * 60,
        (31 * 24 + 5) * 60,
        (30 * 24 + 5) * 60,
    )
    assert summary["text"][0]["heading"] == "Controller: Demo Screening Programme"
    with translation.override("en"), timezone.override("Europe/Amsterdam"):
        assert summary == summary_json(regulator_summary(demo_incident, timezone.now()))


def test_the_pdf_opens_on_the_summary_and_puts_the_systems_alerts_in_an_appendix(legal_client, demo_incident):
    response = legal_client.get(reverse("evidence:timeline_pdf", args=[demo_incident.pk]))
    pages = [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.content)).pages]
    text = " ".join(" ".join(page.split()) for page in pages)

    first = " ".join(pages[0].split())
    assert "SUMMARY FOR THE SUPERVISORY AUTHORITY" in first
    assert "Controller: Demo Screening Programme" in first
    assert "31 d 5 h after becoming aware: over its target of 1 d by 30 d 5 h" in first
    summary_at, timeline_at = text.index("SUMMARY FOR THE SUPERVISORY AUTHORITY"), text.index("TIMELINE ")
    assert summary_at < timeline_at
    if "Deadline alert" in text:  # the demo's alerts, if its sweep ran: after the timeline, never in it
        assert text.index("APPENDIX: THE SYSTEM'S DEADLINE ALERTS") < text.index("Deadline alert")


def test_the_csv_opens_with_the_summary_records(legal_client, demo_incident):
    import csv

    response = legal_client.get(reverse("evidence:timeline_csv", args=[demo_incident.pk]))
    records = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))

    first = dict(zip(records[3], records[4], strict=False))
    assert (first["kind"], first["field"]) == ("summary", "Controller: Demo Screening Programme")
    assert first["summary"].startswith("Aware at Wed 6 Aug 2025, 15:00 CEST")
