"""Extortion facts: the threat, its countdown revisions, publications (actions.extortion)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from actions import extortion
from actions import incidents as services
from incidents.models import ExtortionCountdown, ExtortionThreat, Publication
from notifications.models import Deadline, DeadlineKind
from organisations.services import save_with_history
from readers.register import register_view

H = timedelta(hours=1)


def codes(error: ValidationError) -> dict[str, list[str]]:
    return {field: [e.code for e in errors] for field, errors in error.error_dict.items()}


def counts() -> tuple[int, ...]:
    return (
        ExtortionThreat.objects.count(),
        ExtortionThreat.history.count(),
        ExtortionCountdown.objects.count(),
        ExtortionCountdown.history.count(),
        Publication.objects.count(),
        Publication.history.count(),
        Deadline.objects.count(),
    )


@pytest.fixture
def threat(incident, officer, now):
    return extortion.record_threat(
        incident,
        actor_name="Kraken Collective",
        actor_aliases="KC, Kraken",
        first_contact_at=now - 72 * H,
        channel="leak_site",
        demand_amount=Decimal("1100000"),
        demand_currency="eur",
        demand_payment_method="bitcoin",
        actor=officer,
        reason="listed on the leak site",
    )


def set_countdown(threat, officer, now, deadline=None, **extra):
    return extortion.revise_countdown(
        threat,
        kind="set",
        announced_at=now - 72 * H,
        deadline_at=deadline or now + 48 * H,
        source="leak-site listing",
        actor=officer,
        reason="countdown on the leak site",
        **extra,
    )


# --- The threat --------------------------------------------------------------------------------------
def test_a_threat_is_recorded_with_its_demand_in_an_iso_4217_currency(threat, officer):
    assert threat.demand_currency == "EUR"
    assert threat.demand_amount == Decimal("1100000")
    assert threat.first_contact_tz == "Europe/Amsterdam"  # no zone given: the officer's own
    record = threat.history.get()
    assert (record.history_user, record.history_change_reason) == (officer, "listed on the leak site")


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ({"demand_amount": Decimal("-1"), "demand_currency": "EUR"}, {"demand_amount": ["negative"]}),
        ({"demand_amount": Decimal("10"), "demand_currency": "BTC"}, {"demand_currency": ["unknown_currency"]}),
        ({"demand_amount": Decimal("10"), "demand_currency": "XAU"}, {"demand_currency": ["unknown_currency"]}),
        ({"demand_amount": Decimal("10")}, {"demand_currency": ["required"]}),
        ({"demand_currency": "EUR"}, {"demand_amount": ["required"]}),
        ({"demand_amount": Decimal("10.5"), "demand_currency": "JPY"}, {"demand_amount": ["too_precise"]}),
        ({"demand_amount": Decimal("10.125"), "demand_currency": "EUR"}, {"demand_amount": ["too_precise"]}),
    ],
)
def test_a_bad_demand_is_refused_precisely_and_nothing_is_written(incident, officer, now, facts, expected):
    before = counts()
    with pytest.raises(ValidationError) as refused:
        extortion.record_threat(
            incident, actor_name="Kraken", first_contact_at=now - H, channel="email", actor=officer, reason="r", **facts
        )
    assert codes(refused.value) == expected
    assert counts() == before


def test_a_demand_in_a_currency_with_three_decimals_keeps_them(incident, officer, now):
    threat = extortion.record_threat(
        incident,
        actor_name="K",
        first_contact_at=now - H,
        channel="email",
        demand_amount=Decimal("5.125"),
        demand_currency="KWD",
        actor=officer,
        reason="r",
    )
    threat.refresh_from_db()
    assert threat.demand_amount == Decimal("5.125")


def test_first_contact_in_the_future_or_before_the_breach_is_refused(incident, officer, now):
    with pytest.raises(ValidationError) as future:
        extortion.record_threat(
            incident, actor_name="K", first_contact_at=now + 2 * H, channel="email", actor=officer, reason="r"
        )
    assert codes(future.value) == {"first_contact_at": ["future"]}
    with pytest.raises(ValidationError) as early:
        extortion.record_threat(
            incident,
            actor_name="K",
            first_contact_at=incident.occurred_from_at - H,
            channel="email",
            actor=officer,
            reason="r",
        )
    assert codes(early.value) == {"first_contact_at": ["before_start"]}


def test_a_wall_clock_time_that_never_happened_is_refused(incident, officer, now, time_machine):
    time_machine.move_to(datetime(2026, 4, 1, 12, 0, tzinfo=UTC), tick=False)
    before = counts()
    with pytest.raises(ValidationError) as refused:
        extortion.record_threat(
            incident,
            actor_name="K",
            first_contact_at=datetime(2026, 3, 29, 2, 30),
            first_contact_tz="Europe/Amsterdam",
            channel="email",
            actor=officer,
            reason="r",
        )
    assert codes(refused.value) == {"first_contact_at": ["nonexistent"]}
    assert counts() == before


def test_an_ambiguous_wall_clock_time_needs_its_fold(incident, officer, now, time_machine):
    time_machine.move_to(datetime(2026, 11, 1, 12, 0, tzinfo=UTC), tick=False)
    with pytest.raises(ValidationError) as refused:
        extortion.record_threat(
            incident,
            actor_name="K",
            first_contact_at=datetime(2026, 10, 25, 2, 30),
            first_contact_tz="Europe/Amsterdam",
            channel="email",
            actor=officer,
            reason="r",
        )
    assert codes(refused.value) == {"first_contact_at": ["ambiguous"]}
    threat = extortion.record_threat(
        incident,
        actor_name="K",
        first_contact_at=datetime(2026, 10, 25, 2, 30),
        first_contact_tz="Europe/Amsterdam",
        first_contact_fold="later",
        channel="email",
        actor=officer,
        reason="r",
    )
    assert threat.first_contact_at == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30 CET = 01:30 UTC
    assert threat.first_contact_tz == "Europe/Amsterdam"


def test_a_field_outside_the_service_is_refused(incident, officer, now):
    with pytest.raises(ValidationError) as refused:
        extortion.record_threat(
            incident,
            actor_name="K",
            first_contact_at=now,
            channel="email",
            payment_decision="paid",
            actor=officer,
            reason="r",
        )
    assert codes(refused.value) == {"payment_decision": ["not_editable"]}
    with pytest.raises(ValidationError) as refused:
        extortion.record_threat(
            incident,
            actor_name="K",
            first_contact_at=now,
            channel="email",
            payment_decided_at=now,
            payment_decided_fold="later",
            actor=officer,
            reason="r",
        )
    assert codes(refused.value) == {"payment_decided_at": ["not_editable"], "payment_decided_fold": ["not_editable"]}


# --- Payment decision and police -----------------------------------------------------------------------
def test_the_payment_decision_needs_when_and_why(threat, officer, now):
    with pytest.raises(ValidationError) as refused:
        extortion.record_payment_decision(threat, payment_decision="will_not_pay", actor=officer, reason="board")
    assert codes(refused.value) == {"payment_decided_at": ["required"], "payment_reasoning": ["required"]}
    threat = extortion.record_payment_decision(
        threat,
        payment_decision="will_not_pay",
        payment_decided_at=now - H,
        payment_reasoning="Police advice: do not pay; paying would not reduce the risk to patients.",
        actor=officer,
        reason="board decision",
    )
    threat.refresh_from_db()
    assert threat.payment_decision == "will_not_pay"
    assert threat.history.first().history_change_reason == "board decision"


def test_paying_moves_no_deadline(threat, officer, now, processor_and_controller):
    processor, controller, _relationship = processor_and_controller
    services.record_awareness(
        incident := threat.incident,
        party=controller,
        aware_at=now - 10 * H,
        source="own_detection",
        actor=officer,
        reason="aware",
    )
    set_countdown(threat, officer, now)
    before = list(Deadline.objects.filter(incident=incident).order_by("pk").values())
    extortion.record_payment_decision(
        threat,
        payment_decision="paid",
        payment_decided_at=now - H,
        payment_reasoning="Board chose to pay.",
        actor=officer,
        reason="paid",
    )
    assert list(Deadline.objects.filter(incident=incident).order_by("pk").values()) == before
    threat.refresh_from_db()
    assert threat.is_paid_without_police_report  # police advice: tell the police if you pay


def test_the_police_report_is_recorded_and_a_reference_needs_its_time(threat, officer, now):
    with pytest.raises(ValidationError) as refused:
        extortion.record_police_report(threat, police_reference="PL0900-2025-123", actor=officer, reason="police")
    assert codes(refused.value) == {"police_reported_at": ["required"]}
    threat = extortion.record_police_report(
        threat,
        police_reported_at=now - 2 * H,
        police_reference="PL0900-2025-123",
        other_agencies_told="Z-CERT and the NCSC, same day.",
        actor=officer,
        reason="reported to the police",
    )
    threat.refresh_from_db()
    assert (threat.police_reference, threat.other_agencies_told) == (
        "PL0900-2025-123",
        "Z-CERT and the NCSC, same day.",
    )


# --- The countdown ------------------------------------------------------------------------------------------
def test_revisions_are_kept_in_order_with_who_and_why(threat, officer, now):
    set_countdown(threat, officer, now, deadline=now + 24 * H)
    extortion.revise_countdown(
        threat,
        kind="extended",
        announced_at=now - 10 * H,
        deadline_at=now + 72 * H,
        actor=officer,
        reason="extended on the site",
    )
    extortion.revise_countdown(
        threat,
        kind="renewed_after_payment",
        announced_at=now - 2 * H,
        deadline_at=now + 96 * H,
        note="They claim a payment was made.",
        actor=officer,
        reason="new countdown after payment",
    )
    extortion.withdraw_countdown(
        threat, announced_at=now - H, source="leak site", actor=officer, reason="listing removed"
    )

    chain = list(threat.countdown_revisions.all())
    assert [r.kind for r in chain] == ["set", "extended", "renewed_after_payment", "withdrawn"]
    assert [r.deadline_at for r in chain] == [now + 24 * H, now + 72 * H, now + 96 * H, None]
    reasons = [r.history.get().history_change_reason for r in chain]
    assert reasons == [
        "countdown on the leak site",
        "extended on the site",
        "new countdown after payment",
        "listing removed",
    ]
    assert {r.history.get().history_user for r in chain} == {officer}
    assert {r.recorded_by for r in chain} == {officer}


@pytest.mark.parametrize(
    ("kind", "offset", "expected"),
    [
        ("set", 100, {"kind": ["already_running"]}),
        ("extended", 10, {"deadline_at": ["not_later"]}),
        ("shortened", 100, {"deadline_at": ["not_earlier"]}),
    ],
)
def test_a_revision_that_contradicts_the_chain_is_refused(threat, officer, now, kind, offset, expected):
    set_countdown(threat, officer, now, deadline=now + 48 * H)
    before = counts()
    with pytest.raises(ValidationError) as refused:
        extortion.revise_countdown(
            threat, kind=kind, announced_at=now - H, deadline_at=now + offset * H, actor=officer, reason="r"
        )
    assert codes(refused.value) == expected
    assert counts() == before


def test_without_a_countdown_only_set_is_possible(threat, officer, now):
    for kind, expected in (("extended", "nothing_running"), ("renewed_after_payment", "nothing_to_renew")):
        with pytest.raises(ValidationError) as refused:
            extortion.revise_countdown(
                threat, kind=kind, announced_at=now - H, deadline_at=now + H, actor=officer, reason="r"
            )
        assert codes(refused.value) == {"kind": [expected]}
    with pytest.raises(ValidationError) as refused:
        extortion.withdraw_countdown(threat, announced_at=now - H, actor=officer, reason="r")
    assert codes(refused.value) == {"kind": ["nothing_running"]}
    assert not ExtortionCountdown.objects.exists()


def test_a_revision_announced_before_the_latest_one_is_refused(threat, officer, now):
    extortion.revise_countdown(
        threat, kind="set", announced_at=now - 10 * H, deadline_at=now + 48 * H, actor=officer, reason="set"
    )
    before = counts()
    with pytest.raises(ValidationError) as refused:
        extortion.revise_countdown(
            threat, kind="extended", announced_at=now - 20 * H, deadline_at=now + 96 * H, actor=officer, reason="r"
        )
    assert codes(refused.value) == {"announced_at": ["before_previous"]}
    assert counts() == before


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ({"announced_at": "future", "deadline_at": 10}, {"announced_at": ["future"]}),
        ({"announced_at": -5, "deadline_at": -6}, {"deadline_at": ["not_after_announced"]}),
        ({"announced_at": -5, "deadline_at": None}, {"deadline_at": ["required"]}),
        ({"announced_at": -100, "deadline_at": 10}, {"announced_at": ["before_first_contact"]}),
    ],
)
def test_impossible_countdown_times_are_refused_and_nothing_is_written(threat, officer, now, facts, expected):
    def at(value):
        if value == "future":
            return now + 2 * H
        return None if value is None else now + value * H

    before = counts()
    with pytest.raises(ValidationError) as refused:
        extortion.revise_countdown(
            threat,
            kind="set",
            announced_at=at(facts["announced_at"]),
            deadline_at=at(facts["deadline_at"]),
            actor=officer,
            reason="r",
        )
    assert codes(refused.value) == expected
    assert counts() == before


def test_a_withdrawal_with_a_deadline_is_refused(threat, officer, now):
    set_countdown(threat, officer, now)
    with pytest.raises(ValidationError) as refused:
        extortion.withdraw_countdown(threat, announced_at=now - H, deadline_at=now + H, actor=officer, reason="r")
    assert codes(refused.value) == {"deadline_at": ["withdrawn_with_deadline"]}
    with pytest.raises(ValidationError) as refused:
        extortion.revise_countdown(threat, kind="withdrawn", announced_at=now - H, actor=officer, reason="r")
    assert codes(refused.value) == {"kind": ["use_withdraw"]}


def test_a_countdown_that_had_already_run_out_is_kept_as_history_without_a_clock(threat, officer, now):
    revision = set_countdown(threat, officer, now, deadline=now - 24 * H)
    assert revision.is_historical and not revision.starts_clock
    assert not Deadline.objects.filter(kind=DeadlineKind.EXTORTION_COUNTDOWN).exists()


def test_a_running_countdown_starts_one_operational_clock_per_threat(threat, incident, officer, now):
    set_countdown(threat, officer, now, deadline=now + 48 * H)
    other = extortion.record_threat(
        incident, actor_name="Copycat", first_contact_at=now - H, channel="email", actor=officer, reason="r"
    )
    extortion.revise_countdown(
        other, kind="set", announced_at=now - H, deadline_at=now + 10 * H, actor=officer, reason="r"
    )

    rows = {row.extortion_threat_id: row for row in Deadline.objects.filter(kind=DeadlineKind.EXTORTION_COUNTDOWN)}
    assert set(rows) == {threat.pk, other.pk}
    row = rows[threat.pk]
    assert (row.started_at, row.due_at, row.is_legal_deadline, row.party_id) == (
        now - 72 * H,
        now + 48 * H,
        False,
        None,
    )
    assert (row.next_alert_label, row.next_alert_at) == ("before:24h", now + 24 * H)
    assert (rows[other.pk].next_alert_label, rows[other.pk].next_alert_at) == ("before:6h", now + 4 * H)


# --- Publications and the Art. 34 flag --------------------------------------------------------------------
def test_a_publication_raises_the_art_34_flag_until_the_reassessment_is_recorded(threat, incident, officer, now):
    publication = extortion.record_publication(
        incident,
        threat=threat,
        published_at=now - 3 * H,
        location="Leak site, post 'lab part 1'",
        records_count=53_000,
        files_count=1_200,
        size_bytes=4_000_000_000,
        actor=officer,
        reason="partial leak seen",
    )
    view = register_view(incident, now=now)
    assert publication.needs_risk_reassessment
    assert view.extortion.publications_to_reassess == [publication]

    extortion.record_risk_reassessment(
        publication, outcome="High risk confirmed; letters brought forward.", actor=officer, reason="reassessed"
    )
    publication.refresh_from_db()
    assert not publication.needs_risk_reassessment
    assert publication.risk_reassessed_by == officer
    assert register_view(incident, now=now).extortion.publications_to_reassess == []
    with pytest.raises(ValidationError) as again:
        extortion.record_risk_reassessment(publication, outcome="again", actor=officer, reason="r")
    assert codes(again.value) == {"risk_reassessment_note": ["already_reassessed"]}


def test_a_publication_cannot_name_another_incidents_threat(incident, officer, lab, outsider, other_org, now):
    other_incident = services.create_incident(organisation=other_org, title="elsewhere", actor=outsider, reason="r")
    foreign = extortion.record_threat(
        other_incident, actor_name="K", first_contact_at=now - H, channel="email", actor=outsider, reason="r"
    )
    before = counts()
    with pytest.raises(ValidationError) as refused:
        extortion.record_publication(
            incident, threat=foreign, published_at=now - H, location="site", actor=officer, reason="r"
        )
    assert codes(refused.value) == {"threat": ["other_incident"]}
    assert counts() == before


def test_a_publication_in_the_future_is_refused(incident, officer, now):
    with pytest.raises(ValidationError) as refused:
        extortion.record_publication(incident, published_at=now + 2 * H, location="site", actor=officer, reason="r")
    assert codes(refused.value) == {"published_at": ["future"]}


# --- Roles and tenancy ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("persona", ["lawyer", "viewer", "outsider"])
def test_only_a_privacy_officer_of_the_organisation_may_record_extortion_facts(request, threat, incident, now, persona):
    actor = request.getfixturevalue(persona)
    before = counts()
    attempts = [
        lambda: extortion.record_threat(
            incident, actor_name="K", first_contact_at=now, channel="email", actor=actor, reason="r"
        ),
        lambda: extortion.revise_countdown(
            threat, kind="set", announced_at=now - H, deadline_at=now + H, actor=actor, reason="r"
        ),
        lambda: extortion.withdraw_countdown(threat, announced_at=now - H, actor=actor, reason="r"),
        lambda: extortion.record_publication(incident, published_at=now, location="x", actor=actor, reason="r"),
        lambda: extortion.record_payment_decision(threat, payment_decision="paid", actor=actor, reason="r"),
        lambda: extortion.record_police_report(threat, police_reference="x", actor=actor, reason="r"),
        lambda: extortion.update_threat(threat, actor_name="x", actor=actor, reason="r"),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    assert counts() == before


def test_extortion_rows_are_visible_to_their_organisation_only(threat, officer, outsider, now):
    set_countdown(threat, officer, now)
    for model in (ExtortionThreat, ExtortionCountdown):
        assert model.objects.visible_to(officer).count() == 1
        assert not model.objects.visible_to(outsider).exists()


def test_a_reason_is_required(incident, officer, now):
    with pytest.raises(ValidationError) as refused:
        extortion.record_threat(
            incident, actor_name="K", first_contact_at=now, channel="email", actor=officer, reason=" "
        )
    assert codes(refused.value) == {"reason": ["required"]}


def test_a_closed_incident_takes_no_extortion_facts(threat, incident, officer, now):
    # Closing through change_status needs a complete register entry; only the state matters here.
    incident.status = "closed"
    save_with_history(incident, actor=officer, reason="closed for the test", update_fields=["status"], validate=False)
    with pytest.raises(ValidationError) as refused:
        set_countdown(threat, officer, now)
    assert refused.value.code == "closed"


# --- The register page ------------------------------------------------------------------------------------------
def _grow_extortion(incident, officer, now, n):
    """``n`` more threats, each with a countdown set and extended, and a publication."""
    for k in range(n):
        threat = extortion.record_threat(
            incident, actor_name=f"Group {k}", first_contact_at=now - 50 * H, channel="email", actor=officer, reason="r"
        )
        extortion.revise_countdown(
            threat, kind="set", announced_at=now - 50 * H, deadline_at=now + 10 * H, actor=officer, reason="r"
        )
        extortion.revise_countdown(
            threat, kind="extended", announced_at=now - 40 * H, deadline_at=now + 20 * H, actor=officer, reason="r"
        )
        extortion.record_publication(
            incident,
            threat=threat,
            published_at=now - H,
            location=f"site {k}",
            records_count=k,
            actor=officer,
            reason="r",
        )


def test_the_page_shows_the_countdown_its_chain_publications_payment_and_police(client, threat, incident, officer, now):
    from django.urls import reverse

    set_countdown(threat, officer, now, deadline=now + 30 * H)
    extortion.revise_countdown(
        threat,
        kind="renewed_after_payment",
        announced_at=now - 2 * H,
        deadline_at=now + 50 * H + 30 * timedelta(minutes=1),
        actor=officer,
        reason="renewed",
    )
    extortion.record_payment_decision(
        threat,
        payment_decision="paid",
        payment_decided_at=now - 3 * H,
        payment_reasoning="Board decision.",
        actor=officer,
        reason="paid",
    )
    extortion.record_publication(
        incident,
        threat=threat,
        published_at=now - H,
        location="Leak site",
        records_count=53_000,
        actor=officer,
        reason="leak",
    )
    client.force_login(officer)
    body = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()

    assert "Kraken Collective" in body
    assert "2 d 2 h 30 min left" in body  # 50.5 hours, to the minute
    # The deadline 2025-08-22 14:30 UTC, shown in the officer's zone (Amsterdam, CEST).
    assert 'datetime="2025-08-22T14:30:00Z"' in body and "16:30 CEST" in body
    chain = body[body.index("Countdown revisions, in the order") :]
    assert chain.index("Countdown set") < chain.index("Renewed after a payment")
    assert "reassess the risk to the people affected (Art. 34)" in body
    assert "the police were not told" in body
    assert "EUR 1,100,000" in body or "EUR 1.100.000" in body


def test_the_register_page_query_count_does_not_grow_with_extortion_facts(client, incident, officer, now):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    client.force_login(officer)
    url = reverse("incidents:detail", args=[incident.pk])
    _grow_extortion(incident, officer, now, 1)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _grow_extortion(incident, officer, now, 8)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large) == len(small)
    # session, user, incident, the register's fixed set, banner, badge, and the access log's one
    # INSERT (access.log.log_view; +1, added with the access app); the incident page
    # (readers/incident_page.py) adds four: the reader's role, the open deadlines, Art. 34 assessments, waves;
    # the register reader reads processor notices in a query of their own (+1, instead of a join into
    # every row: the 2,000-fact page went from 6.5 s to 0.65 s of CPU); the regimes section reads its
    # four fact tables (decisions, moments, determinations, places: readers.regimes), +4.
    assert len(large) <= 25


def test_another_organisations_countdown_is_not_on_any_page_they_can_open(
    client, threat, incident, officer, outsider, now
):
    from django.urls import reverse

    set_countdown(threat, officer, now)
    client.force_login(outsider)
    assert client.get(reverse("incidents:detail", args=[incident.pk])).status_code == 404
    revision = threat.countdown_revisions.get()
    for name, pk in (("incidents_extortionthreat", threat.pk), ("incidents_extortioncountdown", revision.pk)):
        assert client.get(reverse(f"admin:{name}_change", args=[pk])).status_code == 404
        assert client.get(reverse(f"admin:{name}_history", args=[pk])).status_code == 404
