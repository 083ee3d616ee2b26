"""Helpers for the notification tests: facts recorded through the incident services."""

from __future__ import annotations

from datetime import timedelta

import pytest

from incidents import services


@pytest.fixture
def record_awareness(incident, officer):
    def record(party, aware_at, reason="aware"):
        return services.record_awareness(
            incident, party=party, aware_at=aware_at, source="own_detection", actor=officer, reason=reason
        )

    return record


@pytest.fixture
def aware_controller(processor_and_controller, record_awareness, now):
    """The controller aware two hours ago: its Art. 33(1) clock runs until now + 70h."""
    _processor, controller, _relationship = processor_and_controller
    record_awareness(controller, now - timedelta(hours=2))
    return controller
