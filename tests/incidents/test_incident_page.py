"""The incident page: its panels, what each role may do there, its query bound, and the
form that records a filing to the authority through actions.filings.submit_filing."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions import extortion as extortion_services
from actions import filings as filing_services
from actions import incidents as services
from filings.models import AuthorityFiling
from notifications.models import Deadline
from organisations import services as org_services
from tests.filings.conftest import complete_register, controller, count, lead_ap, submit  # noqa: F401 (fixtures)

UTC = UTC
H = timedelta(hours=1)


def page_url(incident):
    return reverse("incidents:detail", args=[incident.pk])


def file_url(incident):
    return reverse("incidents:file_with_authority", args=[incident.pk])


def body_of(client, incident) -> str:
    response = client.get(page_url(incident))
    assert response.status_code == 200
    return response.content.decode()


def section(body: str, heading_id: str) -> str:
    """The HTML of the <section> whose heading has ``heading_id``."""
    start = body.index(f'aria-labelledby="{heading_id}"')
    return body[start : body.index("</section>", start)]


# --- Panels ---------------------------------------------------------------------------------------


def test_the_header_shows_reference_status_our_role_and_a_live_countdown(client, officer, incident, controller, now):
    client.force_login(officer)
    body = body_of(client, incident)
    header = body[
        body.index('class="incident-header"') : body.index("</header>", body.index('class="incident-header"'))
    ]
    assert incident.reference in header and "Ransomware at the laboratory" in header
    assert "We are: Processor" in header
    assert "Your role: Privacy officer" in header
    # The controller's 72 hours: a dashboard clock row that countdown.js moves on once a second.
    due = (now - 2 * H + 72 * H).isoformat()
    assert f'data-due="{due}"' in header and "data-countdown" in header
    assert "70:00:00" not in header and "2 d 22:00:00 left" in header
    assert 'data-server-now="' in body and 'id="countdown-messages"' in body
    assert "dashboard/countdown.js" in body


def test_an_overdue_deadline_is_red_and_announced(client, officer, incident, processor_and_controller, now):
    _processor, controller_party, _relationship = processor_and_controller
    services.record_awareness(
        incident,
        party=controller_party,
        aware_at=now - 80 * H,
        source="processor_notice",
        actor=officer,
        reason="told",
    )
    client.force_login(officer)
    header = section(body_of(client, incident).replace("</header>", "</section>"), "incident-h")
    assert 'role="alert"' in header and "A deadline has passed" in header
    assert "state-badge state-overdue" in header and "overdue by 08:00:00" in header


def test_the_parties_panel_flags_the_processor_lag(client, officer, incident, processor_and_controller, dutch_ap):
    processor, controller_party, relationship = processor_and_controller
    services.add_authority(incident, authority=dutch_ap, role="lead", actor=officer, reason="lead SA")
    services.record_awareness(
        incident,
        party=processor,
        aware_at=datetime(2025, 7, 6, 8, 0, tzinfo=UTC),
        source="threat_actor",
        actor=officer,
        reason="leak-site listing",
    )
    services.record_processor_notice(
        relationship,
        informed_at=datetime(2025, 8, 6, 12, 0, tzinfo=UTC),
        channel="email",
        informed_by="CEO",
        actor=officer,
        reason="the lab told the programme",
    )
    client.force_login(officer)
    parties = section(body_of(client, incident), "parties-h")
    assert "National Screening Programme" in parties and "Autoriteit Persoonsgegevens" in parties
    # The programme's awareness is the notice (2025-08-06 12:00 UTC): its 72 hours end 9 August.
    assert 'datetime="2025-08-09T12:00:00Z"' in parties
    assert "lag 31 d 4 h" in parties and "over target" in parties
    assert "plainly exceeded" in parties and 'class="lag-flagged"' in parties


def test_a_lag_within_the_target_is_not_flagged(client, officer, incident, processor_and_controller, now):
    processor, _controller, relationship = processor_and_controller
    services.record_awareness(
        incident, party=processor, aware_at=now - 10 * H, source="own_detection", actor=officer, reason="r"
    )
    services.record_processor_notice(
        relationship, informed_at=now - 4 * H, channel="phone", informed_by="CEO", actor=officer, reason="r"
    )
    client.force_login(officer)
    parties = section(body_of(client, incident), "parties-h")
    assert "lag 6 h" in parties
    assert "over target" not in parties and "lag-flagged" not in parties


def test_the_affected_people_chart_is_inline_svg_with_a_table(client, officer, incident, count):
    count(485_000, known_at=datetime(2025, 8, 11, 9, 0, tzinfo=UTC))
    count(700_000, high=730_000, known_at=datetime(2025, 8, 15, 9, 0, tzinfo=UTC))
    count(850_000, is_at_least=True, is_approximate=False, known_at=datetime(2025, 8, 18, 9, 0, tzinfo=UTC))
    count(1_200_000, measure="records", known_at=datetime(2025, 8, 11, 9, 0, tzinfo=UTC))
    client.force_login(officer)
    panel = section(body_of(client, incident), "count-h")
    svg = panel[panel.index("<svg") : panel.index("</svg>")]
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert svg.count("<circle") == 3 and svg.count('class="point at-least"') == 1
    assert svg.count('class="range"') == 1
    assert 'class="step" d="M ' in svg
    assert "style" not in svg  # colours come from incident_page.css
    # The fallback table lists every estimate, the range and the floor as the register writes them.
    assert "485,000" in panel and "700,000–730,000" in panel and "≥850,000" in panel
    assert "1,200,000" in panel  # records, in their own table


def test_the_chart_writes_coordinates_with_a_dot_in_dutch(client, officer, incident, count):
    count(485_000, known_at=datetime(2025, 8, 11, 9, 0, tzinfo=UTC))
    count(941_000, known_at=datetime(2025, 8, 19, 9, 0, tzinfo=UTC))
    client.force_login(officer)
    body = client.get(page_url(incident), HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    svg = body[body.index("<svg") : body.index("</svg>")]
    for value in re.findall(r'\s(?:cx|cy|x1|x2|y1|y2|x|y)="([^"]*)"', svg):
        assert re.fullmatch(r"-?\d+(\.\d+)?", value), value


def test_the_filings_panel_lists_each_filing_frozen_with_its_answer_sheet(
    client, officer, incident, controller, complete_register, submit, now
):
    initial = submit(controller, authority_reference="AP-2025-1")
    follow_up = submit(controller, filing_type="follow_up", submitted_at=now - 10 * 60 * timedelta(seconds=1))
    client.force_login(officer)
    panel = section(body_of(client, incident), "filings-h")
    for filing in (initial, follow_up):
        assert reverse("filings:detail", args=[incident.pk, filing.pk]) in panel
        sheet = (
            reverse("incidents:ap_answer_sheet", args=[incident.pk]) + f"?party={controller.pk}&amp;filing={filing.pk}"
        )
        assert sheet in panel
        assert f'title="SHA-256 {filing.content_sha256}"' in panel
    assert panel.count(">frozen<") == 2 and "AP-2025-1" in panel


def test_the_art34_panel_shows_the_current_assessment_and_the_waves(client, officer, incident, controller, now):
    from actions import communications as comms

    comms.record_assessment(
        incident,
        controller=controller,
        is_high_risk=False,
        reasoning="First view.",
        decided_by_name="J. de Vries",
        decided_by_role="DPO",
        decided_at=now - 3 * H,
        actor=officer,
        reason="first",
    )
    comms.record_assessment(
        incident,
        controller=controller,
        is_high_risk=True,
        reasoning="Screening results and BSN.",
        decided_by_name="J. de Vries",
        decided_by_role="DPO",
        decided_at=now - H,
        actor=officer,
        reason="reassessed",
    )
    version = comms.create_content_version(
        incident,
        language="nl",
        title="Brief",
        text="Beste deelnemer",
        actor=officer,
        reason="letter",
    )
    comms.plan_wave(
        incident,
        controller=controller,
        cohort_label="participants 2017",
        channel="letter",
        content_version=version,
        planned_at=now - 30 * 60 * timedelta(seconds=1),
        planned_count=941_000,
        actor=officer,
        reason="first wave",
    )
    client.force_login(officer)
    panel = section(body_of(client, incident), "art34-h")
    assert "Screening results and BSN." in panel and "First view." not in panel
    assert "participants 2017" in panel and "941,000" in panel
    assert reverse("communications:incident", args=[incident.pk]) in panel


def test_the_timeline_excerpt_shows_the_latest_events_and_links_the_full_timeline(client, officer, incident, count):
    for k in range(12):
        count(400_000 + k, known_at=datetime(2025, 8, 1, 9, 0, tzinfo=UTC) + k * H)
    client.force_login(officer)
    panel = section(body_of(client, incident), "timeline-h")
    assert panel.count('class="event event-estimate"') == 8  # the latest eight of twelve
    assert "400,011" in panel and "400,003" not in panel
    assert panel.index("400,011") < panel.index("400,010")  # newest first
    assert reverse("evidence:timeline", args=[incident.pk]) in panel


def test_the_extortion_panel_is_on_the_page(client, officer, incident, now):
    threat = extortion_services.record_threat(
        incident,
        actor_name="Kraken Collective",
        first_contact_at=now - 20 * H,
        channel="leak_site",
        actor=officer,
        reason="listed",
    )
    extortion_services.revise_countdown(
        threat,
        kind="set",
        announced_at=now - 20 * H,
        deadline_at=now + 5 * H,
        source="leak site",
        actor=officer,
        reason="countdown",
    )
    client.force_login(officer)
    body = body_of(client, incident)
    panel = section(body, "extortion-h")
    assert "Kraken Collective" in panel and "1 countdown revision" in panel
    # The panel's countdown ticks too (countdown.js), from the actor's current deadline.
    assert f'data-due="{(now + 5 * H).isoformat()}"' in panel and "data-countdown" in panel
    # Its actions are the guided pages of the product, not the admin.
    assert reverse("incidents:countdown_revise", args=[incident.pk, threat.pk]) in panel
    assert "/admin/" not in panel
    header = section(body.replace("</header>", "</section>"), "incident-h")
    assert "data-extortion" in header and "05:00:00 left" in header


def test_a_viewer_gets_no_extortion_action(client, viewer, incident, officer, now):
    threat = extortion_services.record_threat(
        incident,
        actor_name="Kraken Collective",
        first_contact_at=now - 20 * H,
        channel="leak_site",
        actor=officer,
        reason="listed",
    )
    client.force_login(viewer)
    panel = section(body_of(client, incident), "extortion-h")
    assert "Kraken Collective" in panel
    assert reverse("incidents:countdown_revise", args=[incident.pk, threat.pk]) not in panel
    assert reverse("incidents:publication_new", args=[incident.pk]) not in panel


def test_no_inline_script_or_style_on_the_page(client, officer, incident, controller, count):
    count(485_000)
    client.force_login(officer)
    body = body_of(client, incident)
    assert " style=" not in body and "<style" not in body and " onclick=" not in body
    for script in re.findall(r"<script([^>]*)>(.*?)</script>", body, re.S):
        assert ('src="' in script[0] and script[1].strip() == "") or 'type="application/json"' in script[0]


# --- Actions by role --------------------------------------------------------------------------------


def test_an_officer_sees_the_write_actions_and_the_filing_form(client, officer, incident):
    client.force_login(officer)
    body = body_of(client, incident)
    assert "actions-officer" in body and 'id="file-form"' in body
    assert 'id="estimate-form"' in body
    assert reverse("access:access_log", args=[incident.pk]) in body


def test_legal_sees_the_legal_tools_but_no_write_action(client, lawyer, incident):
    client.force_login(lawyer)
    body = body_of(client, incident)
    assert "actions-legal" in body
    for name in ("evidence:as_of", "access:access_log", "incidents:notes", "evidence:timeline_pdf"):
        assert reverse(name, args=[incident.pk]) in body
    assert "actions-officer" not in body and 'id="file-form"' not in body
    assert reverse("admin:incidents_incident_change", args=[incident.pk]) not in body


def test_a_viewer_sees_no_write_action_and_no_legal_tool(client, viewer, incident):
    client.force_login(viewer)
    body = body_of(client, incident)
    assert "actions-officer" not in body and "actions-legal" not in body and 'id="file-form"' not in body
    assert reverse("access:access_log", args=[incident.pk]) not in body
    assert reverse("evidence:timeline", args=[incident.pk]) in body


# --- Query bound -------------------------------------------------------------------------------------


def _grow(incident, lab, officer, lead_authority, first_controller, n, *, offset, start):
    """``n`` more controllers (each aware), estimates, processor notices and follow-up filings."""
    for k in range(offset, offset + n):
        party = org_services.create_party(lab, name=f"GP practice {k}", country="NL", actor=officer, reason="directory")
        added = services.add_party(incident, party=party, role="controller", actor=officer, reason="another controller")
        processor = incident.parties.get(role="processor")  # the awareness is its notice: link it first
        services.link_processor(incident, processor=processor, controller=added, actor=officer, reason="dpa")
        services.record_awareness(
            incident, party=added, aware_at=start + k * H, source="processor_notice", actor=officer, reason="r"
        )
        services.record_estimate(
            incident,
            measure="data_subjects",
            low=100_000 + k,
            known_at=start + k * H,
            source=f"count {k}",
            actor=officer,
            reason="count revised",
        )
        filing_services.submit_filing(
            incident,
            controller=first_controller,
            authority=lead_authority,
            actor=officer,
            reason="follow-up",
            filing_type="follow_up",
            submitted_at=start + k * H + timedelta(minutes=1),
            channel="ap_form",
            is_phased=True,
        )


def test_the_page_does_the_same_number_of_queries_at_2_and_40(client, officer, incident, lab, controller, lead_ap, now):
    start = now - 100 * H
    services.record_awareness(
        incident, party=controller, aware_at=start - 5 * H, source="own_detection", actor=officer, reason="r"
    )
    filing_services.submit_filing(
        incident,
        controller=controller,
        authority=lead_ap,
        actor=officer,
        reason="initial",
        filing_type="initial",
        submitted_at=start - 4 * H,
        channel="ap_form",
        is_phased=True,
    )
    client.force_login(officer)

    _grow(incident, lab, officer, lead_ap, controller, 2, offset=0, start=start)
    with CaptureQueriesContext(connection) as small:
        body = body_of(client, incident)
    assert body.count("GP practice") >= 2
    _grow(incident, lab, officer, lead_ap, controller, 38, offset=2, start=start)
    with CaptureQueriesContext(connection) as large:
        body = body_of(client, incident)
    assert body.count('class="filing filing-follow_up"') == 40

    assert len(large) == len(small)
    # session, user, incident, register_view's set, the page's four (role, deadlines, Art. 34
    # assessments and waves), banner, badge and the access log's INSERT; the regimes section's
    # four (decisions, moments, determinations, places: readers.regimes; two more once a regime
    # is decided, tests/regime_pages/test_page.py holds those constant).
    assert len(large) <= 24


# --- The filing form ------------------------------------------------------------------------------------


def _form(controller, authority, **overrides):
    data = {
        "controller": controller.pk,
        "authority": authority.pk,
        "filing_type": "initial",
        "submitted_at_0": "2025-08-20T13:30",
        "submitted_at_1": "Europe/Amsterdam",
        "submitted_at_2": "",
        "channel": "ap_form",
        "authority_reference": "",
        "submitted_by": "",
        "delay_reasons": "",
        "withdrawal_reason": "",
        "reason": "filed through the AP's online form",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _written(incident):
    """Everything a refused filing must leave untouched."""
    return (
        AuthorityFiling.objects.filter(incident=incident).count(),
        AuthorityFiling.history.filter(incident_id=incident.pk).count(),
        list(
            Deadline.objects.filter(incident=incident)
            .order_by("pk")
            .values_list("kind", "due_at", "met_at", "is_active")
        ),
    )


def test_an_officer_files_an_initial_notification_through_the_form(
    client, officer, incident, controller, complete_register, lead_ap
):
    client.force_login(officer)
    response = client.post(file_url(incident), _form(controller, lead_ap, authority_reference=" AP-2025-123 "))

    assert response.status_code == 302 and response["Location"].endswith(page_url(incident) + "#filings")
    filing = AuthorityFiling.objects.get(incident=incident)
    assert (filing.filing_type, filing.controller, filing.authority, filing.authority_reference) == (
        "initial",
        controller,
        lead_ap,
        "AP-2025-123",
    )
    assert (
        filing.submitted_at == datetime(2025, 8, 20, 11, 30, tzinfo=UTC) and filing.submitted_tz == "Europe/Amsterdam"
    )
    assert filing.content["nature.description"] == "Criminal group copied screening results."
    record = filing.history.get()
    assert (record.history_user, record.history_change_reason) == (officer, "filed through the AP's online form")
    # The clock is met.
    assert (
        Deadline.objects.get(incident=incident, kind="authority_notification", party=controller).met_at
        == filing.submitted_at
    )
    body = client.get(response["Location"]).content.decode()
    assert "Filing recorded" in body and "AP-2025-123" in section(body, "filings-h")


def _refused(client, incident, data, field: str, message: str):
    before = _written(incident)
    response = client.post(file_url(incident), data)
    assert response.status_code == 400
    form = response.context["filing_form"]
    errors = form.errors.get(field if field != "__all__" else "__all__", [])
    assert any(message in error for error in errors), form.errors
    assert message in response.content.decode().replace("&#x27;", "'")
    assert _written(incident) == before
    return response


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"submitted_at_0": ""}, "submitted_at", "This field is required."),
        ({"submitted_at_0": "2025-08-20T15:30"}, "submitted_at", "This instant lies in the future."),
        ({"submitted_at_0": "2025-03-30T02:30"}, "submitted_at", "does not exist in Europe/Amsterdam"),
        ({"submitted_at_0": "2024-10-27T02:30"}, "submitted_at", "happens twice in Europe/Amsterdam"),
        ({"submitted_at_0": "2025-08-20T11:00"}, "submitted_at", "cannot come before the controller became aware"),
        ({"filing_type": "follow_up"}, "filing_type", "There is no standing notification to follow up or withdraw."),
        ({"filing_type": "withdrawal", "withdrawal_reason": "x"}, "filing_type", "There is no standing notification"),
        ({"reason": ""}, "reason", "This field is required."),
        ({"filing_type": "sideways"}, "filing_type", "Select a valid choice."),
    ],
    ids=[
        "no-time",
        "future",
        "dst-gap",
        "dst-twice",
        "before-awareness",
        "follow-up-first",
        "withdrawal-first",
        "no-reason",
        "bad-type",
    ],
)
def test_a_refused_filing_is_a_400_on_its_field_and_writes_nothing(
    client, officer, incident, controller, complete_register, lead_ap, overrides, field, message
):
    client.force_login(officer)
    _refused(client, incident, _form(controller, lead_ap, **overrides), field, message)


def test_a_second_initial_is_refused(client, officer, incident, controller, complete_register, lead_ap, submit):
    submit(controller)
    client.force_login(officer)
    _refused(
        client, incident, _form(controller, lead_ap), "filing_type", "already notified this authority: file a follow-up"
    )


def test_an_incomplete_register_needs_a_phased_filing(client, officer, incident, controller, lead_ap):
    client.force_login(officer)
    response = _refused(client, incident, _form(controller, lead_ap), "is_phased", "file in phases (Art. 33(4))")
    assert any("Missing (Art. 33(3))" in error for error in response.context["filing_form"].non_field_errors())
    # Phased, the same filing is accepted.
    assert client.post(file_url(incident), _form(controller, lead_ap, is_phased="on")).status_code == 302


def test_a_late_initial_needs_the_reasons_for_the_delay(
    client, officer, incident, processor_and_controller, complete_register, lead_ap, now
):
    _processor, late_controller, _relationship = processor_and_controller
    services.record_awareness(
        incident, party=late_controller, aware_at=now - 100 * H, source="processor_notice", actor=officer, reason="r"
    )
    client.force_login(officer)
    _refused(client, incident, _form(late_controller, lead_ap), "delay_reasons", "must give the reasons for the delay")
    accepted = client.post(
        file_url(incident), _form(late_controller, lead_ap, delay_reasons="The processor told us a month late.")
    )
    assert accepted.status_code == 302
    assert AuthorityFiling.objects.get().delay_reasons == "The processor told us a month late."


def test_an_authority_not_on_the_incident_is_refused(
    client, officer, incident, controller, complete_register, lead_ap, admin_actor
):
    other = org_services.save_authority(
        None,
        code="be-apd",
        name="Gegevensbeschermingsautoriteit",
        country="BE",
        notification_url="https://www.example.be/",
        actor=admin_actor,
        reason="another authority",
    )
    client.force_login(officer)
    _refused(client, incident, _form(controller, other), "authority", "Select a valid choice.")


@pytest.mark.parametrize("persona", ["lawyer", "viewer"])
def test_other_roles_are_refused_by_the_server(
    client, request, incident, controller, complete_register, lead_ap, persona
):
    client.force_login(request.getfixturevalue(persona))
    before = _written(incident)
    assert client.post(file_url(incident), _form(controller, lead_ap)).status_code == 403
    assert client.post(file_url(incident), {}).status_code == 403  # the role first, whatever the input
    assert _written(incident) == before


def test_another_organisation_gets_a_404(client, outsider, incident, controller, complete_register, lead_ap):
    client.force_login(outsider)
    assert client.post(file_url(incident), _form(controller, lead_ap)).status_code == 404
    assert client.get(page_url(incident)).status_code == 404
    assert AuthorityFiling.objects.count() == 0


def test_the_form_needs_a_post_and_a_login(client, officer, incident):
    assert client.post(file_url(incident), {}).status_code == 302  # to the login page
    client.force_login(officer)
    assert client.get(file_url(incident)).status_code == 405


def test_after_the_initial_the_form_offers_a_follow_up(client, officer, lab, dutch_ap, now):
    from tests.dashboard.conftest import file_initial, open_incident

    own = open_incident(lab, officer, title="Stolen laptop", aware_ago=5 * H, now=now)
    client.force_login(officer)
    before = client.get(page_url(own)).context["filing_form"]
    file_initial(own, officer, dutch_ap, submitted_at=now - H)
    after = client.get(page_url(own)).context["filing_form"]
    own_party = own.parties.get(party__is_self=True)
    assert (after.initial["controller"], after.initial["authority"]) == (own_party.pk, dutch_ap.pk)
    assert before.initial.get("filing_type") is None and after.initial["filing_type"] == "follow_up"


def test_the_form_offers_the_filers_zones_and_refuses_another(
    client, officer, incident, controller, complete_register, lead_ap, admin_actor
):
    officer.time_zone = "America/New_York"
    org_services.save_with_history(officer, actor=admin_actor, reason="zone", update_fields=["time_zone"])
    client.force_login(officer)
    form = client.get(page_url(incident)).context["filing_form"]
    offered = [value for value, _label in form.fields["submitted_at"].fields[1].choices]
    assert offered[0] == "America/New_York" and "Europe/Amsterdam" in offered and "UTC" in offered
    _refused(
        client,
        incident,
        _form(controller, lead_ap, submitted_at_1="Asia/Tokyo"),
        "submitted_at",
        "Select a valid choice.",
    )
