"""Content schema 5 in the EDPB export: the reports made under other regimes (field_110/111), the
data subjects per country (field_117), whether a DPO is designated (field_29), each frozen at
submission; and filings frozen under schemas 3 and 4 export byte for byte as they did before."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.urls import reverse

from actions import incidents as services
from actions import regimes as regime_actions
from filings.models import AuthorityFiling
from incidents.models import Incident
from readers import edpb
from tests.filings import frozen
from tests.filings.test_edpb_export import demo  # noqa: F401 (fixture)

GOLDEN_V4 = Path(__file__).parent / "data" / "edpb_v4_golden.json"


def _golden_filing(columns: dict) -> SimpleNamespace:
    on = columns.get("police_reported_on")
    return SimpleNamespace(**{**columns, "police_reported_on": date.fromisoformat(on) if on else None})


def test_a_filing_frozen_under_schema_4_exports_byte_identical_to_before_schema_5():
    """The golden file holds 42 schema-4 filings (the demo's two as frozen before schema 5, and 40
    generated with a fixed seed) with their export as it was computed before schema 5 existed."""
    cases = json.loads(GOLDEN_V4.read_text(encoding="utf-8"))
    assert len(cases) == 42 and {case["filing"]["content"]["schema"] for case in cases} == {4}
    for case in cases:
        result = edpb.export(_golden_filing(case["filing"]))
        assert json.dumps(result.payload, ensure_ascii=False) == case["export"]
        assert sorted(result.filled) == case["filled"]


# --- Each new field, mapped from a frozen schema-5 content ------------------------------------------

BASE = {
    "schema": 5,
    "incident.reference": "2025-0001",
    "controller.name": "Programme",
    "nature.breach_types": ["confidentiality"],
    "nature.data_subject_countries": ["NL"],
    "parties": [],
    "communication.decision": "",
    "regimes.reports": [],
    "regimes.decisions": [],
    "places.data_subjects": [],
}
EARLY_WARNING = {
    "regime": "nis2",
    "report": "early_warning",
    "recipient": "csirt",
    "rule_version": "2024-10-18",
    "title": "NIS2 · Early warning",
    "recipient_title": "the CSIRT",
    # 23:15 UTC on 6 July is 7 July in Amsterdam: the sentence gives the local date.
    "submitted_at": {"at": "2025-07-06T23:15:00+00:00", "tz": "Europe/Amsterdam"},
    "reference": "Z-CERT 2025-0707-01",
}


def _filing(content=None, **columns):
    return frozen.filing(BASE, content, **columns)


def _export(content=None, **columns):
    return frozen.valid_export(BASE, content, **columns)


def _section_6_1(result) -> dict:
    return {f: v for f, v in result.payload.items() if f in ("field_109", "field_110", "field_111")}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            {"regimes.reports": [EARLY_WARNING], "regimes.decisions": [{"regime": "nis2", "applies": True}]},
            {
                "field_110": "a",
                "field_111": "Notified under other legislation: NIS2 · Early warning, to the CSIRT, submitted on "
                "2025-07-07, their reference Z-CERT 2025-0707-01.",
            },
        ),
        # Every regime decided on was found not to apply: nothing was due, nothing filed.
        (
            {"regimes.decisions": [{"regime": "nis2", "applies": False}, {"regime": "dora", "applies": False}]},
            {"field_110": "b"},
        ),
        # Confirmed, report not filed yet: "not yet" is no plain "no"; left to the filer.
        ({"regimes.decisions": [{"regime": "nis2", "applies": True}, {"regime": "dora", "applies": False}]}, {}),
        # No other regime decided on: the register does not know.
        ({}, {}),
    ],
    ids=["filed", "none-applies", "due-not-filed", "not-decided"],
)
def test_the_reports_under_other_regimes_fill_fields_110_and_111(content, expected):
    result = _export(content)
    assert _section_6_1(result) == expected
    assert set(expected) <= result.filled and ("field_110" in result.filled) == ("field_110" in expected)


def test_the_police_and_the_other_regimes_share_field_111():
    result = _export(
        {"regimes.reports": [{**EARLY_WARNING, "reference": ""}]},
        police_report="yes",
        police_reported_on=date(2025, 7, 7),
    )
    assert _section_6_1(result) == {
        "field_109": "a",
        "field_110": "a",
        "field_111": "Reported to the police on 2025-07-07. Notified under other legislation: NIS2 · Early warning, "
        "to the CSIRT, submitted on 2025-07-07.",
    }


def test_a_schema_4_content_with_the_new_keys_still_ignores_them():
    """The fields are read from schema 5 on: a v4 content is exported as it always was."""
    content = {
        "schema": 4,
        "regimes.reports": [EARLY_WARNING],
        "contact.source": "organisation",
        "contact.name": "DPO",
        "places.data_subjects": [{"place": "BE", "count": 5}, {"place": "NL", "count": 7}],
        "nature.data_subject_countries": ["BE", "NL"],
    }
    payload = _export(content, cross_border="yes").payload
    assert "field_110" not in payload and "field_117" not in payload and payload["field_29"] == ""


@pytest.mark.parametrize(
    ("places", "countries", "expected"),
    [
        ([{"place": "BE", "count": 1_200}, {"place": "NL", "count": 941_000}], ["BE", "NL"], 942_200),
        # A place outside the listed countries is not counted.
        ([{"place": "BE", "count": 1_200}, {"place": "US-CA", "count": 9}], ["BE"], 1_200),
        # A country known only by its subdivisions: their sum.
        (
            [{"place": "DE-BY", "count": 10}, {"place": "DE-BE", "count": 5}, {"place": "NL", "count": 1}],
            ["DE", "NL"],
            16,
        ),
        # One listed country without a count: no partial sum.
        ([{"place": "NL", "count": 941_000}], ["BE", "NL"], None),
        ([], ["BE", "NL"], None),
    ],
)
def test_the_people_per_country_fill_field_117_when_every_listed_country_has_a_count(places, countries, expected):
    result = _export(
        {"nature.data_subject_countries": countries, "places.data_subjects": places},
        cross_border="yes",
        establishment_countries="NL",
    )
    assert result.payload.get("field_117") == expected
    assert ("field_117" in result.filled) == (expected is not None)
    assert "field_122" not in result.payload  # section 6.3: a controller outside the EEA, never this one


def test_field_117_follows_field_116_even_when_the_form_did_not_ask():
    content = {
        "nature.data_subject_countries": ["BE", "NL"],
        "places.data_subjects": [{"place": "BE", "count": 3}, {"place": "NL", "count": 4}],
    }
    assert _export(content).payload["field_117"] == 7  # unasked, several countries: cross-border guessed
    assert "field_117" not in _export(content, cross_border="no").payload


@pytest.mark.parametrize(
    ("contact", "expected"),
    [
        ({"contact.source": "organisation", "contact.name": "Dr. A. Voorbeeld (DPO)"}, "Yes"),
        ({"contact.source": "organisation", "contact.name": ""}, None),
        ({"contact.source": "controller", "contact.name": "Privacy office"}, None),
    ],
)
def test_a_dpo_from_the_organisations_record_fills_field_29(contact, expected):
    result = _export(contact)
    assert (result.payload["field_29"] if "field_29" in result.filled else None) == expected


# --- Frozen at submission: the reports under other regimes, the decisions, the places -----------------

H = timedelta(hours=1)


@pytest.fixture
def nis2(incident, officer, now):
    """NIS2 confirmed and DORA rejected six hours ago, NIS2's early warning filed five hours ago."""
    for code, applies in (("nis2", True), ("dora", False)):
        regime_actions.decide_regime(
            incident, regime=code, applies=applies, reasoning="decided", actor=officer, reason=code, now=now - 6 * H
        )
    return regime_actions.record_regime_report_filing(
        incident,
        regime="nis2",
        report="early_warning",
        submitted_at=now - 5 * H,
        submitted_tz="Europe/Amsterdam",
        reference="Z-CERT 1",
        actor=officer,
        reason="early warning sent",
    )


