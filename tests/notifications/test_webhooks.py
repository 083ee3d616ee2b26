"""Webhooks: signed POSTs to a real local receiver, failures with back-off, and the services."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from actions.notifications import create_webhook_endpoint, deactivate_webhook_endpoint, update_webhook_endpoint
from notifications.delivery import Outcome, deliver_one, dispatch_due_deliveries
from notifications.models import Channel, Delivery, WebhookEndpoint

BACKOFF = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=6)]


def verify(secret: str, body: bytes, header: str, now: float, tolerance: int = 300) -> bool:
    """The receiver's check, as the docstring of notifications.webhooks tells integrators to write it."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    timestamp, signature = parts["t"], parts["v1"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return abs(now - int(timestamp)) <= tolerance and hmac.compare_digest(expected, signature)


class Receiver:
    """A real HTTP server in a thread, answering every POST with ``status``."""

    def __init__(self, status: int = 204, location: str | None = None):
        self.status = status
        self.location = location  # sent as Location (a redirect) when given
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append(
                    {"method": self.command, "path": self.path, "headers": self.headers, "body": body}
                )  # headers: case-insensitive
                self.send_response(receiver.status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.end_headers()

            do_GET = do_POST  # a client that follows a redirect may turn the POST into a GET

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/breachtrack"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def failing_receiver():
    with Receiver(status=500) as running:
        yield running


def webhook_for(alert, officer, url, sweep_at, django_capture_on_commit_callbacks):
    """An endpoint, then the next threshold of the same clock so the endpoint is fanned out to."""
    endpoint = create_webhook_endpoint(alert.deadline.incident.organisation, url=url, actor=officer, reason="SIEM")
    with django_capture_on_commit_callbacks(execute=False):
        assert sweep_at(alert.deadline.due_at - timedelta(hours=12)) == 1
    return endpoint, Delivery.objects.get(channel=Channel.WEBHOOK, endpoint=endpoint)


def deliver(delivery) -> Outcome:
    return deliver_one(delivery.pk, now_func=timezone.now)


def test_the_receiver_gets_a_signed_post_it_can_verify(
    alert, officer, receiver, sweep_at, django_capture_on_commit_callbacks, settings
):
    settings.BREACHTRACK_BASE_URL = "https://breachtrack.example"
    endpoint, delivery = webhook_for(alert, officer, receiver.url, sweep_at, django_capture_on_commit_callbacks)
    assert deliver(delivery) is Outcome.SENT

    [request] = receiver.requests
    headers, body = request["headers"], request["body"]
    sent_at = delivery.alert_event.fired_at
    assert verify(endpoint.secret, body, headers["X-BreachTrack-Signature"], now=sent_at.timestamp())
    assert headers["X-BreachTrack-Signature"].startswith(f"t={int(sent_at.timestamp())},v1=")
    assert not verify("another secret", body, headers["X-BreachTrack-Signature"], now=sent_at.timestamp())
    assert not verify(endpoint.secret, body + b" ", headers["X-BreachTrack-Signature"], now=sent_at.timestamp())
    assert headers["X-BreachTrack-Delivery"] == str(delivery.pk)
    assert headers["X-BreachTrack-Event"] == str(delivery.alert_event_id)
    assert headers["Content-Type"] == "application/json"
    incident = alert.deadline.incident
    assert json.loads(body) == {
        "event_id": delivery.alert_event_id,
        "delivery_id": delivery.pk,
        "incident_reference": incident.reference,
        "kind": "authority_notification",
        "party": "National Screening Programme",
        "label": "before:12h",
        "due_at": "2025-08-23T10:00:00Z",
        "fired_at": "2025-08-22T22:00:00Z",
        "link": f"https://breachtrack.example/incidents/{incident.pk}/",
    }
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)
    assert [(a.is_ok, a.http_status) for a in delivery.attempt_log.all()] == [(True, 204)]


def test_a_500_is_retried_with_exact_back_off_and_fails_for_good_after_the_last_attempt(
    alert, officer, failing_receiver, sweep_at, time_machine, django_capture_on_commit_callbacks
):
    _endpoint, delivery = webhook_for(
        alert, officer, failing_receiver.url, sweep_at, django_capture_on_commit_callbacks
    )
    moment = delivery.created_at
    for number, wait in enumerate(BACKOFF, start=1):
        assert deliver(delivery) is Outcome.RETRY
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("pending", number, moment + wait)
        assert delivery.last_error == "HTTP 500 Internal Server Error"
        assert deliver(delivery) is Outcome.NOTHING_TO_DO  # a duplicate task before the back-off ends
        with django_capture_on_commit_callbacks(execute=False):
            assert delivery.pk not in dispatch_due_deliveries(moment + wait - timedelta(seconds=1))
            moment += wait
            time_machine.move_to(moment, tick=False)
            assert delivery.pk in dispatch_due_deliveries(moment)  # (the e-mails of the alert come along)

    assert deliver(delivery) is Outcome.FAILED
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 6, None)
    assert len(failing_receiver.requests) == 6
    assert [(a.number, a.is_ok, a.http_status) for a in delivery.attempt_log.all()] == [
        (n, False, 500) for n in range(1, 7)
    ]
    with django_capture_on_commit_callbacks(execute=False):
        assert delivery.pk not in dispatch_due_deliveries(moment + timedelta(days=30))
    assert deliver(delivery) is Outcome.NOTHING_TO_DO


