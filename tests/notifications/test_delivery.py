"""Fan-out and e-mail delivery: who is told, once, through a real SMTP server, with retries."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes
from email.header import decode_header, make_header

import pytest
from django.utils import timezone

from actions.notifications import create_webhook_endpoint, deactivate_webhook_endpoint
from notifications import fanout
from notifications.delivery import Outcome, _claim, deliver_one, dispatch_due_deliveries
from notifications.models import AlertEvent, Channel, Deadline, Delivery, Notification
from organisations import services as org_services
from organisations.models import Role

LEASE = timedelta(seconds=300)
REQUEUE = timedelta(seconds=60)


def deliver(delivery) -> Outcome:
    return deliver_one(delivery.pk, now_func=timezone.now)


def email_delivery(alert, user) -> Delivery:
    return Delivery.objects.get(alert_event=alert, channel=Channel.EMAIL, user=user)


def received(inbox):
    return [message_from_bytes(envelope.original_content) for envelope in inbox.envelopes]


def header(message, name) -> str:
    return str(make_header(decode_header(message[name])))


# --- Fan-out ---------------------------------------------------------------------------------


def test_a_new_alert_notifies_officers_and_legal_and_queues_one_delivery_each(
    aware_controller,
    officer,
    lawyer,
    viewer,
    outsider,
    other_org,
    sweep_at,
    django_capture_on_commit_callbacks,
    now,
    monkeypatch,
):
    create_webhook_endpoint(
        officer.memberships.get().organisation, url="http://127.0.0.1:9/hook", actor=officer, reason="alerts"
    )
    create_webhook_endpoint(other_org, url="http://127.0.0.1:9/elsewhere", actor=outsider, reason="their alerts")
    retired = create_webhook_endpoint(
        officer.memberships.get().organisation, url="http://127.0.0.1:9/old", actor=officer, reason="x"
    )
    deactivate_webhook_endpoint(retired, actor=officer, reason="retired")
    deadline = Deadline.objects.get(party=aware_controller)
    moment = deadline.due_at - timedelta(hours=24)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert sweep_at(moment) == 1

    event = AlertEvent.objects.get(deadline=deadline)
    assert sorted(n.user.username for n in Notification.objects.filter(alert_event=event)) == [
        "legal@lab.example",
        "officer@lab.example",
    ]
    deliveries = Delivery.objects.filter(alert_event=event).order_by("channel", "address")
    assert [(d.channel, d.address, d.status) for d in deliveries] == [
        ("email", "legal@lab.example", "pending"),
        ("email", "officer@lab.example", "pending"),
        ("webhook", "http://127.0.0.1:9/hook", "pending"),
    ]
    assert {(d.queued_at, d.next_attempt_at) for d in deliveries} == {(moment, moment + REQUEUE)}
    # After commit, notifications.deliver_batch messages, one per channel here, published together.
    published = []
    monkeypatch.setattr(fanout, "enqueue_many", lambda name, calls: published.append((name, calls)))
    for callback in callbacks:
        callback()
    emails, [webhook] = deliveries[:2], deliveries[2:]
    assert published == [
        ("notifications.deliver_batch", [(sorted(d.pk for d in emails),), ([webhook.pk],)]),
    ]


def test_a_repeated_sweep_creates_no_second_notification_or_delivery(
    alert, sweep_at, django_capture_on_commit_callbacks
):
    counts = (Notification.objects.count(), Delivery.objects.count())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert sweep_at(alert.fired_at) == 0
        assert sweep_at(alert.fired_at + timedelta(minutes=5)) == 0
    assert (Notification.objects.count(), Delivery.objects.count()) == counts == (2, 2)
    assert callbacks == []


def test_inactive_people_viewers_and_people_without_an_address_get_no_email(
    aware_controller, officer, lawyer, viewer, admin_actor, sweep_at, django_capture_on_commit_callbacks
):
    org_services.update_user(lawyer, actor=admin_actor, reason="left the company", is_active=False)
    org_services.update_user(officer, actor=admin_actor, reason="no mailbox", email="")
    deadline = Deadline.objects.get(party=aware_controller)
    with django_capture_on_commit_callbacks(execute=False):
        sweep_at(deadline.due_at - timedelta(hours=24))
    assert list(Notification.objects.values_list("user__username", flat=True)) == ["officer@lab.example"]
    assert not Delivery.objects.exists()


def test_an_ended_membership_is_not_told(
    aware_controller, officer, lawyer, admin_actor, sweep_at, django_capture_on_commit_callbacks
):
    org_services.update_membership(lawyer.memberships.get(), actor=admin_actor, reason="moved on", is_active=False)
    deadline = Deadline.objects.get(party=aware_controller)
    with django_capture_on_commit_callbacks(execute=False):
        sweep_at(deadline.due_at - timedelta(hours=24))
    assert list(Delivery.objects.values_list("address", flat=True)) == ["officer@lab.example"]


def test_a_failing_fan_out_rolls_the_event_back_with_it(aware_controller, officer, sweep_at, monkeypatch):
    import actions.sweep

    def broken(*args, **kwargs):
        raise RuntimeError("fan-out failed")

    monkeypatch.setattr(actions.sweep, "fan_out_events", broken)
    deadline = Deadline.objects.get(party=aware_controller)
    with pytest.raises(RuntimeError):
        sweep_at(deadline.due_at - timedelta(hours=24))
    assert not AlertEvent.objects.exists()


# --- E-mail through a real SMTP server -------------------------------------------------------


def test_the_email_reaches_a_real_smtp_server_with_the_facts_in_the_recipients_zone(
    alert, officer, smtp_server, settings
):
    settings.BREACHTRACK_BASE_URL = "https://breachtrack.example"
    delivery = email_delivery(alert, officer)
    assert deliver(delivery) is Outcome.SENT

    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == ["officer@lab.example"]
    [message] = received(smtp_server)
    incident = alert.deadline.incident
    subject = header(message, "Subject")
    assert incident.reference in subject
    assert "due in 24 hours" in subject
    assert (
        message["Message-ID"] == delivery.message_id == f"<alert-{alert.pk}.delivery-{delivery.pk}@breachtrack.example>"
    )
    assert message["Content-Language"] == "en"
    body = message.get_payload(decode=True).decode()
    due_local = alert.due_at.astimezone(timezone.get_default_timezone()).strftime("%Y-%m-%d %H:%M")
    assert f"{due_local} (Europe/Amsterdam)" in body
    assert alert.due_at.strftime("%Y-%m-%d %H:%M UTC") in body
    assert incident.title in body
    assert "National Screening Programme" in body
    assert "Notify the supervisory authority" in body
    assert f"https://breachtrack.example/incidents/{incident.pk}/" in body

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.sent_at, delivery.next_attempt_at) == (
        "sent",
        1,
        alert.fired_at,
        None,
    )
    [attempt] = delivery.attempt_log.all()
    assert (attempt.number, attempt.is_ok, attempt.error, attempt.finished_at) == (1, True, "", alert.fired_at)


def test_the_due_time_is_shown_in_the_recipients_own_time_zone(alert, lawyer, smtp_server):
    org_services.update_user(lawyer, actor=lawyer, reason="I work from New York", time_zone="America/New_York")
    deliver(email_delivery(alert, lawyer))
    body = received(smtp_server)[0].get_payload(decode=True).decode()
    import zoneinfo

    local = alert.due_at.astimezone(zoneinfo.ZoneInfo("America/New_York")).strftime("%Y-%m-%d %H:%M")
    assert f"{local} (America/New_York)" in body


def test_the_email_is_written_in_the_installations_language(alert, officer, smtp_server, settings):
    settings.LANGUAGE_CODE = "nl"
    deliver(email_delivery(alert, officer))
    assert received(smtp_server)[0]["Content-Language"] == "nl"


def test_delivering_twice_sends_once(alert, officer, smtp_server):
    delivery = email_delivery(alert, officer)
    assert deliver(delivery) is Outcome.SENT
    assert deliver(delivery) is Outcome.NOTHING_TO_DO
    assert len(smtp_server.envelopes) == 1
    assert delivery.attempt_log.count() == 1


def test_an_unknown_delivery_id_is_a_no_op(db):
    assert deliver_one(987654, now_func=timezone.now) is Outcome.NOTHING_TO_DO


def test_a_refused_smtp_connection_is_recorded_and_retried_after_a_minute(alert, officer, settings, closed_port):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = (
        "127.0.0.1",
        closed_port,
        False,
        5,
    )
    delivery = email_delivery(alert, officer)
    assert deliver(delivery) is Outcome.RETRY
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.queued_at) == ("pending", 1, None)
    assert delivery.next_attempt_at == alert.fired_at + timedelta(minutes=1)
    assert "ConnectionRefusedError" in delivery.last_error
    [attempt] = delivery.attempt_log.all()
    assert attempt.is_ok is False and "ConnectionRefusedError" in attempt.error


def test_a_recipient_deactivated_before_delivery_fails_visibly_without_a_send(alert, officer, admin_actor, smtp_server):
    org_services.update_user(officer, actor=admin_actor, reason="left", is_active=False)
    delivery = email_delivery(alert, officer)
    assert deliver(delivery) is Outcome.NOTHING_TO_DO
    delivery.refresh_from_db()
    assert delivery.status == "failed" and "deactivated" in delivery.last_error
    assert smtp_server.envelopes == []


# --- The dispatcher --------------------------------------------------------------------------


def test_a_queued_delivery_whose_task_was_lost_is_re_enqueued_once_its_re_queue_interval_ends(
    alert, django_capture_on_commit_callbacks
):
    fired = alert.fired_at
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert dispatch_due_deliveries(fired + REQUEUE - timedelta(seconds=1)) == []
        enqueued = dispatch_due_deliveries(fired + REQUEUE)
        assert dispatch_due_deliveries(fired + REQUEUE + timedelta(seconds=15)) == []  # moved one interval ahead
    assert sorted(enqueued) == sorted(Delivery.objects.values_list("pk", flat=True))
    assert len(callbacks) == 2
    assert set(Delivery.objects.values_list("next_attempt_at", flat=True)) == {fired + 2 * REQUEUE}


def test_a_sending_row_with_an_expired_lease_is_re_dispatched_and_delivered(
    alert, officer, smtp_server, time_machine, django_capture_on_commit_callbacks
):
    delivery = email_delivery(alert, officer)
    attempt = _claim(delivery, alert.fired_at)  # a worker claims it, then dies before sending
    assert attempt.number == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.next_attempt_at) == ("sending", alert.fired_at + LEASE)
    assert deliver(delivery) is Outcome.NOTHING_TO_DO  # the lease still holds: no double send

    expired = alert.fired_at + LEASE
    with django_capture_on_commit_callbacks(execute=False):
        assert delivery.pk in dispatch_due_deliveries(expired)
    time_machine.move_to(expired + timedelta(seconds=2), tick=False)
    assert deliver(delivery) is Outcome.SENT
    assert len(smtp_server.envelopes) == 1
    assert [(a.number, a.is_ok, a.finished_at is None) for a in delivery.attempt_log.all()] == [
        (1, None, True),
        (2, True, False),
    ]


def test_the_sweep_task_records_alerts_then_dispatches(
    alert, officer, time_machine, django_capture_on_commit_callbacks
):
    from ops.tasks.notifications import sweep_deadlines

    originals = set(Delivery.objects.values_list("pk", flat=True))
    time_machine.move_to(alert.fired_at + REQUEUE, tick=False)  # the fan-out's task may have been lost
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sweep_deadlines()  # the task reads the database clock (on PostgreSQL: not frozen, later still)
    assert len(callbacks) >= len(originals) == 2
    requeued = Delivery.objects.filter(pk__in=originals)
    assert all(delivery.queued_at >= alert.fired_at + REQUEUE for delivery in requeued)


def test_only_privacy_officers_and_legal_are_recipients():
    from notifications.fanout import RECIPIENT_ROLES

    assert set(RECIPIENT_ROLES) == {Role.PRIVACY_OFFICER, Role.LEGAL}


def test_embedded_mode_without_an_smtp_host_configures_mail_files_under_var(tmp_path):
    """Settings are read once per process: asked of a fresh manage.py with no EMAIL_HOST."""
    from tests.test_settings import manage

    code = "from django.conf import settings; print(settings.EMAIL_BACKEND); print(settings.EMAIL_FILE_PATH)"
    result = manage("shell", "-c", code, env={"BREACHTRACK_VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["django.core.mail.backends.filebased.EmailBackend", str(tmp_path / "mail")]


def test_the_file_backend_leaves_a_readable_alert(alert, officer, settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"  # what embedded mode sets
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    assert deliver(email_delivery(alert, officer)) is Outcome.SENT
    written = "".join(path.read_text() for path in settings.EMAIL_FILE_PATH.iterdir())
    assert "officer@lab.example" in written and alert.deadline.incident.reference in written


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_one_delivery_send_it_once(alert, officer, smtp_server):
    """Each worker has its own connection; the compare-and-set lets exactly one claim the row.

    PostgreSQL only: the SQLite *test* database is shared-cache in-memory, where a concurrent
    writer gets "table is locked" at once instead of waiting as the file database does.
    """
    import threading

    from django.db import connections

    delivery = email_delivery(alert, officer)
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def work():
        try:
            barrier.wait(timeout=10)
            outcomes.append(deliver(delivery))
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(outcome.value for outcome in outcomes) == ["nothing_to_do", "sent"]
    assert len(smtp_server.envelopes) == 1
    assert delivery.attempt_log.count() == 1


def test_the_deliver_task_is_late_acknowledged_and_delivers_when_called(alert, officer, smtp_server):
    from ops.tasks.notifications import deliver as deliver_task

    assert (deliver_task.name, deliver_task.acks_late, deliver_task.reject_on_worker_lost) == (
        "notifications.deliver",
        True,
        True,
    )
    assert deliver_task(email_delivery(alert, officer).pk) == "sent"
    assert deliver_task(email_delivery(alert, officer).pk) == "nothing_to_do"
    assert len(smtp_server.envelopes) == 1


def test_a_delivery_whose_workers_keep_dying_fails_after_the_last_attempt(
    alert, officer, settings, smtp_server, django_capture_on_commit_callbacks
):
    settings.BREACHTRACK_DELIVERY_BACKOFF_SECONDS = [7]  # two attempts in all
    delivery = email_delivery(alert, officer)
    moment = alert.fired_at
    for number in (1, 2):
        delivery.refresh_from_db()
        assert _claim(delivery, moment).number == number  # claimed, then the worker dies
        moment += LEASE
        with django_capture_on_commit_callbacks(execute=False):
            assert delivery.pk in dispatch_due_deliveries(moment)
    assert deliver_one(delivery.pk, now_func=lambda: moment) is Outcome.NOTHING_TO_DO
    delivery.refresh_from_db()
    assert (delivery.status, delivery.next_attempt_at) == ("failed", None)
    assert delivery.last_error == "gave up after 2 attempts (the last one never finished)"
    assert smtp_server.envelopes == []
