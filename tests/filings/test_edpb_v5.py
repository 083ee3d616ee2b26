"""Content schema 5 in the EDPB export: the reports made under other regimes (field_110/111), the
data subjects per country (field_117), whether a DPO is designated (field_29), each frozen at
submission; and filings frozen under schemas 3 and 4 export byte for byte as they did before."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

from readers import edpb

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
    values = {
        "filing_type": "initial",
        "is_phased": False,
        "submitted_by": "",
        "delay_reasons": "",
        "withdrawal_reason": "",
        "reporter_function": "",
        "reporter_function_detail": "",
        "reporter_contact": "",
        "police_report": "",
        "police_reported_on": None,
        "police_reference": "",
        "cross_border": "",
        "establishment_countries": "",
    }
    return SimpleNamespace(content={**BASE, **(content or {})}, **{**values, **columns})


def _export(content=None, **columns):
    result = edpb.export(_filing(content, **columns))
    assert edpb.validation_errors(result.payload) == []
    return result


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
