"""Which awareness record starts a party's clock. Pure: records in memory, no ORM."""

from __future__ import annotations

from collections.abc import Iterable

from incidents.models import AwarenessRecord


def earliest_awareness(records: Iterable[AwarenessRecord]) -> dict[int, AwarenessRecord]:
    """The clock-starting record of each party: its earliest one not withdrawn."""
    earliest: dict[int, AwarenessRecord] = {}
    for record in records:
        if record.is_withdrawn:
            continue
        held = earliest.get(record.party_id)
        if held is None or record.aware_at < held.aware_at:
            earliest[record.party_id] = record
    return earliest
