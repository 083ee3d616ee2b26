"""The demo's live incident (ops.demo.create_live_incident): a clock that runs from the moment of loading.

The clock is frozen at NOW; the historical 2025 case lies long before it, so every "not in the
future" check passes as it would for a real installation.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from actions import incidents as services
from actions.sweep import sweep
from incidents.models import AwarenessRecord, Incident
from notifications.models import Deadline, DeadlineKind, Notification
from ops.demo import (
    LAB,
    LIVE_REPLACED_REASON,
    LIVE_TITLE,
    USERNAMES,
    USERS,
    describe_users,
    find_live_incident,
    load_demo,
)
from organisations.models import Organisation, User
from rules.clocks import DeadlineState, evaluate

PASSWORD = "a demo password for tests"
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
AWARE_AGO = timedelta(hours=23, minutes=57)  # 72 h - 48 h (the default's largest threshold) - 3 min
TIME_LEFT = timedelta(hours=48, minutes=3)


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def demo(db, frozen):
    return load_demo(PASSWORD, now=NOW)


def live_incident() -> Incident:
    return Incident.objects.get(organisation__name=LAB, title=LIVE_TITLE)


def live_clock(incident: Incident | None = None) -> Deadline:
    return Deadline.objects.get(
        incident=incident or live_incident(), kind=DeadlineKind.AUTHORITY_NOTIFICATION, is_active=True
    )


def sweep_at(frozen, moment: datetime) -> int:
    frozen.move_to(moment, tick=False)
    return sweep(now_func=timezone.now)


@pytest.mark.django_db
def test_the_live_clock_to_the_authority_is_pending_with_48_hours_3_minutes_left_at_load(demo):
    incident = live_incident()
    assert incident.organisation.name == LAB and incident.status == "open"
    assert {(p.party.name, p.role) for p in incident.parties.select_related("party")} == {(LAB, "controller")}
    awareness = incident.awareness_records.get()
    assert (awareness.aware_at, awareness.aware_tz) == (NOW - AWARE_AGO, "Europe/Amsterdam")
    clock = live_clock()
    assert clock.is_legal_deadline and clock.due_at == NOW + TIME_LEFT
    status = evaluate(clock.due_at, clock.met_at, NOW)
    assert (status.state, status.remaining) == (DeadlineState.PENDING, TIME_LEFT)
    # The first alert of the default policy is minutes away; no threshold has passed yet.
    assert (clock.next_alert_label, clock.next_alert_at) == ("before:48h", NOW + timedelta(minutes=3))
    assert clock.alerts.count() == 0


@pytest.mark.django_db
def test_a_sweep_minutes_after_loading_records_exactly_one_alert_for_the_officer_and_legal(demo, frozen):
    sweep_at(frozen, NOW + timedelta(minutes=2))  # the historical clocks' overdue alerts, not the live one
    assert live_clock().alerts.count() == 0
    sweep_at(frozen, NOW + timedelta(minutes=4))
    sweep_at(frozen, NOW + timedelta(minutes=5))
    clock = live_clock()
    event = clock.alerts.get()
    assert (event.label, event.fired_at) == ("before:48h", NOW + timedelta(minutes=4))
    readers = set(Notification.objects.filter(alert_event=event).values_list("user__username", flat=True))
    assert readers == {"officer@demo.example", "legal@demo.example"}  # in-app, for those the alerts are for


@pytest.mark.django_db
def test_the_live_incident_is_written_by_the_lab_officer_with_reasons(demo):
    incident = live_incident()
    for model, rows in ((Incident, incident.history.all()), (AwarenessRecord, AwarenessRecord.history.all())):
        rows = rows.filter(history_user__username="officer@demo.example") if model is AwarenessRecord else rows
        assert rows.exists(), model
    assert set(incident.history.values_list("history_user__username", flat=True)) == {"officer@demo.example"}
    assert "" not in set(incident.history.values_list("history_change_reason", flat=True))


@pytest.mark.django_db
def test_reloading_at_the_same_moment_changes_nothing(demo):
    before = (Incident.history.count(), AwarenessRecord.history.count(), Incident.objects.count())
    again = load_demo(PASSWORD, now=NOW)
    assert not again.created
    assert (Incident.history.count(), AwarenessRecord.history.count(), Incident.objects.count()) == before


@pytest.mark.django_db
def test_reloading_days_later_re_places_the_live_incident_without_duplicating_it(demo, frozen):
    historical = Incident.objects.get(organisation__name=LAB, title__startswith="Ransomware")
    historical_versions = historical.history.count()
    incident = live_incident()
    services.update_incident(
        incident, actor=User.objects.get(username="officer@demo.example"), reason="clearer", title="Stolen HR laptop"
    )
    later = NOW + timedelta(days=3, hours=5)
    frozen.move_to(later, tick=False)

    again = load_demo(PASSWORD, now=later)

    assert not again.created
    assert Incident.objects.filter(organisation__name=LAB).count() == 2  # renamed, still found: no duplicate
    assert find_live_incident(Organisation.objects.get(name=LAB)).pk == incident.pk
    awareness = incident.awareness_records.get()
    assert awareness.aware_at == later - AWARE_AGO
    assert awareness.history.latest().history_change_reason == LIVE_REPLACED_REASON
    clock = live_clock(incident)
    assert clock.due_at == later + TIME_LEFT
    assert clock.next_alert_at == later + timedelta(minutes=3)
    incident.refresh_from_db()
    assert incident.detected_at < awareness.aware_at < incident.investigation_started_at
    assert incident.occurred_from_at > NOW  # the whole story moved, not only the awareness
    assert historical.history.count() == historical_versions  # the 2025 case is left alone


@pytest.mark.django_db
def test_describe_names_every_demo_user_and_what_each_is_for_without_writing(db):
    out = StringIO()
    call_command("load_demo", "--describe", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines == list(describe_users())
    assert len(lines) == len(USERS) == 4
    for line, username, (*_row, purpose) in zip(lines, USERNAMES, USERS, strict=True):
        assert line.startswith(username) and line.endswith(purpose)
    assert "privacy officer of the laboratory" in lines[0] and "writes" in lines[0]
    assert not Organisation.objects.exists()


@pytest.mark.django_db
def test_reloading_after_the_awareness_was_withdrawn_records_a_fresh_one(demo, frozen):
    incident = live_incident()
    officer = User.objects.get(username="officer@demo.example")
    services.withdraw_awareness(
        incident.awareness_records.get(), withdrawal_reason="trying the demo", actor=officer, reason="try it"
    )
    later = NOW + timedelta(hours=2)
    frozen.move_to(later, tick=False)

    load_demo(PASSWORD, now=later)

    current = incident.awareness_records.get(is_withdrawn=False)
    assert current.aware_at == later - AWARE_AGO
    assert live_clock(incident).due_at == later + TIME_LEFT


@pytest.mark.django_db
def test_reloading_a_demo_loaded_before_the_live_incident_existed_adds_it_once(db, frozen, monkeypatch):
    import ops.demo

    monkeypatch.setattr(ops.demo, "create_live_incident", lambda *args, **kwargs: None)
    load_demo(PASSWORD, now=NOW)
    monkeypatch.undo()
    assert not Incident.objects.filter(title=LIVE_TITLE).exists()

    load_demo(PASSWORD, now=NOW)
    load_demo(PASSWORD, now=NOW)

    assert live_clock().due_at == NOW + TIME_LEFT
    assert Incident.objects.filter(organisation__name=LAB).count() == 2
