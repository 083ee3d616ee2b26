"""The legal-review pages: the timeline's filters, paging and exports panel, the as-of
picker in the reader's zone (DST gaps refused, repeated times asked about) and the readable diff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions import incidents as services
from actions import notes as note_services
from organisations import services as org_services

AWARE = datetime(2025, 8, 18, 9, 0, tzinfo=UTC)
SECRET = "Counsel's view on the filing delay"


@pytest.fixture
def history(incident, processor_and_controller, officer, lawyer, now, time_machine):
    """Awareness and 485,000 at ``now``; 715,000 an hour later; legal's privileged note."""
    _processor, controller, _relationship = processor_and_controller
    services.record_awareness(
        incident, party=controller, aware_at=AWARE, source="processor_notice", actor=officer, reason="programme told us"
    )
    services.record_estimate(
        incident,
        measure="data_subjects",
        low=485_000,
        known_at=now - timedelta(days=9),
        source="first figure",
        actor=officer,
        reason="first figure",
    )
    time_machine.move_to(now + timedelta(hours=1), tick=False)
    services.record_estimate(
        incident,
        measure="data_subjects",
        low=715_000,
        known_at=now,
        source="forensics",
        actor=officer,
        reason="count revised after forensic report",
    )
    note_services.add_note(incident, body=SECRET, is_legally_privileged=True, actor=lawyer, reason="advice")
    time_machine.move_to(now + timedelta(hours=2), tick=False)


def timeline(client, user, incident, **params):
    client.force_login(user)
    return client.get(reverse("evidence:timeline", args=[incident.pk]), params)


def kinds(response) -> list[str]:
    return [entry.kind for entry in response.context["entries"]]


# --- Filters --------------------------------------------------------------------------------------


def test_the_kind_filter_keeps_only_that_kind(client, lawyer, incident, history):
    response = timeline(client, lawyer, incident, kind="estimate")

    assert response.status_code == 200
    assert kinds(response) == ["estimate", "estimate"]
    assert "485,000" in response.content.decode() and "programme told us" not in response.content.decode()


def test_the_actor_filter_keeps_what_that_person_recorded(client, lawyer, incident, history):
    response = timeline(client, lawyer, incident, actor=lawyer.get_username())

    entries = response.context["entries"]
    assert [(e.kind, e.actor) for e in entries] == [("note", lawyer.get_username())]
    assert SECRET in entries[0].summary


def test_the_party_filter_keeps_entries_naming_the_party(client, lawyer, incident, history, processor_and_controller):
    _processor, controller, _relationship = processor_and_controller

    response = timeline(client, lawyer, incident, party=controller.pk)

    entries = response.context["entries"]
    assert entries and all("National Screening Programme" in e.summary for e in entries)
    assert "awareness" in kinds(response) and "occurred" not in kinds(response)


def test_the_text_filter_searches_summary_reason_and_changed_values(client, lawyer, incident, history):
    response = timeline(client, lawyer, incident, q="FORENSIC report")

    assert response.context["entries"] and all("forensic report" in e.reason for e in response.context["entries"])


def test_the_date_range_is_read_as_local_days_of_the_reader(client, lawyer, incident, history):
    # The breach started 2025-07-03 22:00 UTC = 4 July 00:00 in Amsterdam: a 4 July entry, not 3 July.
    on_the_4th = timeline(client, lawyer, incident, since="2025-07-04", until="2025-07-04")
    on_the_3rd = timeline(client, lawyer, incident, since="2025-07-03", until="2025-07-03")

    assert kinds(on_the_4th) == ["occurred"]
    assert kinds(on_the_3rd) == []
    assert "No entry matches these filters." in on_the_3rd.content.decode()


def test_a_filter_value_not_on_offer_is_a_400_naming_the_field(client, lawyer, incident, history):
    response = timeline(client, lawyer, incident, kind="everything", until="2025-13-01")

    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"kind", "until"}
    assert response.context["entries"] == []