def test_the_back_off_follows_the_setting(
    alert, officer, failing_receiver, sweep_at, settings, django_capture_on_commit_callbacks
):
    settings.BREACHTRACK_DELIVERY_BACKOFF_SECONDS = [7]
    _endpoint, delivery = webhook_for(
        alert, officer, failing_receiver.url, sweep_at, django_capture_on_commit_callbacks
    )
    assert deliver(delivery) is Outcome.RETRY
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == delivery.created_at + timedelta(seconds=7)


def test_a_refused_connection_is_a_failed_attempt_with_its_error(
    alert, officer, closed_port, sweep_at, django_capture_on_commit_callbacks
):
    url = f"http://127.0.0.1:{closed_port}/hook"
    _endpoint, delivery = webhook_for(alert, officer, url, sweep_at, django_capture_on_commit_callbacks)
    assert deliver(delivery) is Outcome.RETRY
    delivery.refresh_from_db()
    assert "Connection refused" in delivery.last_error
    [attempt] = delivery.attempt_log.all()
    assert (attempt.is_ok, attempt.http_status) == (False, None)
    assert "Connection refused" in attempt.error


def test_a_deactivated_endpoint_receives_nothing_and_its_delivery_fails_visibly(
    alert, officer, receiver, sweep_at, django_capture_on_commit_callbacks
):
    endpoint, delivery = webhook_for(alert, officer, receiver.url, sweep_at, django_capture_on_commit_callbacks)
    deactivate_webhook_endpoint(endpoint, actor=officer, reason="SIEM replaced")
    assert deliver(delivery) is Outcome.NOTHING_TO_DO
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert receiver.requests == []


# --- Services --------------------------------------------------------------------------------


def test_an_officer_creates_an_endpoint_with_a_generated_secret_and_history(lab, officer):
    endpoint = create_webhook_endpoint(
        lab, url="https://siem.lab.example/hook", description="SIEM", actor=officer, reason="route alerts"
    )
    other = create_webhook_endpoint(lab, url="https://siem.lab.example/hook2", actor=officer, reason="second")
    assert len(endpoint.secret) == 43 and endpoint.secret != other.secret
    record = endpoint.history.get()
    assert (record.history_user, record.history_change_reason, record.url) == (officer, "route alerts", endpoint.url)
    assert not hasattr(record, "secret")  # the secret is not spread into the history table


@pytest.mark.parametrize("persona", ["lawyer", "viewer", "outsider"])
def test_only_privacy_officers_of_the_organisation_manage_endpoints(request, lab, officer, persona):
    endpoint = create_webhook_endpoint(lab, url="https://siem.lab.example/hook", actor=officer, reason="route alerts")
    actor = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        create_webhook_endpoint(lab, url="https://evil.example/hook", actor=actor, reason="steal alerts")
    with pytest.raises(PermissionDenied):
        update_webhook_endpoint(endpoint, url="https://evil.example/hook", actor=actor, reason="steal alerts")
    with pytest.raises(PermissionDenied):
        deactivate_webhook_endpoint(endpoint, actor=actor, reason="silence alerts")
    endpoint.refresh_from_db()
    assert (WebhookEndpoint.objects.count(), endpoint.url, endpoint.is_active) == (
        1,
        "https://siem.lab.example/hook",
        True,
    )
    assert endpoint.history.count() == 1


def test_an_officer_changes_and_deactivates_an_endpoint_with_a_record_each(lab, officer):
    endpoint = create_webhook_endpoint(lab, url="https://siem.lab.example/hook", actor=officer, reason="route alerts")
    secret = endpoint.secret
    update_webhook_endpoint(endpoint, url="https://siem2.lab.example/hook", actor=officer, reason="new SIEM")
    deactivate_webhook_endpoint(endpoint, actor=officer, reason="SIEM retired")
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.is_active, endpoint.secret) == ("https://siem2.lab.example/hook", False, secret)
    assert [r.history_change_reason for r in endpoint.history.order_by("history_id")] == [
        "route alerts",
        "new SIEM",
        "SIEM retired",
    ]


def test_the_secret_and_organisation_cannot_be_changed_through_the_update_service(lab, other_org, officer):
    endpoint = create_webhook_endpoint(lab, url="https://siem.lab.example/hook", actor=officer, reason="route alerts")
    with pytest.raises(ValidationError) as refused:
        update_webhook_endpoint(endpoint, secret="chosen", organisation=other_org, actor=officer, reason="x")
    assert {e.code for errors in refused.value.error_dict.values() for e in errors} == {"not_editable"}


def test_a_reason_is_required(lab, officer):
    with pytest.raises(ValidationError) as refused:
        create_webhook_endpoint(lab, url="https://siem.lab.example/hook", actor=officer, reason=" ")
    assert refused.value.error_dict["reason"][0].code == "required"
    assert not WebhookEndpoint.objects.exists()


def test_production_requires_https_but_embedded_mode_allows_http(lab, officer, settings):
    assert create_webhook_endpoint(lab, url="http://127.0.0.1:9000/hook", actor=officer, reason="local test").pk
    settings.PRODUCTION = True
    with pytest.raises(ValidationError) as refused:
        create_webhook_endpoint(lab, url="http://siem.lab.example/hook", actor=officer, reason="plain http")
    assert refused.value.error_dict["url"][0].code == "https_required"
    with pytest.raises(ValidationError) as refused:
        create_webhook_endpoint(lab, url="ftp://siem.lab.example/hook", actor=officer, reason="ftp")
    assert "url" in refused.value.error_dict
    assert WebhookEndpoint.objects.count() == 1
