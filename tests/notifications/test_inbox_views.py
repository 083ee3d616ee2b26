"""The notifications page: own alerts only, marking read, delivery problems, the badge, query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from notifications.fanout import fan_out
from notifications.models import AlertEvent, Deadline, Delivery, DeliveryStatus, Notification

INBOX = "/notifications/"


def mark_read_url(notification) -> str:
    return reverse("notifications:mark_read", args=[notification.pk])


def more_alerts(alert, count: int, django_capture_on_commit_callbacks) -> None:
    """``count`` more events on the same clock, fanned out as the sweep does."""
    with django_capture_on_commit_callbacks(execute=False):
        for index in range(count):
            event = AlertEvent.objects.create(
                deadline=alert.deadline,
                label=f"overdue:{index + 1}h",
                due_at=alert.due_at,
                fired_at=alert.fired_at + timedelta(minutes=index + 1),
            )
            fan_out(event, event.fired_at)


def fail(delivery) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(  # not-historied: Delivery
        status=DeliveryStatus.FAILED, next_attempt_at=None, attempts=6, last_error="HTTP 500 Internal Server Error"
    )


def test_the_page_needs_a_login(client, db):
    response = client.get(INBOX)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_a_person_sees_their_own_notifications_newest_first_with_the_unread_count(
    client, alert, officer, django_capture_on_commit_callbacks
):
    more_alerts(alert, 2, django_capture_on_commit_callbacks)
    client.force_login(officer)
    response = client.get(INBOX)
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row["event"].label for row in rows] == ["overdue:2h", "overdue:1h", "before:24h"]
    assert {row["notification"].user for row in rows} == {officer}
    assert int(response.context["unread_notifications"]) == 3
    content = response.content.decode()
    assert "3 unread notifications." in content
    assert "due in 24 hours" in content and "overdue by 2 hours" in content
    assert alert.deadline.incident.reference in content


def test_the_list_is_paginated(client, alert, officer, django_capture_on_commit_callbacks):
    more_alerts(alert, 30, django_capture_on_commit_callbacks)
    client.force_login(officer)
    first = client.get(INBOX)
    second = client.get(INBOX, {"page": 2})
    assert len(first.context["rows"]) == 25 and len(second.context["rows"]) == 6
    assert "Page 1 of 2" in first.content.decode()


def test_the_navigation_shows_an_unread_badge_on_every_page(client, alert, officer):
    client.force_login(officer)
    response = client.get(reverse("incidents:list"))
    assert '<span class="badge" title="unread">1</span>' in response.content.decode()
    Notification.objects.filter(user=officer).update(read_at=timezone.now())  # not-historied: Notification
    assert 'class="badge"' not in client.get(reverse("incidents:list")).content.decode()


def test_marking_one_read_keeps_the_first_reading(client, alert, officer, time_machine):
    notification = Notification.objects.get(user=officer)
    client.force_login(officer)
    assert client.post(mark_read_url(notification), {"page": "1"})["Location"] == f"{INBOX}?page=1"
    notification.refresh_from_db()
    first_reading = notification.read_at
    assert first_reading == timezone.now()
    time_machine.move_to(first_reading + timedelta(hours=1), tick=False)
    client.post(mark_read_url(notification))
    notification.refresh_from_db()
    assert notification.read_at == first_reading


def test_marking_all_read_touches_only_ones_own_notifications(
    client, alert, officer, lawyer, django_capture_on_commit_callbacks
):
    more_alerts(alert, 2, django_capture_on_commit_callbacks)
    client.force_login(officer)
    response = client.post(reverse("notifications:mark_all_read"), follow=True)
    assert "Marked 3 notifications as read." in response.content.decode()
    assert not Notification.objects.filter(user=officer, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=lawyer, read_at__isnull=True).count() == 3


@pytest.mark.parametrize("persona", ["lawyer", "outsider"])
def test_another_persons_notification_is_a_404_and_stays_unread(client, request, alert, officer, persona):
    notification = Notification.objects.get(user=officer)
    client.force_login(request.getfixturevalue(persona))
    assert client.post(mark_read_url(notification)).status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_marking_read_needs_post_and_a_csrf_token(alert, officer):
    notification = Notification.objects.get(user=officer)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(officer)
    assert browser.get(mark_read_url(notification)).status_code == 405
    assert browser.post(mark_read_url(notification)).status_code == 403
    assert browser.post(reverse("notifications:mark_all_read")).status_code == 403
    notification.refresh_from_db()
    assert notification.read_at is None


def test_members_see_their_organisations_delivery_problems_and_outsiders_do_not(
    client, alert, officer, viewer, outsider
):
    failed = Delivery.objects.get(user=officer)
    fail(failed)
    client.force_login(viewer)  # a viewer gets no alerts but may see that delivery failed
    problems = client.get(INBOX).context["problems"]
    assert [problem["delivery"] for problem in problems] == [failed]
    assert "HTTP 500 Internal Server Error" in client.get(INBOX).content.decode()

    client.force_login(outsider)
    response = client.get(INBOX)
    assert response.context["problems"] == [] and response.context["rows"] == []
    assert "officer@lab.example" not in response.content.decode()


@pytest.mark.parametrize("extra_alerts", [2, 40])
def test_the_page_costs_a_fixed_number_of_queries_whatever_the_data(
    client, alert, officer, lawyer, extra_alerts, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    more_alerts(alert, extra_alerts, django_capture_on_commit_callbacks)
    for delivery in Delivery.objects.all():
        fail(delivery)
    client.force_login(officer)
    # session, user, count for the paginator, one page, the problems, the unread count (badge and
    # page), the sweep heartbeat (the banner)
    with django_assert_max_num_queries(7):
        response = client.get(INBOX)
    assert response.status_code == 200
    assert len(response.context["problems"]) == min(20, 2 * (extra_alerts + 1))


def test_the_deadline_the_page_lists_is_the_alerts_own(client, alert, officer):
    client.force_login(officer)
    [row] = client.get(INBOX).context["rows"]
    assert row["event"].deadline == Deadline.objects.get(pk=alert.deadline_id)
    assert row["party"] == "National Screening Programme"
