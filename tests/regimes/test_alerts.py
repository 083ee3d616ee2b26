"""A regime row alerts on its report's thresholds (``alerts`` in the report's file), in the rule version it keeps.

The CERT-In file as shipped (6 hours after detection; warned 3 h, 1 h and 30 min before, every
3 h once overdue) joins the tests' catalogue.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from actions import regimes as regime_actions
from actions.sweep import sweep
from notifications.models import AlertEvent, Deadline, DeadlineKind
from rules import clocks, obligations
from rules.deadlines import rule_for
from rules.policies import PolicyBook, regime_report_key
from rules.regimes import DATA_DIR, load_file

H = timedelta(hours=1)
M = timedelta(minutes=1)
CERT_IN_LADDER = (3 * H, H, 30 * M)


@pytest.fixture
def cert_in(catalogue, decide):
    catalogue["cert_in"] = load_file(DATA_DIR / "cert_in.toml")
    decide("cert_in")


def detect(incident, officer, at):
    return regime_actions.record_anchor(incident, kind="detection", occurred_at=at, actor=officer, reason="SOC")


def cert_in_row() -> Deadline:
    return Deadline.objects.get(kind="regime_report", regime="cert_in", report="cert_in")


def book_rule(row: Deadline) -> clocks.ClockRule:
    """The rule the sweep resolves for the row (its batch's PolicyBook)."""
    report = regime_report_key(row.kind, row.regime, row.rule_version, row.report)
    return PolicyBook([row.incident.organisation_id]).rule(
        row.incident.organisation_id, row.kind, row.due_at - row.started_at, report
    )


def test_the_reports_thresholds_give_the_rows_next_alert(incident, officer, cert_in, now):
    detect(incident, officer, now)
    row = cert_in_row()
    assert (row.due_at, row.rule_version) == (now + 6 * H, "2022-06-28")  # the due moment is the law's
    assert (row.next_alert_label, row.next_alert_at) == ("before:3h", now + 3 * H)
    rule = rule_for(row)
    assert (rule.duration, rule.thresholds_before, rule.overdue_repeat) == (6 * H, CERT_IN_LADDER, 3 * H)
    assert rule.is_legal_deadline
    assert book_rule(row) == rule
    assert rule_for(Deadline.objects.due(row.next_alert_at).get(pk=row.pk)) == rule


def test_a_clock_recomputed_after_its_first_threshold_waits_for_the_reports_next(incident, officer, cert_in, now):
    detect(incident, officer, now - 5 * H - 15 * M)  # due in 45 minutes: 3 h and 1 h before have passed
    row = cert_in_row()
    # The current state (1 h before, a moment already passed) alerts once at once, never the older 3 h.
    assert (row.next_alert_label, row.next_alert_at) == ("before:1h", now - 15 * M)
    assert sweep(now_func=lambda: now) == 1
    assert list(AlertEvent.objects.filter(deadline=row).values_list("label", flat=True)) == ["before:1h"]
    row.refresh_from_db()
    assert (row.next_alert_label, row.next_alert_at) == ("before:30m", now + 15 * M)


def test_the_sweep_raises_the_30_minute_alert_of_a_cert_in_row(incident, officer, cert_in, now, time_machine):
    detect(incident, officer, now)
    row = cert_in_row()

    def sweep_at(moment):
        time_machine.move_to(moment, tick=False)
        return sweep(now_func=timezone.now)

    assert sweep_at(now + 3 * H) == 1
    assert sweep_at(now + 5 * H) == 1
    assert sweep_at(now + 5 * H + 30 * M - timedelta(seconds=1)) == 0
    assert sweep_at(now + 5 * H + 30 * M) == 1
    row.refresh_from_db()
    assert (row.next_alert_label, row.next_alert_at) == ("due", now + 6 * H)
    assert sweep_at(now + 6 * H) == 1
    assert sweep_at(now + 9 * H) == 1
    events = AlertEvent.objects.filter(deadline=row).order_by("fired_at")
    assert [(event.label, event.fired_at, event.due_at) for event in events] == [
        ("before:3h", now + 3 * H, now + 6 * H),
        ("before:1h", now + 5 * H, now + 6 * H),
        ("before:30m", now + 5 * H + 30 * M, now + 6 * H),
        ("due", now + 6 * H, now + 6 * H),
        ("overdue:3h", now + 9 * H, now + 6 * H),
    ]
    row.refresh_from_db()
    assert (row.next_alert_label, row.next_alert_at) == ("overdue:6h", now + 12 * H)


def test_a_batch_with_a_regime_row_costs_the_statements_of_one_without(
    incident, officer, aware, own_party, cert_in, now, time_machine, django_capture_on_commit_callbacks
):
    def sweep_counted(moment) -> tuple[int, int]:
        time_machine.move_to(moment, tick=False)
        with django_capture_on_commit_callbacks(execute=False), CaptureQueriesContext(connection) as captured:
            recorded = sweep(now_func=timezone.now)
        return recorded, len(captured)

    sweep_counted(now)  # the heartbeat row exists: the steady state
    authority = Deadline.objects.get(kind=DeadlineKind.AUTHORITY_NOTIFICATION, party=own_party)
    assert (authority.next_alert_label, authority.next_alert_at) == ("before:48h", now + 22 * H)
    one = sweep_counted(now + 22 * H)  # the GDPR row alone
    # CERT-In's row, detected so that its first warning falls with the GDPR row's next one.
    time_machine.move_to(now + 43 * H, tick=False)
    detect(incident, officer, now + 43 * H)
    assert cert_in_row().next_alert_at == now + 46 * H == Deadline.objects.get(pk=authority.pk).next_alert_at
    both = sweep_counted(now + 46 * H)
    assert (one[0], both[0]) == (1, 2)
    # As for any batch of more than one row: the claim UPDATE in a savepoint. Nothing for the regime row.
    assert both[1] == one[1] + 2
    assert AlertEvent.objects.get(deadline=cert_in_row()).label == "before:3h"


def test_a_row_whose_report_left_the_catalogue_falls_back_to_the_standard_ladder(
    incident, officer, cert_in, catalogue, now
):
    detect(incident, officer, now)
    row = cert_in_row()
    del catalogue["cert_in"]
    assert obligations.report_of_row("cert_in", row.rule_version, "cert_in") is None
    rule = rule_for(row)
    assert (rule.thresholds_before, rule.overdue_repeat) == (
        clocks.STANDARD_THRESHOLDS_BEFORE,
        clocks.STANDARD_OVERDUE_REPEAT,
    )
    assert rule.duration == 6 * H and book_rule(row) == rule
    # An unknown version or report is the same.
    catalogue["cert_in"] = load_file(DATA_DIR / "cert_in.toml")
    assert obligations.report_of_row("cert_in", "1999-01-01", "cert_in") is None
    assert obligations.report_of_row("cert_in", row.rule_version, "second") is None
    assert obligations.report_of_row("cert_in", row.rule_version, "cert_in").alerts.before == CERT_IN_LADDER
