"""Delivering one alert to one recipient, and taking back the deliveries nobody is working on.

Claim, then act (never read, send, then mark): ``deliver_one`` claims the row by compare-and-set (only the
caller that changed exactly one row proceeds), writes and commits a ``DeliveryAttempt`` *before*
it sends, and records the outcome after. A sent or failed delivery is never sent again by this
code; a crash after the send but before the outcome is recorded can still send twice, which is
why each e-mail carries a deterministic ``Message-ID`` and each webhook ``X-BreachTrack-Delivery``.

Row states (``Delivery``): ``pending`` (due at ``next_attempt_at``; or ``queued_at`` set: a task
was enqueued and may claim it at once) → ``sending`` (claimed; the lease ends at
``next_attempt_at``) → ``sent`` | ``pending`` again after a back-off | ``failed`` after the last
attempt. Every comparison uses the database clock (``sweep.database_now``).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from breachtrack import limits
from breachtrack.dbclock import database_now
from notifications.fanout import enqueue_on_commit, lease, requeue_after
from notifications.messages import alert_email
from notifications.models import Channel, Delivery, DeliveryAttempt, DeliveryStatus
from notifications.webhooks import DeliveryError, post_webhook

logger = logging.getLogger(__name__)

# The dispatcher takes back at most this many rows per sweep, so one run stays short.
DISPATCH_BATCH = 500
UNFINISHED = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)


class Outcome(enum.Enum):
    SENT = "sent"
    RETRY = "retry"  # failed, another attempt is scheduled
    FAILED = "failed"  # failed for good
    NOTHING_TO_DO = "nothing_to_do"  # unknown id, already sent/failed, not due, or claimed by another


def backoff_schedule() -> list[timedelta]:
    return [timedelta(seconds=seconds) for seconds in settings.BREACHTRACK_DELIVERY_BACKOFF_SECONDS]


def max_attempts() -> int:
    return len(backoff_schedule()) + 1


def _load(delivery_id: int) -> Delivery | None:
    return (
        Delivery.objects.select_related(
            "user",
            "endpoint",
            "alert_event__deadline__incident",
            "alert_event__deadline__party__party",
            "alert_event__deadline__relationship__processor__party",
            "alert_event__deadline__relationship__controller__party",
        )
        .filter(pk=delivery_id)
        .first()
    )


def _claimable(delivery: Delivery, now: datetime) -> bool:
    if delivery.status == DeliveryStatus.PENDING:
        return delivery.queued_at is not None or (
            delivery.next_attempt_at is not None and delivery.next_attempt_at <= now
        )
    if delivery.status == DeliveryStatus.SENDING:  # a lease that ran out: its worker died mid-send
        return delivery.next_attempt_at is not None and delivery.next_attempt_at <= now
    return False


def _current_address(delivery: Delivery) -> str | None:
    """Where to send now, or None if the recipient can no longer receive alerts."""
    if delivery.channel == Channel.EMAIL:
        return delivery.user.email if delivery.user.is_active and delivery.user.email else None
    return delivery.endpoint.url if delivery.endpoint.is_active else None


def _compare_and_set(delivery: Delivery, **values) -> bool:
    """Change the row only if nobody changed it since we read it."""
    changed = Delivery.objects.filter(  # not-historied: Delivery
        pk=delivery.pk, status=delivery.status, attempts=delivery.attempts, next_attempt_at=delivery.next_attempt_at
    ).update(**values)
    return changed == 1


def _claim(delivery: Delivery, now: datetime) -> DeliveryAttempt | None:
    """Steps: refuse what is not claimable; give up on a row out of attempts or recipients;
    otherwise move it to ``sending`` with a lease and write the attempt, in one transaction."""
    if not _claimable(delivery, now):
        return None
    address = _current_address(delivery)
    reason = None
    if address is None:
        reason = "the recipient was deactivated (or lost its address) before delivery"
    elif delivery.attempts >= max_attempts():
        reason = f"gave up after {delivery.attempts} attempts (the last one never finished)"
    with transaction.atomic():
        if reason is not None:
            _compare_and_set(
                delivery, status=DeliveryStatus.FAILED, next_attempt_at=None, queued_at=None, last_error=reason
            )
            return None
        number = delivery.attempts + 1
        if not _compare_and_set(
            delivery,
            status=DeliveryStatus.SENDING,
            attempts=number,
            claimed_at=now,
            queued_at=None,
            next_attempt_at=now + lease(),
            address=address,
        ):
            return None
        return DeliveryAttempt.objects.create(delivery=delivery, number=number, started_at=now)


def _send(delivery: Delivery, now: datetime) -> int | None:
    """Send through the delivery's channel; the HTTP status for webhooks. Raises on failure."""
    if delivery.channel == Channel.EMAIL:
        alert_email(delivery).send(fail_silently=False)
        return None
    return post_webhook(delivery, int(now.timestamp()))


