"""The deadlines calendar: one event per active deadline, parsed back with icalendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from icalendar import Calendar

from actions import incidents as services
from evidence.chain import export_stamp
from incidents.models import Incident
from notifications.models import Deadline
from ops.demo import LAB, load_demo
from organisations.models import Membership, Role
from readers.ics import uid_of


def fetch(client, user, incident):
    client.force_login(user)
    response = client.get(reverse("access:deadlines_ics", args=[incident.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(response.content)


def events(calendar) -> dict:
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


@pytest.fixture
def aware(incident, processor_and_controller, officer):
    processor, _controller, _relationship = processor_and_controller
    services.record_awareness(
        incident,
        party=processor,
        aware_at=datetime(2025, 8, 19, 9, 0, tzinfo=UTC),
        source="threat_actor",
        actor=officer,
        reason="leak site",
    )
    return processor


def test_each_active_deadline_is_an_event_due_in_utc_with_an_alarm(client, viewer, incident, aware):
    calendar = fetch(client, viewer, incident)
    rows = list(Deadline.objects.filter(incident=incident, is_active=True))
    assert rows
    found = events(calendar)
    assert set(found) == {uid_of(row) for row in rows}
    for row in rows:
        event = found[uid_of(row)]
        assert event.decoded("dtstart") == row.due_at
        assert event.decoded("dtstart").utcoffset() == timedelta(0)
        assert incident.reference in str(event["summary"]) and row.get_kind_display() in str(event["summary"])
        assert ("Legal deadline" if row.is_legal_deadline else "Target, not a legal deadline") in str(
            event["description"]
        )
        alarms = event.walk("VALARM")
        assert len(alarms) == 1 and alarms[0].decoded("trigger") < timedelta(0)
    assert str(calendar["x-wr-calname"]) == f"{incident.reference} deadlines"


def test_a_processor_notice_made_a_month_over_its_target_is_met_late_not_met(
    client, viewer, officer, incident, processor_and_controller, now
):
    processor, _controller, relationship = processor_and_controller
    services.record_awareness(
        incident,
        party=processor,
        aware_at=datetime(2025, 7, 6, 8, 0, tzinfo=UTC),
        source="threat_actor",
        actor=officer,
        reason="leak-site listing",
    )
    services.record_processor_notice(  # 31 days after the lab knew: 30 days over its 24-hour target
        relationship,
        informed_at=datetime(2025, 8, 6, 12, 0, tzinfo=UTC),
        channel="email",
        informed_by="CEO",
        actor=officer,
        reason="the lab told the programme",
    )
    row = Deadline.objects.get(incident=incident, kind="processor_notice")
    event = events(fetch(client, viewer, incident))[uid_of(row)]

    summary, description = str(event["summary"]), str(event["description"])
    assert summary.startswith("[met late] ") and not summary.startswith("[met] ")
    assert "Met late at 2025-08-06 12:00 UTC: 30 d 4 h over." in description
    assert not event.walk("VALARM")


def test_the_72_hours_event_gives_the_1182_71_outer_bound_and_a_target_does_not(
    client, viewer, officer, incident, processor_and_controller, aware
):
    _processor, controller, _relationship = processor_and_controller
    services.record_awareness(
        incident,
        party=controller,
        aware_at=datetime(2025, 8, 19, 9, 30, tzinfo=UTC),
        source="processor_notice",
        actor=officer,
        reason="processor phoned",
    )
    found = events(fetch(client, viewer, incident))
    authority = Deadline.objects.get(incident=incident, kind="authority_notification")
    notice = Deadline.objects.get(incident=incident, kind="processor_notice")

    assert found[uid_of(authority)].decoded("dtstart") == datetime(2025, 8, 22, 9, 30, tzinfo=UTC)
    assert "Outer bound (Reg. 1182/71, information): 2025-08-22 10:00 UTC" in str(
        found[uid_of(authority)]["description"]
    )
    assert "1182/71" not in str(found[uid_of(notice)]["description"])


def test_the_calendar_carries_the_chain_head_it_was_made_at(client, viewer, incident, aware):
    calendar = fetch(client, viewer, incident)
    stamp = export_stamp(incident.organisation)
    assert (str(calendar["x-breachtrack-chain-seq"]), str(calendar["x-breachtrack-chain-sha256"])) == (
        str(stamp["seq"]),
        stamp["sha256"],
    )


def test_the_calendar_costs_the_same_queries_whatever_the_number_of_deadlines(
    client, viewer, officer, incident, aware, django_assert_max_num_queries
):
    client.force_login(viewer)
    url = reverse("access:deadlines_ics", args=[incident.pk])
    # session, user, incident, the log INSERT, the deadlines (policies as subqueries), the chain head.
    with django_assert_max_num_queries(6) as captured:
        assert client.get(url).status_code == 200
    services.record_awareness(
        incident,
        party=aware.incident.parties.exclude(pk=aware.pk).get(),
        aware_at=datetime(2025, 8, 19, 10, 0, tzinfo=UTC),
        source="threat_actor",
        actor=officer,
        reason="the controller saw the listing too",
    )
    assert Deadline.objects.filter(incident=incident).count() > 1
    with django_assert_max_num_queries(len(captured)):
        assert client.get(url).status_code == 200


def viewer_officer(incident):
    return Membership.objects.filter(organisation=incident.organisation, role=Role.PRIVACY_OFFICER).first().user


@pytest.fixture
def demo(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    load_demo("a demo password for tests")
    return Incident.objects.get(organisation__name=LAB, title__startswith="Ransomware attack")


def test_the_demo_labs_calendar_holds_its_clocks_and_marks_the_met_ones(client, demo):
    found = events(fetch(client, viewer_officer(demo), demo))
    rows = list(Deadline.objects.filter(incident=demo, is_active=True))
    assert set(found) == {uid_of(row) for row in rows}
    assert {"authority_notification", "processor_notice"} <= {row.kind for row in rows}
    for row in rows:
        event = found[uid_of(row)]
        assert event.decoded("dtstart") == row.due_at
        assert str(event["categories"].cats[0]) == row.kind
        if row.met_at and row.met_at <= row.due_at:
            assert str(event["summary"]).startswith("[met] ") and not event.walk("VALARM")
            assert "Met at" in str(event["description"])
        elif row.met_at:  # e.g. the lab's notice to the programme, a month over its target
            assert str(event["summary"]).startswith("[met late] ") and not event.walk("VALARM")
            assert "Met late at" in str(event["description"])
        else:
            assert event.walk("VALARM")
    assert any(row.met_at for row in rows) and any(not row.met_at for row in rows)


def test_each_gdpr_clocks_basis_reads_as_the_rules_in_english():
    """readers.ics.RULE_BASES translates rules.clocks' sentences: the same words in English."""
    from django.utils import translation

    from readers.ics import RULE_BASES
    from rules.clocks import DEFAULT_RULES

    with translation.override("en"):
        assert {kind: str(text) for kind, text in RULE_BASES.items()} == {
            kind: rule.legal_basis for kind, rule in DEFAULT_RULES.items()
        }
    with translation.override("nl"):  # and each has its Dutch (the countdown's too)
        assert all(str(text).startswith(("AVG art. 3", "Geen wettelijke termijn")) for text in RULE_BASES.values())


def test_the_demo_labs_calendar_in_dutch_gives_each_basis_in_dutch(client, demo):
    """The Dutch calendar's descriptions began with the rules' English ("GDPR Art. 33(2): processor
    informs the controller ..."); each line is in Dutch now."""
    client.cookies["django_language"] = "nl"
    found = events(fetch(client, viewer_officer(demo), demo))
    descriptions = [str(event["description"]) for event in found.values()]
    kinds = {row.kind for row in Deadline.objects.filter(incident=demo, is_active=True)}
    assert {"authority_notification", "processor_notice"} <= kinds
    assert descriptions and not any("GDPR" in text or "deadline" in text for text in descriptions)
    assert any(text.startswith("AVG art. 33 lid 1: meld") for text in descriptions)
    assert any(text.startswith("AVG art. 33 lid 2: de verwerker") for text in descriptions)
