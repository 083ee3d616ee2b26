"""One timeline per incident: domain events and history changes merged, each with two instants."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions import incidents as services
from actions.sweep import handle_one_due_deadline
from evidence.chain import export_stamp
from incidents.models import Incident
from ops.demo import load_demo
from readers.timeline import SCHEMA, Audience, incident_timeline

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def amsterdam(*wall_clock) -> datetime:
    return datetime(*wall_clock, tzinfo=AMSTERDAM).astimezone(UTC)


@pytest.fixture
def demo_incident(db, settings):
    """The laboratory's entry of the demo case (loaded in real time: its instants lie in 2025)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    load_demo("a demo password for tests")
    return Incident.objects.select_related("organisation").get(title__startswith="Ransomware attack")


def test_the_demo_timeline_tells_the_case_in_order(demo_incident):
    entries = incident_timeline(demo_incident, audience=Audience.INTERNAL)
    events = [(e.kind, e.event_at) for e in entries]

    lab_aware = next(e for e in entries if e.kind == "awareness" and e.summary.startswith("Demo Diagnostics"))
    programme_told = next(
        e for e in entries if e.kind == "processor_notice" and "Demo Screening Programme" in e.summary
    )
    assert lab_aware.event_at == amsterdam(2025, 7, 6, 10, 0)
    assert programme_told.event_at == amsterdam(2025, 8, 6, 15, 0)
    assert events.index(("occurred", amsterdam(2025, 7, 3, 22, 0))) < events.index(("awareness", lab_aware.event_at))
    assert events.index(("awareness", lab_aware.event_at)) < events.index(("processor_notice", programme_told.event_at))
    counts = [
        e.summary for e in entries if e.kind == "estimate" and "Data subjects" in e.summary and "for " not in e.summary
    ]
    assert [c.split(": ")[1] for c in counts] == ["≈485,000", "≈715,000", "≥850,000", "941,000"]
    countdowns = [e for e in entries if e.kind == "countdown"]
    assert [e.event_at for e in countdowns] == [
        amsterdam(2025, 7, 6, 9, 0),
        amsterdam(2025, 8, 14, 20, 0),
        amsterdam(2025, 9, 1, 12, 0),
    ]
    leak = next(e for e in entries if e.kind == "leak")
    assert countdowns[1].event_at < leak.event_at == amsterdam(2025, 8, 15, 12, 0) < countdowns[2].event_at
    assert [e.event_at for e in entries] == sorted(e.event_at for e in entries)


def test_each_entry_shows_when_it_happened_and_when_it_was_written_down(demo_incident):
    entries = incident_timeline(demo_incident, audience=Audience.INTERNAL)
    lab_aware = next(e for e in entries if e.kind == "awareness")

    assert lab_aware.event_at.year == 2025
    assert lab_aware.recorded_at > lab_aware.event_at  # the demo is recorded today
    assert lab_aware.actor == "officer@demo.example"
    assert lab_aware.reason == "our own awareness: leak-site listing verified"


def test_history_changes_carry_old_and_new_values_actor_and_reason(demo_incident):
    entries = incident_timeline(demo_incident, audience=Audience.INTERNAL)
    containment = next(e for e in entries if e.kind == "change" and e.reason == "breach contained")

    assert ("is_ongoing", True, False) in containment.changes
    assert containment.event_at == containment.recorded_at
    assert containment.actor == "officer@demo.example"


def test_a_corrected_awareness_appears_as_a_change_and_the_event_moves(
    incident, processor_and_controller, officer, now
):
    _processor, controller, _relationship = processor_and_controller
    first = datetime(2025, 8, 18, 9, 0, tzinfo=UTC)
    record = services.record_awareness(
        incident, party=controller, aware_at=first, source="processor_notice", actor=officer, reason="programme told us"
    )
    services.correct_processor_notice(  # the awareness from the programme's processor is its notice
        record.processor_notice, informed_at=first - timedelta(hours=12), actor=officer,
        reason="e-mail of the evening before",
    )  # fmt: skip

    entries = incident_timeline(incident, audience=Audience.INTERNAL)
    change = next(e for e in entries if e.kind == "change" and e.model == "incidents.awarenessrecord")
    assert ("aware_at", first, first - timedelta(hours=12)) in change.changes
    assert change.reason == "e-mail of the evening before"
    (aware,) = [e for e in entries if e.kind == "awareness"]
    assert aware.event_at == first - timedelta(hours=12)
    assert aware.reason == "e-mail of the evening before"  # the current value was written by the correction


def test_alerts_fired_by_the_sweep_are_on_the_timeline(incident, processor_and_controller, officer, now):
    _processor, controller, _relationship = processor_and_controller
    services.record_awareness(
        incident,
        party=controller,
        aware_at=now - timedelta(hours=71),
        source="processor_notice",
        actor=officer,
        reason="programme told us",
    )
    while handle_one_due_deadline(now=now):
        pass

    alerts = [e for e in incident_timeline(incident, audience=Audience.INTERNAL) if e.kind == "alert"]
    assert alerts and alerts[0].event_at == now
    assert "before:1h" in alerts[0].summary


# --- The JSON export ----------------------------------------------------------------------------


