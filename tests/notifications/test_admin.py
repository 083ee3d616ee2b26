"""The webhook endpoint admin: created through the service, secret shown once, then masked."""

from __future__ import annotations

from django.urls import reverse

from actions.notifications import create_webhook_endpoint
from notifications.models import WebhookEndpoint


def test_an_officer_adds_an_endpoint_and_sees_its_secret_only_on_creation(client, lab, officer):
    client.force_login(officer)
    response = client.post(
        reverse("admin:notifications_webhookendpoint_add"),
        {
            "organisation": lab.pk,
            "url": "https://siem.lab.example/hook",
            "description": "SIEM",
            "change_reason": "route alerts to the SOC",
        },
        follow=True,
    )
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret in response.content.decode()
    assert endpoint.history.get().history_change_reason == "route alerts to the SOC"

    change = client.get(reverse("admin:notifications_webhookendpoint_change", args=[endpoint.pk])).content.decode()
    assert endpoint.secret not in change
    assert f"{endpoint.secret[:4]}…" in change


def test_a_lawyer_reads_but_cannot_add_or_change_endpoints(client, lab, officer, lawyer):
    endpoint = create_webhook_endpoint(lab, url="https://siem.lab.example/hook", actor=officer, reason="alerts")
    client.force_login(lawyer)
    assert client.get(reverse("admin:notifications_webhookendpoint_add")).status_code == 403
    response = client.post(
        reverse("admin:notifications_webhookendpoint_change", args=[endpoint.pk]),
        {"url": "https://evil.example/hook", "description": "", "is_active": "on", "change_reason": "x"},
    )
    assert response.status_code == 403
    endpoint.refresh_from_db()
    assert endpoint.url == "https://siem.lab.example/hook"


def test_another_organisations_endpoint_is_a_404(client, lab, officer, outsider):
    endpoint = create_webhook_endpoint(lab, url="https://siem.lab.example/hook", actor=officer, reason="alerts")
    client.force_login(outsider)
    assert client.get(reverse("admin:notifications_webhookendpoint_change", args=[endpoint.pk])).status_code == 404
    assert client.get(reverse("admin:notifications_webhookendpoint_history", args=[endpoint.pk])).status_code == 404
