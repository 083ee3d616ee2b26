"""An instant sent with an explicit offset and a named zone: the two must agree.

``2026-03-29T02:30:00+01:00`` with ``Europe/Amsterdam`` names a wall-clock time Amsterdam never
showed (its clocks jumped from 02:00 to 03:00), and ``16:45-05:00`` is no time Amsterdam ever
showed at UTC-5. Either pair is refused on its ``*_at`` field (400, code ``offset_not_of_zone``),
naming the offset, the zone, the date and the time, and nothing is written. The check lives in
one place (``api.serializers.ZoneOffsetMixin``) shared by every serializer that takes a pair.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from actions import incidents as services
from incidents.models import AwarenessRecord, Incident
from organisations import services as org_services
from rules import timeinput
from tests.api.conftest import REASON, detail_url, session_client

AMSTERDAM = "Europe/Amsterdam"


@pytest.fixture
def later(time_machine):
    """Time frozen after the 2026 clock changes."""
    moment = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
    time_machine.move_to(moment, tick=False)
    return moment


@pytest.fixture
def breach(lab, officer, later):
    return services.create_incident(
        organisation=lab,
        title="Ransomware",
        occurred_from_at=datetime(2026, 1, 1, tzinfo=UTC),
        actor=officer,
        reason="first report",
    )


@pytest.fixture
def party(breach, lab, officer):
    directory = org_services.create_party(lab, name="Programme", country="NL", actor=officer, reason="directory")
    return services.add_party(breach, party=directory, role="controller", actor=officer, reason="parties")


def post_awareness(officer, breach, party, aware_at, aware_tz=AMSTERDAM):
    body = {"party": party.pk, "aware_at": aware_at, "source": "own_detection", "reason": REASON}
    if aware_tz is not None:
        body["aware_tz"] = aware_tz
    return session_client(officer).post(f"/api/incidents/{breach.pk}/awareness/", body, format="json")


# --- the rule ---------------------------------------------------------------------------------


def offset(hours: int) -> timezone:
    return timezone(timedelta(hours=hours))


@pytest.mark.parametrize(
    "given",
    [
        datetime(2026, 3, 29, 2, 30, tzinfo=offset(1)),  # in the gap: never shown
        datetime(2026, 3, 29, 2, 30, tzinfo=offset(2)),  # in the gap, with the summer offset
        datetime(2026, 1, 15, 16, 45, tzinfo=offset(-5)),  # a New York time
        datetime(2026, 7, 1, 12, 0, tzinfo=offset(1)),  # winter offset in summer
    ],
)
def test_an_offset_the_zone_did_not_have_at_that_wall_clock_time_is_refused(given):
    with pytest.raises(timeinput.OffsetNotOfZone):
        timeinput.check_offset_of_zone(given, AMSTERDAM)


@pytest.mark.parametrize(
    "given",
    [
        datetime(2026, 10, 25, 2, 30, tzinfo=offset(2)),  # the repeated hour, first pass
        datetime(2026, 10, 25, 2, 30, tzinfo=offset(1)),  # the repeated hour, second pass
        datetime(2026, 3, 29, 3, 30, tzinfo=offset(2)),  # just after the gap
        datetime(2026, 1, 15, 16, 45, tzinfo=offset(1)),
    ],
)
def test_an_offset_the_zone_had_is_accepted(given):
    timeinput.check_offset_of_zone(given, AMSTERDAM)


# --- the API ----------------------------------------------------------------------------------


def test_a_time_in_the_gap_with_the_winter_offset_is_refused_naming_both(officer, breach, party):
    before = AwarenessRecord.objects.count(), breach.history.count()
    response = post_awareness(officer, breach, party, "2026-03-29T02:30:00+01:00")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid" and body["field_codes"] == {"aware_at": ["offset_not_of_zone"]}
    message = body["fields"]["aware_at"][0]
    assert message.startswith("+01:00 is not the offset of Europe/Amsterdam on 2026-03-29 at 02:30")
    assert "03:30" in message and "UTC+2" in message
    assert (AwarenessRecord.objects.count(), breach.history.count()) == before


def test_a_new_york_offset_with_the_amsterdam_zone_is_refused(officer, breach, party):
    response = post_awareness(officer, breach, party, "2026-01-15T16:45:00-05:00")
    assert response.status_code == 400
    assert response.json()["fields"]["aware_at"][0].startswith(
        "-05:00 is not the offset of Europe/Amsterdam on 2026-01-15 at 16:45"
    )
    assert not AwarenessRecord.objects.exists()


@pytest.mark.parametrize(
    ("aware_at", "expected"),
    [
        ("2026-10-25T02:30:00+02:00", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
        ("2026-10-25T02:30:00+01:00", datetime(2026, 10, 25, 1, 30, tzinfo=UTC)),
        ("2026-03-29T03:30:00+02:00", datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
        # An instant in UTC is no reading of the zone's clock: the API writes instants back so.
        ("2026-03-29T01:30:00Z", datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
        ("2026-03-29T01:30:00+00:00", datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
    ],
)
def test_an_offset_that_agrees_with_the_zone_is_stored(officer, breach, party, aware_at, expected):
    response = post_awareness(officer, breach, party, aware_at)
    assert response.status_code == 201, response.content
    record = AwarenessRecord.objects.get()
    assert (record.aware_at, record.aware_tz) == (expected, AMSTERDAM)


def test_without_a_zone_the_offset_is_only_the_instant(officer, breach, party):
    response = post_awareness(officer, breach, party, "2026-01-15T16:45:00-05:00", aware_tz=None)
    assert response.status_code == 201, response.content


def test_the_contradiction_is_reported_together_with_the_other_field_errors(officer, breach, party):
    response = session_client(officer).post(
        f"/api/incidents/{breach.pk}/awareness/",
        {"party": party.pk, "aware_at": "2026-03-29T02:30:00+01:00", "aware_tz": AMSTERDAM, "reason": REASON},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"aware_at", "source"}


def test_an_incident_put_is_checked_too(officer, breach):
    client = session_client(officer)
    read = client.get(detail_url(breach))
    state = {key: value for key, value in read.json().items() if key not in {"id", "reference", "status"}}
    state.pop("organisation", None)
    state.pop("created_at", None)
    state.pop("updated_at", None)
    state.update(detected_at="2026-03-29T02:30:00+01:00", detected_tz=AMSTERDAM, reason=REASON)
    response = client.put(detail_url(breach), state, format="json", HTTP_IF_MATCH=read["ETag"])
    assert response.status_code == 400, response.content
    assert response.json()["field_codes"] == {"detected_at": ["offset_not_of_zone"]}
    assert Incident.objects.get().detected_at is None


def test_a_strict_input_serializer_is_checked_too(officer, breach, party, dutch_ap):
    services.add_authority(breach, authority=dutch_ap, role="lead", actor=officer, reason="lead SA")
    services.record_awareness(
        breach,
        party=party,
        aware_at=datetime(2026, 3, 1, tzinfo=UTC),
        source="own_detection",
        actor=officer,
        reason="aware",
    )
    response = session_client(officer).post(
        f"/api/incidents/{breach.pk}/decisions-not-to-notify/",
        {
            "controller": party.pk,
            "decided_at": "2026-03-29T02:30:00+01:00",
            "decided_tz": AMSTERDAM,
            "risk_basis": "unlikely_risk",
            "reasoning": "Encrypted, key safe.",
            "reason": REASON,
        },
        format="json",
    )
    assert response.status_code == 400, response.content
    assert response.json()["field_codes"]["decided_at"] == ["offset_not_of_zone"]
    assert not breach.notification_decisions.exists()
