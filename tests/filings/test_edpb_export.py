"""The EDPB export of a filing (readers.edpb): valid against the shipped schema, built from the
frozen content only, its completeness view, and where it is offered (page, API, share link)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from access.choices import ExportKind
from actions import incidents as services
from actions import sharing
from filings.choices import ReporterFunction
from filings.models import AuthorityFiling
from incidents.choices import (
    Cause,
    ConfidentialityOutcome,
    DataCategory,
    DataSubjectCategory,
    DiscoveryMethod,
    PartyRole,
    RiskLevel,
    Severity,
)
from organisations import services as org_services
from readers import edpb
from readers.exports import is_available
from tests.api.conftest import make_token, session_client, token_client, world  # noqa: F401 (fixtures)

# The file at commit 85e03a5 of its source repository (readers/schemas/README.md).
SHARED_SCHEMA_SHA256 = "bd45c5bd2e329c7079f8bfde38c6725e441a10adec5f0fc03057f7dc5d71c6f2"


def test_the_shipped_schema_is_the_credited_file_unchanged_and_every_field_has_a_label():
    assert hashlib.sha256(edpb.SCHEMA_FILE.read_bytes()).hexdigest() == SHARED_SCHEMA_SHA256
    credit = (edpb.SCHEMA_FILE.parent / "README.md").read_text()
    assert "Nicola Franchetto and Martim Taborda Barata" in credit and "creativecommons.org/licenses/by/4.0" in credit
    schema = edpb.template_schema()
    assert list(edpb.FIELD_LABELS) == list(schema["properties"])  # every field, in the template's order
    counts = {
        kind: sum(edpb.obligation(f) == kind for f in edpb.FIELD_LABELS)
        for kind in ("mandatory", "conditional", "optional")
    }
    assert (
        counts
        == {"mandatory": 42, "conditional": 46, "optional": 12}
        == {
            k2: schema["x-mandatory-breakdown"][k1]
            for k1, k2 in (("yes", "mandatory"), ("conditional", "conditional"), ("no", "optional"))
        }
    )


def test_every_field_label_has_a_dutch_translation():
    with translation.override("en"):
        english = {f: str(label) for f, label in edpb.FIELD_LABELS.items()}
    with translation.override("nl"):
        untranslated = [f for f, label in edpb.FIELD_LABELS.items() if str(label) == english[f]]
        obligations = [str(label) for label in edpb.OBLIGATION_LABELS.values()]
    assert not untranslated
    assert obligations == ["verplicht", "voorwaardelijk", "optioneel"]


# --- Property: whatever the frozen content holds, the export validates ---------------------------

instants = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)).map(
    lambda d: {"at": d.isoformat(), "tz": "Europe/Amsterdam"}
)
texts = st.text(max_size=40)
estimates = st.builds(
    lambda low, extra, approx, at_least: {
        "low": low,
        "high": None if extra is None else low + extra,
        "is_approximate": approx,
        "is_at_least": at_least,
        "display": str(low),
    },
    st.integers(0, 10**7),
    st.none() | st.integers(0, 10**6),
    st.booleans(),
    st.booleans(),
)
contents = st.fixed_dictionaries(
    {
        "schema": st.sampled_from([1, 2, 3]),
        "incident.reference": texts,
        "controller.name": texts,
        "nature.breach_types": st.lists(st.sampled_from(["confidentiality", "integrity", "availability"]), unique=True),
        "nature.cause": st.sampled_from(["", *Cause.values]),
        "nature.cause_detail": texts,
        "nature.discovery_method": st.sampled_from(["", *DiscoveryMethod.values]),
        "nature.discovery_detail": texts,
        "nature.description": texts,
        "nature.systems_involved": texts,
        "nature.confidentiality_outcome": st.sampled_from(["", *ConfidentialityOutcome.values]),
        "nature.data_categories": st.lists(st.sampled_from(DataCategory.values), unique=True),
        "nature.data_subject_categories": st.lists(st.sampled_from(DataSubjectCategory.values), unique=True),
        "nature.data_subject_countries": st.lists(st.sampled_from(["NL", "BE", "DE"]), unique=True),
        "nature.is_data_encrypted": st.none() | st.booleans(),
        "nature.is_key_compromised": st.none() | st.booleans(),
        "numbers.data_subjects": st.none() | estimates,
        "numbers.records": st.none() | estimates,
        "contact.source": st.sampled_from(["organisation", "controller"]),
        "contact.name": texts,
        "contact.email": texts,
        "contact.phone": texts,
        "consequences.likely": texts,
        "consequences.severity": st.sampled_from(["", *Severity.values]),
        "consequences.risk_level": st.sampled_from(["", *RiskLevel.values]),
        "consequences.risk_reasoning": texts,
        "measures.before": texts,
        "measures.containment": texts,
        "measures.mitigation": texts,
        "measures.planned": texts,
        "times.occurred_from": st.none() | instants,
        "times.occurred_until": st.none() | instants,
        "times.is_ongoing": st.booleans(),
        "times.controller_aware": st.none() | instants,
        "parties": st.lists(st.fixed_dictionaries({"name": texts, "role": st.sampled_from(PartyRole.values)})),
    },
    optional={
        "controller.registration_number": texts,
        "controller.sector": texts,
        "controller.ownership": st.sampled_from(["", "private", "public"]),
        "controller.size": st.sampled_from(["", "micro", "sme", "large", "other"]),
        "previous.authority_reference": texts,
    },
)
filings = st.builds(
    lambda content, kind, phased, by, delay, why, function, detail, contact: SimpleNamespace(
        content=content,
        filing_type=kind,
        is_phased=phased,
        submitted_by=by,
        delay_reasons=delay,
        withdrawal_reason=why,
        reporter_function=function,
        reporter_function_detail=detail,
        reporter_contact=contact,
    ),
    contents,
    st.sampled_from(["initial", "follow_up", "withdrawal"]),
    st.booleans(),
    texts,
    texts,
    texts,
    st.sampled_from(["", *ReporterFunction.values]),
    texts,
    texts,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(filings)
def test_any_frozen_content_exports_valid_edpb_json(filing):
    result = edpb.export(filing)
    assert edpb.validation_errors(result.payload) == []
    assert result.filled <= set(result.payload)  # a filled field is in the payload
    gaps = {g.field for g in edpb.gaps(result)}
    assert gaps.isdisjoint(result.filled) and gaps | result.filled == set(edpb.FIELD_LABELS)


@settings(max_examples=50, deadline=None)
@given(filings)
def test_an_old_content_without_the_new_keys_still_validates(filing):
    for key in list(filing.content):
        if key.startswith(
            ("controller.registration", "controller.sector", "previous.", "nature.systems", "nature.conf")
        ):
            del filing.content[key]
    assert edpb.validation_errors(edpb.export(filing).payload) == []


# --- The demo: the real case ----------------------------------------------------------------------


@pytest.fixture
def demo(db, settings):
    from ops.demo import load_demo

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    load_demo("a demo password for tests")


def test_every_filing_of_the_demo_exports_valid_json_and_its_completeness_is_right(demo):
    filings = list(AuthorityFiling.objects.order_by("submitted_at", "pk"))
    assert [f.filing_type for f in filings] == ["initial", "follow_up"]
    for filing in filings:
        assert edpb.validation_errors(edpb.export(filing).payload) == []
    follow_up = edpb.export(filings[1])
    payload = follow_up.payload
    # The programme's follow-up: the facts the register holds, in the template's options.
    assert payload["field_3"] == "b" and payload["field_4"] == "a"
    assert payload["field_6"] == filings[0].authority_reference  # the initial's report number, frozen
    assert payload["field_12"] == "Demo Screening Programme" and payload["field_21"] == filings[1].submitted_by
    assert payload["field_38"] == "a" and payload["field_40"] == "Demo Diagnostics Laboratory B.V."
    assert payload["field_48"] == filings[1].content["times.controller_aware"]["at"]
    assert (payload["field_50"], payload["field_55"], payload["field_60"], payload["field_61"]) == ("b", "a", "b", "d")
    assert (payload["field_65"], payload["field_70"], payload["field_87"], payload["field_89"]) == ("e", "k", "c", "a")
    assert (payload["field_67"], payload["field_68"]) == ("b", 850_000)
    gaps = {g.field: g.obligation for g in edpb.gaps(follow_up)}
    # The filer's function and contact, asked in the filing form.
    assert (payload["field_22"], payload["field_23"]) == ("privacy@programme.demo.example", "c")
    assert payload["field_24"] == "Privacy officer of the screening programme"
    assert payload["field_14"] == "b" and "field_15" not in payload  # a public body: no enterprise size
    # New in the register: the systems involved, what became of the data (published).
    assert payload["field_63"].startswith("The laboratory's file shares") and payload["field_56"] == "a"
    # Content schema 4: the processor's contact, the Art. 34 decision frozen at submission (high
    # risk decided on 8 August, letters not sent until September: "will be communicated", date
    # to be determined), the police report and "not cross-border" asked in the filing form.
    assert filings[1].content["schema"] == 5
    assert payload["field_41"] == "Demo Diagnostics Laboratory B.V.: Dr. A. Voorbeeld (DPO), dpo@demo.example"
    assert (payload["field_97"], payload["field_109"], payload["field_113"], payload["field_120"]) == (
        "b",
        "a",
        "b",
        "b",
    )
    assert payload["field_111"] == "Reported to the police on 2025-07-07, report number DEMO-2025-0707-01."
    # Content schema 5: the programme's own DPO is its contact point, so a DPO is designated; the
    # programme decided on no other regime and filed under none, so field 110 stays unknown; its
    # participants are all Dutch (not cross-border), so there is no per-country count (field 117).
    assert (payload["field_29"], payload["field_30"]) == ("Yes", "M. Steekproef (DPO)")
    assert filings[1].content["regimes.reports"] == [] and filings[1].content["regimes.decisions"] == []
    # Field by field, what the template leaves empty, and how binding it is.
    conditional = [5, 18, 25, 26, 34, 35, 36, 47, 49, 52, 53, 57, 58, 59, 79, 80, 81, 82, 83, 84]
    conditional += [98, 99, 100, 101, 102, 103, 104, 106, 114, 115, 116, 117, 118, 121, 122, 123, 126]
    expected = {f"field_{n}": "conditional" for n in conditional}
    expected |= {f"field_{n}": "optional" for n in (15, 16, 19, 45, 105, 110, 125)}
    expected |= {f"field_{n}": "mandatory" for n in (75, 76, 94, 95)}
    assert gaps == expected
    assert len(follow_up.filled) == 100 - len(expected) == 52  # of the template's 100 fields, on the real case
    # The initial filing (11 August) froze the same Art. 34 decision, and asked nothing of section 6.
    initial = edpb.export(filings[0])
    assert initial.payload["field_97"] == "b" and "field_109" not in initial.payload
    assert initial.payload["field_113"] == "c" and "field_113" not in initial.filled


# --- Frozen: the register changes, the export does not ---------------------------------------------


@pytest.fixture
def filed(submit, controller, complete_register):
    return submit(controller, submitted_at=datetime(2025, 8, 20, 11, 0, tzinfo=UTC))


def test_the_export_never_changes_after_the_register_changes(filed, incident, officer, lab, admin_actor, controller):
    before = json.dumps(edpb.document(filed), sort_keys=True)
    services.update_incident(
        incident,
        description="Rewritten later.",
        data_categories=["financial"],
        is_integrity_breach=True,
        cause="phishing",
        actor=officer,
        reason="new facts",
    )
    org_services.update_organisation(lab, dpo_name="Someone Else", actor=admin_actor, reason="new DPO")
    org_services.update_party(controller.party, contact_name="New desk", actor=officer, reason="moved")
    from actions import filings as filing_services

    filing_services.add_authority_reference(filed, authority_reference="AP-9", actor=officer, reason="number came")
    again = AuthorityFiling.objects.get(pk=filed.pk)
    assert json.dumps(edpb.document(again), sort_keys=True) == before
    assert edpb.export(again).payload["field_62"].startswith("Criminal group copied")


def test_completeness_lists_the_right_fields_for_a_registered_case(filed):
    result = edpb.export(filed)
    assert edpb.validation_errors(result.payload) == []
    gaps = {g.field for g in edpb.gaps(result)}
    # Filled from the register: what happened, the data, the counts, the contact of the controller.
    assert {"field_12", "field_21", "field_34", "field_36", "field_55", "field_62", "field_70", "field_73"}.isdisjoint(
        gaps
    )
    assert result.payload["field_33"] == "c" and result.payload["field_34"] == "M. Jansen (privacy desk)"
    # Not recorded in this register: cause, discovery, severity, risk level, measures before.
    assert {"field_50", "field_51", "field_60", "field_61", "field_76", "field_87", "field_89", "field_90"} <= gaps
    assert result.payload["field_60"] == "x" and result.payload["field_87"] == "d"  # the template's "to be determined"


# --- Where it is offered: the page, the API, the share link ----------------------------------------


@pytest.mark.parametrize(
    ("language", "heading", "label", "mandatory"),
    [
        ("en", "EDPB notification template", "Systems, software, services and infrastructure involved", "mandatory"),
        ("nl", "EDPB-meldformulier", "Betrokken systemen, software, diensten en infrastructuur", "verplicht"),
    ],
)
def test_the_filing_page_offers_the_download_and_lists_the_gaps(
    client, officer, filed, language, heading, label, mandatory
):
    client.force_login(officer)
    client.cookies["django_language"] = language
    body = client.get(reverse("filings:detail", args=[filed.incident_id, filed.pk]), HTTP_ACCEPT_LANGUAGE=language)
    text = body.content.decode()
    assert heading in text and label in text and f"<td>{mandatory}</td>" in text
    assert reverse("filings:edpb_json", args=[filed.incident_id, filed.pk]) in text
    download = client.get(reverse("filings:edpb_json", args=[filed.incident_id, filed.pk]))
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    assert edpb.validation_errors(download.json()["notification"]) == []


def test_another_organisations_filing_export_is_a_404(client, outsider, filed):
    client.force_login(outsider)
    assert client.get(reverse("filings:edpb_json", args=[filed.incident_id, filed.pk])).status_code == 404


def test_the_api_serves_the_export_to_readers_and_404s_outside(filed, viewer, outsider, lab, officer, make_token):
    path = f"/api/incidents/{filed.incident_id}/filings/{filed.pk}/edpb/"
    for client in (session_client(viewer), token_client(make_token(officer, lab, "viewer").secret)):
        response = client.get(path, HTTP_ACCEPT_LANGUAGE="nl")
        assert response.status_code == 200
        body = response.json()
        assert body["filing"] == filed.pk and edpb.validation_errors(body["notification"]) == []
        gap = next(g for g in body["not_filled"] if g["field"] == "field_63")
        assert gap == {"field": "field_63", "obligation": "mandatory", "label": gap["label"]} and gap[
            "label"
        ].startswith("Betrokken")
    assert session_client(outsider).get(path).status_code == 404
    assert session_client(officer).post(path, {}, format="json").status_code == 405
    every = session_client(viewer).get(f"/api/incidents/{filed.incident_id}/exports/edpb-json/")
    assert every.status_code == 200 and [f["filing"] for f in every.json()["filings"]] == [filed.pk]
    assert session_client(outsider).get(f"/api/incidents/{filed.incident_id}/exports/edpb-json/").status_code == 404
    schema = session_client(viewer).get("/api/schema/", {"format": "json"}).json()
    assert "/api/incidents/{incident_pk}/filings/{id}/edpb/" in schema["paths"]
    assert "/api/incidents/{id}/exports/edpb-json/" in schema["paths"]


def test_a_share_link_serves_every_filing_in_the_edpb_template(client, filed, incident, officer, now):
    assert is_available(ExportKind.EDPB_JSON)
    link = sharing.create_share_link(
        incident,
        export_kind=ExportKind.EDPB_JSON,
        recipient="Autoriteit Persoonsgegevens, case handler",
        expires_at=now + timedelta(days=14),
        expires_tz="Europe/Amsterdam",
        actor=officer,
        reason="the AP asked for the EDPB form",
    )
    response = client.get(reverse("access:share", args=[link.token]))
    assert response.status_code == 200
    body = response.json()
    assert [f["filing"] for f in body["filings"]] == [filed.pk]
    assert edpb.validation_errors(body["filings"][0]["notification"]) == []


# --- The register, extended where the template's facts belong ---------------------------------------


def test_the_filer_and_the_new_incident_facts_reach_the_export_through_the_api(world, officer, now):
    from tests.api.conftest import REASON

    client = session_client(officer)
    incident_url = f"/api/incidents/{world.incident.pk}/"
    read = client.get(incident_url)
    changed = client.patch(
        incident_url,
        {
            "systems_involved": "LIMS at the laboratory, Rotterdam",
            "confidentiality_outcome": "likely_disclosed",
            "reason": REASON,
        },
        format="json",
        HTTP_IF_MATCH=read["ETag"],
    )
    assert changed.status_code == 200, changed.content
    body = {
        "controller": world.controller.pk,
        "authority": world.authority.pk,
        "filing_type": "follow_up",
        "submitted_at": (now - timedelta(minutes=5)).isoformat(),
        "channel": "ap_form",
        "reporter_function": "legal_representative",
        "reporter_contact": "legal@lab.example",
        "reason": REASON,
    }
    refused = client.post(
        f"/api/incidents/{world.incident.pk}/filings/", {**body, "reporter_function": "boss"}, format="json"
    )
    assert refused.status_code == 400 and "reporter_function" in refused.json()["fields"]
    assert AuthorityFiling.objects.count() == 1  # nothing written
    response = client.post(f"/api/incidents/{world.incident.pk}/filings/", body, format="json")
    assert response.status_code == 201, response.content
    filing = AuthorityFiling.objects.get(pk=response.json()["id"])
    assert response.json()["reporter_function"] == "legal_representative"
    payload = edpb.export(filing).payload
    assert (payload["field_22"], payload["field_23"]) == ("legal@lab.example", "b")
    assert payload["field_63"] == "LIMS at the laboratory, Rotterdam"
    if "confidentiality" in filing.content["nature.breach_types"]:
        assert payload["field_56"] == "b"
    assert edpb.validation_errors(payload) == []
    assert filing.content["schema"] >= 4  # 4 and on hold these keys


def test_an_old_filing_exports_what_it_has_and_says_what_is_missing(filed):
    """A content frozen under schema 2 lacks the keys added in 3: still valid, those fields listed."""
    old = dict(filed.content)
    for key in (
        "controller.registration_number",
        "controller.sector",
        "previous.authority_reference",
        "nature.systems_involved",
        "nature.confidentiality_outcome",
    ):
        old.pop(key, None)
    old["schema"] = 2
    filing = SimpleNamespace(
        **{
            name: getattr(filed, name)
            for name in (
                "filing_type",
                "is_phased",
                "submitted_by",
                "delay_reasons",
                "withdrawal_reason",
                "reporter_function",
                "reporter_function_detail",
                "reporter_contact",
            )
        },
        content=old,
    )
    result = edpb.export(filing)
    assert edpb.validation_errors(result.payload) == []
    gaps = {g.field for g in edpb.gaps(result)}
    assert {"field_11", "field_63"} <= gaps
