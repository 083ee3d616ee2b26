"""Our own login page and django-axes' lockout, on it and on the admin's login."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.urls import reverse

PASSWORD = "correct horse battery staple"


def test_the_login_page_is_ours_and_logs_in_to_where_the_visitor_was_going(client, officer):
    page = client.get(reverse("dashboard:home"), follow=True)
    assert page.redirect_chain[-1][0] == reverse("accounts:login") + "?next=/"
    assert b'<link rel="stylesheet" href="/static/incidents/register.css">' in page.content  # the app's look
    response = client.post(
        reverse("accounts:login") + "?next=/", {"username": officer.username, "password": PASSWORD, "next": "/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_the_login_page_speaks_dutch(client, db):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"
    body = client.get(reverse("accounts:login")).content.decode()
    assert '<html lang="nl">' in body


def test_a_wrong_password_is_refused_on_the_page_itself(client, officer):
    response = client.post(reverse("accounts:login"), {"username": officer.username, "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logging_out_takes_a_post_and_ends_the_session(client, officer):
    client.force_login(officer)
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:login")
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("login_url", ["accounts:login", "admin:login"])
def test_too_many_failures_lock_the_username_out_from_that_address_even_with_the_right_password(
    client, officer, login_url
):
    url = reverse(login_url)
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(url, {"username": officer.username, "password": "wrong"}).status_code == 200
    locked = client.post(url, {"username": officer.username, "password": "wrong"})
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert f"for {settings.AXES_COOLOFF_TIME.seconds // 60} minutes" in locked.content.decode()
    # The right password no longer helps from here, and nothing is logged in.
    again = client.post(url, {"username": officer.username, "password": PASSWORD})
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.get(username=officer.username).failures_since_start == settings.AXES_FAILURE_LIMIT + 1


def test_the_lockout_is_per_address_so_nobody_can_lock_an_officer_out_from_elsewhere(client, officer):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("accounts:login"), {"username": officer.username, "password": "wrong"}, REMOTE_ADDR="203.0.113.9"
        )
    assert (
        client.post(
            reverse("accounts:login"), {"username": officer.username, "password": PASSWORD}, REMOTE_ADDR="203.0.113.9"
        ).status_code
        == 429
    )
    response = client.post(
        reverse("accounts:login"), {"username": officer.username, "password": PASSWORD}, REMOTE_ADDR="198.51.100.7"
    )
    assert response.status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, officer, time_machine):
    time_machine.move_to("2025-08-20T12:00:00Z", tick=False)
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("accounts:login"), {"username": officer.username, "password": "wrong"})
    assert (
        client.post(reverse("accounts:login"), {"username": officer.username, "password": PASSWORD}).status_code == 429
    )
    time_machine.shift(settings.AXES_COOLOFF_TIME.total_seconds() + 1)
    assert (
        client.post(reverse("accounts:login"), {"username": officer.username, "password": PASSWORD}).status_code == 302
    )


def test_a_success_before_the_limit_starts_the_count_again(client, officer):
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(reverse("accounts:login"), {"username": officer.username, "password": "wrong"})
    assert (
        client.post(reverse("accounts:login"), {"username": officer.username, "password": PASSWORD}).status_code == 302
    )
    client.post(reverse("accounts:logout"))
    response = client.post(reverse("accounts:login"), {"username": officer.username, "password": "wrong"})
    assert response.status_code == 200


def test_the_test_clients_login_without_a_request_is_not_throttled(client, officer):
    """authenticate() without a request (client.login, a shell) has no address to count."""
    assert client.login(username=officer.username, password=PASSWORD)
