"""Incidents for the dashboard tests, built through the services like everything else."""

from __future__ import annotations

from datetime import timedelta

import pytest

from actions import extortion as extortion_services
from actions import filings as filing_services
from actions import incidents as services


def open_incident(organisation, officer, *, title: str, aware_ago: timedelta | None, now, **fields):
    """An incident whose own organisation is the controller, aware ``aware_ago`` before ``now``
    (its Art. 33(1) clock runs from then); no awareness at all with ``aware_ago=None``."""
    incident = services.create_incident(
        organisation=organisation,
        title=title,
        occurred_from_at=now - timedelta(days=10),
        actor=officer,
        reason="reported",
        **fields,
    )
    if aware_ago is not None:
        party = services.add_party(
            incident,
            party=organisation.parties.get(is_self=True),
            role="controller",
            actor=officer,
            reason="we are the controller",
        )
        services.record_awareness(
            incident, party=party, aware_at=now - aware_ago, source="own_detection", actor=officer, reason="we knew"
        )
    return incident


def file_initial(incident, officer, authority, *, submitted_at, **facts):
    """A phased initial filing by the incident's own controller party: it meets the Art. 33(1) clock."""
    services.add_authority(incident, authority=authority, role="lead", actor=officer, reason="lead SA")
    controller = incident.parties.get(party__is_self=True)
    return filing_services.submit_filing(
        incident,
        controller=controller,
        authority=authority,
        actor=officer,
        reason="filed with the AP",
        filing_type="initial",
        submitted_at=submitted_at,
        channel="ap_form",
        is_phased=True,
        **facts,
    )


def set_countdown(incident, officer, *, announced_at, deadline_at, actor_name="Kraken Collective"):
    threat = extortion_services.record_threat(
        incident,
        actor_name=actor_name,
        first_contact_at=announced_at,
        channel="leak_site",
        actor=officer,
        reason="listed on the leak site",
    )
    extortion_services.revise_countdown(
        threat,
        kind="set",
        announced_at=announced_at,
        deadline_at=deadline_at,
        source="leak site",
        actor=officer,
        reason="countdown on the leak site",
    )
    return threat


@pytest.fixture
def make_incident(lab, officer, now):
    def make(title="Incident", aware_ago=timedelta(hours=1), organisation=None, actor=None, **fields):
        return open_incident(organisation or lab, actor or officer, title=title, aware_ago=aware_ago, now=now, **fields)

    return make
