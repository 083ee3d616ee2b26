"""As of T: the register as it was known at an instant, the diff between two, and the pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions import incidents as services
from readers.asof import diff_as_of, register_as_of
from rules.clocks import DeadlineState, authority_due_at

AWARE = datetime(2025, 8, 18, 9, 0, tzinfo=UTC)
CORRECTED = datetime(2025, 8, 17, 21, 0, tzinfo=UTC)


@pytest.fixture
def history(incident, processor_and_controller, officer, now, time_machine):
    """Facts recorded at three moments: awareness and 485,000 (now), 715,000 (+1 h), a correction (+2 h)."""
    _processor, controller, _relationship = processor_and_controller
    record = services.record_awareness(
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
    time_machine.move_to(now + timedelta(hours=2), tick=False)
    services.correct_processor_notice(  # the awareness from the processor is its notice
        record.processor_notice, informed_at=CORRECTED, actor=officer, reason="the e-mail arrived the evening before"
    )
    time_machine.move_to(now + timedelta(hours=3), tick=False)
    return record


def test_between_two_estimates_it_shows_the_earlier_count_and_the_deadline_as_then_known(incident, history, now):
    register = register_as_of(incident, now + timedelta(minutes=30))

    assert register.current_estimates["data_subjects"].low == 485_000
    (clock,) = register.controller_clocks
    assert clock.awareness.aware_at == AWARE
    assert clock.due_at == authority_due_at(AWARE)
    assert clock.status.state is DeadlineState.PENDING
    assert clock.status.remaining == authority_due_at(AWARE) - (now + timedelta(minutes=30))


def test_after_the_correction_the_deadline_moves_with_the_awareness(incident, history, now):
    register = register_as_of(incident, now + timedelta(hours=2, minutes=30))

    assert register.current_estimates["data_subjects"].low == 715_000
    assert register.controller_clocks[0].due_at == authority_due_at(CORRECTED)


def test_before_the_incident_was_recorded_the_register_is_empty(incident, history, now):
    register = register_as_of(incident, now - timedelta(days=1))

    assert register.incident is None
    assert register.parties == [] and register.controller_clocks == []


def test_a_corrected_awareness_shows_old_and_new_with_actor_and_reason(incident, history, now, officer):
    diffs = diff_as_of(incident, now + timedelta(minutes=30), now + timedelta(hours=2, minutes=30))

    awareness = next(d for d in diffs if d.source == "awareness")
    assert awareness.change == "changed"
    assert ("aware_at", AWARE, CORRECTED) in awareness.fields
    (step,) = awareness.steps
    assert step.actor == officer.get_username()
    assert step.reason == "the e-mail arrived the evening before"
    added = [d for d in diffs if d.change == "added"]
    assert [d.source for d in added] == ["estimates"]
    assert added[0].steps[0].reason == "count revised after forensic report"


def test_as_of_reads_one_query_per_history_table_whatever_the_history(incident, history, officer, now):
    def count():
        with CaptureQueriesContext(connection) as captured:
            register_as_of(incident, now + timedelta(hours=3))
        return len(captured)

    before = count()
    for k in range(10):
        services.update_incident(incident, title=f"Ransomware, update {k}", actor=officer, reason="wording")
    assert count() == before


def test_a_party_renamed_later_shows_under_the_name_it_had_then(
    incident, history, processor_and_controller, admin_actor, now, time_machine
):
    from organisations.services import update_party

    _processor, controller, _relationship = processor_and_controller
    old_name = controller.party.name
    time_machine.move_to(now + timedelta(hours=4), tick=False)
    update_party(controller.party, name="Bevolkingsonderzoek Nederland (renamed)", actor=admin_actor, reason="merger")

    then = register_as_of(incident, now + timedelta(hours=3))
    later = register_as_of(incident, now + timedelta(hours=5))

    assert [p.party.name for p in then.parties if p.pk == controller.pk] == [old_name]
    assert [p.party.name for p in later.parties if p.pk == controller.pk] == ["Bevolkingsonderzoek Nederland (renamed)"]
    assert then.controller_clocks[0].party.party.name == old_name


def test_the_art_34_clock_as_of_t_runs_on_the_alert_policy_of_t(
    client, lawyer, incident, processor_and_controller, officer, now, time_machine
):
    from actions import communications
    from actions.alert_policies import set_alert_policy
    from notifications.models import DeadlineKind

    _processor, controller, _relationship = processor_and_controller
    decided = now - timedelta(hours=1)
    communications.record_assessment(
        incident,
        controller=controller,
        is_high_risk=True,
        reasoning="health data and BSNs",
        decided_by_name="A. Jansen",
        decided_by_role="DPO",
        decided_at=decided,
        actor=officer,
        reason="Art. 34 decision",
        now=now,
    )
    time_machine.move_to(now + timedelta(hours=1), tick=False)
    set_alert_policy(
        incident.organisation,
        DeadlineKind.DATA_SUBJECT_COMMUNICATION,
        thresholds_before_minutes=[60],
        target_hours=24,
        actor=officer,
        reason="letters within a day",
    )

    then = register_as_of(incident, now + timedelta(minutes=30))
    later = register_as_of(incident, now + timedelta(hours=2))

    (clock_then,) = then.communication_clocks
    assert (clock_then.party.pk, clock_then.started_at, clock_then.met_at) == (controller.pk, decided, None)
    assert clock_then.due_at == decided + timedelta(hours=72)  # the installation's default: no policy yet
    assert clock_then.status.state is DeadlineState.PENDING
    assert later.communication_clocks[0].due_at == decided + timedelta(hours=24)  # the policy recorded at +1 h
    assert then.follow_up_clocks == later.follow_up_clocks == []  # nothing filed
    assert register_as_of(incident, now - timedelta(days=30)).communication_clocks == []
    page = _get(
        client, lawyer, "evidence:as_of", incident, at=(now + timedelta(minutes=30)).isoformat()
    ).content.decode()
    section = page.split("Communication to data subjects (Art. 34), as known then", 1)[1].split("</table>", 1)[0]
    assert controller.party.name in section and "left" in section


# --- Pages --------------------------------------------------------------------------------------


def _get(client, user, name, incident, **params):
    client.force_login(user)
    return client.get(reverse(name, args=[incident.pk]), params)


@pytest.mark.parametrize("persona", ["officer", "lawyer", "viewer"])
def test_every_member_may_read_the_register_as_of_a_moment(client, request, incident, history, persona):
    response = _get(client, request.getfixturevalue(persona), "evidence:as_of", incident, at="2025-08-20T14:30")

    assert response.status_code == 200
    assert "485,000" in response.content.decode()


def test_the_diff_page_shows_the_correction_with_its_reason(client, lawyer, incident, history):
    response = _get(
        client, lawyer, "evidence:as_of_diff", incident, **{"from": "2025-08-20T14:30", "to": "2025-08-20T16:30"}
    )

    assert response.status_code == 200
    assert "the e-mail arrived the evening before" in response.content.decode()


@pytest.mark.parametrize("name", ["evidence:as_of", "evidence:as_of_diff"])
def test_another_organisations_incident_is_a_404(client, outsider, incident, history, name):
    response = _get(
        client,
        outsider,
        name,
        incident,
        at="2025-08-20T14:30",
        **{"from": "2025-08-20T14:30", "to": "2025-08-20T15:00"},
    )

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("at", "says"),
    [
        ("2025-03-30T02:30", "does not exist"),  # clocks jumped from 02:00 to 03:00 in Amsterdam
        ("2025-10-26T02:30", "happens twice"),
        ("2025-08-21T12:00", "future"),
        ("2025-08-21T12:00:00+00:00", "future"),
        ("yesterday", "not a date"),
        ("", "Give"),
    ],
)
def test_a_bad_instant_is_a_clear_400(client, lawyer, incident, at, says):
    response = _get(client, lawyer, "evidence:as_of", incident, at=at)

    assert response.status_code == 400
    assert says in response.content.decode()


def test_an_iso_instant_with_an_offset_is_read_as_that_instant(client, lawyer, incident, history):
    response = _get(client, lawyer, "evidence:as_of", incident, at="2025-08-20T12:30:00+00:00")

    assert response.status_code == 200
    assert "485,000" in response.content.decode() and "715,000" not in response.content.decode()


def test_a_bad_instant_is_shown_escaped_in_the_picker_never_as_markup(client, lawyer, incident):
    # The 400 is the picker page again; the typed value is quoted in its message, escaped.
    response = _get(client, lawyer, "evidence:as_of", incident, at="<script>alert(1)</script>")

    assert response.status_code == 400
    body = response.content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
