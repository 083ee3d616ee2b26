"""``/api/incidents/{id}/regimes/``: the section as data, and its writes with the page's validation."""

from __future__ import annotations

from django.core.management import call_command

from filings.models import RegimeReportFiling
from incidents.models import AffectedPlace, IncidentAnchor, IncidentDetermination, RegimeDecision
from tests.api.conftest import session_client

REASON = "ticket SEC-4711"


def url(incident, what: str = "") -> str:
    return f"/api/incidents/{incident.pk}/regimes/" + (f"{what}/" if what else "")


def test_get_lists_the_suggestion_the_decision_and_each_report_with_its_state(viewer, nis2_confirmed):
    response = session_client(viewer).get(url(nis2_confirmed))
    assert response.status_code == 200
    data = response.json()
    nis2 = next(row for row in data["regimes"] if row["regime"] == "nis2")
    assert nis2["is_suggested"] is True and nis2["decision"]["applies"] is True
    assert nis2["rule_version"] == "2024-10-18"
    reports = {report["report"]: report for report in nis2["reports"]}
    assert reports["early_warning"]["title"] == "Early warning"
    assert reports["early_warning"]["state"] == "under_6h"
    assert reports["early_warning"]["due_at"] == "2025-08-20T16:00:00Z"
    assert reports["final"]["state"] == "waiting" and reports["final"]["due_at"] is None
    assert data["facts"]["entity_tags"] == ["nis2_essential"] and data["facts"]["established"] == "NL"
    assert [d["name"] for d in data["facts"]["determinations"]] == ["significant"]


def test_the_source_is_the_citation_in_the_requests_language_like_the_titles(viewer, nis2_confirmed):
    client = session_client(viewer)
    english = next(row for row in client.get(url(nis2_confirmed)).json()["regimes"] if row["regime"] == "nis2")
    assert english["source"] == "Directive (EU) 2022/2555 (NIS2) art. 23(1), 23(3), 23(4)"  # as before
    response = client.get(url(nis2_confirmed), HTTP_ACCEPT_LANGUAGE="nl")
    dutch = next(row for row in response.json()["regimes"] if row["regime"] == "nis2")
    assert dutch["source"] == "Richtlijn (EU) 2022/2555 (NIS2) art. 23(1), 23(3), 23(4)"
    assert dutch["reports"][0]["title"] == "Vroegtijdige waarschuwing"


def test_an_officer_posts_each_fact_and_the_filing_meets_the_clock(officer, nis2_confirmed):
    client = session_client(officer)
    created = client.post(
        url(nis2_confirmed, "anchors"),
        {
            "kind": "detection",
            "occurred_at": "2025-08-19T09:00:00+02:00",
            "occurred_tz": "Europe/Amsterdam",
            "reason": REASON,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["occurred_at"] == "2025-08-19T07:00:00Z"
    assert (
        client.post(
            url(nis2_confirmed, "determinations"), {"name": "ongoing", "value": True, "reason": REASON}, format="json"
        ).status_code
        == 201
    )
    places = client.post(
        url(nis2_confirmed, "places"),
        {"counts": {"NL": 850000, "BE": 1200}, "as_of": "2025-08-19T10:00:00Z", "reason": REASON},
        format="json",
    )
    assert places.status_code == 201 and len(places.json()["places"]) == 2
    filing = client.post(
        url(nis2_confirmed, "filings"),
        {
            "regime": "nis2",
            "report": "early_warning",
            "submitted_at": "2025-08-20T10:00:00Z",
            "reference": "CS-1",
            "reason": REASON,
        },
        format="json",
    )
    assert filing.status_code == 201, filing.json()
    assert filing.json()["recipient"] == "csirt" and filing.json()["rule_version"] == "2024-10-18"
    data = client.get(url(nis2_confirmed)).json()
    reports = {r["report"]: r for r in next(row for row in data["regimes"] if row["regime"] == "nis2")["reports"]}
    assert reports["early_warning"]["state"] == "met"
    assert reports["early_warning"]["filings"][0]["reference"] == "CS-1"


def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(officer, nis2_incident):
    client = session_client(officer)
    cases = [
        ("decisions", {"regime": "nis2", "applies": True, "reasoning": "", "reason": REASON}, "reasoning"),
        ("decisions", {"regime": "atlantis", "applies": True, "reasoning": "x", "reason": REASON}, "regime"),
        ("decisions", {"regime": "nis2", "applies": "yes", "reasoning": "x", "reason": REASON}, "applies"),
        ("anchors", {"kind": "detection", "occurred_at": "2025-08-19T09:00:00", "reason": REASON}, "occurred_at"),
        ("anchors", {"kind": "coffee", "occurred_at": "2025-08-19T09:00:00Z", "reason": REASON}, "kind"),
        ("places", {"counts": {"XX-99": 3}, "as_of": "2025-08-19T10:00:00Z", "reason": REASON}, "place"),
        ("places", {"counts": {"NL": -1}, "as_of": "2025-08-19T10:00:00Z", "reason": REASON}, "counts"),
        (
            "filings",
            {"regime": "nis2", "report": "early_warning", "submitted_at": "2025-08-20T10:00:00Z", "reason": REASON},
            "regime",
        ),
        ("determinations", {"name": "significant", "value": True, "reason": REASON, "extra": 1}, "extra"),
    ]
    before = _counts()
    for what, body, field in cases:
        response = client.post(url(nis2_incident, what), body, format="json")
        assert response.status_code == 400, (what, body, response.json())
        assert field in str(response.json()), (what, response.json())
    assert _counts() == before


def _counts():
    return tuple(
        model.objects.count()
        for model in (RegimeDecision, IncidentAnchor, IncidentDetermination, AffectedPlace, RegimeReportFiling)
    )


def test_roles_and_tenancy(lawyer, viewer, outsider, nis2_incident):
    body = {"regime": "nis2", "applies": True, "reasoning": "x", "reason": REASON}
    for user in (lawyer, viewer):
        client = session_client(user)
        assert client.get(url(nis2_incident)).status_code == 200
        assert client.post(url(nis2_incident, "decisions"), body, format="json").status_code == 403
    outside = session_client(outsider)
    assert outside.get(url(nis2_incident)).status_code == 404
    assert outside.post(url(nis2_incident, "decisions"), body, format="json").status_code == 404
    assert not RegimeDecision.objects.exists()


def test_the_schema_documents_the_regimes_routes(tmp_path, db):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    for path in (
        "regimes/",
        "regimes/decisions/",
        "regimes/anchors/",
        "regimes/determinations/",
        "regimes/places/",
        "regimes/filings/",
    ):
        assert f"  /api/incidents/{{incident_pk}}/{path}:" in text, path
