"""The incident page's "Regimes" section: the suggestion, the decision, the reports and their forms.

Roles on the server (officers write; legal and viewers read, a 403 on any POST), tenancy (another
organisation's incident is a 404), bad input (a 400 with the message, nothing written), English
and Dutch, and a constant number of queries as regimes are added.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from actions import regimes as regime_services
from filings.models import RegimeReportFiling
from incidents.models import AffectedPlace, IncidentAnchor, IncidentDetermination, RegimeDecision
from tests.regime_pages.conftest import REASON

H = timedelta(hours=1)


def page(client, incident, **params):
    response = client.get(reverse("incidents:detail", args=[incident.pk]), params)
    assert response.status_code == 200
    return response.content.decode()


def post(client, name, incident, data):
    return client.post(reverse(f"incidents:{name}", args=[incident.pk]), data)


def decision_data(regime="nis2", applies="yes", reasoning="Essential entity, significant incident."):
    return {"decision-regime": regime, "decision-applies": applies, "decision-reasoning": reasoning}


def test_the_page_shows_the_suggestion_with_its_reasons_before_any_decision(client, officer, nis2_incident):
    client.force_login(officer)
    body = page(client, nis2_incident)
    assert 'id="regimes"' in body
    assert "NIS2" in body and "suggested, not decided" in body
    assert "Suggested because:" in body
    assert "significant" in body  # the engine's reason names the determination
    assert 'data-report="nis2:early_warning"' not in body  # no clocks before a decision


def test_an_officer_confirms_nis2_and_its_reports_appear_with_their_clocks(client, officer, nis2_incident, now):
    client.force_login(officer)
    response = post(client, "regime_decide", nis2_incident, decision_data())
    assert response.status_code == 302 and response["Location"].endswith("#regimes")
    decision = RegimeDecision.objects.get(incident=nis2_incident)
    assert decision.applies and decision.reasoning == "Essential entity, significant incident."
    body = page(client, nis2_incident)
    assert "confirmed: applies" in body
    assert 'data-report="nis2:early_warning" data-state="under_6h"' in body  # 24 h from 20 h ago
    assert 'data-report="nis2:notification" data-state="on_track"' in body
    assert 'data-report="nis2:final" data-state="waiting"' in body
    assert "waiting for the submission of “Incident notification”" in body
    assert "2024-10-18" in body  # the rule version
    # The early warning is a deadline row like any other: in the header's clocks, with its titles.
    assert "NIS2 · Early warning" in body


def test_a_filing_meets_the_early_warning_and_starts_the_final_reports_clock(client, officer, nis2_confirmed, now):
    client.force_login(officer)
    local = (now - 2 * H).astimezone(translation_zone()).strftime("%Y-%m-%dT%H:%M")
    response = post(
        client,
        "regime_file",
        nis2_confirmed,
        {
            "regime_filing-report": "nis2:early_warning",
            "regime_filing-submitted_at_0": local,
            "regime_filing-submitted_at_1": "Europe/Amsterdam",
            "regime_filing-reference": "CSIRT-1",
            "regime_filing-reason": "submitted through the portal",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    filing = RegimeReportFiling.objects.get(incident=nis2_confirmed)
    assert (filing.report, filing.recipient, filing.submitted_at) == ("early_warning", "csirt", now - 2 * H)
    body = page(client, nis2_confirmed)
    assert 'data-report="nis2:early_warning" data-state="met"' in body
    assert "CSIRT-1" in body


def translation_zone():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Europe/Amsterdam")


@pytest.mark.parametrize(
    ("name", "data", "field"),
    [
        ("regime_decide", decision_data(reasoning=""), "Why it applies, or does not"),
        ("regime_decide", decision_data(regime="no-such-regime"), "Select a valid choice"),
        (
            "regime_anchor",
            {
                "anchor-kind": "detection",
                "anchor-occurred_at_0": "2025-03-30T02:30",  # skipped when the clocks went forward
                "anchor-occurred_at_1": "Europe/Amsterdam",
                "anchor-reason": "SOC ticket",
            },
            "does not exist in Europe/Amsterdam",
        ),
        (
            "regime_place",
            {
                "place-place": "XX-99",
                "place-count": "10",
                "place-as_of_0": "2025-08-19T10:00",
                "place-as_of_1": "Europe/Amsterdam",
                "place-reason": "count",
            },
            "not a country or subdivision code",
        ),
        (
            "regime_file",
            {
                "regime_filing-report": "nis2:early_warning",  # NIS2 is not confirmed yet
                "regime_filing-submitted_at_0": "2025-08-20T10:00",
                "regime_filing-submitted_at_1": "Europe/Amsterdam",
                "regime_filing-reason": "portal",
            },
            "Choose a report of a confirmed regime",
        ),
    ],
)
def test_bad_input_is_a_400_with_a_precise_message_and_writes_nothing(
    client, officer, nis2_incident, name, data, field
):
    client.force_login(officer)
    counts = _counts(nis2_incident)
    response = post(client, name, nis2_incident, data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Nothing was recorded" in body and field in body, body[body.find("form-errors") :][:1500]
    assert _counts(nis2_incident) == counts


def test_a_filing_in_the_future_is_refused_on_its_field(client, officer, nis2_confirmed, now):
    client.force_login(officer)
    response = post(
        client,
        "regime_file",
        nis2_confirmed,
        {
            "regime_filing-report": "nis2:early_warning",
            "regime_filing-submitted_at_0": "2025-08-25T10:00",
            "regime_filing-submitted_at_1": "Europe/Amsterdam",
            "regime_filing-reason": "portal",
        },
    )
    assert response.status_code == 400
    assert "future" in response.content.decode()
    assert not RegimeReportFiling.objects.exists()


def _counts(incident):
    return (
        RegimeDecision.objects.filter(incident=incident).count(),
        IncidentAnchor.objects.filter(incident=incident).count(),
        AffectedPlace.objects.filter(incident=incident).count(),
        IncidentDetermination.objects.filter(incident=incident).count(),
        RegimeReportFiling.objects.filter(incident=incident).count(),
    )


@pytest.mark.parametrize("persona", ["lawyer", "viewer"])
def test_legal_and_viewers_read_the_section_but_every_post_is_a_403(client, request, nis2_confirmed, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    body = page(client, nis2_confirmed)
    assert 'data-report="nis2:early_warning"' in body
    assert "decision-form" not in body and "regime_filing-form" not in body
    counts = _counts(nis2_confirmed)
    for name in ("regime_decide", "regime_anchor", "regime_determination", "regime_place", "regime_file"):
        assert post(client, name, nis2_confirmed, decision_data(applies="no")).status_code == 403, name
    assert _counts(nis2_confirmed) == counts


def test_another_organisations_incident_is_a_404_for_every_route(client, outsider, nis2_confirmed):
    client.force_login(outsider)
    assert client.get(reverse("incidents:regimes", args=[nis2_confirmed.pk])).status_code == 404
    for name in ("regime_decide", "regime_anchor", "regime_determination", "regime_place", "regime_file"):
        assert post(client, name, nis2_confirmed, decision_data(applies="no")).status_code == 404, name
    assert RegimeDecision.objects.filter(incident=nis2_confirmed).count() == 1


def test_anchors_determinations_and_places_are_recorded_through_the_forms(client, officer, nis2_incident):
    client.force_login(officer)
    anchor = {
        "anchor-kind": "detection",
        "anchor-occurred_at_0": "2025-08-19T09:00",
        "anchor-occurred_at_1": "Europe/Amsterdam",
        "anchor-asserted_by": "SOC lead",
        "anchor-reason": "SOC ticket 42",
    }
    assert post(client, "regime_anchor", nis2_incident, anchor).status_code == 302
    anchor["anchor-occurred_at_0"] = "2025-08-19T08:30"  # a second one of a kind revises it
    assert post(client, "regime_anchor", nis2_incident, anchor).status_code == 302
    recorded = IncidentAnchor.objects.get(incident=nis2_incident)
    assert recorded.occurred_at.isoformat() == "2025-08-19T06:30:00+00:00"
    assert recorded.history.count() == 2
    determination = {
        "determination-name": "major",
        "determination-value": "no",
        "determination-reason": "not a financial entity",
    }
    assert post(client, "regime_determination", nis2_incident, determination).status_code == 302
    assert IncidentDetermination.objects.get(incident=nis2_incident, name="major").value is False
    place = {
        "place-place": "us-ca",
        "place-count": "600",
        "place-as_of_0": "2025-08-19T10:00",
        "place-as_of_1": "Europe/Amsterdam",
        "place-reason": "mailing list",
    }
    assert post(client, "regime_place", nis2_incident, place).status_code == 302
    assert AffectedPlace.objects.get(incident=nis2_incident).place == "US-CA"
    body = page(client, nis2_incident)
    assert "US-CA: 600" in body and "Detection of the incident" in body


def test_the_section_speaks_dutch(client, officer, nis2_confirmed):
    client.force_login(officer)
    with translation.override("nl"):
        response = client.get(reverse("incidents:detail", args=[nis2_confirmed.pk]), HTTP_ACCEPT_LANGUAGE="nl")
    body = response.content.decode()
    assert "Vroegtijdige waarschuwing" in body
    assert "Meldplichtregelingen" in body


@pytest.mark.parametrize(
    ("language", "cited", "other"),
    [
        ("en", "Source: Directive (EU) 2022/2555 (NIS2) art. 23(1), 23(3), 23(4).", "Richtlijn (EU) 2022/2555"),
        ("nl", "Bron: Richtlijn (EU) 2022/2555 (NIS2) art. 23(1), 23(3), 23(4).", "Directive (EU) 2022/2555"),
    ],
)
def test_the_regimes_page_cites_the_law_in_the_readers_language(
    client, officer, nis2_confirmed, language, cited, other
):
    client.force_login(officer)
    with translation.override(language):
        url = reverse("incidents:regimes", args=[nis2_confirmed.pk])
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    body = response.content.decode()
    assert cited in body
    assert other not in body


def test_the_regimes_page_and_the_settings_page_render(client, officer, lab, nis2_confirmed):
    client.force_login(officer)
    assert client.get(reverse("incidents:regimes", args=[nis2_confirmed.pk])).status_code == 200
    response = client.get(reverse("incidents:regime_settings", args=[lab.pk]))
    assert response.status_code == 200
    assert "Essential entity" in response.content.decode()


def test_an_officer_sets_the_entity_types_and_others_may_only_read(client, officer, lawyer, outsider, lab):
    url = reverse("incidents:regime_settings", args=[lab.pk])
    data = {"entity_tags": ["financial_entity", "controller"], "country": "BE", "reason": "new profile"}
    client.force_login(lawyer)
    assert client.get(url).status_code == 200
    assert client.post(url, data).status_code == 403
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(officer)
    assert client.post(url, {**data, "reason": ""}).status_code == 400
    assert client.post(url, data).status_code == 302
    lab.refresh_from_db()
    assert (sorted(lab.entity_tags), str(lab.country)) == (["controller", "financial_entity"], "BE")


def test_the_incident_page_costs_the_same_queries_with_one_or_three_regimes(client, officer, lab, nis2_confirmed):
    client.force_login(officer)
    page(client, nis2_confirmed)  # warm caches (the catalogue, content types)
    with CaptureQueriesContext(connection) as one:
        page(client, nis2_confirmed)
    regime_services.set_organisation_profile(
        lab,
        entity_tags=["nis2_essential", "financial_entity", "trust_service_provider"],
        established="NL",
        actor=officer,
        reason=REASON,
    )
    regime_services.set_determination(nis2_confirmed, name="major", value=True, actor=officer, reason=REASON)
    for regime in ("dora", "nis2_trust"):
        regime_services.decide_regime(
            nis2_confirmed, regime=regime, applies=True, reasoning="test", actor=officer, reason=REASON
        )
    with CaptureQueriesContext(connection) as three:
        body = page(client, nis2_confirmed)
    assert "regime-confirmed" in body and body.count('class="regime regime-') >= 3
    assert len(three) == len(one), [q["sql"][:120] for q in three.captured_queries]
