"""Filings on the timeline and in the register as of a moment: a filing meets the Art. 33(1) clock
only from the moment it was recorded."""

from __future__ import annotations

from datetime import timedelta

from readers.asof import register_as_of
from readers.timeline import Audience, incident_timeline
from rules.clocks import DeadlineState
from tests.filings.conftest import complete_register, controller, count, lead_ap, submit  # noqa: F401 (fixtures)


def test_a_filing_is_a_timeline_event_and_meets_the_clock_only_once_recorded(
    incident, controller, complete_register, submit, now, time_machine
):
    time_machine.move_to(now + timedelta(hours=1), tick=False)
    filing = submit(controller, submitted_at=now)
    time_machine.move_to(now + timedelta(hours=2), tick=False)

    (entry,) = [e for e in incident_timeline(incident, audience=Audience.INTERNAL) if e.kind == "filing"]
    assert entry.event_at == filing.submitted_at == now
    assert entry.recorded_at == now + timedelta(hours=1)
    assert entry.reason == "filed with the AP"
    before, after = (
        register_as_of(incident, now + timedelta(minutes=30)),
        register_as_of(incident, now + timedelta(hours=2)),
    )
    assert before.filings == [] and before.controller_clocks[0].status.state is DeadlineState.PENDING
    assert [f.pk for f in after.filings] == [filing.pk]
    assert after.controller_clocks[0].status.state is DeadlineState.MET_ON_TIME
