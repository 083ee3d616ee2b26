"""The figures of a regime other than the GDPR: per report, on time and late among the filed, not
filed (overdue or with time left), the lag from the clock's start to the first filing; from the
report clocks the derivation wrote and the filings recorded through the actions, at a frozen now."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import Deadline
from readers.metrics import Filters, metrics
from readers.metrics_regimes import counted, reading, regime_choices
from readers.metrics_report import bucket_label, sections

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)


def titles(queryset):
    return sorted(queryset.values_list("title", flat=True))


@pytest.fixture
def cases(lab, officer, other_org, outsider, nis2_case, file_report, now):
    """Four incidents of the lab and one of another organisation, seen at ``now``."""
    aware = now - 100 * H
    # Handled, and not ongoing when its final report fell due: the "final report after handling" is
    # owed only for an incident still ongoing (its condition), so it has no clock here.
    filed = nis2_case(lab, officer, aware_at=aware, title="filed", handled_at=now - 5 * H)
    file_report(filed, officer, "early_warning", aware + 24 * H)  # exactly at its 24 hours: on time
    file_report(filed, officer, "notification", aware + 80 * H)  # 8 hours after its 72: late
    nis2_case(lab, officer, aware_at=aware, title="silent")  # both overdue
    # Both with time left; still ongoing and handled an hour ago: its final report after handling is owed.
    nis2_case(lab, officer, aware_at=now - 2 * H, title="fresh", handled_at=now - H, ongoing=True)
    nis2_case(lab, officer, aware_at=aware, title="rejected", applies=False)  # NIS2 does not apply: no clock
    theirs = nis2_case(other_org, outsider, aware_at=aware, title="elsewhere")
    file_report(theirs, outsider, "early_warning", aware + 30 * H)
    return {"filed": filed, "aware": aware}


def test_each_report_counts_on_time_late_and_not_filed_from_the_frozen_facts(lab, cases, now):
    reports = {r.code: r for r in reading(Filters(lab.pk, regime="nis2"), now=now).reports}

    assert reports["early_warning"].counts == {"on_time": 1, "late": 0, "overdue": 1, "pending": 1}
    assert reports["notification"].counts == {"on_time": 0, "late": 1, "overdue": 1, "pending": 1}
    # The final report runs a month from the notification's submission: only the filed incident has it.
    assert reports["final"].counts == {"on_time": 0, "late": 0, "overdue": 0, "pending": 1}
    assert reports["early_warning"].share_on_time == 1.0
    assert reports["notification"].share_on_time == 0.0
    assert reports["final"].share_on_time is None
    # Awareness → report: 24 h and 80 h, each the only case, so median, p90 and worst are the same.
    early, late = reports["early_warning"].lag, reports["notification"].lag
    assert (early.count, early.median, early.p90, early.worst.duration) == (1, 24 * H, 24 * H, 24 * H)
    assert (late.median, late.worst.incident_id, late.worst.title) == (80 * H, cases["filed"].pk, "filed")
    assert reports["final"].lag.count == 0 and reports["final"].lag.worst is None
    # The report whose condition does not hold ("filed" is not ongoing) counts nowhere; "fresh" is owed it.
    assert reports["final_after_handling"].counts == {"on_time": 0, "late": 0, "overdue": 0, "pending": 1}
    # The incident whose officer rejected NIS2 has no clock: 3 incidents per report, never 4.
    assert sum(reports["early_warning"].counts.values()) == 3


def test_the_drill_down_lists_the_incidents_a_report_figure_counts(lab, cases, now):
    filters = Filters(lab.pk, regime="nis2")
    assert titles(counted(filters, "report_late:notification", now=now)) == ["filed"]
    assert titles(counted(filters, "report_on_time:early_warning", now=now)) == ["filed"]
    assert titles(counted(filters, "report_overdue:early_warning", now=now)) == ["silent"]
    assert titles(counted(filters, "report_pending:early_warning", now=now)) == ["fresh"]
    assert titles(counted(filters, "report_filed:early_warning", now=now)) == ["filed"]
    assert bucket_label("report_late:notification", "nis2") == "NIS2 · Incident notification: filed late"


def test_another_organisations_reports_are_never_counted(other_org, lab, cases, now):
    theirs = {r.code: r for r in reading(Filters(other_org.pk, regime="nis2"), now=now).reports}
    assert theirs["early_warning"].counts == {"on_time": 0, "late": 1, "overdue": 0, "pending": 0}
    assert theirs["early_warning"].lag.worst.title == "elsewhere"
    filters = Filters(lab.pk, regime="nis2")
    assert "elsewhere" not in titles(counted(filters, "report_late:early_warning", now=now))


def test_the_period_selects_report_clocks_by_their_start(lab, cases, now):
    since = Filters(lab.pk, period_from=now - 10 * H, regime="nis2")
    reports = {r.code: r for r in reading(since, now=now).reports}
    assert reports["early_warning"].counts == {"on_time": 0, "late": 0, "overdue": 0, "pending": 1}


def test_the_gdpr_reading_is_the_register_s_own_whatever_the_regime_rows(lab, cases, now):
    assert reading(Filters(lab.pk), now=now).counts == metrics(Filters(lab.pk), now=now).counts
    assert Deadline.objects.filter(kind="regime_report", incident__organisation=lab).exists()


def test_the_select_lists_the_gdpr_and_the_regimes_in_the_organisations_data(lab, cases):
    assert regime_choices([lab.pk]) == [("gdpr", "GDPR"), ("nis2", "NIS2")]
    assert regime_choices([lab.pk], "dora") == [
        ("gdpr", "GDPR"),
        ("dora", "DORA major ICT-related incidents"),
        ("nis2", "NIS2"),
    ]


def test_the_words_are_dutch_for_a_dutch_reader(lab, cases, now):
    from django.utils import translation

    with translation.override("nl"):
        assert regime_choices([lab.pk])[0] == ("gdpr", "AVG")
        titles_nl = [s.title for s in sections(reading(Filters(lab.pk, regime="nis2"), now=now), str, str)]
    assert titles_nl[0].startswith("NIS2 · Vroegtijdige waarschuwing")


def test_a_regime_reading_costs_three_queries_whatever_the_number_of_incidents(
    lab, officer, cases, nis2_case, file_report, now
):
    def cost():
        with CaptureQueriesContext(connection) as captured:
            reading(Filters(lab.pk, regime="nis2"), now=now)
        return len(captured)

    before = cost()
    for n in range(3):
        extra = nis2_case(lab, officer, aware_at=now - 50 * H, title=f"more {n}")
        file_report(extra, officer, "early_warning", now - 40 * H)
    assert cost() == before == 3


# --- The API, the page and the CSV ---------------------------------------------------------------


def api_figure(body, key):
    return next(f for section in body["sections"] for f in section["figures"] if f["key"] == key)


def test_the_api_reads_a_regimes_reports_with_links_filtered_by_that_regime(officer, lab, cases, now):
    from tests.api.conftest import session_client

    body = session_client(officer).get("/api/metrics/", {"regime": "nis2"}).json()

    assert body["regime"] == "nis2"
    assert [s["key"] for s in body["sections"]][:2] == ["report_early_warning", "report_notification"]
    assert api_figure(body, "early_warning_on_time")["number"] == 1
    assert api_figure(body, "notification_late")["number"] == 1
    assert api_figure(body, "early_warning_share_on_time")["number"] == 1.0
    worst = api_figure(body, "notification_lag_worst")
    assert worst["number"] == 80.0 and "filed" in worst["summary"]
    assert worst["incidents_url"] == f"/api/incidents/{cases['filed'].pk}/"
    late = api_figure(body, "notification_late")["incidents_url"]
    assert "regime=nis2" in late and "bucket=report_late%3Anotification" in late


def test_the_api_refuses_an_unknown_regime_precisely(officer, lab):
    from tests.api.conftest import session_client

    response = session_client(officer).get("/api/metrics/", {"regime": "nis3"})
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "regime": ["Unknown regime “nis3”: use a code of the regimes' catalogue, such as gdpr or nis2."]
    }
    assert session_client(officer).get("/api/metrics/", {"regime": ""}).status_code == 400


def test_the_api_never_counts_another_organisations_reports(outsider, other_org, cases):
    from tests.api.conftest import session_client

    body = session_client(outsider).get("/api/metrics/", {"regime": "nis2"}).json()
    assert body["organisation"] == other_org.pk
    assert api_figure(body, "early_warning_late")["number"] == 1
    assert api_figure(body, "early_warning_on_time")["number"] == 0
    assert api_figure(body, "notification_late")["number"] == 0


def test_the_page_offers_the_regimes_and_shows_the_chosen_ones_reports(client, officer, cases):
    from django.urls import reverse

    client.force_login(officer)
    gdpr = client.get(reverse("metrics:page")).content.decode()
    assert '<option value="nis2">NIS2</option>' in gdpr and '<option value="gdpr" selected>GDPR</option>' in gdpr
    assert "Notifications to the authority (Art. 33(1))" in gdpr

    page = client.get(reverse("metrics:page"), {"regime": "nis2"}).content.decode()
    assert '<option value="nis2" selected>NIS2</option>' in page
    assert "NIS2 · Early warning (to CSIRT or competent authority)" in page and "Art. 33(1)" not in page
    assert "bucket=report_late%3Anotification" in page
    drill = client.get(reverse("metrics:incidents"), {"regime": "nis2", "bucket": "report_late:notification"})
    assert drill.status_code == 200 and "NIS2 · Incident notification: filed late" in drill.content.decode()
    # A GDPR figure is not a figure of NIS2's reading, nor the other way round.
    assert client.get(reverse("metrics:incidents"), {"regime": "nis2", "bucket": "art33_late"}).status_code == 400
    assert client.get(reverse("metrics:incidents"), {"bucket": "report_late:notification"}).status_code == 400


def test_the_page_refuses_an_unknown_regime_naming_it(client, officer):
    from django.urls import reverse

    client.force_login(officer)
    response = client.get(reverse("metrics:page"), {"regime": "nis3"})
    assert response.status_code == 400
    assert "Regime: Unknown regime “nis3”: choose one from the list." in response.content.decode()


def test_the_csv_carries_the_chosen_regimes_figures(client, officer, cases):
    import csv
    import io

    from django.urls import reverse

    client.force_login(officer)
    response = client.get(reverse("metrics:csv"), {"regime": "nis2"}, HTTP_ACCEPT_LANGUAGE="en")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    by_key = {row[-1]: row for row in rows[1:]}
    assert by_key["early_warning_on_time"][:5] == [
        "NIS2 · Early warning (to CSIRT or competent authority)",
        "filed on time",
        "1",
        "1",
        "incidents",
    ]
    assert by_key["notification_lag_median"][3] == "80.0"
    assert "art33_late" not in by_key