def test_an_end_date_before_the_start_date_is_refused(client, lawyer, incident, history):
    response = timeline(client, lawyer, incident, since="2025-08-20", until="2025-08-01")

    assert response.status_code == 400
    assert "The end date lies before the start date." in response.content.decode()


def test_filters_are_kept_in_the_page_links_and_the_exports_panel_lists_all_four(
    client, lawyer, incident, officer, now
):
    for k in range(110):
        services.update_incident(incident, title=f"Ransomware, wording {k}", actor=officer, reason="wording")

    response = timeline(client, lawyer, incident, kind="change", q="title")
    body = response.content.decode()

    assert response.context["page"].paginator.count == 110 and len(response.context["entries"]) == 100
    assert "?kind=change&amp;q=title&amp;page=2" in body
    second = timeline(client, lawyer, incident, kind="change", q="title", page=2)
    assert len(second.context["entries"]) == 10
    for name in ("evidence:timeline_pdf", "evidence:timeline_csv", "evidence:timeline_json", "access:deadlines_ics"):
        assert f'href="{reverse(name, args=[incident.pk])}"' in body
    assert "the exports do not filter" in body


# --- Privilege, roles, scoping ------------------------------------------------------------------


def test_legal_finds_the_privileged_note_by_text_and_a_viewer_does_not(client, lawyer, viewer, incident, history):
    for_legal = timeline(client, lawyer, incident, q="counsel")
    for_viewer = timeline(client, viewer, incident, q="counsel")

    assert [e.is_privileged for e in for_legal.context["entries"]] == [True]
    assert for_viewer.status_code == 200 and for_viewer.context["entries"] == []
    assert "Counsel" not in for_viewer.content.decode()


@pytest.mark.parametrize("name", ["evidence:timeline", "evidence:as_of", "evidence:as_of_diff"])
def test_another_organisations_incident_is_a_404_on_every_review_page(client, outsider, incident, history, name):
    client.force_login(outsider)

    response = client.get(
        reverse(name, args=[incident.pk]),
        {"at": "2025-08-20T14:30", "from": "2025-08-20T14:00", "to": "2025-08-20T15:00", "kind": "note"},
    )

    assert response.status_code == 404


# --- Bounded queries -----------------------------------------------------------------------------


def test_the_filtered_timeline_page_reads_a_fixed_number_of_queries_at_two_sizes(
    client, lawyer, incident, officer, now
):
    client.force_login(lawyer)
    url = reverse("evidence:timeline", args=[incident.pk])
    params = {"kind": "change", "q": "wording", "since": "2025-08-01"}

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, params).status_code == 200
        return len(captured)

    small = count()
    for k in range(150):
        services.update_incident(incident, title=f"Ransomware, wording {k}", actor=officer, reason="wording")
    assert count() == small


# --- As of a local time -----------------------------------------------------------------------


def as_of(client, user, incident, **params):
    client.force_login(user)
    return client.get(reverse("evidence:as_of", args=[incident.pk]), params)


def test_the_picker_reads_the_time_in_the_readers_zone_and_shows_the_older_state(client, lawyer, incident, history):
    # 14:30 in Amsterdam is 12:30 UTC: after the first count (12:00 UTC), before the second (13:00 UTC).
    response = as_of(client, lawyer, incident, at="2025-08-20T14:30")

    assert response.status_code == 200
    assert response.context["r"].at == datetime(2025, 8, 20, 12, 30, tzinfo=UTC)
    body = response.content.decode()
    assert "485,000" in body and "715,000" not in body
    assert 'value="2025-08-20T14:30"' in body  # the picker keeps what was typed


def test_a_reader_in_another_zone_is_read_in_theirs(client, lawyer, incident, history, admin_actor):
    org_services.update_user(lawyer, actor=admin_actor, reason="moved to New York", time_zone="America/New_York")

    response = as_of(client, lawyer, incident, at="2025-08-20T08:30")  # EDT, UTC-4

    assert response.context["r"].at == datetime(2025, 8, 20, 12, 30, tzinfo=UTC)


