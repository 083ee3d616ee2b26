"""A sweep batch fans its alerts out to every organisation's own people and webhooks in a fixed number of queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from actions import incidents as services
from actions.notifications import create_webhook_endpoint
from actions.sweep import sweep
from notifications.models import AlertEvent, Delivery, Notification
from organisations import services as org_services
from organisations.models import Role


def _organisation_with_a_due_clock(admin_actor, n: int, aware_at: datetime):
    """An organisation with an officer, a legal member, a webhook and one controller aware at ``aware_at``."""
    org = org_services.create_organisation(name=f"Tenant {n}", country="NL", actor=admin_actor, reason="test")
    people = []
    for role in (Role.PRIVACY_OFFICER, Role.LEGAL):
        user = org_services.create_user(
            username=f"{role}{n}@t{n}.example",
            email=f"{role}{n}@t{n}.example",
            password=None,
            actor=admin_actor,
            reason="t",
        )
        org_services.add_member(org, user, role=role, actor=admin_actor, reason="test")
        people.append(user)
    officer = people[0]
    create_webhook_endpoint(org, url=f"http://127.0.0.1:9/tenant{n}", actor=officer, reason="alerts")
    incident = services.create_incident(
        organisation=org,
        title=f"Incident {n}",
        occurred_from_at=datetime(2025, 7, 3, 22, 0, tzinfo=UTC),
        actor=officer,
        reason="report",
    )
    party = org_services.create_party(org, name=f"Controller {n}", actor=officer, reason="directory")
    controller = services.add_party(incident, party=party, role="controller", actor=officer, reason="parties")
    services.record_awareness(
        incident, party=controller, aware_at=aware_at, source="own_detection", actor=officer, reason="aware"
    )
    return org


def _sweep_counted(now) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        recorded = sweep(now_func=lambda: now)
    return recorded, len(captured)


def test_each_organisations_alerts_go_to_its_own_people_and_webhook_in_the_same_queries_for_one_or_many(
    admin_actor, now, django_capture_on_commit_callbacks
):
    sweep(now_func=lambda: now)  # the heartbeat row exists: the steady state
    first = [_organisation_with_a_due_clock(admin_actor, 0, now - timedelta(hours=30))]
    with django_capture_on_commit_callbacks(execute=False):
        one = _sweep_counted(now)
    many = [_organisation_with_a_due_clock(admin_actor, n, now - timedelta(hours=29)) for n in range(1, 5)]
    with django_capture_on_commit_callbacks(execute=False):
        several = _sweep_counted(now + timedelta(hours=1))

    assert (one[0], several[0]) == (1, 4)
    assert several[1] == one[1] + 2  # the batch's one claim UPDATE runs in a savepoint; nothing per organisation
    for n, org in enumerate(first + many):
        event = AlertEvent.objects.get(deadline__incident__organisation=org)
        assert sorted(Notification.objects.filter(alert_event=event).values_list("user__username", flat=True)) == [
            f"legal{n}@t{n}.example",
            f"privacy_officer{n}@t{n}.example",
        ]
        assert sorted(Delivery.objects.filter(alert_event=event).values_list("channel", "address")) == [
            ("email", f"legal{n}@t{n}.example"),
            ("email", f"privacy_officer{n}@t{n}.example"),
            ("webhook", f"http://127.0.0.1:9/tenant{n}"),
        ]
