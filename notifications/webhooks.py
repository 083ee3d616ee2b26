"""Webhook deliveries: a signed JSON POST per alert to each active endpoint of the organisation.

Request::

    POST <endpoint url>
    Content-Type: application/json
    X-BreachTrack-Event: <alert event id>
    X-BreachTrack-Delivery: <delivery id>      (idempotency key: the same on every retry)
    X-BreachTrack-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, f"{t}.{body}")>

    {"event_id": 17, "delivery_id": 42, "incident_reference": "2025-0001",
     "kind": "authority_notification", "party": "National Screening Programme",
     "label": "before:24h", "due_at": "2025-08-23T10:00:00Z", "fired_at": "2025-08-22T10:00:00Z",
     "link": "https://breachtrack.example/incidents/3/"}

Any 2xx answer counts as delivered; anything else (another status, a refused connection, a
timeout after ``BREACHTRACK_WEBHOOK_TIMEOUT_SECONDS``) is a failed attempt, retried with back-off.
A receiver can see a delivery more than once (a retry after a lost answer): use
``X-BreachTrack-Delivery`` to ignore repeats.

Verifying a request (the secret is shown once, when the endpoint is created)::

    import hashlib, hmac, time

    def verify(secret: str, body: bytes, header: str, tolerance: int = 300) -> bool:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp, signature = parts["t"], parts["v1"]
        expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        fresh = abs(time.time() - int(timestamp)) <= tolerance  # refuse replays of old requests
        return fresh and hmac.compare_digest(expected, signature)

Sign and verify the raw body bytes as received, not a re-serialised copy.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request

from django.conf import settings

from notifications.messages import webhook_payload


class DeliveryError(Exception):
    """A send failed; ``http_status`` when the receiver answered."""

    def __init__(self, message: str, http_status: int | None = None):
        super().__init__(message)
        self.http_status = http_status


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-BreachTrack-Signature`` header value."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def build_request(delivery, timestamp: int) -> urllib.request.Request:
    body = json.dumps(webhook_payload(delivery), sort_keys=True, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "BreachTrack-Webhook/1",
        "X-BreachTrack-Event": str(delivery.alert_event_id),
        "X-BreachTrack-Delivery": str(delivery.pk),
        "X-BreachTrack-Signature": sign(delivery.endpoint.secret, timestamp, body),
    }
    return urllib.request.Request(delivery.endpoint.url, data=body, headers=headers, method="POST")  # noqa: S310 (an endpoint URL validated as http(s) when saved)


def post_webhook(delivery, timestamp: int) -> int:
    """POST the alert; the HTTP status on success, DeliveryError otherwise."""
    request = build_request(delivery, timestamp)
    try:
        with urllib.request.urlopen(request, timeout=settings.BREACHTRACK_WEBHOOK_TIMEOUT_SECONDS) as response:  # noqa: S310 (http/https only: validated)
            status = response.status
    except urllib.error.HTTPError as error:
        raise DeliveryError(f"HTTP {error.code} {error.reason}", http_status=error.code) from error
    except (urllib.error.URLError, OSError) as error:
        raise DeliveryError(f"{type(error).__name__}: {getattr(error, 'reason', error)}") from error
    if not 200 <= status < 300:
        raise DeliveryError(f"HTTP {status}", http_status=status)
    return status
