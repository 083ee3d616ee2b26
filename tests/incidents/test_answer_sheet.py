"""The AP answer sheet: the notification form's ten chapters answered from the register."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from actions import incidents as services
from incidents.models import AffectedEstimate, Incident
from ops.demo import GP_PRACTICE, HOSPITAL, LAB, PROGRAMME, load_demo
from organisations import services as org_services
from readers.answer_sheet import QUESTIONS, SCHEMA, State, build_answer_sheet, count
from readers.register import register_view

# The demo as known on Saturday 30 August 2025: the count is "at least 850,000" (29 Aug),
# the records estimate (5 Sep) and the mailing-list count (3 Sep) are not known yet.
END_OF_AUGUST = datetime(2025, 8, 30, 12, 0, tzinfo=UTC)
AP_NOTIFIED = datetime(2025, 8, 11, 10, 0, tzinfo=UTC)  # Monday 11 August, the programme notifies the AP
DEMO_PASSWORD = "a demo password for tests"


def sheet_for(incident, now, **kwargs):
    incident = Incident.objects.select_related("organisation").get(pk=incident.pk)
    return build_answer_sheet(register_view(incident, now=now), now=now, **kwargs)


def by_key(sheet) -> dict:
    return {answer.key: answer for answer in sheet.answers}


def en(sheet, key) -> str:
    return by_key(sheet)[key].answer.en


def nl(sheet, key) -> str:
    return by_key(sheet)[key].answer.nl


def party_named(incident, name):
    return incident.parties.select_related("party").get(party__name=name)


@pytest.fixture
def demo(db):
    load_demo(DEMO_PASSWORD)
    return Incident.objects.get(organisation__name=LAB, title__startswith="Ransomware attack")


# --- The questionnaire itself ----------------------------------------------------------------


def test_the_sheet_has_the_ten_chapters_of_the_ap_form_in_order(incident, now):
    sheet = sheet_for(incident, now)

    assert [chapter.number for chapter in sheet.chapters] == list(range(1, 11))
    assert [answer.key for answer in sheet.answers] == list(QUESTIONS)
    assert sheet.chapters[3].title.nl == "Het datalek in de tijd"
    assert sheet.chapters[3].title.en == "The breach in time"


def test_every_question_is_worded_in_dutch_and_in_english(incident, now):
    for question in QUESTIONS.values():
        assert question.text.nl and question.text.en
        assert question.text.nl != question.text.en, question.key
    assert QUESTIONS["4.6"].text.nl == "Wat is de reden dat u het datalek later dan 72 uur na kennisname meldt?"


def test_an_empty_incident_marks_every_question_the_register_cannot_answer(incident, now):
    sheet = sheet_for(incident, now)

    unanswered = {answer.key for answer in sheet.unanswered}
    assert unanswered == {
        "2.1",
        "3.2",
        "3.4",
        "3.6",
        "3.7",
        "4.2",
        "4.3",
        "4.4",
        "4.5",
        "4.6",
        "5.1",
        "5.2",
        "5.3",
        "6.1",
        "6.2",
        "6.3",
        "6.4",
        "6.5",
        "7.1",
        "7.2",
        "8.1",
        "9.1",
        "9.2",
        "9.3",
        "10.1",
        "10.2",
        "10.3",
        "10.4",
        "10.5",
        "10.6",
        "10.7",
    }
    assert sheet.unanswered_count == 31
    assert all(answer.answer is None for answer in sheet.unanswered)
    assert by_key(sheet)["5.4"].state is State.NOT_APPLICABLE
    # What the register does know is answered even on an empty incident.
    assert en(sheet, "1.2") == "GDPR (AVG)" and nl(sheet, "1.2") == "AVG"
    assert en(sheet, "3.1") == "Example Diagnostics B.V."
    assert en(sheet, "3.3") == "12345678"
    assert en(sheet, "3.5") == "dpo@lab.example"
    assert by_key(sheet)["3.5"].detail.en == "Missing: name, phone"
    # 22:00 UTC on Thursday is already Friday in Amsterdam: the date follows the local time.
    assert en(sheet, "4.1") == "Fri 04-07-2025 00:00 +02:00 (UTC 03-07-2025 22:00)"
    assert nl(sheet, "4.1") == "vr 04-07-2025 00:00 +02:00 (UTC 03-07-2025 22:00)"


# --- Times: Dutch local time with the offset, UTC beside, across DST ----------------------------


@pytest.mark.parametrize(
    ("aware_at", "aware_local", "local_iso", "due_local"),
    [
        # Spring: aware on Friday in CET; 72 real hours later it is summer time (one hour "later").
        (
            datetime(2025, 3, 28, 9, 0, tzinfo=UTC),
            "Fri 28-03-2025 10:00 +01:00 (UTC 28-03-2025 09:00)",
            "2025-03-28T10:00:00+01:00",
            "Mon 31-03-2025 11:00 +02:00 (UTC 31-03-2025 09:00)",
        ),
        # Autumn: aware in CEST, due in CET; 72 hours, not 73.
        (
            datetime(2024, 10, 25, 10, 0, tzinfo=UTC),
            "Fri 25-10-2024 12:00 +02:00 (UTC 25-10-2024 10:00)",
            "2024-10-25T12:00:00+02:00",
            "Mon 28-10-2024 11:00 +01:00 (UTC 28-10-2024 10:00)",
        ),
    ],
)
def test_local_times_carry_the_offset_of_their_own_date(lab, officer, now, aware_at, aware_local, local_iso, due_local):
    incident = services.create_incident(
        organisation=lab,
        title="Lost laptop",
        occurred_from_at=aware_at - timedelta(hours=2),
        actor=officer,
        reason="report",
    )
    own = services.add_party(
        incident, party=lab.parties.get(is_self=True), role="controller", actor=officer, reason="we"
    )
    services.record_awareness(
        incident, party=own, aware_at=aware_at, source="own_detection", actor=officer, reason="aware"
    )

    sheet = sheet_for(incident, now)

    assert en(sheet, "4.5") == aware_local
    assert by_key(sheet)["4.5"].value == {"local": local_iso, "utc": aware_at.isoformat().replace("+00:00", "Z")}
    assert by_key(sheet)["4.6"].detail.en == f"72 hours ended {due_local}."
    assert nl(sheet, "4.5").split(" ", 1)[1] == aware_local.split(" ", 1)[1]  # same figures, Dutch weekday


def test_the_local_value_in_the_json_is_iso_with_the_amsterdam_offset(lab, officer, now):
    incident = services.create_incident(
        organisation=lab,
        title="Winter breach",
        occurred_from_at=datetime(2025, 1, 15, 8, 30, tzinfo=UTC),
        actor=officer,
        reason="report",
    )
    value = by_key(sheet_for(incident, now))["4.1"].value
    assert value == {"local": "2025-01-15T09:30:00+01:00", "utc": "2025-01-15T08:30:00Z"}


# --- One controller's clock: awareness, the processor's lag, the reasons for delay ---------------


def test_a_controller_sheet_shows_its_own_awareness_and_how_late_the_processor_told_it(
    officer, incident, processor_and_controller, now
):
    processor, controller, relationship = processor_and_controller
    services.record_awareness(
        incident,
        party=processor,
        aware_at=datetime(2025, 7, 6, 8, 0, tzinfo=UTC),
        source="threat_actor",
        actor=officer,
        reason="leak site",
    )
    services.record_processor_notice(
        relationship,
        informed_at=datetime(2025, 8, 6, 13, 0, tzinfo=UTC),
        channel="email",
        informed_by="CEO",
        actor=officer,
        reason="we told the programme",
    )

    sheet = sheet_for(incident, datetime(2025, 8, 8, 9, 0, tzinfo=UTC), party=controller)

    assert sheet.party == controller
    assert en(sheet, "4.5") == "Wed 06-08-2025 15:00 +02:00 (UTC 06-08-2025 13:00)"
    assert "(31 days later)" in by_key(sheet)["4.5"].detail.en
    assert "(31 dagen later)" in by_key(sheet)["4.5"].detail.nl
    assert sheet.due_at == datetime(2025, 8, 9, 13, 0, tzinfo=UTC)  # Saturday: no weekend extension
    assert by_key(sheet)["4.6"].state is State.NOT_APPLICABLE  # still within its 72 hours


def test_after_72_hours_the_reason_for_the_delay_is_asked_and_unanswered_without_one(
    officer, incident, processor_and_controller, now
):
    processor, controller, relationship = processor_and_controller
    services.record_awareness(
        incident,
        party=controller,
        aware_at=datetime(2025, 8, 6, 13, 0, tzinfo=UTC),
        source="processor_notice",
        actor=officer,
        reason="told by phone",
    )
    late = datetime(2025, 8, 11, 10, 0, tzinfo=UTC)

    without = by_key(sheet_for(incident, late, party=controller))["4.6"]
    with_reasons = by_key(
        sheet_for(incident, late, party=controller, delay_reasons=" Scope unclear until the lab's report. ")
    )["4.6"]

    assert without.state is State.UNANSWERED
    assert without.detail.en == "72 hours ended Sat 09-08-2025 15:00 +02:00 (UTC 09-08-2025 13:00)."
    assert with_reasons.state is State.ANSWERED
    assert with_reasons.answer.nl == with_reasons.answer.en == "Scope unclear until the lab's report."


def test_a_follow_up_names_the_earlier_ap_report_number(incident, now):
    answer = by_key(sheet_for(incident, now, is_follow_up=True, previous_reference="M-2025-123"))["2.1"]
    assert answer.state is State.ANSWERED
    assert answer.answer.nl == "Aanvulling op melding M-2025-123"
    assert answer.answer.en == "Follow-up to notification M-2025-123"
    assert en(sheet_for(incident, now, is_follow_up=False), "2.1") == "New notification"


def test_other_organisations_are_every_party_but_the_filer(incident, processor_and_controller, now):
    processor, controller, _relationship = processor_and_controller
    sheet = sheet_for(incident, now, party=controller)

    assert en(sheet, "3.7") == "Example Diagnostics B.V. (Processor (Art. 4(8)), KvK 12345678)"
    assert nl(sheet, "3.7") == "Example Diagnostics B.V. (Verwerker (art. 4 sub 8 AVG), KvK 12345678)"
    # The controller is a directory entry, not the tenant: its own contact details are used.
    assert en(sheet, "3.1") == "National Screening Programme"
    assert by_key(sheet)["3.2"].state is State.UNANSWERED
    # Without a party chosen the sheet is the controller's, so the lab is the other organisation.
    assert en(sheet_for(incident, now), "3.7") == "Example Diagnostics B.V. (Processor (Art. 4(8)), KvK 12345678)"


# --- Numbers: approximate, at least, ranges, as known at the time ------------------------------


@pytest.mark.parametrize(
    ("low", "high", "approximate", "at_least", "english", "dutch"),
    [
        (
            485_000,
            None,
            True,
            False,
            "about 485,000 (minimum 485000, maximum 485000)",
            "ongeveer 485.000 (minimum 485000, maximum 485000)",
        ),
        (
            850_000,
            None,
            True,
            True,
            "at least 850,000 (minimum 850000, maximum unknown)",
            "ten minste 850.000 (minimum 850000, maximum onbekend)",
        ),
        (
            1_100_000,
            1_300_000,
            True,
            False,
            "1,100,000 to 1,300,000 (minimum 1100000, maximum 1300000)",
            "1.100.000 tot 1.300.000 (minimum 1100000, maximum 1300000)",
        ),
        (
            941_000,
            None,
            False,
            False,
            "941,000 (minimum 941000, maximum 941000)",
            "941.000 (minimum 941000, maximum 941000)",
        ),
    ],
)
def test_counts_read_as_approximations_with_the_forms_minimum_and_maximum(
    low, high, approximate, at_least, english, dutch
):
    estimate = AffectedEstimate(low=low, high=high, is_approximate=approximate, is_at_least=at_least)
    assert count(estimate).en == english
    assert count(estimate).nl == dutch


def test_an_estimate_recorded_after_the_sheets_moment_is_not_used(officer, incident, now):
    for low, known in ((1_000, datetime(2025, 7, 10, tzinfo=UTC)), (2_000, datetime(2025, 8, 1, tzinfo=UTC))):
        services.record_estimate(
            incident, measure="data_subjects", low=low, known_at=known, source="count", actor=officer, reason="count"
        )

    assert en(sheet_for(incident, datetime(2025, 7, 20, tzinfo=UTC)), "7.2").startswith("about 1,000 ")
    assert en(sheet_for(incident, now), "7.2").startswith("about 2,000 ")


# --- The real case (docs/domain.md#demo-case), from the demo ----------------------------------------


def test_the_demo_lab_sheet_at_the_end_of_august(demo):
    sheet = sheet_for(demo, END_OF_AUGUST, party=party_named(demo, LAB))

    assert sheet.party.party.name == LAB
    assert en(sheet, "3.3") == "99000001"
    assert en(sheet, "7.2") == "at least 850,000 (minimum 850000, maximum unknown)"
    assert nl(sheet, "7.2") == "ten minste 850.000 (minimum 850000, maximum onbekend)"
    assert by_key(sheet)["7.2"].value == {
        "low": 850_000,
        "high": None,
        "is_approximate": True,
        "is_at_least": True,
        "known_at": "2025-08-29T10:00:00Z",
    }
    assert by_key(sheet)["6.5"].state is State.UNANSWERED  # the records were counted on 5 September
    assert en(sheet, "6.2") == "Yes" and nl(sheet, "6.2") == "Ja"  # BSN
    assert en(sheet, "6.3") == "Yes: Health data (Art. 9)"
    assert nl(sheet, "6.3") == "Ja: Gezondheidsgegevens (art. 9 AVG)"
    assert en(sheet, "6.4") == "No"
    assert en(sheet, "4.5") == "Sun 06-07-2025 10:00 +02:00 (UTC 06-07-2025 08:00)"
    assert en(sheet, "4.2") == "Tue 08-07-2025 16:00 +02:00 (UTC 08-07-2025 14:00)"
    assert en(sheet, "8.1") == "No"
    assert en(sheet, "9.2") == "4 · Very high" and nl(sheet, "9.2") == "4 · Zeer hoog"
    assert en(sheet, "10.1") == "Yes: high risk (Art. 34(1) GDPR)"
    assert by_key(sheet)["10.2"].state is State.UNANSWERED  # Art. 34 letters are not in the register yet
    assert en(sheet, "10.6") == "No: the Netherlands only"
    assert en(sheet, "5.2").startswith("Cyber attack: ransomware or extortion. Criminal group;")


def test_the_demo_programme_became_aware_a_month_late_and_its_72_hours_ended_on_a_saturday(demo):
    programme = party_named(demo, PROGRAMME)

    sheet = sheet_for(demo, AP_NOTIFIED, party=programme)

    assert en(sheet, "4.5") == "Wed 06-08-2025 15:00 +02:00 (UTC 06-08-2025 13:00)"
    detail = by_key(sheet)["4.5"].detail.en
    assert "Demo Diagnostics Laboratory B.V. knew on Sun 06-07-2025 10:00 +02:00" in detail
    assert "(31 days later)" in detail
    assert "72 hours end: Sat 09-08-2025 15:00 +02:00" in detail
    assert by_key(sheet)["4.6"].state is State.UNANSWERED  # notified on Monday 11 August: after 72 hours
    assert en(sheet, "7.2") == "about 485,000 (minimum 485000, maximum 485000)"


def test_a_controller_with_its_own_count_gets_its_own_count(demo):
    hospital = party_named(demo, HOSPITAL)
    assert en(sheet_for(demo, END_OF_AUGUST, party=hospital), "7.2") == "about 53,000 (minimum 53000, maximum 53000)"
    gp = party_named(demo, GP_PRACTICE)
    assert en(sheet_for(demo, END_OF_AUGUST, party=gp), "7.2").startswith("at least 850,000")


def test_the_demo_counts_once_everything_was_known(demo):
    sheet = sheet_for(demo, datetime(2025, 9, 10, tzinfo=UTC))
    assert en(sheet, "7.2") == "941,000 (minimum 941000, maximum 941000)"
    assert en(sheet, "6.5") == "1,100,000 to 1,300,000 (minimum 1100000, maximum 1300000)"


def test_the_programmes_own_register_answers_as_the_controller(demo):
    incident = Incident.objects.get(organisation__name=PROGRAMME)
    sheet = sheet_for(incident, AP_NOTIFIED)

    assert sheet.party.party.name == PROGRAMME
    assert en(sheet, "3.1") == PROGRAMME
    assert en(sheet, "3.3") == "99000002"
    assert en(sheet, "3.5") == "M. Steekproef (DPO), dpo@programme.demo.example, +31 30 000 0002"
    assert en(sheet, "3.7") == f"{LAB} (Processor (Art. 4(8)), KvK 99000001)"
    assert (
        en(sheet, "4.4")
        == "Told by a processor (Art. 33(2)): The laboratory told us on 6 August, about a month after it knew."
    )
    assert en(sheet, "4.5") == "Wed 06-08-2025 15:00 +02:00 (UTC 06-08-2025 13:00)"


# --- JSON --------------------------------------------------------------------------------------


def test_the_json_keeps_a_stable_schema(demo):
    data = sheet_for(demo, END_OF_AUGUST).as_json()
    json.dumps(data)  # serialisable as it is

    assert list(data) == [
        "schema",
        "generated_at",
        "incident",
        "organisation",
        "party",
        "due_at",
        "outer_bound_at",
        "unanswered_count",
        "chapters",
    ]
    assert data["schema"] == SCHEMA == "breachtrack.ap-answer-sheet/2"
    assert data["generated_at"] == "2025-08-30T12:00:00Z"
    assert data["incident"] == {"id": demo.pk, "reference": demo.reference, "title": demo.title}
    # The controller being filed for (the programme, the first told), not the lab's own clock.
    assert data["party"]["name"] == PROGRAMME and data["party"]["role"] == "controller"
    assert data["due_at"] == "2025-08-09T13:00:00Z"
    assert data["outer_bound_at"] == "2025-08-09T14:00:00Z"  # Reg. 1182/71: floor(13:00) + 73 h
    assert [chapter["number"] for chapter in data["chapters"]] == list(range(1, 11))
    questions = [q for chapter in data["chapters"] for q in chapter["questions"]]
    assert [q["key"] for q in questions] == list(QUESTIONS)
    assert {tuple(q) for q in questions} == {
        ("key", "question", "state", "answer", "detail", "value", "sources", "source_labels")
    }
    assert all(len(q["source_labels"]) == len(q["sources"]) for q in questions)
    assert {q["state"] for q in questions} <= {"answered", "unanswered", "not_applicable"}
    assert all(set(q["question"]) == {"nl", "en"} for q in questions)
    assert all(q["answer"] is None or set(q["answer"]) == {"nl", "en"} for q in questions)
    assert data["unanswered_count"] == sum(q["state"] == "unanswered" for q in questions)
    answer_72 = next(q for q in questions if q["key"] == "7.2")
    assert answer_72["sources"] == ["estimates[data_subjects]"]
    assert answer_72["source_labels"] == [
        {"nl": "Schattingen: aantal betrokkenen", "en": "Estimates: number of data subjects"}
    ]
    assert answer_72["answer"]["en"] == "at least 850,000 (minimum 850000, maximum unknown)"


# --- Views: who may read, in which language, at what cost ----------------------------------------


@pytest.mark.parametrize("persona", ["officer", "lawyer", "viewer"])
def test_every_member_role_may_read_the_sheet(client, request, incident, persona):
    client.force_login(request.getfixturevalue(persona))

    page = client.get(reverse("incidents:ap_answer_sheet", args=[incident.pk]))
    data = client.get(reverse("incidents:ap_answer_sheet_json", args=[incident.pk]))

    # The empty incident's 31, less 2.1: with no filing recorded, the next one is a new notification.
    assert page.status_code == 200
    assert "30 questions unanswered" in page.content.decode()
    assert data.status_code == 200 and data["Content-Type"] == "application/json"
    assert data.json()["unanswered_count"] == 30


@pytest.mark.parametrize("name", ["incidents:ap_answer_sheet", "incidents:ap_answer_sheet_json"])
def test_another_organisations_sheet_is_a_404(client, outsider, incident, name):
    client.force_login(outsider)
    assert client.get(reverse(name, args=[incident.pk])).status_code == 404


@pytest.mark.parametrize("name", ["incidents:ap_answer_sheet", "incidents:ap_answer_sheet_json"])
def test_anonymous_readers_are_sent_to_log_in_for_the_sheet(client, incident, name):
    response = client.get(reverse(name, args=[incident.pk]))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_a_party_of_another_incident_is_a_404(client, officer, lab, incident, processor_and_controller, now):
    _processor, controller, _relationship = processor_and_controller
    other = services.create_incident(organisation=lab, title="Another one", actor=officer, reason="report")
    client.force_login(officer)

    url = reverse("incidents:ap_answer_sheet_json", args=[other.pk])
    assert client.get(url, {"party": controller.pk}).status_code == 404
    malformed = client.get(url, {"party": "not-a-number"})
    assert malformed.status_code == 400 and "party" in malformed.json()["detail"]
    own = client.get(reverse("incidents:ap_answer_sheet_json", args=[incident.pk]), {"party": controller.pk})
    assert own.json()["party"]["name"] == "National Screening Programme"


def test_the_page_shows_one_language_or_both_side_by_side(client, officer, incident):
    client.force_login(officer)
    url = reverse("incidents:ap_answer_sheet", args=[incident.pk])
    dutch_question = QUESTIONS["4.1"].text.nl
    english_question = QUESTIONS["4.1"].text.en

    both = client.get(url).content.decode()
    dutch = client.get(url, {"lang": "nl"}).content.decode()
    english = client.get(url, {"lang": "en"}).content.decode()

    assert dutch_question in both and english_question in both
    assert '<th scope="col" lang="nl">Nederlands</th><th scope="col" lang="en">English</th>' in both
    assert '<th scope="col" lang="nl">Nederlands</th>' not in english
    assert dutch_question in dutch and english_question not in dutch
    assert english_question in english and dutch_question not in english
    assert "NIET BEANTWOORD" in dutch and "UNANSWERED" not in dutch
    assert 'id="q-4.6"' in english and 'href="#q-4.6"' in english  # the unanswered list links to the question


def test_the_page_is_printable_and_its_answers_select_in_one_click(client, demo):
    officer_of_lab = demo.organisation.memberships.get(role="privacy_officer").user
    client.force_login(officer_of_lab)

    body = client.get(reverse("incidents:ap_answer_sheet", args=[demo.pk]), {"lang": "en"}).content.decode()

    assert "incidents/answer_sheet.css" in body
    assert '<div class="answer"' in body
    # Read today, long after the case: every count is known, the last one exact.
    assert "941,000 (minimum 941000, maximum 941000)" in body
    assert "Sun 06-07-2025 10:00 +02:00 (UTC 06-07-2025 08:00)" in body


def test_the_incident_page_links_to_its_sheet(client, officer, incident):
    client.force_login(officer)
    body = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert reverse("incidents:ap_answer_sheet", args=[incident.pk]) in body


def _grow(incident, lab, officer, relationship, n, offset=0):
    """Add ``n`` parties, estimates and processor notices to an incident."""
    start = datetime(2025, 7, 6, 8, 0, tzinfo=UTC)
    for k in range(offset, offset + n):
        party = org_services.create_party(lab, name=f"GP practice {k}", country="NL", actor=officer, reason="directory")
        added = services.add_party(incident, party=party, role="controller", actor=officer, reason="another controller")
        served = services.link_processor(
            incident, processor=relationship.processor, controller=added, actor=officer, reason="dpa"
        )
        services.record_estimate(
            incident,
            measure="data_subjects",
            low=1_000 + k,
            known_at=start + timedelta(days=k + 1),
            source=f"count {k}",
            actor=officer,
            reason="count revised",
        )
        services.record_processor_notice(  # one notice per processor and controller
            served,
            informed_at=start + timedelta(days=30, hours=k),
            channel="email",
            informed_by="CEO",
            actor=officer,
            reason="notice",
        )


@pytest.mark.parametrize("name", ["incidents:ap_answer_sheet", "incidents:ap_answer_sheet_json"])
def test_the_sheet_costs_the_same_queries_whatever_the_size(
    client, officer, lab, incident, processor_and_controller, django_assert_max_num_queries, name
):
    processor, controller, relationship = processor_and_controller
    services.record_awareness(
        incident,
        party=processor,
        aware_at=datetime(2025, 7, 6, 8, 0, tzinfo=UTC),
        source="threat_actor",
        actor=officer,
        reason="leak site",
    )
    client.force_login(officer)
    url = reverse(name, args=[incident.pk])
    # session, user, incident with its organisation, then register_view's fixed set (parties,
    # authorities, awareness, relationships and their notices, estimates, extortion threats and
    # publications, filings, decisions), then the base template's heartbeat banner and unread badge,
    # and the access log's one INSERT (access.log.log_view; +1, added with the access app).
    bound = 16

    _grow(incident, lab, officer, relationship, 2)
    with django_assert_max_num_queries(bound):
        small = client.get(url, {"party": controller.pk})
    _grow(incident, lab, officer, relationship, 40, offset=2)
    with django_assert_max_num_queries(bound):
        large = client.get(url, {"party": controller.pk})

    assert small.status_code == large.status_code == 200


# --- Cross-border, encryption, the reasons not to inform, the interface language ----------------


def test_data_subjects_abroad_and_a_foreign_authority_are_named(officer, incident, dutch_ap, now):
    from organisations.models import Authority

    services.update_incident(
        incident, data_subject_countries=["BE", "NL"], actor=officer, reason="Belgian patients too"
    )
    services.add_authority(incident, authority=dutch_ap, role="lead", actor=officer, reason="lead")
    services.add_authority(
        incident, authority=Authority.objects.get(code="be-gba"), role="concerned", actor=officer, reason="Belgians"
    )

    sheet = sheet_for(incident, now)

    assert en(sheet, "10.6") == "Yes: Belgium, Netherlands"
    assert nl(sheet, "10.6") == "Ja: België, Nederland"
    assert by_key(sheet)["10.6"].value == ["BE", "NL"]
    assert en(sheet, "10.7") == "Yes: Gegevensbeschermingsautoriteit / Autorité de protection des données"
    assert by_key(sheet)["10.7"].value == ["be-gba"]


@pytest.mark.parametrize(
    ("encrypted", "key_compromised", "english", "value"),
    [
        (True, False, "Yes: encrypted, the key was not compromised", True),
        (True, True, "No: encrypted, but the key was compromised", False),
        (True, None, "Encrypted; whether the key is safe is not known yet", None),
        (False, None, "No", False),
    ],
)
def test_encryption_counts_only_with_a_safe_key(officer, incident, now, encrypted, key_compromised, english, value):
    services.update_incident(
        incident, is_data_encrypted=encrypted, is_key_compromised=key_compromised, actor=officer, reason="assessed"
    )
    answer = by_key(sheet_for(incident, now))["8.1"]
    assert (answer.answer.en, answer.value) == (english, value)


def test_without_high_risk_the_reason_not_to_inform_data_subjects_is_the_risk_reasoning(officer, incident, now):
    services.update_incident(
        incident, risk_level="risk", risk_reasoning="Only names, encrypted backups.", actor=officer, reason="assessed"
    )
    sheet = sheet_for(incident, now)
    assert en(sheet, "10.1") == "No"
    assert en(sheet, "10.2") == "Not required: no high risk (Art. 34(1) GDPR). Only names, encrypted backups."
    assert nl(sheet, "10.2") == "Niet nodig: geen hoog risico (art. 34 lid 1 AVG). Only names, encrypted backups."


def test_other_namely_needs_its_details(officer, incident, now):
    services.update_incident(incident, cause="other", actor=officer, reason="cause")
    assert by_key(sheet_for(incident, now))["5.2"].state is State.UNANSWERED
    services.update_incident(incident, cause_detail="Courier lost a box of files", actor=officer, reason="cause")
    sheet = sheet_for(incident, now)
    assert nl(sheet, "5.2") == "Anders, namelijk: Courier lost a box of files"
    assert en(sheet, "5.2") == "Other, namely: Courier lost a box of files"


def test_the_interface_language_does_not_change_either_column(demo):
    from django.utils import translation

    with translation.override("nl"):
        in_dutch_ui = sheet_for(demo, END_OF_AUGUST)
        assert translation.get_language() == "nl"  # the builder restores the reader's language
    in_english_ui = sheet_for(demo, END_OF_AUGUST)

    assert in_dutch_ui.as_json() == in_english_ui.as_json()
    assert en(in_dutch_ui, "6.3") == "Yes: Health data (Art. 9)"


def test_a_processors_own_sheet_says_the_72_hours_bind_its_controllers(demo):
    detail = by_key(sheet_for(demo, END_OF_AUGUST, party=party_named(demo, LAB)))["4.5"].detail
    assert detail.en.endswith("As a processor you inform the controllers (Art. 33(2) GDPR)")
    assert detail.nl.endswith("Als verwerker informeert u de verwerkingsverantwoordelijken (art. 33 lid 2 AVG)")


def test_a_withdrawn_awareness_record_does_not_start_the_clock(officer, lab, incident, now):
    own = services.add_party(
        incident, party=lab.parties.get(is_self=True), role="controller", actor=officer, reason="we"
    )
    mistaken = services.record_awareness(
        incident,
        party=own,
        aware_at=datetime(2025, 7, 5, 8, 0, tzinfo=UTC),
        source="other",
        actor=officer,
        reason="typo",
    )
    services.record_awareness(
        incident,
        party=own,
        aware_at=datetime(2025, 7, 6, 8, 0, tzinfo=UTC),
        source="threat_actor",
        actor=officer,
        reason="leak site",
    )
    services.withdraw_awareness(mistaken, withdrawal_reason="Wrong day typed", actor=officer, reason="correction")

    sheet = sheet_for(incident, now)

    assert en(sheet, "4.5") == "Sun 06-07-2025 10:00 +02:00 (UTC 06-07-2025 08:00)"
    assert sheet.due_at == datetime(2025, 7, 9, 8, 0, tzinfo=UTC)


# --- The filings answer 2.1 (new or follow-up) and 4.6 (why after 72 hours) -------------------------


@pytest.fixture
def filed(officer, incident, processor_and_controller, dutch_ap):
    """The controller aware on 6 August, a phased initial filing five days later, with reasons."""
    from actions import filings as filing_services

    _processor, controller, _relationship = processor_and_controller
    services.add_authority(incident, authority=dutch_ap, role="lead", actor=officer, reason="lead SA")
    services.record_awareness(
        incident,
        party=controller,
        aware_at=datetime(2025, 8, 6, 13, 0, tzinfo=UTC),
        source="processor_notice",
        actor=officer,
        reason="the lab told us",
    )
    filing = filing_services.submit_filing(
        incident,
        controller=controller,
        authority=dutch_ap,
        filing_type="initial",
        is_phased=True,
        submitted_at=AP_NOTIFIED,
        channel="ap_form",
        delay_reasons="The processor told us a month late.",
        authority_reference="AP-2025-0815",
        actor=officer,
        reason="filed through the AP form",
    )
    return controller, filing


def test_after_an_initial_filing_the_sheet_prepares_a_follow_up_with_its_reasons(client, officer, incident, filed):
    controller, _filing = filed
    client.force_login(officer)
    answers = {
        answer["key"]: answer
        for chapter in client.get(
            reverse("incidents:ap_answer_sheet_json", args=[incident.pk]), {"party": controller.pk}
        ).json()["chapters"]
        for answer in chapter["questions"]
    }
    assert answers["2.1"]["answer"]["en"] == "Follow-up to notification AP-2025-0815"
    assert answers["4.6"]["state"] == "answered"
    assert answers["4.6"]["answer"]["en"] == "The processor told us a month late."


def test_the_sheet_of_a_recorded_filing_is_judged_at_its_submission(client, officer, incident, filed):
    controller, filing = filed
    client.force_login(officer)
    data = client.get(
        reverse("incidents:ap_answer_sheet_json", args=[incident.pk]), {"party": controller.pk, "filing": filing.pk}
    ).json()
    answers = {answer["key"]: answer for chapter in data["chapters"] for answer in chapter["questions"]}
    assert answers["2.1"]["answer"]["en"] == "New notification"
    assert answers["4.6"]["answer"]["en"] == "The processor told us a month late."
    assert data["generated_at"].startswith("2025-08-11T10:00")


def test_a_filing_of_another_party_or_incident_is_a_404_on_the_sheet(
    client, officer, lab, incident, processor_and_controller, filed
):
    processor, _controller, _relationship = processor_and_controller
    _controller, filing = filed
    other = services.create_incident(organisation=lab, title="Another one", actor=officer, reason="report")
    client.force_login(officer)
    url = reverse("incidents:ap_answer_sheet_json", args=[incident.pk])
    assert (
        client.get(reverse("incidents:ap_answer_sheet_json", args=[other.pk]), {"filing": filing.pk}).status_code == 404
    )
    assert client.get(url, {"filing": "x"}).status_code == 400
    assert client.get(url, {"party": processor.pk, "filing": filing.pk}).status_code == 404  # the controller's filing


# --- One sheet per controller; people's words for the sources (issue: hardening) --------------------


def test_without_a_choice_the_sheet_is_the_controller_being_filed_for_not_the_processors_own_clock(client, demo):
    programme = party_named(demo, PROGRAMME)
    assert sheet_for(demo, END_OF_AUGUST).party == programme  # the first controller told, 6 August

    client.force_login(demo.organisation.memberships.get(role="privacy_officer").user)
    data = client.get(reverse("incidents:ap_answer_sheet_json", args=[demo.pk])).json()
    assert data["party"] == {"id": programme.pk, "name": PROGRAMME, "role": "controller"}


def test_the_organisation_itself_is_the_default_when_it_is_one_of_the_controllers(
    officer, lab, incident, processor_and_controller, now
):
    other = services.create_incident(organisation=lab, title="Laptop lost", actor=officer, reason="report")
    own = services.add_party(other, party=lab.parties.get(is_self=True), role="controller", actor=officer, reason="we")
    assert sheet_for(other, now).party == own
    # An incident with no controller yet has a sheet for no one, never a processor's.
    bare = services.create_incident(organisation=lab, title="Unclear", actor=officer, reason="report")
    services.add_party(bare, party=lab.parties.get(is_self=True), role="processor", actor=officer, reason="we")
    assert sheet_for(bare, now).party is None


def test_the_page_offers_one_sheet_per_controller_and_refuses_any_other_party(client, demo):
    client.force_login(demo.organisation.memberships.get(role="privacy_officer").user)
    url = reverse("incidents:ap_answer_sheet", args=[demo.pk])
    lab_party = party_named(demo, LAB)
    hospital = party_named(demo, HOSPITAL)

    page = client.get(url).content.decode()
    selector = page.split('<select id="sheet-party" name="party">')[1].split("</select>")[0]
    assert PROGRAMME in selector and HOSPITAL in selector and GP_PRACTICE in selector
    assert LAB not in selector  # a processor does not notify the authority

    chosen = client.get(url, {"party": hospital.pk})
    assert chosen.status_code == 200
    assert f'<option value="{hospital.pk}" selected>' in chosen.content.decode()
    assert client.get(url, {"party": lab_party.pk}).status_code == 404  # the processor: not a controller
    assert client.get(url, {"party": 999_999}).status_code == 404
    refused = client.get(url, {"party": "1; DROP"})
    assert refused.status_code == 400 and "party" in refused.content.decode()


def test_another_organisations_controller_is_a_404_on_this_sheet(client, officer, incident, outsider, now):
    from actions import incidents as their_services

    theirs = their_services.create_incident(
        organisation=outsider.memberships.get().organisation, title="Theirs", actor=outsider, reason="report"
    )
    their_party = theirs.organisation.parties.get(is_self=True)
    their_controller = their_services.add_party(
        theirs, party=their_party, role="controller", actor=outsider, reason="we"
    )
    client.force_login(officer)
    for name in ("incidents:ap_answer_sheet", "incidents:ap_answer_sheet_json"):
        assert client.get(reverse(name, args=[incident.pk]), {"party": their_controller.pk}).status_code == 404


def test_the_state_column_names_its_sources_in_peoples_words_in_both_languages(client, officer, lab, now):
    own_breach = services.create_incident(organisation=lab, title="Laptop lost", actor=officer, reason="report")
    services.add_party(own_breach, party=lab.parties.get(is_self=True), role="controller", actor=officer, reason="we")
    client.force_login(officer)
    url = reverse("incidents:ap_answer_sheet", args=[own_breach.pk])

    both = client.get(url).content.decode()
    english = client.get(url, {"lang": "en"}).content.decode()

    for path in ("filing.is_follow_up", "organisation.dpo_email", "incident.occurred_from_at", "estimates["):
        assert path not in both
    assert "<code>" not in both
    assert "Follow-up filing" in english and "Data protection officer&#x27;s e-mail" in english
    assert "Vervolgmelding" in both and "E-mailadres van de functionaris gegevensbescherming" in both
    assert "Vervolgmelding" not in english


def test_every_source_of_every_question_has_a_label_in_both_languages():
    from readers.answer_sheet import SOURCE_LABELS, source_label

    for question in QUESTIONS.values():
        for source in question.sources:
            label = source_label(source)
            assert label.nl and label.en and label.nl != source and label.en != source
    assert all("." not in text.en.split(" ")[0] for text in SOURCE_LABELS.values())


def test_the_sheet_gives_the_1182_71_outer_bound_beside_the_72_hours(client, demo):
    client.force_login(demo.organisation.memberships.get(role="privacy_officer").user)
    programme = party_named(demo, PROGRAMME)

    page = client.get(reverse("incidents:ap_answer_sheet", args=[demo.pk]), {"party": programme.pk}).content.decode()

    assert "Outer bound (Reg. 1182/71, information)" in page
    assert 'datetime="2025-08-09T14:00:00Z"' in page
    detail = by_key(sheet_for(demo, END_OF_AUGUST, party=programme))["4.5"].detail
    assert "Outer bound (Reg. 1182/71, information): Sat 09-08-2025 16:00 +02:00 (UTC 09-08-2025 14:00)" in detail.en
    assert "Uiterste grens (Verordening 1182/71, ter informatie): za 09-08-2025 16:00" in detail.nl
