"""Share links made through the service, as an officer would."""

from __future__ import annotations

from datetime import timedelta

import pytest

from access.choices import ExportKind
from actions import sharing as services


@pytest.fixture
def make_link(incident, officer, now):
    def make(kind=ExportKind.DEADLINES_ICS, *, target=None, days=14, actor=None):
        return services.create_share_link(
            target or incident,
            export_kind=kind,
            recipient="Autoriteit Persoonsgegevens, case handler",
            expires_at=now + timedelta(days=days),
            expires_tz="Europe/Amsterdam",
            actor=actor or officer,
            reason="AP asked for the deadlines (letter of 19 August)",
        )

    return make
