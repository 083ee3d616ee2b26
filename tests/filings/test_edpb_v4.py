"""Content schema 4 in the EDPB export: the Art. 34 communication, the police report, cross-border
processing, the other parties' contacts and the integrity and availability sub-types, each frozen at
submission; and a filing frozen under schema 3 exports byte for byte as it did before."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actions import communications as comms
from actions import incidents as services
from communications.choices import WaveChannel
from filings.choices import TemplateAnswer
from filings.models import AuthorityFiling, FrozenFilingError
from incidents.choices import PartyRole
from organisations import services as org_services
from readers import edpb
from tests.api.conftest import session_client, world  # noqa: F401 (fixtures)
from tests.filings import frozen
from tests.filings.test_edpb_export import filings, instants
from tests.incidents.test_incident_page import _form, _refused, file_url

GOLDEN = Path(__file__).parent / "data" / "edpb_v3_golden.json"


def test_a_filing_frozen_under_schema_3_exports_byte_identical_to_before_schema_4():
    """The golden file holds 42 schema-3 filings (the demo's two as frozen before schema 4, and 40
    generated) with their export as it was computed before schema 4 existed."""
    cases = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert len(cases) == 42 and {case["filing"]["content"]["schema"] for case in cases} == {3}
    for case in cases:
        result = edpb.export(SimpleNamespace(**case["filing"]))
        assert json.dumps(result.payload, ensure_ascii=False) == case["export"]
        assert sorted(result.filled) == case["filled"]


# --- Each new field, mapped from a frozen schema-4 content ------------------------------------------

BASE = {
    "schema": 4,
    "incident.reference": "2025-0001",
    "controller.name": "Programme",
    "nature.breach_types": ["confidentiality"],
    "nature.data_subject_countries": ["NL"],
    "parties": [],
    "communication.decision": "",
}


def _filing(content=None, **columns):
    return frozen.filing(BASE, content, **columns)


def _export(content=None, **columns):
    return frozen.valid_export(BASE, content, **columns)


def test_the_other_parties_contact_details_fill_field_41():
    parties = [
        {"name": "Programme", "role": "controller", "contact": "desk, desk@p.example"},
        {"name": "Lab B.V.", "role": "processor", "contact": "J. de Vries, dpo@lab.example, +31 20 000 0000"},
        {"name": "Cloud Ltd", "role": "sub_processor", "contact": ""},
    ]
    result = _export({"parties": parties})
    assert result.payload["field_41"] == "Lab B.V.: J. de Vries, dpo@lab.example, +31 20 000 0000"
    assert "field_41" in result.filled
    none_known = _export({"parties": [{**parties[2]}]})
    assert none_known.payload["field_41"] == "" and "field_41" not in none_known.filled


@pytest.mark.parametrize(
    ("types", "content", "expected"),
    [
        (["integrity"], {"nature.integrity_outcome": "altered"}, {"field_58": "a"}),
        (["integrity"], {"nature.integrity_outcome": "misused_reversible"}, {"field_58": "b"}),
        (["integrity"], {"nature.integrity_outcome": "misused_irreversible"}, {"field_58": "c"}),
        (["availability"], {"nature.availability_outcome": "temporary"}, {"field_59": "a"}),
        (["availability"], {"nature.availability_outcome": "permanent"}, {"field_59": "b"}),
        (["availability"], {"nature.availability_outcome": "not_determined"}, {"field_59": "c"}),
        # A sub-type of a type the breach is not: left out (the template shows it only for that type).
        (["confidentiality"], {"nature.integrity_outcome": "altered"}, {}),
    ],
)
def test_the_integrity_and_availability_sub_types_fill_fields_58_and_59(types, content, expected):
    result = _export({"nature.breach_types": types, **content})
    assert {f: result.payload.get(f) for f in ("field_58", "field_59") if f in result.payload} == expected
    assert {f for f in ("field_58", "field_59") if f in result.filled} == set(expected)


INFORMED = {
    "communication.decision": "communicate",
    # 22:30 UTC on 9 September is 10 September in Amsterdam: the template's date is the local one.
    "communication.informed_at": {"at": "2025-09-09T22:30:00+00:00", "tz": "Europe/Amsterdam"},
    "communication.channels": ["letter", "website"],
    "communication.waves_pending": 0,
    "communication.bounced": 0,
    "communication.content": "Letter\n\nYour data was stolen.",
}


def test_data_subjects_informed_fill_fields_97_98_102_104_106():
    payload = _export(INFORMED).payload
    assert (payload["field_97"], payload["field_98"], payload["field_102"], payload["field_104"]) == (
        "a",
        "2025-09-10",
        "a",
        "a",
    )
    assert payload["field_106"] == "Letter\n\nYour data was stolen." and "field_103" not in payload


def test_not_everyone_informed_says_why_in_field_103_and_a_public_notice_is_104_b():
    payload = _export(
        {
            **INFORMED,
            "communication.channels": ["website"],
            "communication.waves_pending": 2,
            "communication.bounced": 7,
        }
    ).payload
    assert (payload["field_102"], payload["field_104"]) == ("b", "b")
    assert payload["field_103"] == "2 communication wave(s) still to be sent; 7 communication(s) undeliverable"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            {"communication.decision": "communicate", "communication.planned_at": {"at": "2025-09-08T07:00:00+00:00"}},
            {"field_97": "b", "field_99": "2025-09-08"},
        ),
        ({"communication.decision": "communicate"}, {"field_97": "b"}),  # b1: a date to be determined
        ({"communication.decision": "no_high_risk"}, {"field_97": "d"}),
        (
            {
                "communication.decision": "exempt",
                "communication.exemption": "unintelligible",
                "communication.exemption_reasoning": "AES-256, key safe.",
            },
            {"field_97": "e", "field_100": "a", "field_101": "AES-256, key safe."},
        ),
        (
            {"communication.decision": "exempt", "communication.exemption": "subsequent_measures"},
            {"field_97": "e", "field_100": "b"},
        ),
        (
            {"communication.decision": "public", "communication.exemption": "disproportionate_effort"},
            {"field_97": "e", "field_100": "c"},
        ),
    ],
)
def test_the_art_34_decision_fills_fields_97_to_101(content, expected):
    result = _export(content)
    communication = {f: v for f, v in result.payload.items() if 97 <= int(f[6:]) <= 106}
    assert communication == expected
    assert set(expected) <= result.filled


def test_no_art_34_decision_keeps_the_templates_investigation_ongoing_as_a_gap():
    result = _export({"communication.decision": "", "consequences.risk_level": "high"})
    assert result.payload["field_97"] == "c" and "field_97" not in result.filled


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (
            {"police_report": "yes", "police_reported_on": date(2025, 7, 7), "police_reference": "PL-1"},
            {"field_109": "a", "field_111": "Reported to the police on 2025-07-07, report number PL-1."},
        ),
        ({"police_report": "yes"}, {"field_109": "a", "field_111": "Reported to the police."}),
        ({"police_report": "no"}, {"field_109": "b"}),
        ({"police_report": "unknown"}, {"field_109": "c"}),
        ({}, {}),
    ],
)
def test_the_police_report_fills_fields_109_and_111(columns, expected):
    result = _export(**columns)
    assert {f: v for f, v in result.payload.items() if f in ("field_109", "field_110", "field_111")} == expected
    assert set(expected) <= result.filled


def test_cross_border_processing_fills_fields_113_to_116_and_120():
    content = {
        "nature.data_subject_countries": ["BE", "NL"],
        "authorities.lead": {"name": "Autoriteit Persoonsgegevens", "country": "NL"},
        "authorities.concerned": [{"name": "APD/GBA", "country": "BE"}],
    }
    payload = _export(content, cross_border="yes", establishment_countries="BE, NL").payload
    assert {f: payload[f] for f in ("field_113", "field_114", "field_115", "field_116", "field_120")} == {
        "field_113": "a",
        "field_114": "Autoriteit Persoonsgegevens (NL)",
        "field_115": "BE, NL",
        "field_116": "BE, NL",
        "field_120": "b",
    }
    domestic = _export(content, cross_border="no").payload
    assert (domestic["field_113"], domestic["field_120"]) == ("b", "b") and "field_114" not in domestic
    # Not asked (a filing recorded before the form asked it): the old guess from the countries.
    unasked = _export(content)
    assert (unasked.payload["field_113"], unasked.payload["field_120"]) == ("a", "c")
    assert "field_120" not in unasked.filled


# --- Frozen at submission: the Art. 34 communication, the processor's contact, section 6 ------------

H = timedelta(hours=1)


@pytest.fixture
def letter(incident, officer, controller):
    """High risk decided an hour ago; one wave of letters planned for two days from now."""
    comms.record_assessment(
        incident,
        controller=controller,
        is_high_risk=True,
        reasoning="Health data and BSN.",
        decided_by_name="M. Jansen",
        decided_by_role="DPO",
        decided_at=timezone.now() - H,
        actor=officer,
        reason="Art. 34 assessment",
    )
    version = comms.create_content_version(
        incident,
        language="nl",
        title="Brief aan deelnemers",
        text="Uw gegevens zijn gestolen.",
        describes_nature=True,
        names_contact_point=True,
        describes_consequences=True,
        describes_measures=True,
        actor=officer,
        reason="text approved",
    )
    wave = comms.plan_wave(
        incident,
        controller=controller,
        cohort_label="all participants",
        channel="letter",
        content_version=version,
        planned_at=timezone.now() + 48 * H,
        planned_tz="Europe/Amsterdam",
        planned_count=100,
        actor=officer,
        reason="first wave",
    )
    return wave


def test_each_filing_freezes_the_art_34_communication_as_it_stood_at_its_submission(
    submit, controller, complete_register, letter, officer, incident, now
):
    initial = submit(controller, submitted_at=now - 30 * timedelta(minutes=1))
    comms.mark_wave_sent(letter, sent_at=now - 20 * timedelta(minutes=1), actor=officer, reason="posted")
    follow_up = submit(controller, filing_type="follow_up", submitted_at=now - 10 * timedelta(minutes=1))

    assert initial.content["schema"] == follow_up.content["schema"] == 5  # 4 and on hold the Art. 34 keys
    assert initial.content["communication.decision"] == "communicate"
    assert initial.content["communication.informed_at"] is None and initial.content["communication.waves_pending"] == 1
    before = edpb.export(initial).payload
    assert (before["field_97"], before["field_99"]) == ("b", "2025-08-22")  # the letters' planned day
    after = edpb.export(follow_up).payload
    assert (after["field_97"], after["field_98"], after["field_102"], after["field_104"]) == (
        "a",
        "2025-08-20",
        "a",
        "a",
    )
    assert after["field_106"] == "Brief aan deelnemers\n\nUw gegevens zijn gestolen."
    # The first filing still says what it said: its content is frozen, whatever was sent since.
    again = AuthorityFiling.objects.get(pk=initial.pk)
    assert edpb.export(again).payload == before
    # The processor's contact (its entry in the directory) and the lead authority, frozen too.
    assert {p["role"]: p["contact"] for p in follow_up.content["parties"]}["processor"] == "dpo@lab.example"
    assert follow_up.content["authorities.lead"] == {"name": "Autoriteit Persoonsgegevens", "country": "NL"}


def test_the_processors_contact_in_the_directory_reaches_field_41(
    submit, controller, complete_register, processor_and_controller, officer
):
    processor, _controller, _relationship = processor_and_controller
    org_services.update_party(
        processor.party, contact_name="Lab DPO", contact_email="dpo@lab.example", actor=officer, reason="contact"
    )
    filing = submit(controller)
    payload = edpb.export(filing).payload
    assert payload["field_41"].endswith("Lab DPO, dpo@lab.example") and payload["field_38"] == "a"


def test_the_integrity_and_availability_sub_types_are_frozen_from_the_register(
    submit, controller, complete_register, incident, officer
):
    services.update_incident(
        incident,
        is_integrity_breach=True,
        is_availability_breach=True,
        integrity_outcome="misused_irreversible",
        availability_outcome="temporary",
        actor=officer,
        reason="the results were altered and the shares down for a day",
    )
    filing = submit(controller)
    assert (filing.content["nature.integrity_outcome"], filing.content["nature.availability_outcome"]) == (
        "misused_irreversible",
        "temporary",
    )
    payload = edpb.export(filing).payload
    assert (payload["field_58"], payload["field_59"]) == ("c", "a")


def test_the_police_and_cross_border_answers_are_frozen_with_the_filing(submit, controller, complete_register):
    filing = submit(
        controller,
        police_report="yes",
        police_reported_on=date(2025, 7, 7),
        police_reference=" PL-7 ",
        cross_border="yes",
        establishment_countries="nl, be",
    )
    assert (filing.police_reference, filing.establishment_countries) == ("PL-7", "BE, NL")
    payload = edpb.export(filing).payload
    assert payload["field_111"] == "Reported to the police on 2025-07-07, report number PL-7."
    assert (payload["field_113"], payload["field_114"], payload["field_115"]) == (
        "a",
        "Autoriteit Persoonsgegevens (NL)",
        "BE, NL",
    )
    filing.police_reference = "changed"
    with pytest.raises(FrozenFilingError):
        filing.save()


# --- The filing form: bad answers are a 400 on their field, nothing written -------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"police_report": "maybe"}, "police_report", "Select a valid choice."),
        (
            {"police_report": "no", "police_reference": "PL-1"},
            "police_report",
            "A date or report number of a police report is given: answer yes, or leave them empty.",
        ),
        (
            {"police_report": "yes", "police_reported_on": "2025-08-21"},
            "police_reported_on",
            "The police report cannot be dated in the future.",
        ),
        ({"police_reported_on": "7 July"}, "police_reported_on", "Enter a valid date."),
        (
            {"cross_border": "yes", "establishment_countries": "NL, US, XX"},
            "establishment_countries",
            "Not the code of an EEA country: US, XX. Use two-letter codes such as NL, BE.",
        ),
        (
            {"cross_border": "no", "establishment_countries": "NL"},
            "establishment_countries",
            "Establishments are asked only for cross-border processing: answer yes, or leave them empty.",
        ),
    ],
    ids=["bad-answer", "no-but-reference", "future-report", "bad-date", "not-eea", "not-cross-border"],
)
def test_bad_template_answers_in_the_form_are_a_400_naming_the_field(
    client, officer, incident, controller, complete_register, lead_ap, overrides, field, message
):
    client.force_login(officer)
    _refused(client, incident, _form(controller, lead_ap, **overrides), field, message)


def test_the_form_records_the_template_answers(client, officer, incident, controller, complete_register, lead_ap):
    client.force_login(officer)
    page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert 'name="police_report"' in page and 'name="establishment_countries"' in page
    data = _form(
        controller,
        lead_ap,
        police_report="yes",
        police_reported_on="2025-07-07",
        police_reference="PL-9",
        cross_border="no",
    )
    assert client.post(file_url(incident), data).status_code == 302
    filing = AuthorityFiling.objects.get(incident=incident)
    assert (filing.police_report, filing.police_reported_on, filing.police_reference, filing.cross_border) == (
        "yes",
        date(2025, 7, 7),
        "PL-9",
        "no",
    )
    shown = client.get(reverse("filings:detail", args=[incident.pk, filing.pk])).content.decode()
    assert "Reported to the police or judicial authorities?</dt><dd>Yes, 7 Jul 2025 (PL-9)</dd>" in shown
    assert "Cross-border processing (Art. 56)?</dt><dd>No</dd>" in shown


def test_the_api_refuses_a_contradicting_police_answer_and_writes_nothing(world, officer, now):
    from tests.api.conftest import REASON

    client = session_client(officer)
    body = {
        "controller": world.controller.pk,
        "authority": world.authority.pk,
        "filing_type": "follow_up",
        "submitted_at": (now - timedelta(minutes=5)).isoformat(),
        "channel": "ap_form",
        "police_report": "no",
        "police_reported_on": "2025-07-07",
        "reason": REASON,
    }
    before = AuthorityFiling.objects.count()
    refused = client.post(f"/api/incidents/{world.incident.pk}/filings/", body, format="json")
    assert refused.status_code == 400 and "police_report" in refused.json()["fields"]
    assert AuthorityFiling.objects.count() == before
    accepted = client.post(
        f"/api/incidents/{world.incident.pk}/filings/", {**body, "police_report": "yes"}, format="json"
    )
    assert accepted.status_code == 201, accepted.content
    assert accepted.json()["police_reported_on"] == "2025-07-07"


# --- Property: any schema-4 content with any answers exports valid JSON ------------------------------

v4_keys = st.fixed_dictionaries(
    {
        "nature.integrity_outcome": st.sampled_from(["", *edpb.INTEGRITY]),
        "nature.availability_outcome": st.sampled_from(["", *edpb.AVAILABILITY]),
        "parties": st.lists(
            st.fixed_dictionaries(
                {
                    "name": st.text(max_size=20),
                    "role": st.sampled_from(PartyRole.values),
                    "contact": st.text(max_size=30),
                }
            )
        ),
        "authorities.lead": st.none() | st.fixed_dictionaries({"name": st.text(max_size=20), "country": st.just("NL")}),
        "communication.decision": st.sampled_from(["", "communicate", "public", "exempt", "no_high_risk"]),
        "communication.exemption": st.sampled_from(["", *edpb.EXEMPTION]),
        "communication.exemption_reasoning": st.text(max_size=30),
        "communication.informed_at": st.none() | instants,
        "communication.planned_at": st.none() | instants,
        "communication.channels": st.lists(st.sampled_from(WaveChannel.values), unique=True),
        "communication.waves_pending": st.integers(0, 5),
        "communication.bounced": st.integers(0, 10**6),
        "communication.content": st.text(max_size=40),
    }
)
v4_filings = st.builds(
    lambda filing, extra, police, on, number, cross, countries: SimpleNamespace(
        **{**vars(filing), "content": {**filing.content, **extra, "schema": 4}},
        police_report=police,
        police_reported_on=on,
        police_reference=number,
        cross_border=cross,
        establishment_countries=countries,
    ),
    filings,
    v4_keys,
    st.sampled_from(["", *TemplateAnswer.values]),
    st.none() | st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 1, 1)),
    st.text(max_size=20),
    st.sampled_from(["", *TemplateAnswer.values]),
    st.sampled_from(["", "NL", "BE, NL"]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(v4_filings)
def test_any_schema_4_content_exports_valid_edpb_json(filing):
    result = edpb.export(filing)
    assert edpb.validation_errors(result.payload) == []
    assert result.filled <= set(result.payload)
    gaps = {g.field for g in edpb.gaps(result)}
    assert gaps.isdisjoint(result.filled) and gaps | result.filled == set(edpb.FIELD_LABELS)
