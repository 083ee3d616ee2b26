"""The demo laboratory's incident under NIS2 as well as the GDPR (docs/regimes.md).

A medical laboratory is an essential entity under NIS2 (Annex I, health), established in the
Netherlands; the ransomware attack stopped its diagnostics and copied patient data, so it is a
significant incident (Art. 23(3)). The facts below make the engine suggest NIS2; the officer
confirms it, and the lab's early warning and incident notification to the CSIRT are recorded.
The final report, due a month after the notification, was never filed: in the demo it stands
overdue next to the GDPR clocks. The filings, their times and references are invented.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from actions import regimes as regime_services
from incidents.choices import DeterminationFlag
from incidents.models import Incident
from organisations.models import EntityType, User

AMSTERDAM = "Europe/Amsterdam"
SIGNIFICANT_WHY = (
    "Ransomware stopped the laboratory's diagnostics for days and copied the patient data of "
    "hundreds of thousands of people: a severe operational disruption and considerable damage to "
    "others (NIS2 Art. 23(3))."
)
NIS2_WHY = (
    "The laboratory is an essential entity (NIS2 Annex I, health: a medical laboratory), established "
    "in the Netherlands, and the incident is significant: NIS2 Art. 23 applies beside the GDPR."
)
# (report, wall-clock time in Amsterdam, reference): invented, on time for both clocks.
FILINGS = (
    ("early_warning", (2025, 7, 7, 8, 15), "Z-CERT 2025-0707-01"),
    ("notification", (2025, 7, 9, 8, 45), "Z-CERT 2025-0707-01"),
)


def local(*wall_clock: int) -> datetime:
    """An Amsterdam wall-clock time as a UTC instant (as ops.demo.local, which imports this module)."""
    return datetime(*wall_clock, tzinfo=ZoneInfo(AMSTERDAM)).astimezone(UTC)


# When the officer confirmed NIS2: the morning of the early warning, in the story's time (not the
# moment the demo is loaded, which would put the decision after the reports it led to).
DECIDED_AT = local(2025, 7, 7, 8, 0)


def record_lab_regime_facts(incident: Incident, officer: User) -> None:
    """What makes the engine suggest NIS2: the lab's profile, the determinations, where people live."""
    regime_services.set_organisation_profile(
        incident.organisation,
        entity_tags=[EntityType.PROCESSOR, EntityType.NIS2_ESSENTIAL],
        established="NL",
        actor=officer,
        reason="medical laboratory: processor under the GDPR, essential entity under NIS2",
    )
    regime_services.set_determination(
        incident,
        name=DeterminationFlag.PERSONAL_DATA,
        value=True,
        rationale="Patient records (screening results, names, citizen service numbers) were copied.",
        actor=officer,
        reason="forensic report",
    )
    regime_services.set_determination(
        incident,
        name=DeterminationFlag.SIGNIFICANT,
        value=True,
        rationale=SIGNIFICANT_WHY,
        actor=officer,
        reason="assessment against NIS2 Art. 23(3)",
    )
    regime_services.record_places(
        incident,
        counts={"NL": 941_000},
        as_of=local(2025, 11, 20, 12, 0),
        as_of_tz=AMSTERDAM,
        source="letters sent by the controllers",
        actor=officer,
        reason="all affected people live in the Netherlands",
    )


def record_lab_nis2(incident: Incident, officer: User) -> None:
    """The officer confirms NIS2 and records the two reports made to the CSIRT."""
    regime_services.decide_regime(
        incident,
        regime="nis2",
        applies=True,
        reasoning=NIS2_WHY,
        actor=officer,
        reason=NIS2_WHY,
        now=DECIDED_AT,
    )
    for report, wall_clock, reference in FILINGS:
        regime_services.record_regime_report_filing(
            incident,
            regime="nis2",
            report=report,
            submitted_at=local(*wall_clock),
            submitted_tz=AMSTERDAM,
            reference=reference,
            summary="Ransomware attack; patient data copied; systems isolated.",
            actor=officer,
            reason=f"NIS2 {report.replace('_', ' ')} submitted through the CSIRT's portal",
        )


def record_lab_regimes(incident: Incident, officer: User) -> None:
    record_lab_regime_facts(incident, officer)
    record_lab_nis2(incident, officer)
