"""Helpers for the filing tests: a controller aware of the breach, its authority, a complete register."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from actions import filings as filing_services
from actions import incidents as services
from organisations import services as org_services

UTC = UTC


@pytest.fixture
def lead_ap(incident, officer, dutch_ap):
    services.add_authority(incident, authority=dutch_ap, role="lead", actor=officer, reason="lead SA")
    return dutch_ap


@pytest.fixture
def controller(processor_and_controller, incident, officer, now):
    """The screening programme, aware two hours ago: its 72 hours end at now + 70h."""
    _processor, controller, _relationship = processor_and_controller
    services.record_awareness(
        incident,
        party=controller,
        aware_at=now - timedelta(hours=2),
        source="processor_notice",
        actor=officer,
        reason="processor phoned",
    )
    return controller


@pytest.fixture
def count(incident, officer):
    """Record an estimate of the data subjects (or records) affected."""

    def record(low, *, measure="data_subjects", high=None, known_at=None, party=None, **extra):
        return services.record_estimate(
            incident,
            measure=measure,
            low=low,
            high=high,
            known_at=known_at or datetime(2025, 8, 11, 9, 0, tzinfo=UTC),
            party=party,
            source="count",
            actor=officer,
            reason="count",
            **extra,
        )

    return record


@pytest.fixture
def complete_register(incident, officer, lab, admin_actor, count, processor_and_controller):
    """Everything Art. 33(3)(a)-(d) asks for, recorded in the register.

    The contact point (b) is the controller's: the screening programme's privacy desk in the
    lab's directory. The lab has a DPO too, so a test can tell the two apart.
    """
    org_services.update_organisation(
        lab, dpo_name="J. de Vries", dpo_phone="+31 20 000 0000", actor=admin_actor, reason="DPO appointed"
    )
    _processor, programme, _relationship = processor_and_controller
    org_services.update_party(
        programme.party,
        contact_name="M. Jansen (privacy desk)",
        contact_email="privacy@programme.example",
        actor=officer,
        reason="the programme's contact point",
    )
    services.update_incident(
        incident,
        is_confidentiality_breach=True,
        description="Criminal group copied screening results.",
        data_categories=["health", "identity", "national_id"],
        data_subject_categories=["patients"],
        likely_consequences="Identity fraud, distress.",
        measures_containment="Systems isolated.",
        actor=officer,
        reason="facts known",
    )
    count(485_000)
    count(1_200_000, measure="records")
    incident.refresh_from_db()
    return incident


@pytest.fixture
def submit(incident, officer, lead_ap, now):
    """Submit a filing for a controller with sensible defaults."""

    def file(controller, **facts):
        facts.setdefault("filing_type", "initial")
        facts.setdefault("submitted_at", now - timedelta(minutes=30))
        facts.setdefault("channel", "ap_form")
        actor = facts.pop("actor", officer)
        return filing_services.submit_filing(
            incident,
            controller=controller,
            authority=facts.pop("authority", lead_ap),
            actor=actor,
            reason=facts.pop("reason", "filed with the AP"),
            **facts,
        )

    return file
