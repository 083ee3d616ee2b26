"""Clocks for the metrics tests: incidents of an organisation whose derived clock rows we place.

Deadline rows are derived, un-historied state (``rules.deadlines``), so the tests that are about
the arithmetic of the metrics write them directly with known instants; the tests about the
filings' frozen facts (late with reasons) go through the real actions (``tests/filings`` helpers).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from actions import incidents as services
from notifications.models import Deadline, DeadlineKind
from organisations import services as org_services
from tests.filings.conftest import complete_register, controller, count, lead_ap, submit  # noqa: F401


@pytest.fixture
def place(officer, admin_actor):
    """``place(org, started_at=…, due=timedelta, met_after=timedelta|None, kind=…)`` → the clock row,
    on a new incident of ``org`` with its own party as the controller (or the processor's relationship)."""
    made = {"n": 0}

    def clock(organisation, *, started_at, due=timedelta(hours=72), met_after=None, kind=None, actor=None, **incident):
        made["n"] += 1
        actor = actor or officer
        title = incident.pop("title", f"Case {made['n']}")
        created = services.create_incident(
            organisation=organisation, title=title, actor=actor, reason="test", **incident
        )
        own = organisation.parties.get(is_self=True)
        party = services.add_party(created, party=own, role="controller", actor=actor, reason="test")
        return Deadline.objects.create(
            incident=created,
            party=party,
            kind=kind or DeadlineKind.AUTHORITY_NOTIFICATION,
            started_at=started_at,
            due_at=started_at + due,
            met_at=None if met_after is None else started_at + met_after,
            is_legal_deadline=True,
        )

    return clock


@pytest.fixture
def other_officer(outsider):
    return outsider


@pytest.fixture
def directory_party(lab, officer):
    return org_services.create_party(lab, name="Regional Hospital", country="NL", actor=officer, reason="directory")


@pytest.fixture
def nis2_case(admin_actor):
    """``nis2_case(org, officer, aware_at=…, title=…, applies=True, handled_at=None, ongoing=False)`` → an
    incident of ``org`` (an essential entity under NIS2) whose own awareness is ``aware_at`` and whose
    officer decided on NIS2 (``applies``); ``handled_at``: when its handling ended, with the "still
    ongoing" determination ``ongoing``. The derivation (``rules.obligations``) writes its report
    clocks, as in production."""
    from actions import regimes as regime_actions

    def make(organisation, officer, *, aware_at, title, applies=True, handled_at=None, ongoing=False):
        regime_actions.set_organisation_profile(
            organisation, entity_tags=["nis2_essential"], established="NL", actor=officer, reason="profile"
        )
        created = services.create_incident(organisation=organisation, title=title, actor=officer, reason="test")
        own = services.add_party(
            created, party=organisation.parties.get(is_self=True), role="controller", actor=officer, reason="test"
        )
        services.record_awareness(
            created, party=own, aware_at=aware_at, source="own_detection", actor=officer, reason="aware"
        )
        regime_actions.set_determination(
            created, name="significant", value=True, rationale="assessed", actor=officer, reason="assessed"
        )
        if handled_at is not None:
            regime_actions.set_determination(
                created, name="ongoing", value=ongoing, rationale="assessed", actor=officer, reason="assessed"
            )
            regime_actions.record_anchor(
                created, kind="handling_ended", occurred_at=handled_at, actor=officer, reason="handled"
            )
        regime_actions.decide_regime(
            created, regime="nis2", applies=applies, reasoning="our reading", actor=officer, reason="decision"
        )
        return created

    return make


@pytest.fixture
def file_report():
    """``file_report(incident, officer, report, submitted_at)``: a NIS2 report filed, through the action."""
    from actions import regimes as regime_actions

    def run(incident, officer, report, submitted_at):
        return regime_actions.record_regime_report_filing(
            incident, regime="nis2", report=report, submitted_at=submitted_at, actor=officer, reason="filed"
        )

    return run
