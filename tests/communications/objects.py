"""One lab object of each communications model, for the admin-wide tenancy and role tests."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.communications.conftest import COMPLETE, csv_file, valid_bsns

COMMUNICATIONS_MODELS = {
    "communications.communicationassessment",
    "communications.contentversion",
    "communications.communicationwave",
    "communications.importbatch",
}


def communications_lab_objects(incident, controller, officer) -> dict:
    from actions import communications as services
    from actions import ledger

    at = datetime(2025, 8, 12, 9, 0, tzinfo=UTC)
    assessment = services.record_assessment(
        incident,
        controller=controller,
        is_high_risk=True,
        reasoning="health data",
        decided_by_name="A. Jansen",
        decided_by_role="DPO",
        decided_at=at,
        actor=officer,
        reason="Art. 34 decision",
    )
    content = services.create_content_version(
        incident, language="nl", title="Brief", text="Beste deelnemer", actor=officer, reason="letter", **COMPLETE
    )
    wave = services.plan_wave(
        incident,
        controller=controller,
        cohort_label="2017",
        channel="letter",
        content_version=content,
        planned_at=at,
        actor=officer,
        reason="wave",
    )
    batch = ledger.import_recipients(
        wave, csv_file([f"bsn,{valid_bsns(1)[0]}"]), file_name="cohort.csv", actor=officer, reason="ledger"
    ).batch
    return {
        "communications.communicationassessment": assessment,
        "communications.contentversion": content,
        "communications.communicationwave": wave,
        "communications.importbatch": batch,
    }
