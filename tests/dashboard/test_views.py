"""The dashboard page: a person's open incidents, most urgent first, each clock with its state."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from actions import communications as communication_services
from actions import incidents as services
from actions.sweep import database_now
from notifications.models import SweepHeartbeat
from organisations import services as org_services
from organisations.models import Role
from tests.dashboard.conftest import file_initial, set_countdown

H = timedelta(hours=1)


def page(client, **params):
    response = client.get(reverse("dashboard:home"), params)
    assert response.status_code == 200, response.content.decode()[:2000]
    return response.content.decode()


def titles(body: str) -> list[str]:
    """The incident titles in the order the page lists them."""
    return re.findall(r'<span class="reference">[^<]*</span><span class="title">([^<]*)</span></a>', body)


def clock_rows(body: str) -> list[dict]:
    return [
        {"kind": kind, "state": state}
        for kind, state in re.findall(r'<tr data-clock data-kind="([^"]+)" data-state="([^"]+)"', body)
    ]


def test_logging_in_lands_on_the_dashboard(client, officer):
    response = client.post(
        reverse("accounts:login") + "?next=/",
        {"username": officer.username, "password": "correct horse battery staple"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:home")


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("dashboard:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_incidents_are_listed_by_their_nearest_pending_deadline(client, officer, make_incident, now):
    make_incident(title="Calm", aware_ago=10 * H)  # 62 h left
    make_incident(title="No clock yet", aware_ago=None)
    make_incident(title="Tight", aware_ago=70 * H)  # 2 h left
    make_incident(title="Late", aware_ago=80 * H)  # overdue by 8 h
    make_incident(title="Busy day", aware_ago=50 * H)  # 22 h left
    client.force_login(officer)

    body = page(client)

    assert titles(body) == ["Late", "Tight", "Busy day", "Calm", "No clock yet"]
    assert [row["state"] for row in clock_rows(body)] == ["overdue", "under_6h", "under_24h", "on_track"]
    assert "overdue by 08:00:00" in body
    assert "02:00:00 left" in body
    assert "2 d 14:00:00 left" in body
    assert "5 open incidents" in body


def test_each_clock_carries_its_due_moment_for_the_countdown(client, officer, make_incident, now):
    make_incident(title="Tight", aware_ago=70 * H)
    client.force_login(officer)
    body = page(client)
    due = (now + 2 * H).isoformat()
    assert f'data-due="{due}"' in body
    assert f'data-server-now="{now.isoformat()}"' in body
    assert 'role="timer"' in body
    assert "dashboard/countdown.js" in body


def test_a_met_clock_and_a_clock_met_late_say_so_and_stop_counting(client, officer, make_incident, dutch_ap, now):
    on_time = make_incident(title="Filed in time", aware_ago=30 * H)
    late = make_incident(title="Filed late", aware_ago=100 * H)
    file_initial(on_time, officer, dutch_ap, submitted_at=now - H)
    file_initial(late, officer, dutch_ap, submitted_at=now - H, delay_reasons="The numbers came late.")
    client.force_login(officer)

    body = page(client)

    states = {row["kind"]: [] for row in clock_rows(body)}
    for row in clock_rows(body):
        states[row["kind"]].append(row["state"])
    assert sorted(states["authority_notification"]) == ["met", "met_late"]
    assert "met 1 d 3 h late" in body  # due at now - 28 h, filed at now - 1 h
    met_rows = re.findall(r'<tr data-clock data-kind="authority_notification" data-state="met[^"]*"[^>]*>', body)
    assert met_rows and not any("data-due" in row for row in met_rows)  # nothing left to count down


def test_the_threat_actors_countdown_is_shown_apart_from_the_legal_clocks(client, officer, make_incident, now):
    incident = make_incident(title="Ransomware", aware_ago=10 * H)
    set_countdown(incident, officer, announced_at=now - 24 * H, deadline_at=now + 5 * H, actor_name="Kraken Collective")
    passed = make_incident(title="Old threat", aware_ago=10 * H)
    set_countdown(passed, officer, announced_at=now - 24 * H, deadline_at=now + H, actor_name="Night Spider")
    client.force_login(officer)

    body = page(client)

    assert "Threat actor's countdown (operational, not a legal deadline)" in body
    assert "Kraken Collective" in body
    rows = [row for row in clock_rows(body) if row["kind"] == "extortion_countdown"]
    assert [row["state"] for row in rows] == ["under_6h", "under_6h"]
    # The incident whose countdown runs out first leads, though its legal clock is the same.
    assert titles(body)[:2] == ["Old threat", "Ransomware"]


def test_a_passed_threat_deadline_is_not_called_overdue(client, officer, make_incident, now, time_machine):
    incident = make_incident(title="Ransomware", aware_ago=2 * H)
    set_countdown(incident, officer, announced_at=now - 24 * H, deadline_at=now + H)
    time_machine.move_to(now + 3 * H, tick=False)
    client.force_login(officer)

    body = page(client)

    assert "deadline passed" in body
    assert "02:00:00 ago" in body


def test_another_organisations_incidents_never_appear(client, outsider, make_incident):
    make_incident(title="Lab secret", aware_ago=2 * H)
    client.force_login(outsider)
    body = page(client)
    assert "Lab secret" not in body
    assert "No open incidents" in body


def test_a_person_in_two_organisations_sees_both_and_can_pick_one(
    client, officer, other_org, admin_actor, make_incident
):
    org_services.add_member(other_org, officer, role=Role.VIEWER, actor=admin_actor, reason="also advises the hospital")
    make_incident(title="At the lab", aware_ago=2 * H)
    make_incident(
        title="At the hospital", aware_ago=3 * H, organisation=other_org, actor=_officer_of(other_org, admin_actor)
    )
    client.force_login(officer)

    body = page(client)
    assert titles(body) == ["At the hospital", "At the lab"]
    assert 'name="organisation"' in body
    assert "Elsewhere Hospital" in body

    assert titles(page(client, organisation=other_org.pk)) == ["At the hospital"]
    assert client.get(reverse("dashboard:home"), {"organisation": "x"}).status_code == 400


def _officer_of(organisation, admin_actor):
    user = org_services.create_user(
        username="officer@hospital.example",
        email="officer@hospital.example",
        password=None,
        actor=admin_actor,
        reason="test persona",
    )
    org_services.add_member(organisation, user, role=Role.PRIVACY_OFFICER, actor=admin_actor, reason="test persona")
    return user


def test_a_person_in_one_organisation_gets_no_organisation_filter(client, officer, make_incident):
    make_incident(title="At the lab")
    client.force_login(officer)
    assert 'name="organisation"' not in page(client)


def test_an_organisation_one_is_not_a_member_of_is_refused_as_a_filter(client, officer, other_org, admin_actor, lab):
    org_services.add_member(other_org, officer, role=Role.VIEWER, actor=admin_actor, reason="two organisations")
    stranger = org_services.create_organisation(name="Stranger B.V.", country="NL", actor=admin_actor, reason="test")
    client.force_login(officer)
    response = client.get(reverse("dashboard:home"), {"organisation": stranger.pk})
    assert response.status_code == 400
    assert "Organisation" in response.content.decode()
    assert "Select a valid choice" in response.content.decode()


def test_filters_by_status_and_risk(client, officer, make_incident, now):
    high = make_incident(title="High and open", risk_level="high")
    contained = make_incident(title="Contained", risk_level="risk", contained_at=now - 2 * H)
    services.change_status(contained, "contained", actor=officer, reason="systems isolated")
    make_incident(title="Unassessed")
    client.force_login(officer)

    assert titles(page(client, status="contained")) == ["Contained"]
    assert titles(page(client, risk="high")) == [high.title]
    assert titles(page(client, risk="unassessed")) == ["Unassessed"]
    assert titles(page(client, status="open", risk="risk")) == []
    assert "No open incident matches these filters." in page(client, status="open", risk="risk")


@pytest.mark.parametrize(
    ("field", "value", "label"),
    [
        ("status", "closed", "Status"),
        ("risk", "catastrophic", "Risk"),
    ],
)
def test_an_unknown_filter_value_is_a_400_that_names_the_field(client, officer, make_incident, field, value, label):
    make_incident(title="Hidden while the filter is wrong")
    client.force_login(officer)
    response = client.get(reverse("dashboard:home"), {field: value})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'role="alert"' in body
    assert f"<li>{label}: Select a valid choice. {value} is not one of the available choices.</li>" in body
    assert "Hidden while the filter is wrong" not in body  # never a wider list instead


def test_times_are_shown_in_the_readers_zone(client, officer, make_incident, admin_actor, now):
    make_incident(title="Tight", aware_ago=70 * H)  # due now + 2 h = 16:00 in Amsterdam, 15:00 in London
    client.force_login(officer)
    assert "Wed 20 Aug 2025, 16:00 CEST" in page(client)

    org_services.update_user(officer, time_zone="Europe/London", actor=admin_actor, reason="moved to the London office")
    body = page(client)
    assert "Wed 20 Aug 2025, 15:00 BST" in body
    assert "Times in Europe/London." in body


def test_the_sweep_health_banner_stays(client, officer, now):
    client.force_login(officer)
    assert "sweep-banner" in page(client)  # no sweep has ever run
    SweepHeartbeat.objects.create(pk=1, last_sweep_at=database_now())  # PostgreSQL's clock is not frozen
    assert "sweep-banner" not in page(client)


def test_the_register_list_is_still_reachable(client, officer, make_incident):
    make_incident(title="In the register")
    client.force_login(officer)
    body = client.get(reverse("incidents:list")).content.decode()
    assert "In the register" in body
    assert reverse("incidents:list") == "/incidents/"


def test_the_dashboard_speaks_dutch_with_dutch_dates_and_numbers(client, officer, make_incident, now):
    from django.utils import formats, translation

    make_incident(title="Krap", aware_ago=70 * H)
    make_incident(title="Te laat", aware_ago=80 * H)
    client.force_login(officer)
    client.cookies["django_language"] = "nl"

    body = page(client)

    assert '<html lang="nl">' in body
    assert "<h1>Overzicht</h1>" in body
    assert "2 open incidenten, de dichtstbijzijnde termijn eerst." in body
    assert "nog 02:00:00" in body and "08:00:00 over tijd" in body
    assert "minder dan 6 u" in body and "termijn verstreken" in body
    assert '<label for="id_risk">Risico</label>' in body
    # The dates in the page's own words: weekday and month as the Dutch locale writes them.
    with translation.override("nl"):
        from zoneinfo import ZoneInfo

        due = formats.date_format((now + 2 * H).astimezone(ZoneInfo("Europe/Amsterdam")), "D j b Y, H:i")
    assert due.startswith("wo 20 aug") and f"{due} CEST" in body
    # The phrases the countdown script uses are Dutch too.
    assert '"left": "nog {time}"' in body


def test_large_counts_are_written_the_dutch_way(rf, officer):
    from django.template import Context, Template
    from django.utils import translation

    template = Template(
        '{% load i18n %}{% blocktranslate count counter=total with n=total|floatformat:"g" %}{{ n }} open incident, the nearest deadline first.{% plural %}{{ n }} open incidents, the nearest deadline first.{% endblocktranslate %}'
    )
    with translation.override("nl"):
        assert (
            template.render(Context({"total": 10000})) == "10.000 open incidenten, de dichtstbijzijnde termijn eerst."
        )
    with translation.override("en"):
        assert template.render(Context({"total": 10000})) == "10,000 open incidents, the nearest deadline first."


def _assess(incident, officer, now, *, is_high_risk: bool):
    controller = incident.parties.get(party__is_self=True)
    return communication_services.record_assessment(
        incident,
        controller=controller,
        is_high_risk=is_high_risk,
        reasoning="Health data of screening participants.",
        decided_by_name="J. de Vries",
        decided_by_role="DPO",
        decided_at=now - H,
        actor=officer,
        reason="Art. 34 assessment",
    )


def risk_badges(body: str) -> dict[str, str]:
    cards = re.findall(
        r'<span class="title">([^<]*)</span>.*?<span class="badge-risk ([^"]+)">([^<]*)</span>', body, re.S
    )
    return {title: (css, label) for title, css, label in cards}


def test_a_recorded_high_risk_art_34_assessment_is_the_badge_and_the_filter(client, officer, make_incident, now):
    """No "Risk not assessed" beside a recorded high-risk Art. 34 assessment."""
    assessed = make_incident(title="Assessed under Art. 34")
    _assess(assessed, officer, now, is_high_risk=True)
    low = make_incident(title="No high risk found")
    _assess(low, officer, now, is_high_risk=False)
    make_incident(title="Unassessed")
    client.force_login(officer)

    badges = risk_badges(page(client))
    assert badges["Assessed under Art. 34"] == ("risk-high", "High risk")
    assert badges["No high risk found"] == ("risk-no_high_risk", "No high risk (Art. 34)")
    assert badges["Unassessed"] == ("risk-unassessed", "Risk not assessed")
    assert titles(page(client, risk="high")) == ["Assessed under Art. 34"]
    assert titles(page(client, risk="unassessed")) == ["Unassessed"]


def test_only_the_current_assessment_of_a_controller_counts(client, officer, make_incident, now):
    revised = make_incident(title="Revised", risk_level="risk")
    _assess(revised, officer, now, is_high_risk=True)
    _assess(revised, officer, now, is_high_risk=False)  # supersedes the first
    client.force_login(officer)
    assert risk_badges(page(client))["Revised"] == ("risk-risk", "Risk")
    assert titles(page(client, risk="high")) == []
    assert titles(page(client, risk="risk")) == ["Revised"]
