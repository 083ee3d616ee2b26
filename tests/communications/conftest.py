"""Helpers for the Art. 34 tests: a controller, assessments, content and waves via the services."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from actions import communications as services

COMPLETE = {
    "describes_nature": True,
    "names_contact_point": True,
    "describes_consequences": True,
    "describes_measures": True,
}


@pytest.fixture
def controller(processor_and_controller):
    return processor_and_controller[1]


@pytest.fixture
def assess(incident, controller, officer, now):
    def record(**facts):
        values = {
            "is_high_risk": True,
            "reasoning": "health data and BSN of screening participants",
            "decided_by_name": "A. Jansen",
            "decided_by_role": "DPO",
            "decided_at": now - timedelta(hours=1),
            **facts,
        }
        return services.record_assessment(
            incident, controller=controller, actor=officer, reason="Art. 34 decision", now=now, **values
        )

    return record


@pytest.fixture
def content(incident, officer):
    return services.create_content_version(
        incident,
        language="nl",
        title="Brief aan deelnemers",
        text="Beste deelnemer, …",
        actor=officer,
        reason="letter",
        **COMPLETE,
    )


@pytest.fixture
def plan(incident, controller, officer, content, now):
    def make(**fields):
        values = {
            "cohort_label": "participants 2017",
            "channel": "letter",
            "content_version": content,
            "planned_at": now,
            **fields,
        }
        return services.plan_wave(incident, controller=controller, actor=officer, reason="wave", **values)

    return make


# Valid BSNs (eleven test): generated once, deterministic.
def valid_bsns(count: int, start: int = 100_000_000):
    from actions.ledger import is_valid_bsn

    found = []
    number = start
    while len(found) < count:
        candidate = f"{number:09d}"
        if is_valid_bsn(candidate):
            found.append(candidate)
        number += 1
    return found


def csv_file(lines, *, header="kind,identifier", encoding="utf-8", bom=False) -> io.BytesIO:
    text = "\n".join([header, *lines]) + "\n"
    data = text.encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    return io.BytesIO(data)
