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

from breachtrack.history import insert_rows_without_history
from breachtrack.queue import enqueue, enqueue_many
from notifications.models import AlertEvent, Channel, Delivery, DeliveryStatus, Notification, WebhookEndpoint
from organisations.models import Membership, Role, User

# Who is told: the people who act on a deadline (officers) and advise on it (legal).
RECIPIENT_ROLES = (Role.PRIVACY_OFFICER, Role.LEGAL)

# Deliveries per ``notifications.deliver_batch`` message. Building and publishing a Celery message
# costs about 0.25 ms of the sweep's time, so one per delivery (3,000 for a sweep of 1,000 alerts)
# was half of a busy sweep; 20 per message is 150 messages, still enough of them to keep every
# delivery worker slot busy, and a slot works through at most 20 sends (each bounded by its timeout).
DELIVERY_BATCH_SIZE = 20


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


def fan_out(event: AlertEvent, now: datetime) -> list[int]:
    """Write the notifications and deliveries of one new event; the delivery ids queued."""
    return fan_out_batch([event], now)


def fan_out_batch(events: list[AlertEvent], now: datetime, organisation_ids: list[int] | None = None) -> list[int]:
    """``fan_out_events`` for saved AlertEvent instances. Without ``organisation_ids`` each event's
    deadline must carry ``organisation_id`` or have its incident loaded."""
    if organisation_ids is None:
        organisation_ids = [_organisation_id(event) for event in events]
    return fan_out_events([event.pk for event in events], organisation_ids, now)


def fan_out_events(event_ids: list[int], organisation_ids: list[int], now: datetime) -> list[int]:
    """Write the notifications and deliveries of new events (by id, with the organisation of each);
    the delivery ids queued.

    Steps:
    1. for every organisation of the batch at once: its recipients (one query) and its active
       webhook endpoints (one query), so a batch costs the same few queries for 1 or 100 organisations;
    2. one Notification per event and recipient (officers and legal, active);
    3. one e-mail Delivery per event and recipient with an e-mail address;
    4. one webhook Delivery per event and active endpoint of the incident's organisation;
    5. one INSERT per table (``insert_rows_without_history``: rows as tuples, no model instances),
       then after commit ``notifications.deliver_batch`` messages of up to ``DELIVERY_BATCH_SIZE``
       delivery ids each, published together (``enqueue_all_on_commit``).
    Must run inside the caller's transaction (the sweep's), so the events and their fan-out
    commit or roll back together. The message text is not rendered here: the worker renders it
    from the rows when it delivers (``notifications.messages``).
    """
    if not event_ids:
        return []
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
    pending, email, webhook = DeliveryStatus.PENDING.value, Channel.EMAIL.value, Channel.WEBHOOK.value
    notifications, deliveries = [], []
    for event_id, organisation_id in zip(event_ids, organisation_ids, strict=True):
        for user_id, address in people[organisation_id]:
            notifications.append((user_id, event_id, now))
            if address:
                deliveries.append((event_id, email, user_id, None, address))
        for endpoint_id, url in hooks[organisation_id]:
            deliveries.append((event_id, webhook, None, endpoint_id, url))
    insert_rows_without_history(Notification, NOTIFICATION_COLUMNS, notifications, returning=())
    queued = insert_rows_without_history(
        Delivery,
        DELIVERY_COLUMNS,
        [(*row, pending, 0, "", now, retry_at, now) for row in deliveries],
        returning=("pk", "channel"),
    )
    queued.sort()
    delivery_ids = [delivery_id for delivery_id, _channel in queued]
    enqueue_all_on_commit(delivery_ids, [channel for _delivery_id, channel in queued])
    return delivery_ids


# The columns the fan-out writes; the others are NULL until a worker claims the delivery.
NOTIFICATION_COLUMNS = ("user_id", "alert_event_id", "created_at")
DELIVERY_COLUMNS = (
    *("alert_event_id", "channel", "user_id", "endpoint_id", "address"),
    *("status", "attempts", "last_error", "queued_at", "next_attempt_at", "created_at"),
)


def _organisation_id(event: AlertEvent) -> int:
    deadline = event.deadline
    annotated = getattr(deadline, "organisation_id", None)
    return annotated if annotated is not None else deadline.incident.organisation_id


def enqueue_on_commit(delivery_id: int) -> None:
    """Enqueue the delivery task once the row is committed (never before: the worker must see it).

    ``robust``: one failed publish must not drop the others; the dispatcher recovers it.
    """
    transaction.on_commit(lambda: enqueue("notifications.deliver", delivery_id), robust=True)


def enqueue_all_on_commit(delivery_ids: list[int], channels: list[str] | None = None) -> None:
    """Enqueue the deliveries once their rows are committed: ``notifications.deliver_batch`` messages
    of up to ``DELIVERY_BATCH_SIZE`` ids each, one channel per message, published together.

    ``channels`` (one per id) keeps e-mails and webhooks in messages of their own, so a slow
    webhook never holds back an e-mail. The worker delivers each id on its own (claim, attempt,
    send, outcome); a message lost (or half done by a worker that died) leaves its rows queued,
    and the dispatcher re-enqueues every one not delivered once its re-queue interval ends.
    ``robust``: a failed publish must not fail the commit that already happened.
    """
    if delivery_ids:
        calls = [(chunk,) for chunk in delivery_batches(delivery_ids, channels)]
        transaction.on_commit(lambda: enqueue_many("notifications.deliver_batch", calls), robust=True)


def delivery_batches(delivery_ids: list[int], channels: list[str] | None = None) -> list[list[int]]:
    """The ids in lists of at most ``DELIVERY_BATCH_SIZE``, each list of one channel, in the given order."""
    by_channel: dict[str, list[int]] = {}
    for delivery_id, channel in zip(delivery_ids, channels or [""] * len(delivery_ids), strict=True):
        by_channel.setdefault(channel, []).append(delivery_id)
    return [
        ids[start : start + DELIVERY_BATCH_SIZE]
        for ids in by_channel.values()
        for start in range(0, len(ids), DELIVERY_BATCH_SIZE)
    ]
