"""Caching and browser-feature headers (web.headers) and the language cookie's flags."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse

from access.choices import ExportKind
from actions import sharing
from api import tokens
from tests.production_env import production_env
from tests.test_settings import manage

DENIED = ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()", "interest-cohort=()")


def assert_denies_features(response):
    policy = response["Permissions-Policy"]
    for feature in DENIED:
        assert feature in policy.split(", ")


@pytest.mark.parametrize(
    "name",
    ["dashboard:home", "incidents:detail", "access:deadlines_ics", "evidence:timeline_json", "evidence:timeline_csv"],
)
def test_a_logged_in_page_or_export_is_private_and_never_stored(client, officer, incident, name):
    client.force_login(officer)
    args = [] if name == "dashboard:home" else [incident.pk]
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert_denies_features(response)


def test_an_api_answer_to_a_token_is_private_and_never_stored(client, officer, lab, incident, admin_actor, now):
    created = tokens.create_api_token(
        organisation=lab,
        user=officer,
        role="viewer",
        name="SIEM",
        expires_at=now + timedelta(days=30),
        actor=admin_actor,
        reason="integration",
    )
    headers = {"HTTP_AUTHORIZATION": f"Bearer {created.secret}"}
    for url in ("/api/incidents/", f"/api/incidents/{incident.pk}/exports/timeline-json/"):
        response = client.get(url, **headers)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == "private, no-store"
        assert_denies_features(response)


def test_an_api_answer_to_a_refused_token_is_not_stored_either(client, db):
    response = client.get("/api/incidents/", HTTP_AUTHORIZATION="Bearer btk_wrong")
    assert response.status_code == 401
    assert response["Cache-Control"] == "private, no-store"


def test_a_share_link_is_never_stored_whatever_it_answers(client, incident, officer, now):
    created = sharing.create_share_link(
        incident,
        export_kind=ExportKind.DEADLINES_ICS,
        recipient="Autoriteit Persoonsgegevens",
        expires_at=now + timedelta(days=14),
        actor=officer,
        reason="the AP asked",
    )
    served = client.get(reverse("access:share", args=[created.token]))
    unknown = client.get(reverse("access:share", args=["not-a-token"]))
    wrong_kind = client.get(reverse("access:share_kind", args=[created.token, "nothing"]))
    assert [response.status_code for response in (served, unknown, wrong_kind)] == [200, 404, 404]
    for response in (served, unknown, wrong_kind):
        assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
        assert_denies_features(response)


def test_the_view_s_own_cache_control_is_kept(client, incident, officer, now):
    """The API's share-link answer carries its secret and says so itself (api.sharing)."""
    client.force_login(officer)
    response = client.post(
        f"/api/incidents/{incident.pk}/share-links/",
        {
            "export_kind": "deadlines_ics",
            "recipient": "AP",
            "expires_at": (now + timedelta(days=7)).isoformat(),
            "reason": "the AP asked",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response["Cache-Control"] == "no-store"


def test_the_anonymous_login_page_denies_browser_features_and_keeps_its_own_caching(client, db):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    assert_denies_features(response)
    assert "private, no-store" != response.get("Cache-Control")  # its own never-cache set, not ours


def test_an_anonymous_redirect_to_the_login_is_not_marked_private(client, db):
    response = client.get(reverse("dashboard:home"))
    assert response.status_code == 302
    assert "Cache-Control" not in response
    assert_denies_features(response)


def test_the_language_cookie_is_http_only_and_same_site(client, db):
    response = client.post(reverse("set_language"), {"language": "nl", "next": "/accounts/login/"})
    assert response.status_code == 302
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "nl"
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert not cookie["secure"]  # embedded mode: plain http on 127.0.0.1 (production: below)


def test_production_sends_the_language_cookie_over_https_only(tmp_path):
    script = (
        "from django.conf import settings as s; "
        "print(s.LANGUAGE_COOKIE_SECURE, s.SESSION_COOKIE_SECURE, s.LANGUAGE_COOKIE_HTTPONLY, s.LANGUAGE_COOKIE_SAMESITE)"
    )
    shown = manage("shell", "--no-imports", "-c", script, env=production_env(tmp_path))
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == "True True True Lax"
