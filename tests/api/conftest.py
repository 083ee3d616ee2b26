"""API clients for the shared personas: by session (as a browser) or by API token (as an integration)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from api import tokens

REASON = "ticket SEC-4711 from the SIEM"


@pytest.fixture
def make_token(admin_actor, now):
    def make(user, organisation, role, *, days=30, name="SIEM connector"):
        return tokens.create_api_token(
            organisation=organisation,
            user=user,
            role=role,
            name=name,
            expires_at=now + timedelta(days=days),
            actor=admin_actor,
            reason="integration for the SOC",
        )

    return make


def session_client(user, *, enforce_csrf=False) -> APIClient:
    client = APIClient(enforce_csrf_checks=enforce_csrf)
    client.force_login(user)
    return client


def token_client(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def detail_url(incident) -> str:
    return f"/api/incidents/{incident.pk}/"


# --- Filings, waves and imports (tests/api/test_filings_api.py, test_waves_api.py, ...) ----------

COMPLETE_CONTENT = {
    "describes_nature": True,
    "names_contact_point": True,
    "describes_consequences": True,
    "describes_measures": True,
}


def valid_bsns(count: int, start: int = 100_000_000) -> list[str]:
    from actions.ledger import is_valid_bsn

    found, number = [], start
    while len(found) < count:
        if is_valid_bsn(f"{number:09d}"):
            found.append(f"{number:09d}")
        number += 1
    return found


def recipients_csv(count: int, start: int = 100_000_000) -> bytes:
    return ("kind,identifier\n" + "".join(f"bsn,{bsn}\n" for bsn in valid_bsns(count, start))).encode()


@pytest.fixture
def world(incident, lab, officer, admin_actor, dutch_ap, processor_and_controller, now):
    return build_world(incident, lab, officer, admin_actor, dutch_ap, processor_and_controller, now)


def build_lab_world(now):
    """For a module's data (``tests.conftest.rolled_back_module_data``): the lab's personas and
    :func:`build_world`'s incident around them, made through the services as the function-scoped
    fixtures make them. ``(personas, world, admin_actor)``."""
    from breachtrack.history import system_actor
    from tests.conftest import lab_personas, link_processor_and_controller, make_incident, seeded_dutch_ap

    admin_actor = system_actor("tests")
    personas = lab_personas(admin_actor)
    lab, officer = personas["lab"], personas["officer"]
    incident = make_incident(lab, officer)
    processor_and_controller = link_processor_and_controller(incident, lab, officer)
    world = build_world(incident, lab, officer, admin_actor, seeded_dutch_ap(), processor_and_controller, now)
    return personas, world, admin_actor


def build_world(incident, lab, officer, admin_actor, dutch_ap, processor_and_controller, now):
    """An incident ready for filings and waves, made through the services: a controller aware two
    hours ago with an initial filing (no report number yet), a second controller without any
    filing, the lead AP, a complete register, a complete content version, a planned wave and a
    queued recipient import (its on-commit task captured, not run: what pytest-django's
    ``django_capture_on_commit_callbacks(execute=False)`` does)."""
    from types import SimpleNamespace

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import TestCase

    from actions import communications as communication_services
    from actions import filings as filing_services
    from actions import incidents as services
    from actions import recipient_imports as jobs
    from organisations import services as org_services

    _processor, controller, _relationship = processor_and_controller
    services.add_authority(incident, authority=dutch_ap, role="lead", actor=officer, reason="lead SA")
    services.record_awareness(
        incident,
        party=controller,
        aware_at=now - timedelta(hours=2),
        source="processor_notice",
        actor=officer,
        reason="processor phoned",
    )
    second_party = org_services.create_party(
        lab, name="Regional Hospital", country="NL", actor=officer, reason="directory"
    )
    second = services.add_party(incident, party=second_party, role="controller", actor=officer, reason="parties")
    org_services.update_organisation(
        lab, dpo_name="J. de Vries", dpo_phone="+31 20 000 0000", actor=admin_actor, reason="DPO appointed"
    )
    # The contact point of a filing is the controller's own (Art. 33(3)(b)), not the lab's DPO.
    for party in (controller.party, second_party):
        org_services.update_party(
            party,
            contact_name=f"Privacy desk of {party.name}",
            contact_email="privacy@controller.example",
            actor=officer,
            reason="contact point",
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
    for measure, low in (("data_subjects", 485_000), ("records", 1_200_000)):
        services.record_estimate(
            incident,
            measure=measure,
            low=low,
            known_at=now - timedelta(hours=1),
            source="count",
            actor=officer,
            reason="count",
        )
    filing = filing_services.submit_filing(
        incident,
        controller=controller,
        authority=dutch_ap,
        filing_type="initial",
        submitted_at=now - timedelta(minutes=30),
        channel="ap_form",
        actor=officer,
        reason="filed with the AP",
    )
    content = communication_services.create_content_version(
        incident,
        language="nl",
        title="Brief aan deelnemers",
        text="Beste deelnemer, ...",
        actor=officer,
        reason="letter",
        **COMPLETE_CONTENT,
    )
    wave = communication_services.plan_wave(
        incident,
        controller=controller,
        cohort_label="participants 2017",
        channel="letter",
        content_version=content,
        planned_at=now,
        actor=officer,
        reason="wave",
    )
    with TestCase.captureOnCommitCallbacks(execute=False):
        job = jobs.queue_import(wave, SimpleUploadedFile("first.csv", recipients_csv(2)), actor=officer, reason="first")
    incident.refresh_from_db()
    return SimpleNamespace(
        incident=incident,
        controller=controller,
        second_controller=second,
        authority=dutch_ap,
        filing=filing,
        content=content,
        wave=wave,
        job=job,
    )