def _next_state(number: int, error: str | None, now: datetime) -> tuple[Outcome, dict]:
    if error is None:
        return Outcome.SENT, {"status": DeliveryStatus.SENT, "sent_at": now, "next_attempt_at": None, "last_error": ""}
    waits = backoff_schedule()
    if number > len(waits):
        return Outcome.FAILED, {"status": DeliveryStatus.FAILED, "next_attempt_at": None, "last_error": error}
    return Outcome.RETRY, {
        "status": DeliveryStatus.PENDING,
        "next_attempt_at": now + waits[number - 1],
        "last_error": error,
    }


def _record_outcome(
    delivery: Delivery, attempt: DeliveryAttempt, error: str | None, http_status: int | None, now: datetime
) -> Outcome:
    """Complete the attempt and move the delivery on; both or neither.

    The delivery changes only while it is still this attempt's (``attempts`` unchanged): a worker
    that outlived its lease records its attempt but leaves a newer claim alone. A success still
    counts while the row waits, queued, for the dispatcher's retry: that retry is then a no-op.
    """
    outcome, values = _next_state(attempt.number, error, now)
    with transaction.atomic():
        attempt.finished_at = now
        attempt.is_ok = error is None
        attempt.error = error or ""
        attempt.http_status = http_status
        attempt.save(update_fields=["finished_at", "is_ok", "error", "http_status"])
        changed = Delivery.objects.filter(  # not-historied: Delivery
            pk=delivery.pk, attempts=attempt.number, status__in=UNFINISHED
        ).update(queued_at=None, **values)
    if not changed:
        logger.warning("delivery %s: attempt %s finished after its claim was taken back", delivery.pk, attempt.number)
    return outcome


def deliver_one(delivery_id: int, *, now_func: Callable[[], datetime] = database_now) -> Outcome:
    """Deliver one alert once.

    Steps:
    1. load the row with everything the message needs (one query);
    2. claim it at the database clock and commit a DeliveryAttempt (no-op if not claimable);
    3. send through its channel (SMTP or HTTP), outside any transaction;
    4. record the outcome: sent, or the error and the next attempt after a back-off, or failed
       after the last attempt.
    ``now_func`` reads the clock (the database's by default; tests pass a frozen one).
    """
    delivery = _load(delivery_id)
    if delivery is None:
        return Outcome.NOTHING_TO_DO
    now = now_func()
    attempt = _claim(delivery, now)
    if attempt is None:
        return Outcome.NOTHING_TO_DO
    try:
        http_status, error = _send(delivery, now), None
    except DeliveryError as failure:
        http_status, error = failure.http_status, limits.cut(str(failure))
    except Exception as failure:  # SMTP errors, DNS, a bad address: recorded, retried, visible
        logger.warning("delivery %s: attempt %s failed", delivery.pk, attempt.number, exc_info=True)
        http_status, error = None, limits.cut(f"{type(failure).__name__}: {failure}")
    return _record_outcome(delivery, attempt, error, http_status, now_func())


def deliver_many(delivery_ids: list[int], *, now_func: Callable[[], datetime] = database_now) -> dict[str, int]:
    """Deliver each of ``delivery_ids`` once, each on its own (``deliver_one``); how many per outcome.

    The ids of one ``notifications.deliver_batch`` message. Each id is claimed, attempted, sent and
    recorded by itself, so nothing is shared between them: an id that raises (a database error
    before its claim, say) is logged and the others are still delivered; its row stays queued (or
    claimed until its lease ends) and the dispatcher enqueues it again. After the last id the first
    error is raised, so the task's failure is seen. Running the same ids again (a redelivered
    message after a worker died mid-batch) sends nothing twice: what was sent, or is claimed, is
    not claimable.
    """
    counts: dict[str, int] = {}
    error = None
    for delivery_id in delivery_ids:
        try:
            outcome = deliver_one(delivery_id, now_func=now_func).value
        except Exception as exc:
            logger.exception("delivery %s: not delivered; the dispatcher enqueues it again", delivery_id)
            error = error or exc
            outcome = "error"
        counts[outcome] = counts.get(outcome, 0) + 1
    if error is not None:
        raise error
    return counts


def dispatch_due_deliveries(now: datetime) -> list[int]:
    """Re-enqueue deliveries nobody is working on; the ids enqueued.

    Those are pending rows whose time has come (a back-off ended, or the enqueue after fan-out
    was lost) and sending rows whose lease ran out (the worker died mid-send). Each is first moved
    one re-queue interval ahead by compare-and-set (so the next run, 15 s later, does not enqueue it again)
    and marked queued; the task is enqueued after commit. ``now`` is the database clock.
    The look-up runs outside a transaction (each row is then taken by its own compare-and-set), so
    the usual run, which finds nothing, is one statement without ``BEGIN`` and ``COMMIT``.
    """
    enqueued: list[int] = []
    due = list(Delivery.objects.due(now).only("pk", "status", "attempts", "next_attempt_at")[:DISPATCH_BATCH])
    if not due:
        return enqueued
    with transaction.atomic():
        for delivery in due:
            if _compare_and_set(
                delivery, status=DeliveryStatus.PENDING, queued_at=now, next_attempt_at=now + requeue_after()
            ):
                enqueue_on_commit(delivery.pk)
                enqueued.append(delivery.pk)
    return enqueued
