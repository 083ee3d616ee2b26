"""Webhooks go to public addresses only (SSRF): checked when an endpoint is saved and when a
webhook is sent, redirects never followed, an administrator's allow-list the one way past."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from actions.notifications import create_webhook_endpoint, update_webhook_endpoint
from notifications import webhooks
from notifications.addresses import is_public_address, is_refused_host
from notifications.delivery import Outcome
from notifications.models import WebhookEndpoint
from tests.notifications.test_webhooks import Receiver, deliver, webhook_for

NOT_PUBLIC = [
    "http://127.0.0.1:9000/hook",
    "http://127.8.9.10/hook",
    "http://10.1.2.3/hook",
    "http://172.16.0.1/hook",
    "http://192.168.1.20:8080/hook",
    "http://169.254.169.254/latest/meta-data/",  # a cloud's metadata service
    "http://100.64.0.1/hook",  # carrier-grade NAT: not global
    "http://0.0.0.0:8000/hook",
    "http://[::1]:9000/hook",
    "http://[fe80::1]/hook",
    "http://[fd00::5]/hook",
    "http://[::ffff:127.0.0.1]/hook",  # IPv4-mapped loopback
    "http://[::ffff:a9fe:a9fe]/hook",  # IPv4-mapped 169.254.169.254
    "http://[2002:7f00:1::]/hook",  # 6to4 of 127.0.0.1
    "http://localhost:8000/hook",
    "http://hooks.localhost/hook",
    "http://LocalHost:8000/hook",
]


@pytest.fixture
def nothing_allowed(settings):
    settings.BREACHTRACK_WEBHOOK_ALLOWED_HOSTS = []


@pytest.mark.parametrize("url", NOT_PUBLIC)
def test_a_non_public_address_is_refused_when_an_endpoint_is_saved(lab, officer, nothing_allowed, url):
    with pytest.raises(ValidationError) as refused:
        create_webhook_endpoint(lab, url=url, actor=officer, reason="SIEM")
    assert [error.code for error in refused.value.error_dict["url"]] == ["address_not_public"]
    assert not WebhookEndpoint.objects.exists()


def test_an_endpoint_cannot_be_moved_to_a_private_address(lab, officer, nothing_allowed):
    endpoint = create_webhook_endpoint(lab, url="https://siem.lab.example/hook", actor=officer, reason="SIEM")
    with pytest.raises(ValidationError) as refused:
        update_webhook_endpoint(endpoint, url="http://10.0.0.7/hook", actor=officer, reason="moved")
    assert refused.value.error_dict["url"][0].code == "address_not_public"
    endpoint.refresh_from_db()
    assert endpoint.url == "https://siem.lab.example/hook"


def test_the_admin_shows_the_refusal_on_the_field(client, lab, officer, nothing_allowed):
    client.force_login(officer)
    response = client.post(
        reverse("admin:notifications_webhookendpoint_add"),
        {"organisation": lab.pk, "url": "http://169.254.169.254/latest/", "description": "", "change_reason": "SIEM"},
    )
    assert response.status_code == 200
    assert "only sent to public addresses" in response.context["adminform"].form.errors["url"][0]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("url", ["https://siem.lab.example/hook", "https://8.8.8.8/hook", "https://[2606:4700::1111]/"])
def test_public_addresses_and_names_are_accepted(lab, officer, nothing_allowed, url):
    assert create_webhook_endpoint(lab, url=url, actor=officer, reason="SIEM").pk


def test_an_allow_listed_internal_host_is_accepted(lab, officer, settings):
    settings.BREACHTRACK_WEBHOOK_ALLOWED_HOSTS = ["siem.internal", "10.1.2.3"]
    assert create_webhook_endpoint(lab, url="http://10.1.2.3:8080/hook", actor=officer, reason="SIEM").pk
    assert not is_refused_host("SIEM.internal")
    assert is_refused_host("10.1.2.4")


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700::1111", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("169.254.1.1", False),
        ("224.0.0.251", False),  # multicast
        ("240.0.0.1", False),  # reserved
        ("255.255.255.255", False),
        ("::", False),
        ("ff02::1", False),
        ("fec0::1", False),  # site-local
        ("::ffff:10.0.0.1", False),
        ("::ffff:8.8.8.8", False),  # no webhook needs the mapped form of a public address either
        ("2002:a00:1::", False),  # 6to4 of 10.0.0.1
        ("64:ff9b::a00:1", False),  # NAT64 of 10.0.0.1
    ],
)
def test_what_counts_as_a_public_address(address, public):
    assert is_public_address(ipaddress.ip_address(address)) is public


# --- At send time ----------------------------------------------------------------------------


def resolving_to(*addresses: str):
    """A stand-in for DNS: every name resolves to ``addresses`` (no query leaves the machine)."""
    calls = []

    def resolve(host, port):
        calls.append((host, port))
        return [
            (
                socket.AF_INET6 if ":" in address else socket.AF_INET,
                socket.SOCK_STREAM,
                socket.IPPROTO_TCP,
                "",
                (address, port),
            )
            for address in addresses
        ]

    resolve.calls = calls
    return resolve


def test_a_name_that_resolves_to_a_private_address_is_refused_at_send_time_without_connecting(
    alert, officer, sweep_at, django_capture_on_commit_callbacks, monkeypatch, nothing_allowed
):
    with Receiver() as receiver:
        port = receiver.server.server_address[1]
        url = f"http://hooks.lab.example:{port}/breachtrack"  # a name: nothing to check when saved
        _endpoint, delivery = webhook_for(alert, officer, url, sweep_at, django_capture_on_commit_callbacks)
        # The name now resolves to this machine (an insider's DNS record, or rebinding).
        monkeypatch.setattr(webhooks, "resolve", resolving_to("127.0.0.1"))
        assert deliver(delivery) is Outcome.RETRY
    assert receiver.requests == []
    delivery.refresh_from_db()
    assert delivery.last_error.startswith("refused: hooks.lab.example resolves to 127.0.0.1, which is not a public")
    [attempt] = delivery.attempt_log.all()
    assert (attempt.is_ok, attempt.http_status) == (False, None)


def test_every_address_a_name_resolves_to_is_checked(monkeypatch, nothing_allowed):
    monkeypatch.setattr(webhooks, "resolve", resolving_to("8.8.8.8", "10.0.0.5"))
    with pytest.raises(webhooks.DeliveryError, match=r"resolves to 10\.0\.0\.5"):
        webhooks.checked_addresses("hooks.lab.example", 443)


def test_the_connection_goes_to_the_address_that_was_checked_not_to_a_second_lookup(
    alert, officer, sweep_at, django_capture_on_commit_callbacks, monkeypatch, settings
):
    settings.BREACHTRACK_WEBHOOK_ALLOWED_HOSTS = ["hooks.lab.example"]
    with Receiver() as receiver:
        port = receiver.server.server_address[1]
        url = f"http://hooks.lab.example:{port}/breachtrack"
        _endpoint, delivery = webhook_for(alert, officer, url, sweep_at, django_capture_on_commit_callbacks)
        resolve = resolving_to("127.0.0.1")
        monkeypatch.setattr(webhooks, "resolve", resolve)

        def second_lookup(*args, **kwargs):
            raise AssertionError("the host was looked up again to connect")

        monkeypatch.setattr(socket, "getaddrinfo", second_lookup)
        assert deliver(delivery) is Outcome.SENT
    assert resolve.calls == [("hooks.lab.example", port)]
    [request] = receiver.requests
    assert (request["path"], request["headers"]["Host"]) == ("/breachtrack", f"hooks.lab.example:{port}")


def test_a_redirect_is_not_followed_and_is_a_failed_attempt_that_says_so(
    alert, officer, sweep_at, django_capture_on_commit_callbacks
):
    with Receiver() as elsewhere, Receiver(status=302, location="") as redirecting:
        redirecting.location = elsewhere.url
        _endpoint, delivery = webhook_for(alert, officer, redirecting.url, sweep_at, django_capture_on_commit_callbacks)
        assert deliver(delivery) is Outcome.RETRY
    assert len(redirecting.requests) == 1
    assert elsewhere.requests == []
    delivery.refresh_from_db()
    assert delivery.last_error == f"HTTP 302 Found: redirects are not followed (Location: {elsewhere.url})"
    [attempt] = delivery.attempt_log.all()
    assert (attempt.is_ok, attempt.http_status) == (False, 302)
