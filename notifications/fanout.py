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

from breachtrack.queue import enqueue, enqueue_many
from notifications.models import AlertEvent, Channel, Delivery, DeliveryStatus, Notification, WebhookEndpoint
from organisations.models import Membership, Role, User

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


def recipient_rows(organisation_ids) -> list[tuple[int, int, str]]:
    """(organisation, user, e-mail) of every recipient of these organisations, one query.

    The same people as ``recipients`` (a user has one membership per organisation), ordered by
    organisation, then user.
    """
    return list(
        Membership.objects.filter(
            organisation_id__in=list(organisation_ids),
            is_active=True,
            role__in=list(RECIPIENT_ROLES),
            user__is_active=True,
        )
        .order_by("organisation_id", "user_id")
        .values_list("organisation_id", "user_id", "user__email")
    )


def _queued(event: AlertEvent, now: datetime, retry_at: datetime, **fields) -> Delivery:
    return Delivery(
        alert_event=event,
        status=DeliveryStatus.PENDING,
        queued_at=now,
        next_attempt_at=retry_at,
        created_at=now,
        **fields,
    )


def fan_out(event: AlertEvent, now: datetime) -> list[int]:
    """Write the notifications and deliveries of one new event; the delivery ids queued."""
    return fan_out_batch([event], now)


def fan_out_batch(events: list[AlertEvent], now: datetime, organisation_ids: list[int] | None = None) -> list[int]:
    """Write the notifications and deliveries of new events; the delivery ids queued.

    Steps:
    1. for every organisation of the batch at once: its recipients (one query) and its active
       webhook endpoints (one query), so a batch costs the same few queries for 1 or 100 organisations;
    2. one Notification per event and recipient (officers and legal, active);
    3. one e-mail Delivery per event and recipient with an e-mail address;
    4. one webhook Delivery per event and active endpoint of the incident's organisation;
    5. two INSERTs in all, then after commit one batch of ``notifications.deliver`` messages
       (one message per delivery, published together).
    Must run inside the caller's transaction (the sweep's), so the events and their fan-out
    commit or roll back together. ``organisation_ids`` (the sweep's, one per event) says whose
    each event is; without it each event's deadline must carry ``organisation_id`` or have its
    incident loaded.
    """
    if not events:
        return []
    if organisation_ids is None:
        organisation_ids = [_organisation_id(event) for event in events]
    wanted = set(organisation_ids)
    people: dict[int, list[tuple[int, str]]] = {organisation_id: [] for organisation_id in wanted}
    for organisation_id, user_id, email in recipient_rows(wanted):
        people[organisation_id].append((user_id, email))
    hooks: dict[int, list[tuple[int, str]]] = {organisation_id: [] for organisation_id in wanted}
    for organisation_id, endpoint_id, url in (
        WebhookEndpoint.objects.filter(organisation_id__in=wanted, is_active=True)
        .order_by("organisation_id", "pk")
        .values_list("organisation_id", "pk", "url")
    ):
        hooks[organisation_id].append((endpoint_id, url))
    retry_at = now + requeue_after()
    notifications, deliveries = [], []
    for event, organisation_id in zip(events, organisation_ids, strict=True):
        for user_id, email in people[organisation_id]:
            notifications.append(Notification(user_id=user_id, alert_event=event, created_at=now))
            if email:
                deliveries.append(_queued(event, now, retry_at, channel=Channel.EMAIL, user_id=user_id, address=email))
        for endpoint_id, url in hooks[organisation_id]:
            deliveries.append(
                _queued(event, now, retry_at, channel=Channel.WEBHOOK, endpoint_id=endpoint_id, address=url)
            )
    Notification.objects.bulk_create(notifications)  # not-historied: Notification
    # The ids come back on PostgreSQL and SQLite >= 3.35.
    Delivery.objects.bulk_create(deliveries)  # not-historied: Delivery
    delivery_ids = [delivery.pk for delivery in deliveries]
    enqueue_all_on_commit(delivery_ids)
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


def enqueue_all_on_commit(delivery_ids: list[int]) -> None:
    """Enqueue one delivery task per id once the rows are committed, published as one batch.

    ``robust``: a failed publish must not fail the commit that already happened; the dispatcher
    re-enqueues any delivery whose task never came once its re-queue interval ends.
    """
    if delivery_ids:
        calls = [(delivery_id,) for delivery_id in delivery_ids]
        transaction.on_commit(lambda: enqueue_many("notifications.deliver", calls), robust=True)
