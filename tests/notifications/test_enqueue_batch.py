"""The sweep's delivery tasks are published together: one message per delivery, one broker round trip."""

from __future__ import annotations

import os
import uuid

import pytest
from celery import Celery
from kombu import Producer
from kombu.transport import redis as kombu_redis

from breachtrack import queue


def _app(broker: str, queue_name: str) -> Celery:
    """A Celery app of the test's own (the shared tasks, notifications.deliver among them, bind to
    it), whose notifications.deliver messages go to ``queue_name``."""
    app = Celery("enqueue-test", broker=broker, set_as_current=False)
    app.conf.task_routes = {"notifications.deliver": {"queue": queue_name}}
    return app


def _drain(app: Celery, queue_name: str) -> list:
    with app.connection_for_write() as conn:
        simple = conn.SimpleQueue(queue_name)
        try:
            bodies = []
            while True:
                try:
                    message = simple.get(timeout=0.5)
                except simple.Empty:
                    return bodies
                bodies.append(message.decode()[0][0])  # protocol 2: (args, kwargs, embed)
                message.ack()
        finally:
            simple.queue.delete()
            simple.close()


def test_a_batch_that_fails_to_publish_is_published_message_by_message(monkeypatch):
    queue_name = f"enqueue-test-{uuid.uuid4().hex}"
    app = _app("memory://", queue_name)
    monkeypatch.setattr(queue, "app", app)

    def broken(*args, **kwargs):
        raise ConnectionError("the broker dropped the pipeline")

    monkeypatch.setattr(Producer, "batch", broken)
    queue.enqueue_many("notifications.deliver", [(7,), (8,), (9,)])
    assert sorted(_drain(app, queue_name)) == [7, 8, 9]


def test_an_unknown_task_name_is_refused_not_dropped():
    with pytest.raises(KeyError):
        queue.enqueue_many("notifications.no_such_task", [(1,)])


@pytest.mark.redis
def test_on_redis_every_delivery_gets_its_own_message_in_one_round_trip(monkeypatch):
    url = os.environ.get("BREACHTRACK_TEST_REDIS_URL")
    if not url:
        pytest.fail("BREACHTRACK_TEST_REDIS_URL must be set for the PostgreSQL + Redis run (scripts/test sets it)")
    queue_name = f"enqueue-test-{uuid.uuid4().hex}"
    app = _app(url, queue_name)
    monkeypatch.setattr(queue, "app", app)
    flushes = []
    original = kombu_redis.PublishBatch.flush

    def counted(self):
        flushes.append(self._buffered)
        return original(self)

    monkeypatch.setattr(kombu_redis.PublishBatch, "flush", counted)
    queue.enqueue_many("notifications.deliver", [(n,) for n in range(1, 301)])
    assert sorted(_drain(app, queue_name)) == list(range(1, 301))
    assert [size for size in flushes if size] == [300]  # one pipeline with every message, not 300 round trips
