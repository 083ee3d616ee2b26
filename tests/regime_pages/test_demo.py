"""The demo's laboratory incident under the GDPR and NIS2, with both sets of clocks; and the facts
the section reads are the derivation's (the page's suggestion and the clocks cannot disagree)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.urls import reverse

from incidents.models import Incident
from notifications.models import Deadline
from ops.demo import LAB, load_demo
from readers import regime_facts
from readers.regimes import regimes_section
from rules.obligations import applicability_facts

PASSWORD = "demo password for the regime tests"


def test_the_lab_incident_runs_gdpr_and_nis2_clocks(client, db, dutch_ap, time_machine):
    time_machine.move_to(datetime(2026, 1, 10, 12, 0, tzinfo=UTC), tick=False)
    load_demo(PASSWORD)
    incident = Incident.objects.get(organisation__name=LAB, title__startswith="Ransomware attack")
    kinds = set(Deadline.objects.filter(incident=incident, is_active=True).values_list("kind", flat=True))
    assert {"processor_notice", "regime_report"} <= kinds
    regime_rows = {
        row.report: row for row in Deadline.objects.filter(incident=incident, kind="regime_report", is_active=True)
    }
    assert regime_rows["early_warning"].met_at is not None and regime_rows["notification"].met_at is not None
    assert regime_rows["final"].met_at is None  # due a month after the notification: overdue in the demo
    section = regimes_section(incident, now=datetime(2026, 1, 10, 12, 0, tzinfo=UTC))
    nis2 = next(row for row in section.rows if row.code == "nis2")
    assert nis2.is_suggested and nis2.is_confirmed
    states = {report.code: report.state for report in nis2.reports}
    assert (states["early_warning"], states["notification"], states["final"]) == ("met", "met", "overdue")
    assert states["final_after_handling"] == "not_required"  # the incident is not "ongoing"
    client.login(username="officer@demo.example", password=PASSWORD)
    body = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert "NIS2 · Final report" in body


def test_the_sections_facts_are_the_derivations(nis2_confirmed):
    incident = Incident.objects.select_related("organisation").get(pk=nis2_confirmed.pk)
    assert regime_facts.load(incident).facts == applicability_facts(incident)
