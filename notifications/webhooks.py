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
A redirect (3xx) is not followed: it is a failed attempt that says so, since following it would
send the signed alert to an address nobody checked. A receiver can see a delivery more than once
(a retry after a lost answer): use ``X-BreachTrack-Delivery`` to ignore repeats.

Only public addresses receive webhooks (the rule and its reasons: notifications.addresses). Before
each POST the endpoint's host is resolved and *every* address it resolves to is checked; a name
with a private, loopback or link-local address among them is refused without connecting. The
connection then goes to one of the addresses that were checked (never to the name, which a second
lookup could resolve elsewhere), with the name still in the Host header and, for https, in the TLS
handshake and the certificate check. Hosts in ``BREACHTRACK_WEBHOOK_ALLOWED_HOSTS`` skip the check.
No proxy from the environment is used: it would connect where this check cannot see.

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
import http.client
import json
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from notifications.addresses import is_allowed_host, is_public_address, parse_address
from notifications.messages import webhook_payload

# One result of socket.getaddrinfo: (family, type, proto, canonical name, socket address).
AddressInfo = tuple


class DeliveryError(Exception):
    """A send failed; ``http_status`` when the receiver answered."""

    def __init__(self, message: str, http_status: int | None = None):
        super().__init__(message)
        self.http_status = http_status


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-BreachTrack-Signature`` header value."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass(frozen=True)
class WebhookRequest:
    url: str
    body: bytes
    headers: dict[str, str]


def build_request(delivery, timestamp: int) -> WebhookRequest:
    body = json.dumps(webhook_payload(delivery), sort_keys=True, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "BreachTrack-Webhook/1",
        "X-BreachTrack-Event": str(delivery.alert_event_id),
        "X-BreachTrack-Delivery": str(delivery.pk),
        "X-BreachTrack-Signature": sign(delivery.endpoint.secret, timestamp, body),
    }
    return WebhookRequest(delivery.endpoint.url, body, headers)


def resolve(host: str, port: int) -> list[AddressInfo]:
    """Every TCP address ``host`` resolves to (a literal address resolves to itself)."""
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)


def checked_addresses(host: str, port: int) -> list[AddressInfo]:
    """The addresses to connect to; DeliveryError if the host has a non-public one (not allow-listed).

    Every address is checked, not only the first: a client may try any of them.
    """
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError) as error:
        raise DeliveryError(f"{host} cannot be resolved: {error}") from error
    if not addresses:
        raise DeliveryError(f"{host} resolves to no address")
    if is_allowed_host(host):
        return addresses
    for *_kind, sockaddr in addresses:
        address = parse_address(str(sockaddr[0]))
        if address is None or not is_public_address(address):
            raise DeliveryError(
                f"refused: {host} resolves to {sockaddr[0]}, which is not a public address "
                "(an administrator can allow the host: BREACHTRACK_WEBHOOK_ALLOWED_HOSTS)"
            )
    return addresses


def connect_to(addresses: list[AddressInfo], timeout: float) -> socket.socket:
    """A TCP connection to the first of ``addresses`` that answers (they were checked)."""
    failure: OSError = OSError("no address to connect to")
    for family, kind, proto, _name, sockaddr in addresses:
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(timeout)
            sock.connect(sockaddr)
        except OSError as error:
            sock.close()
            failure = error
        else:
            return sock
    raise failure


class CheckedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to addresses resolved and checked beforehand, never to a fresh lookup."""

    def __init__(self, host: str, port: int, *, addresses: list[AddressInfo], timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.addresses = addresses

    def connect(self):
        self.sock = connect_to(self.addresses, self.timeout)


class CheckedHTTPSConnection(http.client.HTTPSConnection):
    """The same over TLS: the certificate is checked against the host *name* of the URL."""

    def __init__(self, host: str, port: int, *, addresses: list[AddressInfo], timeout: float):
        self.tls_context = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls_context)
        self.addresses = addresses

    def connect(self):
        self.sock = self.tls_context.wrap_socket(connect_to(self.addresses, self.timeout), server_hostname=self.host)


def open_connection(url: str, timeout: float) -> tuple[http.client.HTTPConnection, str]:
    """A connection to the URL's host at a checked address, and the path (with query) to POST to."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DeliveryError(f"not an http(s) URL: {url}")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise DeliveryError(f"bad port in {url}") from error
    try:  # an internationalised name travels as IDNA (the Host header is ASCII)
        host = parts.hostname if parse_address(parts.hostname) else parts.hostname.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise DeliveryError(f"bad host name in {url}") from error
    addresses = checked_addresses(host, port)
    connection_class = CheckedHTTPSConnection if parts.scheme == "https" else CheckedHTTPConnection
    connection = connection_class(host, port, addresses=addresses, timeout=timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return connection, target


def post_webhook(delivery, timestamp: int) -> int:
    """POST the alert; the HTTP status on success, DeliveryError otherwise (a 3xx included)."""
    request = build_request(delivery, timestamp)
    connection, target = open_connection(request.url, settings.BREACHTRACK_WEBHOOK_TIMEOUT_SECONDS)
    try:
        connection.request("POST", target, body=request.body, headers=request.headers)
        response = connection.getresponse()
        status, reason, location = response.status, response.reason, response.getheader("Location", "")
        response.close()
    except (OSError, http.client.HTTPException) as error:
        raise DeliveryError(f"{type(error).__name__}: {error}") from error
    finally:
        connection.close()
    if 300 <= status < 400:
        raise DeliveryError(
            f"HTTP {status} {reason}: redirects are not followed (Location: {location[:200] or '-'})",
            http_status=status,
        )
    if not 200 <= status < 300:
        raise DeliveryError(f"HTTP {status} {reason}", http_status=status)
    return status
