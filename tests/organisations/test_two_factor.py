"""Two-factor login (TOTP): enrolment, the code step, the organisation's requirement, the API.

Codes are real: computed from the device's key with django_otp.oath.totp at a frozen time.
"""

from __future__ import annotations

import re
from base64 import b32decode

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from organisations import services as org_services
from tests.api.conftest import make_token, session_client, token_client  # noqa: F401 (make_token: a fixture)

PASSWORD = "correct horse battery staple"


def code_for(key_hex: str, at=None) -> str:
    return f"{totp(bytes.fromhex(key_hex), step=30, t0=0, digits=6):06d}"


@pytest.fixture
def requiring_lab(lab, admin_actor):
    return org_services.update_organisation(lab, requires_two_factor=True, actor=admin_actor, reason="security policy")


def enrol(client, officer) -> str:
    """Set up an authenticator through the page, as a person does; returns the key."""
    page = client.get(reverse("accounts:two_factor_enrol"))
    assert page.status_code == 200
    secret = re.search(r'<code class="otp-secret">([A-Z2-7 ]+)</code>', page.content.decode()).group(1).replace(" ", "")
    key_hex = b32decode(secret + "=" * (-len(secret) % 8)).hex()
    response = client.post(reverse("accounts:two_factor_enrol"), {"code": code_for(key_hex), "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    return key_hex


def log_in(client, user):
    response = client.post(reverse("accounts:login"), {"username": user.username, "password": PASSWORD, "next": "/"})
    assert response.status_code == 302
    return response


def test_the_requirement_is_a_historied_organisation_setting(requiring_lab):
    latest = requiring_lab.history.latest()
    assert latest.requires_two_factor is True
    assert latest.history_change_reason == "security policy"
    assert latest.prev_record.requires_two_factor is False


@pytest.mark.parametrize("persona", ["officer", "lawyer"])
def test_an_officer_or_lawyer_who_must_use_two_factor_reaches_nothing_but_enrolment(
    client, persona, requiring_lab, now, request
):
    officer = request.getfixturevalue(persona)
    log_in(client, officer)
    for url in ["/", reverse("incidents:list"), "/admin/", reverse("notifications:inbox")]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:two_factor_enrol")), url
    page = client.get(reverse("accounts:two_factor_enrol"))
    body = page.content.decode()
    assert "Your organisation requires two-factor login" in body
    assert "<svg" in body and 'class="segno"' in body  # the QR code, drawn on the server


def test_enrolment_with_a_real_code_lets_the_officer_in(client, officer, requiring_lab, now):
    log_in(client, officer)
    key_hex = enrol(client, officer)
    device = TOTPDevice.objects.get(user=officer)
    assert device.confirmed and device.key == key_hex
    assert client.get("/").status_code == 200


def test_enrolment_refuses_a_wrong_code_and_keeps_no_device(client, officer, requiring_lab, now):
    log_in(client, officer)
    client.get(reverse("accounts:two_factor_enrol"))
    response = client.post(reverse("accounts:two_factor_enrol"), {"code": "000000"})
    assert response.status_code == 400
    assert "That code does not match" in response.content.decode()
    assert not TOTPDevice.objects.exists()
    assert client.get("/").status_code == 302


def test_the_next_login_asks_for_the_code_and_takes_only_a_valid_one(client, officer, requiring_lab, now, time_machine):
    log_in(client, officer)
    key_hex = enrol(client, officer)
    client.post(reverse("accounts:logout"))
    time_machine.shift(120)  # a new code: the one used at enrolment cannot be replayed anyway
    log_in(client, officer)
    response = client.get("/")
    assert response["Location"].startswith(reverse("accounts:two_factor_verify"))
    # The password alone cannot replace the device: enrolment sends back to the code step.
    assert client.get(reverse("accounts:two_factor_enrol"))["Location"].startswith(
        reverse("accounts:two_factor_verify")
    )
    wrong = client.post(reverse("accounts:two_factor_verify"), {"code": "123456", "next": "/"})
    assert wrong.status_code == 400 and "That code is not valid" in wrong.content.decode()
    time_machine.shift(60)  # django-otp throttles after a failure
    right = client.post(reverse("accounts:two_factor_verify"), {"code": code_for(key_hex), "next": "/"})
    assert right.status_code == 302 and right["Location"] == "/"
    assert client.get("/").status_code == 200


def test_a_viewer_is_not_held_to_the_requirement(client, viewer, requiring_lab, now):
    log_in(client, viewer)
    assert client.get("/").status_code == 200


def test_a_user_who_set_up_a_device_confirms_every_login_even_when_not_required(client, officer, now, time_machine):
    log_in(client, officer)
    enrol(client, officer)
    client.post(reverse("accounts:logout"))
    time_machine.shift(90)
    log_in(client, officer)
    assert client.get("/")["Location"].startswith(reverse("accounts:two_factor_verify"))


def test_the_api_refuses_an_unverified_session_with_a_reason(officer, requiring_lab, now):
    response = session_client(officer).get("/api/incidents/")
    assert response.status_code == 403
    assert "Two-factor authentication is required" in response.json()["detail"]


def test_the_api_answers_a_verified_session(client, officer, requiring_lab, now):
    log_in(client, officer)
    enrol(client, officer)
    assert client.get("/api/incidents/").status_code == 200


def test_api_tokens_are_unaffected(officer, lab, requiring_lab, make_token, now):
    created = make_token(officer, lab, "viewer")
    assert token_client(created.secret).get("/api/incidents/").status_code == 200


def test_the_middleware_costs_no_query_of_its_own(client, officer, requiring_lab, now, django_assert_max_num_queries):
    client.force_login(officer)
    # session + the annotated user (which carries needs_two_factor): nothing more before the redirect.
    with django_assert_max_num_queries(2):
        assert client.get("/").status_code == 302


def test_the_admins_own_login_does_not_get_around_the_second_factor(client, officer, requiring_lab, now):
    response = client.post(
        reverse("admin:login"), {"username": officer.username, "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"
    refused = client.get("/admin/incidents/incident/")
    assert refused.status_code == 302 and refused["Location"].startswith(reverse("accounts:two_factor_enrol"))
    enrol(client, officer)
    assert client.get("/admin/").status_code == 200