def test_the_json_export_has_its_schema_chain_head_and_utc_instants(client, demo_incident):
    from organisations.models import User

    client.force_login(User.objects.get(username="legal@demo.example"))  # the laboratory's legal member

    body = json.loads(client.get(reverse("evidence:timeline_json", args=[demo_incident.pk])).content)

    assert body["schema"] == SCHEMA
    assert body["chain"] == export_stamp(demo_incident.organisation)
    assert body["generated_at"].endswith("Z")
    assert body["incident"]["reference"] == demo_incident.reference
    first = body["entries"][0]
    assert set(first) == {"event_at", "recorded_at", "kind", "summary", "actor", "reason", "object", "changes"}
    assert first["event_at"] == "2025-07-03T20:00:00Z" and first["kind"] == "occurred"
    change = next(e for e in body["entries"] if e["kind"] == "change" and e["reason"] == "breach contained")
    contained = next(c for c in change["changes"] if c["field"] == "contained_at")
    # The machine's value and, beside it, the same change as a reader reads it (the request's zone).
    assert contained == {
        "field": "contained_at",
        "old": None,
        "new": "2025-07-08T16:00:00Z",
        "label": "Contained",
        "old_text": "—",
        "new_text": "Tue 8 Jul 2025, 18:00 CEST",
    }


def test_the_json_export_lists_the_deadlines_with_the_1182_71_outer_bound_of_the_72_hours(
    client, lawyer, incident, processor_and_controller, officer, now
):
    processor, controller, _relationship = processor_and_controller
    services.record_awareness(
        incident, party=processor, aware_at=now - timedelta(hours=5), source="own_detection", actor=officer, reason="r"
    )
    services.record_awareness(
        incident,
        party=controller,
        aware_at=now - timedelta(hours=2, minutes=30),  # 09:30 UTC
        source="processor_notice",
        actor=officer,
        reason="programme told us",
    )
    client.force_login(lawyer)

    body = json.loads(client.get(reverse("evidence:timeline_json", args=[incident.pk])).content)

    assert body["schema"] == SCHEMA == "breachtrack.timeline/2"
    rows = {row["kind"]: row for row in body["deadlines"]}
    authority = rows["authority_notification"]
    assert (authority["party"], authority["due_at"], authority["outer_bound_at"]) == (
        "National Screening Programme",
        "2025-08-23T09:30:00Z",
        "2025-08-23T10:00:00Z",
    )
    assert authority["kind_label"] == "Notify the supervisory authority (GDPR Art. 33(1))"
    assert authority["is_legal_deadline"] is True and authority["state"] == "pending"
    assert rows["processor_notice"]["outer_bound_at"] is None


@pytest.mark.parametrize("persona", ["officer", "lawyer", "viewer"])
def test_every_member_may_read_the_timeline(client, request, incident, persona):
    client.force_login(request.getfixturevalue(persona))

    for name in ("evidence:timeline", "evidence:timeline_json"):
        assert client.get(reverse(name, args=[incident.pk])).status_code == 200


@pytest.mark.parametrize("name", ["evidence:timeline", "evidence:timeline_json"])
def test_another_organisations_timeline_is_a_404(client, outsider, incident, name):
    client.force_login(outsider)

    assert client.get(reverse(name, args=[incident.pk])).status_code == 404


def test_the_json_timeline_reads_a_fixed_number_of_queries_at_two_history_sizes(
    client, lawyer, incident, processor_and_controller, officer, now, django_assert_max_num_queries
):
    client.force_login(lawyer)
    url = reverse("evidence:timeline_json", args=[incident.pk])

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    small = count()
    for k in range(40):
        services.update_incident(incident, title=f"Ransomware, wording {k}", actor=officer, reason="wording")
        services.record_estimate(
            incident, measure="records", low=1000 + k, known_at=now, source="count", actor=officer, reason="count"
        )
    with django_assert_max_num_queries(small):
        assert client.get(url).status_code == 200
    assert count() == small


def test_the_register_page_links_the_timeline(client, lawyer, incident):
    client.force_login(lawyer)

    page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()

    assert reverse("evidence:timeline", args=[incident.pk]) in page
    assert reverse("evidence:timeline_json", args=[incident.pk]) in page


def test_the_in_memory_diff_finds_what_diff_against_finds_and_the_non_editable_fields_it_misses(demo_incident):
    """simple-history's diff_against goes through model_to_dict, which skips fields with
    editable=False (a publication's risk reassessment, a filing's frozen content): the timeline
    must show those changes too."""
    from readers import history_rows

    compared, extra = 0, set()
    for found in history_rows.load(demo_incident.pk).values():
        for versions in history_rows.versions_by_object(found).values():
            for old, new in itertools.pairwise(versions):
                ours = history_rows.field_changes(new, old)
                noise = ["updated_at"] if new.instance_type.__name__ == "Incident" else []
                theirs = [(c.field, c.old, c.new) for c in new.diff_against(old, excluded_fields=noise).changes]
                assert all(change in ours for change in theirs)
                missed = [name for name, old_value, new_value in ours if (name, old_value, new_value) not in theirs]
                fields = {f.name: f for f in new.instance_type._meta.fields}
                assert all(not fields[name].editable for name in missed)
                extra |= set(missed)
                compared += 1
    assert compared >= 5
    assert "risk_reassessed_at" in extra


def test_the_timelines_plain_rows_hold_exactly_the_values_of_the_history_instances(demo_incident):
    """The timeline reads history as plain rows (no model instance per record, instants parsed
    from the database's text): every attribute must equal what the history instance holds."""
    from readers import history_rows

    instances, rows = history_rows.load(demo_incident.pk), history_rows.load_rows(demo_incident.pk)
    compared = 0
    for key, found in instances.items():
        assert [r.history_id for r in rows[key]] == [i.history_id for i in found]
        for instance, row in zip(found, rows[key], strict=False):
            attnames = [field.attname for field in type(instance)._meta.concrete_fields]
            assert {a: row.__dict__[a] for a in attnames} == {a: instance.__dict__[a] for a in attnames}
            assert row.actor == instance.actor and row.instance_type is instance.instance_type
            compared += 1
    assert compared == sum(len(found) for found in rows.values()) > 0
    assert any(row.history_date.microsecond for found in rows.values() for row in found)  # fractions parsed too
