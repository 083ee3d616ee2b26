"""Fan-out: who is told about a new alert event, written in the sweep's transaction.

Called by ``actions.sweep._record`` only when the event is *new*, so a repeated sweep (or
a retried task) creates nothing. The deliveries are written as already queued (``queued_at``
set, ``next_attempt_at`` one re-queue interval ahead): the ``notifications.deliver`` tasks are
enqueued after commit, and if that task is lost (a crash between commit and publish, or a broker
that restarted empty) the dispatcher enqueues it again after ``BREACHTRACK_DELIVERY_REQUEUE_SECONDS``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from breachtrack.queue import enqueue
from notifications.models import AlertEvent, Channel, Delivery, DeliveryStatus, Notification, WebhookEndpoint
from organisations.models import Role, User

# Who is told: the people who act on a deadline (officers) and advise on it (legal).
RECIPIENT_ROLES = (Role.PRIVACY_OFFICER, Role.LEGAL)


def lease() -> timedelta:
    """How long a claimed (sending) delivery belongs to its worker."""
    return timedelta(seconds=settings.BREACHTRACK_DELIVERY_LEASE_SECONDS)


def requeue_after() -> timedelta:
    """How long a queued delivery waits for its task before the dispatcher enqueues it again."""
    return timedelta(seconds=settings.BREACHTRACK_DELIVERY_REQUEUE_SECONDS)


def recipients(organisation_id: int):
    """Active users with an active officer or legal membership of the organisation."""
    return (
        User.objects.filter(
            is_active=True,
            memberships__organisation_id=organisation_id,
            memberships__is_active=True,
            memberships__role__in=list(RECIPIENT_ROLES),
        )
        .distinct()
        .order_by("pk")
    )


def _queued(event: AlertEvent, now: datetime, **fields) -> Delivery:
    return Delivery(
        alert_event=event,
        status=DeliveryStatus.PENDING,
        queued_at=now,
        next_attempt_at=now + requeue_after(),
        created_at=now,
        **fields,
    )


def fan_out(event: AlertEvent, now: datetime) -> list[int]:
    """Write the notifications and deliveries of one new event; the delivery ids queued."""
    return fan_out_batch([event], now)


def fan_out_batch(events: list[AlertEvent], now: datetime) -> list[int]:
    """Write the notifications and deliveries of new events; the delivery ids queued.

    Steps:
    1. per organisation (read once per batch): its recipients and its active webhook endpoints;
    2. one Notification per event and recipient (officers and legal, active);
    3. one e-mail Delivery per event and recipient with an e-mail address;
    4. one webhook Delivery per event and active endpoint of the incident's organisation;
    5. two INSERTs in all, then after commit enqueue ``notifications.deliver`` for each delivery.
    Must run inside the caller's transaction (the sweep's), so the events and their fan-out
    commit or roll back together. Each event's deadline must carry ``organisation_id`` (the
    sweep annotates it) or have its incident loaded.
    """
    audiences: dict[int, tuple[list, list]] = {}
    notifications, deliveries = [], []
    for event in events:
        organisation_id = _organisation_id(event)
        if organisation_id not in audiences:
            audiences[organisation_id] = (
                list(recipients(organisation_id)),
                list(WebhookEndpoint.objects.filter(organisation_id=organisation_id, is_active=True).order_by("pk")),
            )
        users, endpoints = audiences[organisation_id]
        for user in users:
            notifications.append(Notification(user=user, alert_event=event, created_at=now))
            if user.email:
                deliveries.append(_queued(event, now, channel=Channel.EMAIL, user=user, address=user.email))
        for endpoint in endpoints:
            deliveries.append(_queued(event, now, channel=Channel.WEBHOOK, endpoint=endpoint, address=endpoint.url))
    Notification.objects.bulk_create(notifications)  # not-historied: Notification
    # The ids come back on PostgreSQL and SQLite >= 3.35.
    Delivery.objects.bulk_create(deliveries)  # not-historied: Delivery
    delivery_ids = [delivery.pk for delivery in deliveries]
    for delivery_id in delivery_ids:
        enqueue_on_commit(delivery_id)
    return delivery_ids


def _organisation_id(event: AlertEvent) -> int:
    deadline = event.deadline
    annotated = getattr(deadline, "organisation_id", None)
    return annotated if annotated is not None else deadline.incident.organisation_id


def enqueue_on_commit(delivery_id: int) -> None:
    """Enqueue the delivery task once the row is committed (never before: the worker must see it).

    ``robust``: one failed publish must not drop the others; the dispatcher recovers it.
    """
    transaction.on_commit(lambda: enqueue("notifications.deliver", delivery_id), robust=True)