def test_a_filing_freezes_the_regime_reports_decisions_and_places_as_they_stood(
    submit, controller, complete_register, nis2, incident, officer, now
):
    services.update_incident(incident, data_subject_countries=["BE", "NL"], actor=officer, reason="where they live")
    regime_actions.record_places(
        incident, counts={"NL": 400_000, "BE": 85_000}, as_of=now - 3 * H, actor=officer, reason="first split"
    )
    filing = submit(controller, submitted_at=now - 2 * H, cross_border="yes", establishment_countries="NL")
    # Afterwards: another report, a new count per place, NIS2 rejected after all.
    regime_actions.record_regime_report_filing(
        incident, regime="nis2", report="notification", submitted_at=now - H, actor=officer, reason="notification"
    )
    regime_actions.record_places(incident, counts={"NL": 900_000}, as_of=now - H, actor=officer, reason="new count")
    regime_actions.decide_regime(incident, regime="nis2", applies=False, reasoning="no", actor=officer, reason="no")
    before = json.dumps(edpb.document(filing), sort_keys=True)

    content = AuthorityFiling.objects.get(pk=filing.pk).content
    assert content["schema"] == 5
    [report] = content["regimes.reports"]
    assert {k: report[k] for k in ("regime", "report", "reference", "submitted_at")} == {
        "regime": "nis2",
        "report": "early_warning",
        "reference": "Z-CERT 1",
        "submitted_at": {"at": (now - 5 * H).isoformat(), "tz": "Europe/Amsterdam"},
    }
    assert report["title"].startswith("NIS2 · ") and report["recipient"] and report["recipient_title"]
    assert content["regimes.decisions"] == [{"regime": "dora", "applies": False}, {"regime": "nis2", "applies": True}]
    assert content["places.data_subjects"] == [{"place": "BE", "count": 85_000}, {"place": "NL", "count": 400_000}]
    payload = edpb.export(filing).payload
    assert payload["field_110"] == "a" and "Z-CERT 1" in payload["field_111"]
    assert (payload["field_116"], payload["field_117"]) == ("BE, NL", 485_000)  # the sum, as known by then
    assert json.dumps(edpb.document(AuthorityFiling.objects.get(pk=filing.pk)), sort_keys=True) == before
    # The next filing says what was known by its own submission.
    follow_up = submit(controller, filing_type="follow_up", submitted_at=now - 30 * timedelta(minutes=1))
    assert [r["report"] for r in follow_up.content["regimes.reports"]] == ["early_warning", "notification"]
    assert follow_up.content["regimes.decisions"] == content["regimes.decisions"]  # NIS2's rejection came later
    assert follow_up.content["places.data_subjects"] == [
        {"place": "BE", "count": 85_000},
        {"place": "NL", "count": 900_000},
    ]


