"""The guided intake: one page, one transaction, times typed in the person's own zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions import incidents as services
from incidents.models import (
    AffectedEstimate,
    AwarenessRecord,
    ExtortionCountdown,
    ExtortionThreat,
    Incident,
    IncidentAuthority,
    IncidentParty,
    ProcessingRelationship,
    ProcessorNotice,
)
from organisations import services as org_services
from organisations.models import Party, Role

UTC = UTC
URL = "/incidents/new/"
INTAKE_MODELS = (
    Incident,
    IncidentParty,
    IncidentAuthority,
    ProcessingRelationship,
    AwarenessRecord,
    AffectedEstimate,
    ExtortionThreat,
    ExtortionCountdown,
    ProcessorNotice,
)


def counts():
    return {model.__name__: model.objects.count() for model in INTAKE_MODELS} | {"Party": Party.objects.count()}


def form_data(lab, **changes):
    """What a privacy officer types for the real case (times in Europe/Amsterdam)."""
    data = {
        "organisation": str(lab.pk),
        "title": "Ransomware at the laboratory",
        "is_confidentiality_breach": "on",
        "is_availability_breach": "on",
        "cause": "ransomware",
        "description": "Systems encrypted; data exfiltrated.",
        "occurred_from": "2025-07-04T00:00",
        "occurred_until": "",
        "is_ongoing": "on",
        "aware_at": "2025-07-06T10:00",
        "awareness_source": "threat_actor",
        "discovery_method": "threat_actor",
        "our_role": "processor",
        "other_controllers": "National Screening Programme\nRegional Hospital\nnational screening programme",
        "processor_name": "",
        "authority": "",
        "data_categories": ["identity", "health", "national_id"],
        "data_subject_categories": ["patients"],
        "affected_low": "485000",
        "affected_high": "",
        "affected_is_approximate": "on",
        "has_extortion": "on",
        "extortion_actor_name": "Nova",
        "extortion_channel": "leak_site",
        "extortion_first_contact_at": "2025-07-06T09:00",
        "extortion_demand_amount": "1000000",
        "extortion_demand_currency": "usd",
        "extortion_deadline_at": "2025-07-20T12:00",
        "change_reason": "Leak-site listing reported by the service desk",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    return client


# --- The happy path --------------------------------------------------------------------------------
def test_it_records_the_whole_incident_in_one_go_and_shows_its_clock(officer_client, officer, lab, now, dutch_ap):
    before = counts()

    response = officer_client.post(URL, form_data(lab, authority=str(dutch_ap.pk)))

    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("incidents:detail", args=[incident.pk])
    after = counts()
    assert {name: after[name] - before[name] for name in after} == {
        "Incident": 1,
        "IncidentParty": 3,
        "IncidentAuthority": 1,
        "ProcessingRelationship": 2,
        "AwarenessRecord": 1,
        "AffectedEstimate": 1,
        "ExtortionThreat": 1,
        "ExtortionCountdown": 1,
        "ProcessorNotice": 0,
        "Party": 2,
    }
    assert incident.organisation == lab and incident.reference == "2025-0001"
    assert incident.occurred_from_at == datetime(2025, 7, 3, 22, 0, tzinfo=UTC)  # 00:00 CEST
    assert incident.occurred_from_tz == "Europe/Amsterdam"
    assert incident.is_ongoing and incident.is_confidentiality_breach and not incident.is_integrity_breach
    assert sorted(incident.data_categories) == ["health", "identity", "national_id"]
    roles = {p.party.name: p.role for p in incident.parties.select_related("party")}
    assert roles == {
        "Example Diagnostics B.V.": "processor",
        "National Screening Programme": "controller",
        "Regional Hospital": "controller",
    }
    awareness = AwarenessRecord.objects.get()
    assert awareness.party.party.is_self and awareness.aware_at == datetime(2025, 7, 6, 8, 0, tzinfo=UTC)
    assert (
        awareness.aware_tz == "Europe/Amsterdam"
        and awareness.source == "threat_actor"
        and awareness.recorded_by == officer
    )
    estimate = AffectedEstimate.objects.get()
    assert (estimate.low, estimate.high, estimate.is_approximate, estimate.measure) == (
        485000,
        None,
        True,
        "data_subjects",
    )
    # Not the typing time: the count was known when we became aware (the form's stated default).
    assert (estimate.known_at, estimate.known_tz) == (datetime(2025, 7, 6, 8, 0, tzinfo=UTC), "Europe/Amsterdam")
    threat = ExtortionThreat.objects.get()
    assert (threat.actor_name, threat.demand_currency, threat.first_contact_at) == (
        "Nova",
        "USD",
        datetime(2025, 7, 6, 7, 0, tzinfo=UTC),
    )
    assert ExtortionCountdown.objects.get().deadline_at == datetime(2025, 7, 20, 10, 0, tzinfo=UTC)
    assert IncidentAuthority.objects.get().authority == dutch_ap

    page = officer_client.get(response["Location"])
    assert "National Screening Programme" in page.content.decode()


def test_the_first_count_is_stamped_with_when_it_was_known_not_when_it_was_typed(officer_client, officer, lab, now):
    """Typed on 20 August, known on 7 July: a later 715,000 known on 25 July must rank newer."""
    response = officer_client.post(URL, form_data(lab, affected_known_at="2025-07-07T11:30"))
    assert response.status_code == 302
    incident = Incident.objects.get()
    first = AffectedEstimate.objects.get()
    assert (first.known_at, first.known_tz) == (datetime(2025, 7, 7, 9, 30, tzinfo=UTC), "Europe/Amsterdam")
    later = services.record_estimate(
        incident,
        measure="data_subjects",
        low=715_000,
        known_at=datetime(2025, 7, 25, 10, 0, tzinfo=UTC),
        source="forensic report",
        actor=officer,
        reason="count",
    )
    assert list(incident.estimates.order_by("known_at")) == [first, later]


def test_the_form_asks_when_the_count_was_known_and_names_its_default(officer_client, lab, now):
    page = officer_client.get(URL).content.decode()
    assert 'name="affected_known_at"' in page
    assert "Left empty, it is the moment we became aware" in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"affected_known_at": "2025-09-01T10:00"}, "affected_known_at", "lies in the future"),
        ({"affected_known_at": "2025-07-01T10:00"}, "affected_known_at", "before the breach started"),
        ({"affected_low": "", "affected_known_at": "2025-07-07T10:00"}, "affected_low", "Give the count"),
    ],
)
def test_a_wrong_moment_for_the_count_is_refused_on_its_field(officer_client, lab, now, changes, field, message):
    before = counts()
    response = officer_client.post(URL, form_data(lab, **changes))
    assert response.status_code == 400
    assert any(message in error for error in response.context["form"].errors[field])
    assert counts() == before


def test_a_controller_told_by_its_processor_records_the_notice_with_its_awareness(officer_client, lab, now):
    response = officer_client.post(
        URL,
        form_data(lab, our_role="controller", other_controllers="", awareness_source="processor_notice",
                  processor_name="Cloud Lab Services", has_extortion=""),
    )  # fmt: skip
    assert response.status_code == 302
    notice = ProcessorNotice.objects.get()
    awareness = AwarenessRecord.objects.get(processor_notice=notice)
    assert notice.relationship.processor.party.name == "Cloud Lab Services"
    assert awareness.party.party.is_self and awareness.aware_at == notice.informed_at
    assert AwarenessRecord.objects.count() == 1


def test_a_controller_told_by_a_processor_must_name_it(officer_client, lab, now):
    before = counts()
    response = officer_client.post(
        URL, form_data(lab, our_role="controller", other_controllers="", awareness_source="processor_notice")
    )
    assert response.status_code == 400
    assert "name that processor" in response.context["form"].errors["processor_name"][0]
    assert counts() == before


def test_every_row_has_history_by_the_officer_with_the_reason(officer_client, officer, lab, now, dutch_ap):
    officer_client.post(URL, form_data(lab, authority=str(dutch_ap.pk)))

    for model in INTAKE_MODELS:
        if model is ProcessorNotice:
            continue  # not informed yet in this intake: see the next test
        records = list(model.history.all())
        assert records, model.__name__
        assert {(r.history_user_id, r.history_change_reason) for r in records} == {
            (officer.pk, "Leak-site listing reported by the service desk")
        }, model.__name__


def test_a_processor_that_told_its_controllers_starts_each_controllers_clock(officer_client, officer, lab, now):
    data = form_data(
        lab, controllers_informed_at="2025-08-06T14:00", controllers_informed_channel="email", has_extortion=None
    )

    response = officer_client.post(URL, data)

    assert response.status_code == 302
    notices = list(ProcessorNotice.objects.select_related("relationship__controller__party"))
    assert sorted(n.relationship.controller.party.name for n in notices) == [
        "National Screening Programme",
        "Regional Hospital",
    ]
    assert {(n.informed_at, n.informed_tz, n.channel, n.informed_by) for n in notices} == {
        (datetime(2025, 8, 6, 12, 0, tzinfo=UTC), "Europe/Amsterdam", "email", "officer@lab.example")
    }
    derived = AwarenessRecord.objects.filter(processor_notice__isnull=False)
    assert derived.count() == 2 and {a.aware_at for a in derived} == {datetime(2025, 8, 6, 12, 0, tzinfo=UTC)}
    assert {(r.history_user_id, r.history_change_reason) for r in ProcessorNotice.history.all()} == {
        (officer.pk, "Leak-site listing reported by the service desk")
    }
    page = officer_client.get(response["Location"]).content.decode()
    assert 'datetime="2025-08-09T12:00:00Z"' in page  # each controller's 72 hours from the notice


def test_a_controller_records_a_processor_and_its_own_clock(officer_client, lab, now):
    data = form_data(
        lab, our_role="controller", other_controllers="", processor_name="Cloud Host B.V.", has_extortion=None
    )

    assert officer_client.post(URL, data).status_code == 302

    incident = Incident.objects.get()
    relationship = ProcessingRelationship.objects.get()
    assert relationship.controller.party.is_self and relationship.controller.role == "controller"
    assert relationship.processor.party.name == "Cloud Host B.V."
    assert not ExtortionThreat.objects.exists()
    assert AwarenessRecord.objects.get().party == relationship.controller
    page = officer_client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert 'datetime="2025-07-09T08:00:00Z"' in page  # aware 10:00 CEST on 6 July + 72 h


def test_the_threat_actors_deadline_may_lie_ahead_and_other_times_may_not(officer_client, lab, now):
    refused = officer_client.post(URL, form_data(lab, extortion_first_contact_at="2025-08-21T09:00"))
    response = officer_client.post(URL, form_data(lab, extortion_deadline_at="2025-08-25T12:00"))

    assert refused.status_code == 400 and "First contact at lies in the future" in refused.content.decode()
    assert response.status_code == 302
    assert ExtortionCountdown.objects.get().deadline_at == datetime(2025, 8, 25, 10, 0, tzinfo=UTC)


def test_a_known_party_is_reused_not_duplicated(officer_client, officer, lab, now):
    org_services.create_party(lab, name="National Screening Programme", actor=officer, reason="directory")
    parties = Party.objects.count()

    officer_client.post(URL, form_data(lab, other_controllers="NATIONAL screening programme"))

    assert Party.objects.count() == parties


# --- Refusals: a 400, the message on the page, nothing written --------------------------------------
REFUSALS = [
    ({"title": ""}, "This field is required."),
    ({"aware_at": ""}, "This field is required."),
    ({"aware_at": "2025-07-03T10:00"}, "We became aware at cannot come before the breach started (Started at)."),
    (
        {"aware_at": "2025-08-21T10:00"},
        "We became aware at lies in the future: it is now 2025-08-20 14:00 in Europe/Amsterdam.",
    ),
    ({"occurred_from": "2025-09-01T10:00", "aware_at": "2025-09-02T10:00"}, "Started at lies in the future"),
    ({"occurred_until": "2025-07-01T10:00", "is_ongoing": ""}, "Ended at cannot come before Started at."),
    ({"occurred_until": "2025-07-05T10:00"}, "Ended at: an ongoing breach has no end yet."),
    ({"aware_at": "not a time"}, "Enter a valid date/time."),
    ({"affected_low": "-3"}, "Ensure this value is greater than or equal to 0."),
    ({"affected_low": "900", "affected_high": "800"}, "The upper bound is below the lower bound."),
    ({"affected_high": "5", "affected_is_at_least": "on"}, "&#x27;At least&#x27; has no upper bound"),
    ({"other_controllers": ""}, "Other controllers: as processor, name at least one controller we work for."),
    ({"other_controllers": "Example Diagnostics B.V."}, "is this organisation itself"),
    ({"extortion_actor_name": ""}, "Threat actor: give the name they use, or &#x27;unknown&#x27;."),
    ({"extortion_first_contact_at": ""}, "First contact at: say when they first made contact."),
    ({"extortion_deadline_at": "2025-07-06T08:00"}, "Their deadline must come after First contact at."),
    ({"extortion_demand_currency": "EU1"}, "Use a three-letter currency code such as EUR."),
    ({"our_role": "owner"}, "Select a valid choice."),
    (
        {"controllers_informed_at": "2025-07-06T09:00", "controllers_informed_channel": "email"},
        "We informed these controllers at cannot come before We became aware at",
    ),
    ({"controllers_informed_at": "2025-07-06T12:00"}, "How we informed them: say how the controllers were informed."),
    (
        {
            "our_role": "controller",
            "controllers_informed_at": "2025-07-06T12:00",
            "controllers_informed_channel": "email",
        },
        "We informed these controllers at: only a processor informs controllers.",
    ),
    ({"our_role": "controller", "processor_name": "regional hospital"}, "This party is already named as a controller"),
    ({"change_reason": "  "}, "This field is required."),
]


@pytest.mark.parametrize(
    ("changes", "message"), REFUSALS, ids=[next(iter(c)) + str(i) for i, (c, _) in enumerate(REFUSALS)]
)
def test_a_refused_intake_writes_nothing_and_says_why(officer_client, lab, now, changes, message):
    before = counts()

    response = officer_client.post(URL, form_data(lab, **changes))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert counts() == before


def test_a_refusal_by_a_service_late_in_the_transaction_rolls_everything_back(officer_client, lab, now, monkeypatch):
    """The threat is written last: its refusal must take the incident, parties and awareness with it."""
    from django.core.exceptions import ValidationError

    from actions import extortion as extortion_services

    def refuse(*args, **kwargs):
        raise ValidationError({"demand_amount": ValidationError("Refused by the service.", code="test")})

    monkeypatch.setattr(extortion_services, "revise_countdown", refuse)
    before = counts()

    response = officer_client.post(URL, form_data(lab))

    assert response.status_code == 400
    assert "Amount demanded: Refused by the service." in response.content.decode()
    assert counts() == before


# --- Daylight-saving changes -------------------------------------------------------------------------
@pytest.fixture
def november_2026(time_machine):
    time_machine.move_to(datetime(2026, 11, 1, 12, 0, tzinfo=UTC), tick=False)


def test_a_time_skipped_by_the_clock_change_is_refused_naming_the_gap(officer_client, lab, november_2026):
    data = form_data(lab, occurred_from="2026-03-28T20:00", aware_at="2026-03-29T02:30", has_extortion=None)

    response = officer_client.post(URL, data)

    assert response.status_code == 400
    body = response.content.decode()
    assert (
        "We became aware at: 2026-03-29 02:30 does not exist in Europe/Amsterdam. The clocks jumped from 02:00 CET to "
        "03:00 CEST, so no time from 02:00 up to 03:00 happened that day."
    ) in body
    assert not Incident.objects.exists()


def test_a_time_that_happens_twice_is_asked_about_not_guessed(officer_client, lab, november_2026):
    data = form_data(lab, occurred_from="2026-10-24T20:00", aware_at="2026-10-25T02:30", has_extortion=None)

    response = officer_client.post(URL, data)

    assert response.status_code == 400
    body = response.content.decode()
    assert "We became aware at: 2026-10-25 02:30 happened twice in Europe/Amsterdam" in body
    assert "02:30 CEST (UTC+2), the first" in body and "02:30 CET (UTC+1), the second" in body
    assert 'name="aware_at_fold" value="earlier"' in body
    assert not Incident.objects.exists()


def test_a_time_skipped_by_the_clock_change_offers_no_choice_of_readings(officer_client, lab, november_2026):
    """A gap happened never, not twice: only its error is shown, no "which one did you mean?"."""
    gap = officer_client.post(
        URL, form_data(lab, occurred_from="2026-03-28T20:00", aware_at="2026-03-29T02:30", has_extortion=None)
    )
    repeated = officer_client.post(
        URL, form_data(lab, occurred_from="2026-10-24T20:00", aware_at="2026-10-25T02:30", has_extortion=None)
    )

    assert gap.status_code == repeated.status_code == 400
    gap_body, repeated_body = gap.content.decode(), repeated.content.decode()
    assert "does not exist in Europe/Amsterdam" in gap_body
    assert 'name="aware_at_fold"' not in gap_body and "Which one did you mean?" not in gap_body
    assert 'name="aware_at_fold"' in repeated_body and "Which one did you mean?" in repeated_body
    assert not Incident.objects.exists()


@pytest.mark.parametrize(
    ("aware_at", "expected"),
    [
        ("1989-12-31T10:00", "We became aware at: 1989-12-31T09:00:00+00:00 lies before 1990-01-01T00:00:00+00:00"),
        ("0001-01-01T00:00", "We became aware at: 1-01-01 00:00 in Europe/Amsterdam lies outside the dates"),
    ],
    ids=["before-the-floor", "year-1"],
)
def test_an_implausibly_early_time_is_a_form_error(officer_client, lab, now, aware_at, expected):
    before = counts()

    response = officer_client.post(URL, form_data(lab, occurred_from="", aware_at=aware_at, has_extortion=None))

    assert response.status_code == 400
    assert expected in response.content.decode()
    assert counts() == before


@pytest.mark.parametrize(
    ("fold", "expected"),
    [("earlier", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)), ("later", datetime(2026, 10, 25, 1, 30, tzinfo=UTC))],
)
def test_the_answer_to_the_repeated_time_decides_the_instant(officer_client, lab, november_2026, fold, expected):
    data = form_data(
        lab, occurred_from="2026-10-24T20:00", aware_at="2026-10-25T02:30", aware_at_fold=fold, has_extortion=None
    )

    assert officer_client.post(URL, data).status_code == 302

    assert AwarenessRecord.objects.get().aware_at == expected


def test_times_are_read_in_the_persons_own_zone(client, lab, officer, admin_actor, now):
    org_services.update_user(officer, time_zone="America/New_York", actor=admin_actor, reason="moved")
    client.force_login(officer)

    page = client.get(URL).content.decode()
    response = client.post(URL, form_data(lab, has_extortion=None))

    assert "America/New_York" in page
    assert response.status_code == 302
    assert AwarenessRecord.objects.get().aware_at == datetime(2025, 7, 6, 14, 0, tzinfo=UTC)  # 10:00 EDT


# --- Who may use it ----------------------------------------------------------------------------------
@pytest.mark.parametrize("persona", ["lawyer", "viewer", "outsider_without_membership"])
def test_only_a_privacy_officer_may_open_or_submit_it(client, lab, now, persona, request, admin_actor):
    if persona == "outsider_without_membership":
        user = org_services.create_user(
            username="nobody@x.example", email="nobody@x.example", password=None, actor=admin_actor, reason="t"
        )
    else:
        user = request.getfixturevalue(persona)
    client.force_login(user)

    assert client.get(URL).status_code == 403
    assert client.post(URL, form_data(lab)).status_code == 403
    assert not Incident.objects.exists()


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "login" in response["Location"]


def test_another_organisations_id_is_refused_and_nothing_written(officer_client, lab, other_org, outsider, now):
    before = counts()

    response = officer_client.post(URL, form_data(lab, organisation=str(other_org.pk)))

    assert response.status_code == 400
    assert "You are not a privacy officer of this organisation, or it does not exist." in response.content.decode()
    assert counts() == before


def test_an_officer_of_two_organisations_chooses_and_a_legal_membership_is_not_offered(
    client, officer, lab, other_org, admin_actor, now
):
    third = org_services.create_organisation(name="Third Clinic", country="NL", actor=admin_actor, reason="t")
    org_services.add_member(other_org, officer, role=Role.PRIVACY_OFFICER, actor=admin_actor, reason="t")
    org_services.add_member(third, officer, role=Role.LEGAL, actor=admin_actor, reason="t")
    client.force_login(officer)

    page = client.get(URL).content.decode()
    refused = client.post(URL, form_data(lab, organisation=str(third.pk)))
    response = client.post(URL, form_data(other_org, other_controllers="Somebody"))

    assert f'<option value="{other_org.pk}">Elsewhere Hospital</option>' in page
    assert "Third Clinic" not in page
    assert refused.status_code == 400
    assert response.status_code == 302
    assert Incident.objects.get().organisation == other_org


def test_the_new_incident_link_is_offered_to_officers_only(client, officer, viewer, now):
    client.force_login(officer)
    assert URL in client.get(reverse("dashboard:home")).content.decode()
    assert URL in client.get(reverse("incidents:list")).content.decode()
    client.force_login(viewer)
    assert URL not in client.get(reverse("dashboard:home")).content.decode()
    assert URL not in client.get(reverse("incidents:list")).content.decode()


# --- Bounded queries ---------------------------------------------------------------------------------
def _grow(lab, officer, start, n):
    for k in range(start, start + n):
        services.create_incident(organisation=lab, title=f"Old {k}", actor=officer, reason="history")
        org_services.create_party(lab, name=f"Supplier {k}", actor=officer, reason="directory")


def _measure(client, lab):
    with CaptureQueriesContext(connection) as page:
        assert client.get(URL).status_code == 200
    with CaptureQueriesContext(connection) as submission:
        assert client.post(URL, form_data(lab)).status_code == 302
    return len(page), len(submission)


def test_the_page_and_the_submission_take_a_fixed_number_of_queries(officer_client, officer, lab, now, dutch_ap):
    for name in ("National Screening Programme", "Regional Hospital"):  # both runs reuse them
        org_services.create_party(lab, name=name, actor=officer, reason="directory")
    _grow(lab, officer, 0, 1)
    small = _measure(officer_client, lab)
    _grow(lab, officer, 1, 20)
    large = _measure(officer_client, lab)

    assert small == large
    page, submission = large
    assert page <= 10, page
    # Every service call authorises, locks, writes history and its audit link, and recomputes the
    # deadlines: about 320 queries for this intake (3 parties, 2 links, threat and countdown), fixed
    # whatever the register holds and bounded by MAX_OTHER_PARTIES.
    assert submission <= 340, submission
