"""The regimes' facts are written through actions: roles, tenancy, bad input, history with actor and reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from actions import incidents as services
from actions import regimes as regime_actions
from breachtrack.history import acting_as
from filings.models import RegimeReportFiling
from incidents.models import AffectedPlace, IncidentAnchor, IncidentDetermination, RegimeDecision
from notifications.models import Deadline


def codes(error: ValidationError) -> dict[str, list[str]]:
    return {field: [item.code for item in items] for field, items in error.error_dict.items()}


def last_history(obj):
    return obj.history.order_by("-history_date", "-history_id").first()


def nothing_written():
    return not any(
        model.objects.exists()
        for model in (IncidentAnchor, IncidentDetermination, AffectedPlace, RegimeDecision, RegimeReportFiling)
    )


# --- Moments -------------------------------------------------------------------------------------


def test_an_anchor_is_recorded_revised_and_withdrawn_with_its_history(incident, officer, now):
    detected = now - timedelta(hours=5)
    anchor = regime_actions.record_anchor(
        incident, kind="detection", occurred_at=detected, actor=officer, reason="SOC ticket 17", asserted_by="SOC"
    )
    assert (anchor.occurred_at, anchor.occurred_tz, anchor.recorded_by) == (detected, "Europe/Amsterdam", officer)
    regime_actions.revise_anchor(anchor, occurred_at=detected - timedelta(hours=1), actor=officer, reason="log shows")
    regime_actions.withdraw_anchor(anchor, withdrawal_reason="a false alarm", actor=officer, reason="checked")
    history = list(anchor.history.order_by("history_date", "history_id"))
    assert [(h.occurred_at, h.is_withdrawn) for h in history] == [
        (detected, False),
        (detected - timedelta(hours=1), False),
        (detected - timedelta(hours=1), True),
    ]
    assert [(h.history_user, h.history_change_reason) for h in history] == [
        (officer, "SOC ticket 17"),
        (officer, "log shows"),
        (officer, "checked"),
    ]
    again = regime_actions.record_anchor(
        incident, kind="detection", occurred_at=detected, actor=officer, reason="it was real after all"
    )
    assert again.pk == anchor.pk and not again.is_withdrawn and again.withdrawal_reason == ""


def test_a_kind_recorded_twice_is_refused_as_a_revision_to_make(incident, officer, now):
    regime_actions.record_anchor(incident, kind="classification", occurred_at=now, actor=officer, reason="major")
    with pytest.raises(ValidationError) as refused:
        regime_actions.record_anchor(incident, kind="classification", occurred_at=now, actor=officer, reason="again")
    assert codes(refused.value) == {"kind": ["repeated"]}


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ({"kind": "sunrise", "occurred_at": datetime(2025, 8, 1, tzinfo=UTC)}, {"kind": ["invalid_choice"]}),
        ({"kind": "detection", "occurred_at": datetime(2025, 8, 30, tzinfo=UTC)}, {"occurred_at": ["future"]}),
        (
            {"kind": "detection", "occurred_at": datetime(1925, 8, 1, tzinfo=UTC)},
            {"occurred_at": ["too_early", "before_start"]},
        ),
        # Before the breach started (3 July 2025).
        ({"kind": "detection", "occurred_at": datetime(2025, 7, 1, tzinfo=UTC)}, {"occurred_at": ["before_start"]}),
        # 29 March 2026 02:30 never happened in Amsterdam; a wall-clock time is read in its zone.
        (
            {"kind": "detection", "occurred_at": datetime(2026, 3, 29, 2, 30), "occurred_tz": "Europe/Amsterdam"},
            {"occurred_at": ["nonexistent"]},
        ),
        (
            {"kind": "detection", "occurred_at": datetime(2025, 7, 26, 2, 30), "occurred_tz": "Mars/Olympus"},
            {"occurred_at": ["unknown_zone"]},
        ),
    ],
)
def test_impossible_or_implausible_moments_are_refused_on_their_field(incident, officer, now, facts, expected):
    with pytest.raises(ValidationError) as refused:
        regime_actions.record_anchor(incident, actor=officer, reason="probe", **facts)
    assert codes(refused.value) == expected
    assert nothing_written()


def test_a_wall_clock_time_is_read_in_its_zone(incident, officer, now):
    anchor = regime_actions.record_anchor(
        incident,
        kind="detection",
        occurred_at=datetime(2025, 8, 19, 9, 30),
        occurred_tz="Europe/Amsterdam",
        actor=officer,
        reason="typed",
    )
    assert anchor.occurred_at == datetime(2025, 8, 19, 7, 30, tzinfo=UTC)
    assert anchor.occurred_tz == "Europe/Amsterdam"


# --- Determinations and places -------------------------------------------------------------------


def test_a_determination_keeps_its_earlier_answer_in_history(incident, officer):
    first = regime_actions.set_determination(incident, name="significant", value=False, actor=officer, reason="v1")
    second = regime_actions.set_determination(
        incident, name="significant", value=True, rationale="outage of 6 h", actor=officer, reason="v2"
    )
    assert first.pk == second.pk
    assert [h.value for h in second.history.order_by("history_date", "history_id")] == [False, True]
    assert last_history(second).history_change_reason == "v2"
    with pytest.raises(ValidationError) as refused:
        regime_actions.set_determination(
            incident, name="significant", value=True, rationale="outage of 6 h", actor=officer, reason="v3"
        )
    assert refused.value.code == "no_change"
    with pytest.raises(ValidationError) as refused:
        regime_actions.set_determination(incident, name="catastrophic", value=True, actor=officer, reason="v4")
    assert codes(refused.value) == {"name": ["invalid_choice"]}


def test_places_are_recorded_per_residence_and_a_new_count_replaces_the_old(incident, officer, now):
    regime_actions.record_places(
        incident, counts={"NL": 850_000, "us-ca": 600}, as_of=now, source="CRM export", actor=officer, reason="count"
    )
    regime_actions.record_places(incident, counts={"NL": 941_000}, as_of=now, actor=officer, reason="letters")
    assert dict(AffectedPlace.objects.values_list("place", "count")) == {"NL": 941_000, "US-CA": 600}
    netherlands = AffectedPlace.objects.get(place="NL")
    assert [h.count for h in netherlands.history.order_by("history_date", "history_id")] == [850_000, 941_000]


@pytest.mark.parametrize(
    ("counts", "field"),
    [
        ({"XX": 5}, "place"),  # no such country
        ({"US-ZZ": 5}, "place"),  # no such state
        ({"EU": 5}, "place"),  # a union, not a residence
        ({"NL": -1}, "counts"),
        ({"NL": 2.5}, "counts"),
    ],
)
def test_bad_places_and_counts_are_refused_whole(incident, officer, now, counts, field):
    with pytest.raises(ValidationError) as refused:
        regime_actions.record_places(incident, counts={"BE": 10, **counts}, as_of=now, actor=officer, reason="count")
    assert field in refused.value.error_dict
    assert not AffectedPlace.objects.exists()


# --- Decisions and filings -----------------------------------------------------------------------


def test_a_decision_needs_a_known_regime_and_its_reasoning(incident, officer, decide):
    with pytest.raises(ValidationError) as refused:
        decide("atlantis")
    assert codes(refused.value) == {"regime": ["unknown_regime"]}
    with pytest.raises(ValidationError) as refused:
        decide("nis2", reasoning="  ")
    assert codes(refused.value) == {"reasoning": ["required"]}
    decision = decide("nis2", reasoning="we are an essential entity")
    assert (decision.regime, decision.applies, decision.recorded_by) == ("nis2", True, officer)
    assert last_history(decision).history_change_reason == "decision"


def test_a_decision_is_never_changed_only_followed_by_another(incident, decide):
    decision = decide("nis2")
    decision.applies = False
    with pytest.raises(ValidationError):
        decision.save()
    with pytest.raises(ValidationError):
        decision.delete()


def test_a_report_is_filed_only_under_a_confirmed_regime_and_takes_its_recipient_and_version(
    incident, officer, decide, flag, aware, now
):
    with pytest.raises(ValidationError) as refused:
        regime_actions.record_regime_report_filing(
            incident, regime="nis2", report="early_warning", submitted_at=now, actor=officer, reason="filed"
        )
    assert codes(refused.value) == {"regime": ["not_confirmed"]}
    decide("nis2")
    flag("significant")
    with pytest.raises(ValidationError) as refused:
        regime_actions.record_regime_report_filing(
            incident, regime="nis2", report="postcard", submitted_at=now, actor=officer, reason="filed"
        )
    assert codes(refused.value) == {"report": ["unknown_report"]}
    with pytest.raises(ValidationError) as refused:
        regime_actions.record_regime_report_filing(
            incident,
            regime="nis2",
            report="early_warning",
            submitted_at=now + timedelta(days=1),
            actor=officer,
            reason="filed",
        )
    assert codes(refused.value) == {"submitted_at": ["future"]}
    filing = regime_actions.record_regime_report_filing(
        incident,
        regime="nis2",
        report="early_warning",
        submitted_at=now,
        reference="NCSC-2025-001",
        actor=officer,
        reason="filed",
    )
    assert (filing.recipient, filing.rule_version) == ("csirt", "2024-10-18")
    assert Deadline.objects.get(report="early_warning").met_at == now
    filing.summary = "edited afterwards"
    with pytest.raises(ValidationError):
        filing.save()


# --- Who may write -------------------------------------------------------------------------------


def _every_write(incident, actor, now):
    """Each action once, as ``actor``."""
    anchor_kwargs = {"actor": actor, "reason": "probe"}
    yield lambda: regime_actions.record_anchor(incident, kind="detection", occurred_at=now, **anchor_kwargs)
    yield lambda: regime_actions.set_determination(incident, name="major", value=True, **anchor_kwargs)
    yield lambda: regime_actions.record_places(incident, counts={"NL": 1}, as_of=now, **anchor_kwargs)
    yield lambda: regime_actions.decide_regime(
        incident, regime="nis2", applies=True, reasoning="probe", **anchor_kwargs
    )
    yield lambda: regime_actions.record_regime_report_filing(
        incident, regime="nis2", report="early_warning", submitted_at=now, **anchor_kwargs
    )
    yield lambda: regime_actions.set_organisation_profile(
        incident.organisation, entity_tags=["controller"], **anchor_kwargs
    )


@pytest.mark.parametrize("persona", ["lawyer", "viewer", "outsider"])
def test_legal_viewers_and_other_organisations_cannot_write(request, persona, incident, catalogue, now):
    actor = request.getfixturevalue(persona)
    for write in _every_write(incident, actor, now):
        with pytest.raises(PermissionDenied) as refused:
            write()
        assert str(refused.value) == "Your role does not allow this change."
    assert nothing_written()
    assert incident.organisation.entity_tags == []


def test_another_organisations_anchor_is_refused_like_an_unknown_one(incident, officer, outsider, other_org, now):
    theirs = services.create_incident(organisation=other_org, title="Lost laptop", actor=outsider, reason="report")
    anchor = regime_actions.record_anchor(theirs, kind="detection", occurred_at=now, actor=outsider, reason="theirs")
    with pytest.raises(PermissionDenied) as refused:
        regime_actions.revise_anchor(anchor, occurred_at=now - timedelta(hours=1), actor=officer, reason="probe")
    assert str(refused.value) == "Your role does not allow this change."
    with pytest.raises(PermissionDenied):
        regime_actions.withdraw_anchor(anchor, withdrawal_reason="probe", actor=officer, reason="probe")


def test_every_write_needs_a_reason(incident, officer, now):
    with pytest.raises(ValidationError) as refused:
        regime_actions.record_anchor(incident, kind="detection", occurred_at=now, actor=officer, reason=" ")
    assert codes(refused.value) == {"reason": ["required"]}
    assert nothing_written()


def test_a_closed_incident_takes_no_new_facts(incident, officer, now):
    with acting_as(officer, "closed for the test"):  # closing needs a complete register; not the point here
        incident.status = "closed"
        incident.save(update_fields=["status"])
    with pytest.raises(ValidationError) as refused:
        regime_actions.set_determination(incident, name="major", value=True, actor=officer, reason="probe")
    assert refused.value.code == "closed"
    assert nothing_written()


# --- The organisation's profile ------------------------------------------------------------------


def test_the_organisation_sets_its_entity_types_and_establishment(lab, officer):
    regime_actions.set_organisation_profile(
        lab,
        entity_tags=["nis2_essential", "controller", "controller"],
        established="be",
        actor=officer,
        reason="profile",
    )
    lab.refresh_from_db()
    assert (lab.entity_tags, lab.country.code) == (["controller", "nis2_essential"], "BE")
    assert last_history(lab).history_change_reason == "profile"
    with pytest.raises(ValidationError) as refused:
        regime_actions.set_organisation_profile(lab, entity_tags=["bank_of_mars"], actor=officer, reason="probe")
    assert codes(refused.value) == {"entity_tags": ["invalid_choice"]}
    with pytest.raises(ValidationError) as refused:
        regime_actions.set_organisation_profile(lab, established="XX", actor=officer, reason="probe")
    assert "country" in refused.value.error_dict