@pytest.mark.parametrize(
    ("language", "label", "words", "note"),
    [
        ("en", "Reported under other regimes by then", "reference Z-CERT 1", "one single option here"),
        ("nl", "Gemeld onder andere regimes tot dan", "kenmerk Z-CERT 1", "één enkele keuze"),
    ],
)
def test_the_filing_page_shows_the_frozen_regime_reports_and_explains_fields_118_and_123(
    client, officer, submit, controller, complete_register, nis2, language, label, words, note
):
    filing = submit(controller)
    client.force_login(officer)
    client.cookies["django_language"] = language
    page = client.get(reverse("filings:detail", args=[filing.incident_id, filing.pk]), HTTP_ACCEPT_LANGUAGE=language)
    text = page.content.decode()
    assert page.status_code == 200 and label in text and words in text and note in text


# --- The demo: the real case ----------------------------------------------------------------------


def test_on_the_demo_a_filing_for_the_hospital_names_the_labs_reports_to_the_csirt(demo):
    """The laboratory's register holds its NIS2 early warning and notification to the CSIRT (7 and 9
    July). A filing it records for the hospital, one of its controllers, a day after the hospital
    became aware, freezes both: field 110 yes, field 111 names them with the CSIRT's reference."""
    from actions import filings as filing_services
    from organisations.models import Authority, User

    incident = Incident.objects.get(regime_report_filings__report="early_warning")
    officer = User.objects.get(username="officer@demo.example")
    hospital = incident.parties.get(party__name="St. Demo Hospital")
    aware = filing_services.controller_awareness(incident, hospital)
    filing = filing_services.submit_filing(
        incident,
        controller=hospital,
        authority=Authority.objects.get(code="nl-ap"),
        filing_type="initial",
        is_phased=True,
        channel="ap_form",
        submitted_at=aware.aware_at + timedelta(hours=24),
        submitted_tz="Europe/Amsterdam",
        actor=officer,
        reason="the hospital's notification, recorded by the laboratory",
    )
    content = filing.content
    assert [(r["regime"], r["report"], r["reference"]) for r in content["regimes.reports"]] == [
        ("nis2", "early_warning", "Z-CERT 2025-0707-01"),
        ("nis2", "notification", "Z-CERT 2025-0707-01"),
    ]
    # NIS2 was confirmed on the morning of the early warning, before this filing: frozen with it.
    assert content["regimes.decisions"] == [{"regime": "nis2", "applies": True}]
    # The count per place (NL: 941,000) became known on 20 November, after the submission.
    assert content["places.data_subjects"] == []
    result = edpb.export(filing)
    assert edpb.validation_errors(result.payload) == []
    payload = result.payload
    assert payload["field_110"] == "a" and "field_109" not in payload
    assert payload["field_111"] == (
        "Notified under other legislation: "
        f"{content['regimes.reports'][0]['title']}, to {content['regimes.reports'][0]['recipient_title']}, "
        "submitted on 2025-07-07, their reference Z-CERT 2025-0707-01; "
        f"{content['regimes.reports'][1]['title']}, to {content['regimes.reports'][1]['recipient_title']}, "
        "submitted on 2025-07-09, their reference Z-CERT 2025-0707-01."
    )
    assert content["regimes.reports"][0]["title"].startswith("NIS2 · ")
    # The hospital is not the laboratory itself: its directory entry names a contact point, not
    # whether it designated a DPO, so field 29 stays open; the patients are Dutch: no field 117.
    assert "field_29" not in result.filled and "field_117" not in payload
    gaps = {g.field for g in edpb.gaps(result)}
    assert {"field_29", "field_117", "field_118"} <= gaps and "field_110" not in gaps