def test_a_local_time_skipped_by_the_clock_change_is_refused_naming_the_field(
    client, lawyer, incident, history, time_machine
):
    time_machine.move_to(datetime(2026, 4, 1, 12, 0, tzinfo=UTC), tick=False)

    response = as_of(client, lawyer, incident, at="2026-03-29T02:30")

    assert response.status_code == 400
    body = response.content.decode()
    assert "at: 2026-03-29T02:30 does not exist in Europe/Amsterdam" in body
    assert 'name="at_fold"' not in body  # nothing to choose: it never happened


def test_a_repeated_local_time_asks_which_one_and_each_answer_is_its_own_instant(
    client, lawyer, incident, history, time_machine
):
    time_machine.move_to(datetime(2025, 11, 1, 12, 0, tzinfo=UTC), tick=False)

    asked = as_of(client, lawyer, incident, at="2025-10-26T02:30")
    earlier = as_of(client, lawyer, incident, at="2025-10-26T02:30", at_fold="earlier")
    later = as_of(client, lawyer, incident, at="2025-10-26T02:30", at_fold="later")

    assert asked.status_code == 400
    body = asked.content.decode()
    assert "happens twice in Europe/Amsterdam" in body
    assert 'name="at_fold" value="earlier"' in body and 'name="at_fold" value="later"' in body
    assert earlier.context["r"].at == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)  # still CEST
    assert later.context["r"].at == datetime(2025, 10, 26, 1, 30, tzinfo=UTC)  # already CET


def test_a_fold_that_is_neither_earlier_nor_later_is_refused(client, lawyer, incident, history):
    response = as_of(client, lawyer, incident, at="2025-08-20T14:30", at_fold="sideways")

    assert response.status_code == 400
    assert "say earlier or later" in response.content.decode()


# --- The diff -----------------------------------------------------------------------------------


def test_the_diff_lists_each_field_with_before_after_who_when_and_why(
    client, lawyer, incident, history, processor_and_controller, officer, now, time_machine
):
    _processor, controller, _relationship = processor_and_controller
    from incidents.models import AwarenessRecord

    record = AwarenessRecord.objects.get(party=controller)
    services.correct_processor_notice(  # the awareness from the processor is its notice
        record.processor_notice,
        informed_at=AWARE - timedelta(hours=12),
        actor=officer,
        reason="the e-mail of the evening before",
    )
    time_machine.move_to(now + timedelta(hours=3), tick=False)
    client.force_login(lawyer)

    response = client.get(
        reverse("evidence:as_of_diff", args=[incident.pk]), {"from": "2025-08-20T14:30", "to": "2025-08-20T16:30"}
    )

    assert response.status_code == 200
    rows = response.context["rows"]
    aware = next(row for row in rows if row.field == "Aware at")
    # In words, in the reader's zone (Amsterdam): 09:00 UTC is 11:00 CEST.
    assert (aware.before, aware.after) == ("Mon 18 Aug 2025, 11:00 CEST", "Sun 17 Aug 2025, 23:00 CEST")
    assert [(s.actor, s.reason) for s in aware.steps] == [(officer.get_username(), "the e-mail of the evening before")]
    # The 715,000 estimate, recorded in between: added, with what it holds, in words.
    added = {row.field: row.after for row in rows if row.change == "added"}
    assert added["Number (or lower bound)"] == "715,000"
    assert added["What is counted"] == "Data subjects (Art. 33(3)(a))"
    assert all(row.before == "—" for row in rows if row.change == "added")
    body = response.content.decode()
    for heading in ("Field", "Before", "After", "Who", "When", "Reason"):
        assert f'<th scope="col">{heading}</th>' in body


