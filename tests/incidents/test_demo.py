"""The demo scenario (ops.demo) and its command: the 2025 laboratory case, with invented names.

Runs in real time (no frozen clock): every demo instant lies in 2025, so the model's
"not in the future" checks pass exactly as they would for a real installation.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.utils import timezone
from simple_history.models import registered_models

from incidents.models import (
    AffectedEstimate,
    AwarenessRecord,
    ExtortionCountdown,
    ExtortionThreat,
    Incident,
    ProcessorNotice,
    Publication,
)
from notifications.models import Deadline, DeadlineKind
from ops.demo import GP_PRACTICE, HOSPITAL, LAB, LIVE_TITLE, PROGRAMME, USERNAMES, live_aware_ago, load_demo
from organisations.models import Organisation, User
from rules.clocks import authority_due_at, processor_lag

PASSWORD = "a demo password for tests"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Each demo load hashes four passwords; the production hasher would make this module slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(db):
    return load_demo(PASSWORD)


def lab_incident() -> Incident:
    return Incident.objects.get(organisation__name=LAB, title__startswith="Ransomware attack")


def programme_incident() -> Incident:
    return Incident.objects.get(organisation__name=PROGRAMME)


def awareness_by_party(incident: Incident) -> dict[str, datetime]:
    return {
        record.party.party.name: record.aware_at for record in incident.awareness_records.select_related("party__party")
    }


def historied_models():
    return [model for model in registered_models.values() if not model._meta.abstract]


def row_counts() -> dict[str, int]:
    counts = {}
    for model in historied_models():
        counts[model._meta.label] = model._default_manager.count()
        counts[f"{model._meta.label} history"] = model.history.count()
    return counts


def write_password_file(tmp_path, content: str):
    path = tmp_path / "password"
    path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.django_db
def test_loading_creates_the_two_tenants_and_the_demo_users(demo):
    assert demo.created
    assert set(Organisation.objects.values_list("name", flat=True)) == {LAB, PROGRAMME}
    users = User.objects.filter(username__in=USERNAMES)
    assert {(user.username, user.email, user.time_zone) for user in users} == {
        (name, name, "Europe/Amsterdam") for name in USERNAMES
    }


@pytest.mark.django_db
def test_every_demo_user_can_log_in_with_the_password(demo):
    for username in USERNAMES:
        assert authenticate(username=username, password=PASSWORD) is not None, username


@pytest.mark.django_db
def test_the_lab_incident_has_four_parties_and_three_processing_relationships(demo):
    incident = lab_incident()
    roles = {party.party.name: party.role for party in incident.parties.select_related("party")}
    assert roles == {LAB: "processor", PROGRAMME: "controller", HOSPITAL: "controller", GP_PRACTICE: "controller"}
    targets = {r.controller.party.name: r.notice_target_hours for r in incident.processing_relationships.all()}
    assert targets == {PROGRAMME: 24, HOSPITAL: 48, GP_PRACTICE: 24}
    assert incident.authorities.get().authority.code == "nl-ap"
    assert incident.status == "open"


@pytest.mark.django_db
def test_the_lab_and_each_controller_became_aware_at_their_own_instant(demo):
    assert awareness_by_party(lab_incident()) == {
        LAB: datetime(2025, 7, 6, 8, 0, tzinfo=UTC),  # Sunday 10:00 CEST
        PROGRAMME: datetime(2025, 8, 6, 13, 0, tzinfo=UTC),  # Wednesday 15:00 CEST
        HOSPITAL: datetime(2025, 8, 27, 9, 0, tzinfo=UTC),  # 11:00 CEST
        GP_PRACTICE: datetime(2025, 11, 24, 8, 0, tzinfo=UTC),  # 09:00 CET: winter time by then
    }
    assert set(lab_incident().awareness_records.values_list("aware_tz", flat=True)) == {"Europe/Amsterdam"}


@pytest.mark.django_db
def test_the_programme_learned_of_the_breach_about_31_days_after_the_lab(demo):
    incident = lab_incident()
    lab_aware_at = incident.awareness_records.get(source="threat_actor").aware_at
    notice = ProcessorNotice.objects.get(
        relationship__incident=incident, relationship__controller__party__name=PROGRAMME
    )
    lag = processor_lag(lab_aware_at, notice.informed_at, timedelta(hours=24), now=timezone.now())
    assert lag.lag.days == 31
    assert lag.is_over_target


@pytest.mark.django_db
def test_the_programme_72_hours_end_on_saturday_9_august(demo):
    aware_at = awareness_by_party(lab_incident())[PROGRAMME]
    assert authority_due_at(aware_at).astimezone(AMSTERDAM) == datetime(2025, 8, 9, 15, 0, tzinfo=AMSTERDAM)


@pytest.mark.django_db
def test_the_count_of_data_subjects_grows_in_the_order_it_became_known(demo):
    estimates = AffectedEstimate.objects.filter(incident=lab_incident(), measure="data_subjects", party=None)
    assert list(estimates.order_by("known_at").values_list("low", flat=True)) == [485_000, 715_000, 850_000, 941_000]
    at_least = estimates.get(low=850_000)
    assert at_least.high is None and at_least.is_approximate
    assert AffectedEstimate.objects.get(incident=lab_incident(), party__party__name=HOSPITAL).low == 53_000
    assert AffectedEstimate.objects.filter(incident=lab_incident(), measure="records").exists()


@pytest.mark.django_db
def test_the_countdown_was_set_renewed_after_payment_and_dropped(demo):
    threat = ExtortionThreat.objects.get(incident=lab_incident())
    chain = list(threat.countdown_revisions.all())
    assert [revision.kind for revision in chain] == ["set", "renewed_after_payment", "withdrawn"]
    assert chain[1].deadline_at.astimezone(AMSTERDAM) == datetime(2025, 8, 28, 23, 59, tzinfo=AMSTERDAM)
    assert (threat.demand_amount, threat.demand_currency, threat.payment_decision) == (1_100_000, "EUR", "paid")
    assert threat.police_reported_at is not None  # if you pay anyway, tell the police
    # The demand was named only with the renewal: the first version of the threat has none.
    assert threat.history.earliest().demand_amount is None


@pytest.mark.django_db
def test_the_partial_leak_is_recorded_and_its_art_34_reassessment_too(demo):
    publication = Publication.objects.get(incident=lab_incident())
    assert publication.records_count == 53_000
    assert publication.published_at.astimezone(AMSTERDAM) == datetime(2025, 8, 15, 12, 0, tzinfo=AMSTERDAM)
    assert not publication.needs_risk_reassessment


@pytest.mark.django_db
def test_the_demo_countdown_is_history_and_moves_no_legal_clock(demo):
    """Dropped, and every deadline passed long before loading: no countdown clock is active."""
    incident = lab_incident()
    assert not Deadline.objects.filter(
        incident=incident, kind=DeadlineKind.EXTORTION_COUNTDOWN, is_active=True
    ).exists()
    authority = Deadline.objects.get(
        incident=incident, kind=DeadlineKind.AUTHORITY_NOTIFICATION, party__party__name=PROGRAMME
    )
    assert authority.due_at.astimezone(AMSTERDAM) == datetime(2025, 8, 9, 15, 0, tzinfo=AMSTERDAM)


@pytest.mark.django_db
def test_the_programme_keeps_its_own_record_of_the_same_breach(demo):
    incident = programme_incident()
    roles = {party.party.name: party.role for party in incident.parties.select_related("party")}
    assert roles == {PROGRAMME: "controller", LAB: "processor"}
    assert incident.parties.get(role="processor").party.owner == incident.organisation  # its own directory
    assert awareness_by_party(incident)[PROGRAMME] == datetime(2025, 8, 6, 13, 0, tzinfo=UTC)
    assert list(incident.estimates.order_by("known_at", "pk").values_list("measure", "low", "known_at")) == [
        ("data_subjects", 485_000, datetime(2025, 8, 11, 8, 0, tzinfo=UTC)),
        ("data_subjects", 850_000, datetime(2025, 8, 29, 10, 0, tzinfo=UTC)),
        ("records", 1_100_000, datetime(2025, 8, 29, 10, 0, tzinfo=UTC)),
    ]


@pytest.mark.django_db
def test_the_programme_notified_two_days_late_in_phases_and_wrote_to_participants(demo):
    """Its 72 hours ended on Saturday 9 August 15:00; it filed on Monday 11 August with its
    reasons, completed the filing on 29 August, and sent the first letters on 10 September."""
    incident = programme_incident()
    clocks = {row.kind: row for row in Deadline.objects.filter(incident=incident, is_active=True)}
    authority = clocks[DeadlineKind.AUTHORITY_NOTIFICATION]
    assert authority.met_at == datetime(2025, 8, 11, 8, 0, tzinfo=UTC)
    assert authority.met_at - authority.due_at == timedelta(days=1, hours=19)  # met late: shown, never hidden
    assert authority.next_alert_at is None
    follow_up = clocks[DeadlineKind.FOLLOW_UP]
    assert follow_up.met_at == datetime(2025, 8, 29, 14, 0, tzinfo=UTC)
    letters = clocks[DeadlineKind.DATA_SUBJECT_COMMUNICATION]
    assert letters.started_at == datetime(2025, 8, 8, 9, 0, tzinfo=UTC)
    assert letters.met_at == datetime(2025, 9, 10, 7, 0, tzinfo=UTC) and not letters.is_legal_deadline
    filings = list(incident.authority_filings.order_by("submitted_at"))
    assert [(f.filing_type, f.is_phased) for f in filings] == [("initial", True), ("follow_up", False)]
    assert filings[0].delay_reasons.startswith("The laboratory told us on Wednesday 6 August")


@pytest.mark.django_db
def test_each_privacy_officer_sees_only_their_own_tenant_incident(demo):
    programme_officer = User.objects.get(username="programme@demo.example")
    lab_officer = User.objects.get(username="officer@demo.example")
    assert list(Incident.objects.visible_to(programme_officer)) == [programme_incident()]
    live = Incident.objects.get(organisation__name=LAB, title=LIVE_TITLE)
    assert set(Incident.objects.visible_to(lab_officer)) == {lab_incident(), live}
    assert not AwarenessRecord.objects.visible_to(programme_officer).filter(incident=lab_incident()).exists()


@pytest.mark.django_db
def test_every_historical_record_names_an_actor_and_a_reason(demo):
    for model in historied_models():
        records = model.history.all()
        assert not records.filter(history_user__isnull=True).exists(), model
        assert not records.filter(history_change_reason__isnull=True).exists(), model
        assert not records.filter(history_change_reason="").exists(), model


@pytest.mark.django_db
def test_the_incident_facts_are_recorded_by_the_privacy_officers_not_by_a_system_actor(demo):
    officers = {"officer@demo.example", "programme@demo.example"}
    for model in (Incident, AwarenessRecord, AffectedEstimate, ProcessorNotice):
        authors = set(model.history.values_list("history_user__username", flat=True))
        assert authors == officers, model
    for model in (ExtortionThreat, ExtortionCountdown, Publication):  # only the lab records its extortion
        assert set(model.history.values_list("history_user__username", flat=True)) == {"officer@demo.example"}, model


@pytest.mark.django_db
def test_loading_twice_creates_nothing_new_but_sets_the_new_password(demo):
    """At the same moment as the first load, so the live incident stays where it is (a later reload
    re-places it: tests/incidents/test_demo_live.py)."""
    before = row_counts()
    live = Incident.objects.get(organisation__name=LAB, title=LIVE_TITLE)
    first_load = live.awareness_records.get().aware_at + live_aware_ago()
    again = load_demo("another demo password 456", now=first_load)
    after = row_counts()
    assert not again.created
    user_history = "organisations.User history"
    assert after.pop(user_history) == before.pop(user_history) + len(USERNAMES)  # one record per password reset
    assert after == before
    assert authenticate(username="officer@demo.example", password="another demo password 456") is not None
    assert authenticate(username="officer@demo.example", password=PASSWORD) is None
    reasons = User.history.filter(username="viewer@demo.example").values_list("history_change_reason", flat=True)
    assert "demo password reset from the password file" in reasons


@pytest.mark.django_db
def test_the_command_loads_the_demo_and_then_reports_that_it_exists(tmp_path):
    path = write_password_file(tmp_path, f"  {PASSWORD}\n")
    first, second = StringIO(), StringIO()
    call_command("load_demo", "--password-file", str(path), stdout=first)
    call_command("load_demo", "--password-file", str(path), stdout=second)
    assert "Demo created." in first.getvalue()
    assert "Ransomware attack and data theft at the laboratory" in first.getvalue()
    assert LIVE_TITLE in first.getvalue()
    assert "already exists" in second.getvalue()
    assert Organisation.objects.filter(name=LAB).count() == 1
    # Nothing fell back to the command's default actor: every write named its actor.
    assert not User.objects.filter(username="system:command:load_demo").exists()
    assert authenticate(username="programme@demo.example", password=PASSWORD) is not None  # whitespace stripped


@pytest.mark.django_db
def test_the_command_refuses_a_missing_password_file(tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("load_demo", "--password-file", str(tmp_path / "nowhere"))
    assert not Organisation.objects.exists()


@pytest.mark.django_db
def test_the_command_refuses_an_empty_password_file(tmp_path):
    path = write_password_file(tmp_path, " \n\t\n")
    with pytest.raises(CommandError, match="is empty"):
        call_command("load_demo", "--password-file", str(path))
    assert not Organisation.objects.exists()


@pytest.mark.django_db
def test_the_command_refuses_a_password_the_validators_reject(tmp_path):
    path = write_password_file(tmp_path, "short\n")
    with pytest.raises(CommandError, match="too short"):
        call_command("load_demo", "--password-file", str(path))
    assert not Organisation.objects.exists()


def test_the_command_needs_a_password_file():
    with pytest.raises(CommandError, match="--password-file"):
        call_command("load_demo")


@pytest.mark.django_db
def test_the_lab_confirmed_nis2_in_the_story_before_its_early_warning_not_when_the_demo_was_loaded(demo):
    """The NIS2 decision is dated the morning of the early warning (Amsterdam 8:00 on 7 July 2025):
    a decision dated the moment of loading would come after the reports it led to."""
    from incidents.models import RegimeDecision

    decision = RegimeDecision.objects.get(incident=lab_incident(), regime="nis2")
    assert decision.applies
    assert decision.decided_at == datetime(2025, 7, 7, 6, 0, tzinfo=UTC)
    reports = Deadline.objects.filter(incident=decision.incident, kind="regime_report", is_active=True)
    filed = sorted(row.met_at for row in reports if row.met_at is not None)
    assert filed and decision.decided_at < filed[0]
