"""Incidents for the dashboard tests, built through the services like everything else."""

from __future__ import annotations

from datetime import timedelta

import pytest

from incidents import services


def open_incident(organisation, officer, *, title: str, aware_ago: timedelta | None, now, **fields):
    """An incident whose own organisation is the controller, aware ``aware_ago`` before ``now``
    (its Art. 33(1) clock runs from then); no awareness at all with ``aware_ago=None``."""
    incident = services.create_incident(
        organisation=organisation, title=title, occurred_from_at=now - timedelta(days=10), actor=officer,
        reason="reported", **fields,
    )
    if aware_ago is not None:
        party = services.add_party(
            incident, party=organisation.parties.get(is_self=True), role="controller", actor=officer, reason="we are the controller"
        )
        services.record_awareness(
            incident, party=party, aware_at=now - aware_ago, source="own_detection", actor=officer, reason="we knew"
        )
    return incident


@pytest.fixture
def make_incident(lab, officer, now):
    def make(title="Incident", aware_ago=timedelta(hours=1), organisation=None, actor=None, **fields):
        return open_incident(organisation or lab, actor or officer, title=title, aware_ago=aware_ago, now=now, **fields)

    return make
