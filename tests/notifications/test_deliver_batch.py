"""A sweep publishes its deliveries as ``notifications.deliver_batch`` messages of many ids; each id is
still delivered exactly once, through a lost publish and a worker that dies mid-batch."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery import Celery
from django.db import OperationalError
from django.utils import timezone
from kombu import Producer

from actions.notifications import create_webhook_endpoint
from breachtrack import queue
from notifications import delivery as delivery_module
from notifications import fanout
from notifications.delivery import deliver_many, dispatch_due_deliveries
from notifications.models import Channel, Deadline, Delivery
from ops.tasks.notifications import deliver_batch
from tests.notifications.test_webhooks import Receiver

LEASE = timedelta(seconds=300)
REQUEUE = timedelta(seconds=60)


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def fanned_out(aware_controller, officer, lawyer, receiver, sweep_at, django_capture_on_commit_callbacks):
    """A sweep that recorded one alert for two people and a webhook: (moment, its after-commit callbacks,
    the deliveries: officer's e-mail, lawyer's e-mail, the webhook)."""
    create_webhook_endpoint(officer.memberships.get().organisation, url=receiver.url, actor=officer, reason="SIEM")
    deadline = Deadline.objects.get(party=aware_controller)
    moment = deadline.due_at - timedelta(hours=24)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert sweep_at(moment) == 1
    deliveries = [
        Delivery.objects.get(channel=Channel.EMAIL, user=officer),
        Delivery.objects.get(channel=Channel.EMAIL, user=lawyer),
        Delivery.objects.get(channel=Channel.WEBHOOK),
    ]
    return moment, callbacks, deliveries


def statuses(deliveries) -> list[tuple[str, int]]:
    return [
        (row.status, row.attempt_log.count())
        for row in Delivery.objects.filter(pk__in=[d.pk for d in deliveries]).order_by("pk")
    ]


def test_the_ids_are_split_by_channel_and_into_messages_of_at_most_the_batch_size(monkeypatch):
    monkeypatch.setattr(fanout, "DELIVERY_BATCH_SIZE", 2)
    ids = [1, 2, 3, 4, 5, 6, 7]
    channels = ["email", "email", "webhook", "email", "webhook", "email", "email"]
    assert fanout.delivery_batches(ids, channels) == [[1, 2], [4, 6], [7], [3, 5]]
    assert fanout.delivery_batches([9, 8, 7]) == [[9, 8], [7]]


def test_the_batch_task_is_late_acknowledged_and_goes_to_the_deliveries_queue():
    from breachtrack.celery import app

    assert (deliver_batch.name, deliver_batch.acks_late, deliver_batch.reject_on_worker_lost) == (
        "notifications.deliver_batch",
        True,
        True,
    )
    assert app.amqp.router.route({}, "notifications.deliver_batch")["queue"].name == "deliveries"


def test_every_delivery_of_a_sweep_is_published_once_and_delivered_exactly_once(
    fanned_out, receiver, smtp_server, monkeypatch
):
    _moment, callbacks, deliveries = fanned_out
    published = []
    monkeypatch.setattr(fanout, "enqueue_many", lambda name, calls: published.append((name, calls)))
    for callback in callbacks:
        callback()
    officer_mail, lawyer_mail, webhook = deliveries
    assert published == [("notifications.deliver_batch", [([officer_mail.pk, lawyer_mail.pk],), ([webhook.pk],)])]

    for _name, calls in published:
        for (ids,) in calls:
            assert deliver_batch(ids) == {"sent": len(ids)}
    # The broker hands a message over again (a late acknowledgement lost): nothing is sent twice.
    for _name, calls in published:
        for (ids,) in calls:
            assert deliver_batch(ids) == {"nothing_to_do": len(ids)}
    assert sorted(envelope.rcpt_tos[0] for envelope in smtp_server.envelopes) == [
        "legal@lab.example",
        "officer@lab.example",
    ]
    assert len(receiver.requests) == 1
    assert statuses(deliveries) == [("sent", 1)] * 3


def test_a_publish_the_broker_refuses_is_recovered_by_the_dispatcher_and_delivered_once(
    fanned_out, receiver, smtp_server, monkeypatch, time_machine, django_capture_on_commit_callbacks
):
    moment, callbacks, deliveries = fanned_out
    app = Celery("deliver-batch-test", broker="memory://", set_as_current=False)
    monkeypatch.setattr(queue, "app", app)
    refused = []

    def broker_down(self, *args, **kwargs):
        refused.append(kwargs.get("headers", {}).get("task"))
        raise ConnectionError("the broker is down")

    monkeypatch.setattr(Producer, "publish", broker_down)
    for callback in callbacks:
        callback()  # robust: the commit stands, the messages are lost
    assert refused and set(refused) == {"notifications.deliver_batch"}
    assert statuses(deliveries) == [("pending", 0)] * 3

    with django_capture_on_commit_callbacks(execute=False):
        assert dispatch_due_deliveries(moment + REQUEUE - timedelta(seconds=1)) == []
        recovered = dispatch_due_deliveries(moment + REQUEUE)
    assert sorted(recovered) == sorted(d.pk for d in deliveries)
    time_machine.move_to(moment + REQUEUE + timedelta(seconds=1), tick=False)
    assert deliver_many(recovered, now_func=timezone.now) == {"sent": 3}
    assert len(smtp_server.envelopes) == 2 and len(receiver.requests) == 1
    assert statuses(deliveries) == [("sent", 1)] * 3


class WorkerKilled(BaseException):
    """What a kill -9 looks like from inside the batch: nothing after it runs (not an Exception)."""


def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(
    fanned_out, receiver, smtp_server, monkeypatch, time_machine, django_capture_on_commit_callbacks
):
    moment, _callbacks, deliveries = fanned_out
    officer_mail, lawyer_mail, webhook = deliveries
    ids = [d.pk for d in deliveries]  # one message, for the test's sake with both channels
    real_send = delivery_module._send

    def dies_on_the_lawyers_mail(delivery, now):
        if delivery.pk == lawyer_mail.pk:
            raise WorkerKilled  # claimed and its attempt committed, then the process is gone
        return real_send(delivery, now)

    time_machine.move_to(moment + timedelta(seconds=1), tick=False)
    monkeypatch.setattr(delivery_module, "_send", dies_on_the_lawyers_mail)
    with pytest.raises(WorkerKilled):
        deliver_many(ids, now_func=timezone.now)
    monkeypatch.setattr(delivery_module, "_send", real_send)
    assert statuses(deliveries) == [("sent", 1), ("sending", 1), ("pending", 0)]

    # reject_on_worker_lost: the broker hands the same message to another worker.
    time_machine.move_to(moment + timedelta(seconds=5), tick=False)
    assert deliver_many(ids, now_func=timezone.now) == {"nothing_to_do": 2, "sent": 1}
    assert statuses(deliveries) == [("sent", 1), ("sending", 1), ("sent", 1)]

    # The dead worker's claim is taken back when its lease ends, and the e-mail goes out once.
    with django_capture_on_commit_callbacks(execute=False):
        assert dispatch_due_deliveries(moment + LEASE) == []
        assert dispatch_due_deliveries(moment + timedelta(seconds=1) + LEASE) == [lawyer_mail.pk]
    time_machine.move_to(moment + timedelta(seconds=2) + LEASE, tick=False)
    assert deliver_many([lawyer_mail.pk], now_func=timezone.now) == {"sent": 1}
    assert sorted(envelope.rcpt_tos[0] for envelope in smtp_server.envelopes) == [
        "legal@lab.example",
        "officer@lab.example",
    ]
    assert len(receiver.requests) == 1
    assert statuses(deliveries) == [("sent", 1), ("sent", 2), ("sent", 1)]


def test_one_id_that_fails_does_not_hold_back_the_others_and_is_recovered(
    fanned_out, receiver, smtp_server, monkeypatch, time_machine, django_capture_on_commit_callbacks
):
    moment, _callbacks, deliveries = fanned_out
    officer_mail, lawyer_mail, webhook = deliveries
    real_load = delivery_module._load

    def connection_lost_for_the_officer(delivery_id):
        if delivery_id == officer_mail.pk:
            raise OperationalError("server closed the connection unexpectedly")
        return real_load(delivery_id)

    time_machine.move_to(moment + timedelta(seconds=1), tick=False)
    monkeypatch.setattr(delivery_module, "_load", connection_lost_for_the_officer)
    with pytest.raises(OperationalError):  # seen by Celery, after the others were delivered
        deliver_many([d.pk for d in deliveries], now_func=timezone.now)
    monkeypatch.setattr(delivery_module, "_load", real_load)
    assert statuses(deliveries) == [("pending", 0), ("sent", 1), ("sent", 1)]

    with django_capture_on_commit_callbacks(execute=False):
        assert dispatch_due_deliveries(moment + REQUEUE) == [officer_mail.pk]
    time_machine.move_to(moment + REQUEUE + timedelta(seconds=1), tick=False)
    assert deliver_many([officer_mail.pk], now_func=timezone.now) == {"sent": 1}
    assert len(smtp_server.envelopes) == 2 and len(receiver.requests) == 1
    assert statuses(deliveries) == [("sent", 1)] * 3
