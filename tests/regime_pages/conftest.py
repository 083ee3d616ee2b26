"""An incident of the lab that falls under NIS2 as well as the GDPR, as the regimes' pages see it.

The lab (an essential entity under NIS2, established in the Netherlands) became aware 20 hours
before the frozen now (20 August 2025, 12:00 UTC), and determined the incident significant: the
engine suggests NIS2. ``nis2_confirmed`` has an officer confirm it, so the early warning (24 h),
the incident notification (72 h) and the final report (a month after the notification) exist.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from actions import incidents as services
from actions import regimes as regime_services

H = timedelta(hours=1)
REASON = "regimes test"


@pytest.fixture
def nis2_incident(incident, lab, officer, now):
    own = services.add_party(
        incident, party=lab.parties.get(is_self=True), role="controller", actor=officer, reason=REASON
    )
    services.record_awareness(
        incident, party=own, aware_at=now - 20 * H, source="own_detection", actor=officer, reason=REASON
    )
    regime_services.set_organisation_profile(
        lab, entity_tags=["nis2_essential"], established="NL", actor=officer, reason=REASON
    )
    regime_services.set_determination(incident, name="significant", value=True, actor=officer, reason=REASON)
    incident.refresh_from_db()
    return incident


@pytest.fixture
def nis2_confirmed(nis2_incident, officer):
    regime_services.decide_regime(
        nis2_incident,
        regime="nis2",
        applies=True,
        reasoning="Essential entity, significant incident.",
        actor=officer,
        reason=REASON,
    )
    return nis2_incident
