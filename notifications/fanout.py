"""Fan-out: who is told about a new alert event, written in the sweep's transaction.

Called by ``notifications.sweep._record`` only when the event is *new*, so a repeated sweep (or
a retried task) creates nothing. The deliveries are written as already queued (``queued_at``
set, ``next_attempt_at`` one lease ahead): the ``notifications.deliver`` tasks are enqueued after
commit, and if that enqueue is lost (a crash between commit and publish) the dispatcher takes the
row back when the lease runs out.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from notifications.models import AlertEvent, Channel, Delivery, DeliveryStatus, Notification, WebhookEndpoint
from organisations.models import Role, User

# Who is told: the people who act on a deadline (officers) and advise on it (legal).
RECIPIENT_ROLES = (Role.PRIVACY_OFFICER, Role.LEGAL)


def lease() -> timedelta:
    return timedelta(seconds=settings.BREACHTRACK_DELIVERY_LEASE_SECONDS)


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
    return Delivery.objects.create(
        alert_event=event, status=DeliveryStatus.PENDING, queued_at=now, next_attempt_at=now + lease(),
        created_at=now, **fields,
    )


def fan_out(event: AlertEvent, now: datetime) -> list[int]:
    """Write the notifications and deliveries of a new event; the delivery ids queued.

    Steps:
    1. one Notification per recipient (officers and legal, active);
    2. one e-mail Delivery per recipient with an e-mail address;
    3. one webhook Delivery per active endpoint of the incident's organisation;
    4. after commit, enqueue ``notifications.deliver`` for each delivery.
    Must run inside the caller's transaction (the sweep's), so the event and its fan-out
    commit or roll back together.
    """
    organisation_id = event.deadline.incident.organisation_id
    delivery_ids = []
    for user in recipients(organisation_id):
        Notification.objects.create(user=user, alert_event=event, created_at=now)
        if user.email:
            delivery_ids.append(_queued(event, now, channel=Channel.EMAIL, user=user, address=user.email).pk)
    for endpoint in WebhookEndpoint.objects.filter(organisation_id=organisation_id, is_active=True).order_by("pk"):
        delivery_ids.append(_queued(event, now, channel=Channel.WEBHOOK, endpoint=endpoint, address=endpoint.url).pk)
    for delivery_id in delivery_ids:
        enqueue_on_commit(delivery_id)
    return delivery_ids


def enqueue_on_commit(delivery_id: int) -> None:
    """Enqueue the delivery task once the row is committed (never before: the worker must see it).

    ``robust``: one failed publish must not drop the others; the dispatcher recovers it.
    """
    from notifications.tasks import deliver

    transaction.on_commit(lambda: deliver.delay(delivery_id), robust=True)