def test_a_bad_diff_end_names_its_field_and_keeps_the_other(client, lawyer, incident, history):
    client.force_login(lawyer)

    response = client.get(
        reverse("evidence:as_of_diff", args=[incident.pk]), {"from": "2025-08-20T14:30", "to": "2025-03-30T02:30"}
    )

    assert response.status_code == 400
    body = response.content.decode()
    assert "to: 2025-03-30T02:30 does not exist" in body
    assert 'value="2025-08-20T14:30"' in body


def test_the_as_of_page_opens_on_now_with_the_picker_filled(client, lawyer, incident, history):
    # Legal clicks "as of" before typing anything: the register as of now, not a 400.
    client.force_login(lawyer)

    response = client.get(reverse("evidence:as_of", args=[incident.pk]))

    assert response.status_code == 200
    assert response.context["r"].at == datetime.now(UTC)
    body = response.content.decode()
    local_now = f"{response.context['r'].at.astimezone(ZoneInfo('Europe/Amsterdam')):%Y-%m-%dT%H:%M}"
    assert f'value="{local_now}"' in body
    assert 'name="basis" value="recorded" checked' in body


@pytest.mark.parametrize("word", ["now", "Now", "nu"])
def test_now_is_accepted_as_an_end(client, lawyer, incident, history, word):
    client.force_login(lawyer)

    response = client.get(reverse("evidence:as_of_diff", args=[incident.pk]), {"from": "2025-08-20T14:30", "to": word})

    assert response.status_code == 200
    assert response.context["t2"] == datetime.now(UTC)


def test_the_current_minute_is_now_not_the_future(client, lawyer, incident, history, time_machine):
    # A datetime-local has minutes only: 15:00:59 is "now" when typed as 15:01 one second early.
    time_machine.move_to(datetime(2025, 8, 21, 12, 0, 59, tzinfo=UTC), tick=False)
    client.force_login(lawyer)

    response = client.get(
        reverse("evidence:as_of_diff", args=[incident.pk]), {"from": "2025-08-20T14:30", "to": "2025-08-21T14:01"}
    )

    assert response.status_code == 200
    assert response.context["t2"] == datetime(2025, 8, 21, 12, 0, 59, tzinfo=UTC)


def test_the_diff_opens_on_the_last_day(client, lawyer, incident, history):
    client.force_login(lawyer)

    response = client.get(reverse("evidence:as_of_diff", args=[incident.pk]))

    assert response.status_code == 200
    now = datetime.now(UTC)
    assert response.context["t2"] == now
    assert response.context["t1"] == max(now - timedelta(days=1), incident.created_at)


def test_as_of_when_it_happened_places_facts_at_their_own_moment(client, lawyer, officer, incident, history):
    # An awareness corrected later to an earlier moment: "written down" at 16:00 shows the
    # first version; "happened" at 16:00 shows the correction, as known today.
    from incidents.models import AwarenessRecord

    record = AwarenessRecord.objects.filter(incident=incident).first()
    client.force_login(lawyer)
    recorded = client.get(
        reverse("evidence:as_of", args=[incident.pk]), {"at": "2025-08-18T10:00", "basis": "recorded"}
    )
    occurred = client.get(
        reverse("evidence:as_of", args=[incident.pk]), {"at": "2025-08-18T12:00", "basis": "occurred"}
    )

    assert recorded.status_code == occurred.status_code == 200
    # Nothing was written down by 18 Aug (the history starts later), but the awareness had happened.
    assert recorded.context["r"].awareness == []
    assert [a.pk for a in occurred.context["r"].awareness] == [record.pk]
    assert "what had happened by" in occurred.content.decode()


def test_an_unknown_basis_is_a_400_naming_the_choice(client, lawyer, incident, history):
    client.force_login(lawyer)

    response = client.get(reverse("evidence:as_of", args=[incident.pk]), {"at": "now", "basis": "later"})

    assert response.status_code == 400
    assert "when it happened or when it was written down" in response.content.decode()
