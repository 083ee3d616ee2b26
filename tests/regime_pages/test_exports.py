"""Regime obligations in every export and every place deadlines appear, with their titles.

The iCalendar file, the timeline's JSON (its ``deadlines`` and the regulator's summary), CSV and
PDF, and the dashboard: a ``regime_report`` row reads "NIS2 · Early warning", never a field name;
the dashboard's query count does not grow as regimes are added.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pypdf
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions import regimes as regime_services
from tests.regime_pages.conftest import REASON

H = timedelta(hours=1)


def test_the_calendar_names_the_regime_report(client, officer, nis2_confirmed):
    client.force_login(officer)
    response = client.get(reverse("access:deadlines_ics", args=[nis2_confirmed.pk]))
    assert response.status_code == 200
    text = response.content.decode().replace("\r\n ", "")  # unfold
    assert "NIS2 · Early warning" in text and "NIS2 · Incident notification" in text
    assert "NIS2 Art. 23(4)(a)" in text  # the report's legal basis, not the GDPR's


def test_the_timeline_json_lists_the_regime_rows_and_the_summary_the_decision(client, lawyer, nis2_confirmed):
    client.force_login(lawyer)
    data = client.get(reverse("evidence:timeline_json", args=[nis2_confirmed.pk])).json()
    rows = [row for row in data["deadlines"] if row["kind"] == "regime_report"]
    assert {row["kind_label"] for row in rows} == {"NIS2 · Early warning", "NIS2 · Incident notification"}
    assert {(row["regime"], row["recipient"], row["rule_version"]) for row in rows} == {("nis2", "csirt", "2024-10-18")}
    gdpr = [row for row in data["deadlines"] if row["kind"] == "authority_notification"]
    assert gdpr and "regime" not in gdpr[0]
    regimes = data["summary"]["regimes"]
    assert [row["regime"] for row in regimes] == ["nis2"] and regimes[0]["applies"] is True
    assert {r["report"]: r["state"] for r in regimes[0]["reports"]}["final"] == "waiting"
    assert any(block["heading"].startswith("Regime: NIS2") for block in data["summary"]["text"])


def test_the_csv_and_the_pdf_carry_the_regime_block(client, lawyer, nis2_confirmed):
    client.force_login(lawyer)
    csv_text = client.get(reverse("evidence:timeline_csv", args=[nis2_confirmed.pk])).content.decode("utf-8-sig")
    assert "Regime: NIS2" in csv_text and "Early warning (to CSIRT or competent authority)" in csv_text
    response = client.get(reverse("evidence:timeline_pdf", args=[nis2_confirmed.pk]))
    pdf = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.content)).pages)
    assert "REGIME" in pdf.upper() and "Early warning" in pdf


def test_the_dashboard_shows_the_regime_clock_and_its_queries_stay_constant(client, officer, lab, nis2_confirmed):
    client.force_login(officer)
    client.get(reverse("dashboard:home"))  # warm caches
    with CaptureQueriesContext(connection) as one:
        body = client.get(reverse("dashboard:home")).content.decode()
    assert "NIS2 · Early warning" in body
    regime_services.set_organisation_profile(
        lab, entity_tags=["nis2_essential", "trust_service_provider"], established="NL", actor=officer, reason=REASON
    )
    regime_services.decide_regime(
        nis2_confirmed, regime="nis2_trust", applies=True, reasoning="also a TSP", actor=officer, reason=REASON
    )
    with CaptureQueriesContext(connection) as two:
        body = client.get(reverse("dashboard:home")).content.decode()
    assert "NIS2, trust-service providers · Incident notification (trust services)" in body
    assert len(two) == len(one) <= 10
