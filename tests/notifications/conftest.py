"""Helpers for the notification tests: facts recorded through the incident services."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest

from actions import incidents as services


@pytest.fixture
def record_awareness(incident, officer):
    def record(party, aware_at, reason="aware", source="own_detection"):
        return services.record_awareness(
            incident, party=party, aware_at=aware_at, source=source, actor=officer, reason=reason
        )

    return record


@pytest.fixture
def aware_controller(processor_and_controller, record_awareness, now):
    """The controller aware two hours ago: its Art. 33(1) clock runs until now + 70h."""
    _processor, controller, _relationship = processor_and_controller
    record_awareness(controller, now - timedelta(hours=2))
    return controller


# --- Delivery: an alert to deliver, and local stand-ins for the outside world -------------------


@pytest.fixture(autouse=True)
def local_receivers_allowed(settings):
    """The stand-in receivers of these tests listen on 127.0.0.1, which webhooks refuse unless an
    administrator allow-lists it (notifications.addresses): these tests allow it, as an
    installation allows its internal SIEM. The tests of the refusal itself clear the list."""
    settings.BREACHTRACK_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]


@pytest.fixture
def sweep_at(time_machine):
    """Run the real sweep with the clock at ``moment``; the alerts it recorded."""
    from django.utils import timezone

    from actions.sweep import sweep

    def run(moment):
        time_machine.move_to(moment, tick=False)
        return sweep(now_func=timezone.now)

    return run


@pytest.fixture
def alert(aware_controller, officer, lawyer, sweep_at, django_capture_on_commit_callbacks):
    """The controller's Art. 33(1) clock at 'due in 24 hours': one AlertEvent, fanned out."""
    from notifications.models import AlertEvent, Deadline

    deadline = Deadline.objects.get(party=aware_controller)
    with django_capture_on_commit_callbacks(execute=False):
        assert sweep_at(deadline.due_at - timedelta(hours=24)) == 1
    return AlertEvent.objects.get(deadline=deadline)


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (aiosmtpd) on localhost; Django's SMTP backend talks to it."""
    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self):
            self.envelopes = []

        async def handle_DATA(self, server, session, envelope):
            self.envelopes.append(envelope)
            return "250 Message accepted for delivery"

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    yield inbox
    controller.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def closed_port():
    """A localhost port nobody listens on (bound, then released): connections are refused."""
    return _free_port()
