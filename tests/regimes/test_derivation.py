"""The regimes' clocks are Deadline rows derived from the facts: due moments, versions kept, decisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from actions import incidents as services
from actions import regimes as regime_actions
from actions.sweep import sweep
from notifications.models import AlertEvent, Deadline, DeadlineKind
from rules import obligations
from rules.deadlines import recompute_deadlines, rule_for
from rules.regimes import Facts, suggest

H = timedelta(hours=1)


def regime_rows(**filters):
    rows = Deadline.objects.filter(kind="regime_report", **filters).order_by("regime", "report")
    return {(row.regime, row.report): row for row in rows}


@pytest.fixture
def essential(lab, officer):
    return regime_actions.set_organisation_profile(
        lab, entity_tags=["nis2_essential", "financial_entity"], actor=officer, reason="profile"
    )


def test_gdpr_and_nis2_on_one_incident_give_both_sets_of_clocks(
    incident, essential, aware, own_party, decide, flag, now
):
    aware_at = now - 2 * H
    decide("gdpr")
    decide("nis2")
    assert regime_rows() == {}  # NIS2's reports are owed for a significant incident only
    flag("significant")
    gdpr = Deadline.objects.get(kind=DeadlineKind.AUTHORITY_NOTIFICATION, party=own_party)
    assert (gdpr.due_at, gdpr.is_legal_deadline) == (aware_at + 72 * H, True)
    rows = regime_rows()
    assert set(rows) == {("nis2", "early_warning"), ("nis2", "notification")}  # the final waits for the notification
    assert rows["nis2", "early_warning"].due_at == aware_at + 24 * H
    assert rows["nis2", "notification"].due_at == aware_at + 72 * H
    for row in rows.values():
        assert (row.recipient, row.rule_version, row.started_at, row.is_active) == (
            "csirt",
            "2024-10-18",
            aware_at,
            True,
        )
        assert row.party_id is None and row.met_at is None
    # The GDPR's own clocks are its kinds: confirming it adds no regime rows.
    assert not Deadline.objects.filter(kind="regime_report", regime="gdpr").exists()
    plans = {plan.report.code: plan for plan in obligations.report_plans(incident)}
    assert plans["final"].waiting_for == ("report:notification",)
    assert plans["final"].due_at is None


def test_the_nis2_final_report_runs_a_month_from_the_notification_and_filings_meet_the_clocks(
    incident, essential, aware, decide, flag, officer, now
):
    decide("nis2")
    flag("significant")
    regime_actions.record_regime_report_filing(
        incident, regime="nis2", report="notification", submitted_at=now - H, actor=officer, reason="filed"
    )
    rows = regime_rows()
    assert rows["nis2", "notification"].met_at == now - H
    assert rows["nis2", "notification"].next_alert_at is None
    # 20 August 2025 13:00 Brussels time -> 20 September 2025 13:00.
    assert rows["nis2", "final"].due_at == datetime(2025, 9, 20, 11, 0, tzinfo=UTC)
    assert rows["nis2", "final"].started_at == now - H


def test_dora_initial_runs_from_classification_with_the_detection_backstop(
    incident, essential, decide, flag, officer, now
):
    decide("dora")
    flag("major")
    regime_actions.record_anchor(incident, kind="detection", occurred_at=now - 22 * H, actor=officer, reason="SOC")
    # Only detection known: the 24-hour backstop alone gives the due moment.
    assert regime_rows()["dora", "initial"].due_at == now + 2 * H
    regime_actions.record_anchor(incident, kind="classification", occurred_at=now - 3 * H, actor=officer, reason="c")
    # Classified 3 h ago: 4 h after classification (now + 1 h) is earlier than the backstop.
    row = regime_rows()["dora", "initial"]
    assert (row.due_at, row.started_at) == (now + H, now - 22 * H)
    assert rule_for(row).duration == row.due_at - row.started_at


def test_dora_intermediate_appears_only_after_the_initial_filing_and_keeps_its_rule_version(
    incident, essential, decide, flag, officer, now, dora_v2
):
    decide("dora")
    flag("major")
    regime_actions.record_anchor(incident, kind="classification", occurred_at=now - H, actor=officer, reason="c")
    assert set(regime_rows()) == {("dora", "initial")}
    assert regime_rows()["dora", "initial"].rule_version == "2025-01-17"
    # A later version of the file is in force on the classification's date: 48 h, not 72 h.
    dora_v2()
    regime_actions.record_regime_report_filing(
        incident, regime="dora", report="initial", submitted_at=now, actor=officer, reason="filed"
    )
    rows = regime_rows()
    assert rows["dora", "initial"].met_at == now
    intermediate = rows["dora", "intermediate"]
    assert (intermediate.rule_version, intermediate.due_at) == ("2025-01-17", now + 72 * H)
    filing = incident.regime_report_filings.get()
    assert filing.rule_version == "2025-01-17"


def test_a_regime_computed_first_under_the_later_file_takes_its_version(
    incident, essential, decide, flag, officer, now, dora_v2
):
    dora_v2()
    decide("dora")
    flag("major")
    regime_actions.record_anchor(incident, kind="classification", occurred_at=now - H, actor=officer, reason="c")
    regime_actions.record_regime_report_filing(
        incident, regime="dora", report="initial", submitted_at=now, actor=officer, reason="filed"
    )
    intermediate = regime_rows()["dora", "intermediate"]
    assert (intermediate.rule_version, intermediate.due_at) == ("2025-08-01", now + 48 * H)


def test_a_rejected_regime_deactivates_its_rows_and_a_new_confirmation_brings_them_back(
    incident, essential, aware, decide, flag, now
):
    decide("nis2")
    flag("significant")
    rows = regime_rows()
    assert all(row.is_active and row.next_alert_at for row in rows.values())
    decide("nis2", applies=False, reasoning="not an essential service after all")
    rows = regime_rows()
    assert len(rows) == 2
    assert all(not row.is_active and row.next_alert_at is None for row in rows.values())
    decide("nis2", reasoning="the authority says it is")
    again = regime_rows()
    assert {key: row.pk for key, row in again.items()} == {key: row.pk for key, row in rows.items()}
    assert all(row.is_active and row.next_alert_at for row in again.values())


def test_a_revised_moment_moves_the_due_moment_and_a_withdrawn_one_stops_the_clock(
    incident, essential, decide, flag, officer, now
):
    decide("dora")
    flag("major")
    anchor = regime_actions.record_anchor(
        incident, kind="classification", occurred_at=now - H, actor=officer, reason="c"
    )
    assert regime_rows()["dora", "initial"].due_at == now + 3 * H
    regime_actions.revise_anchor(anchor, occurred_at=now - 2 * H, actor=officer, reason="earlier per the log")
    row = regime_rows()["dora", "initial"]
    assert (row.due_at, row.next_alert_label, row.next_alert_at) == (now + 2 * H, "before:1h", now + H)
    regime_actions.withdraw_anchor(anchor, withdrawal_reason="not major", actor=officer, reason="reviewed")
    row = regime_rows()["dora", "initial"]
    assert (row.is_active, row.next_alert_at) == (False, None)


def test_recompute_costs_the_same_queries_however_many_regimes_are_confirmed(
    incident, essential, aware, decide, flag, now
):
    flag("significant")
    decide("nis2")

    def queries_of_a_recompute() -> int:
        recompute_deadlines(incident, now=now)  # rows in place: the second pass only reads
        with CaptureQueriesContext(connection) as captured:
            recompute_deadlines(incident, now=now)
        return len(captured)

    one = queries_of_a_recompute()
    decide("extra_1")
    decide("extra_2")
    decide("dora")
    three = queries_of_a_recompute()
    assert len(regime_rows()) == 4  # nis2 (2), extra_1, extra_2; dora waits for its moments
    assert three == one


def test_the_regimes_cost_a_recompute_one_query_and_eight_once_one_is_confirmed(
    incident, essential, aware, decide, flag, now
):
    awareness = list(incident.awareness_records.all())
    with CaptureQueriesContext(connection) as captured:
        assert obligations.regime_obligations(incident, kept_versions={}, awareness=awareness) == []
    assert len(captured) == 1  # the decisions: none
    flag("significant")
    decide("nis2")
    with CaptureQueriesContext(connection) as captured:
        assert len(obligations.regime_obligations(incident, kept_versions={}, awareness=awareness)) == 2
    assert len(captured) == 8


def test_the_sweep_alerts_on_a_regime_report_row(
    incident, essential, decide, flag, officer, now, time_machine, catalogue
):
    decide("dora")
    flag("major")
    regime_actions.record_anchor(incident, kind="classification", occurred_at=now, actor=officer, reason="c")
    row = regime_rows()["dora", "initial"]
    assert (row.due_at, row.next_alert_label) == (now + 4 * H, "before:1h")

    def sweep_at(moment):
        time_machine.move_to(moment, tick=False)
        return sweep(now_func=timezone.now)

    assert sweep_at(now + 3 * H - timedelta(seconds=1)) == 0
    assert sweep_at(now + 3 * H) == 1
    assert sweep_at(now + 4 * H) == 1
    events = AlertEvent.objects.filter(deadline=row).order_by("fired_at")
    assert [(event.label, event.due_at) for event in events] == [("before:1h", now + 4 * H), ("due", now + 4 * H)]


def test_the_applicability_facts_come_from_the_incident_and_its_organisation(
    incident, lab, officer, essential, flag, now, catalogue
):
    services.record_estimate(
        incident,
        measure="data_subjects",
        low=485_000,
        known_at=now - 5 * H,
        source="press",
        actor=officer,
        reason="count",
    )
    services.record_estimate(
        incident, measure="data_subjects", low=850_000, known_at=now, source="lab", actor=officer, reason="count"
    )
    regime_actions.record_places(incident, counts={"NL": 850_000, "US-CA": 600}, as_of=now, actor=officer, reason="c")
    flag("significant")
    facts = obligations.applicability_facts(incident)
    assert facts == Facts(
        places={"NL": 850_000, "US-CA": 600},
        total=850_000,
        entities=frozenset({"nis2_essential", "financial_entity"}),
        established="NL",
        flags={"ongoing": False, "significant": True},
    )
    suggested = {suggestion.regime.code: suggestion.applies for suggestion in suggest(facts, now.date())}
    assert suggested["gdpr"] is False  # personal data not determined: the officer decides


def test_the_shipped_nis2_and_dora_files_run_beside_the_gdpr(incident, essential, aware, own_party, officer, now):
    """The same derivation on the shipped catalogue (no test regimes): GDPR, NIS2 and DORA rows together."""
    aware_at = now - 2 * H
    for regime in ("gdpr", "nis2", "dora"):
        regime_actions.decide_regime(
            incident, regime=regime, applies=True, reasoning="confirmed", actor=officer, reason="decision"
        )
    regime_actions.set_determination(incident, name="major", value=True, actor=officer, reason="major")
    # Classified on Wednesday 20 August 2025 at 14:00 Amsterdam time: due 4 hours later, a working day.
    regime_actions.record_anchor(incident, kind="classification", occurred_at=now, actor=officer, reason="major")
    rows = regime_rows()
    assert rows["nis2", "early_warning"].due_at == aware_at + 24 * H
    assert rows["nis2", "notification"].due_at == aware_at + 72 * H
    assert rows["dora", "initial"].due_at == now + 4 * H
    assert ("nis2", "final") not in rows and ("dora", "intermediate") not in rows
    assert Deadline.objects.get(kind=DeadlineKind.AUTHORITY_NOTIFICATION, party=own_party).due_at == aware_at + 72 * H
    # Filed at once: 72 hours later is Saturday 23 August, so the report is due at 12:00 on Monday
    # 25 August, Amsterdam time (RTS 2025/301 Art. 5(5), the shipped file's calendar).
    regime_actions.record_regime_report_filing(
        incident, regime="dora", report="initial", submitted_at=now, actor=officer, reason="filed"
    )
    intermediate = regime_rows()["dora", "intermediate"]
    assert intermediate.due_at == datetime(2025, 8, 25, 10, 0, tzinfo=UTC)
    assert intermediate.rule_version == "2025-01-17"


def test_the_pages_get_the_suggestions_from_the_incidents_facts(incident, essential, flag, now):
    flag("significant")
    suggested = {item.regime.code: item for item in obligations.suggestions(incident, now.date())}
    assert suggested["nis2"].applies is True
    assert suggested["dora"].applies is False  # a financial entity, but the incident is not determined major
