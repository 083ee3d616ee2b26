"""Tokens are made in the admin (secret shown once) or by a management command, and revoked in the admin."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from api import tokens
from api.models import ApiToken
from tests.incidents.test_admin import admin_url, form_errors


def add_post(organisation, user, **overrides) -> dict:
    return {
        "organisation": organisation.pk,
        "user": user.pk,
        "role": "viewer",
        "name": "SIEM connector",
        "expires_at_0": "2025-11-01T17:00",
        "expires_at_1": "Europe/Amsterdam",
        "expires_at_2": "",
        "change_reason": "SOC asked for read access",
        **overrides,
    }


def test_a_superuser_creates_a_token_in_the_admin_and_sees_the_secret_once(client, superuser, viewer, lab, now):
    client.force_login(superuser)
    response = client.post(admin_url(ApiToken, "add"), add_post(lab, viewer))
    assert response.status_code == 302, form_errors(response)
    token = ApiToken.objects.get()
    assert (token.user, token.role, token.created_by, token.expires_tz) == (
        viewer,
        "viewer",
        superuser,
        "Europe/Amsterdam",
    )
    shown = [str(m) for m in client.get(response["Location"]).context["messages"] if "btk_" in str(m)]
    secret = shown[0].rsplit(" ", 1)[1]
    assert tokens.secret_hash(secret) == token.secret_sha256
    assert secret not in client.get(admin_url(ApiToken, "change", token.pk)).content.decode()


def test_the_admin_refuses_a_token_above_the_users_role(client, superuser, viewer, lab, now):
    client.force_login(superuser)
    response = client.post(admin_url(ApiToken, "add"), add_post(lab, viewer, role="privacy_officer"))
    assert response.status_code == 200
    assert "role" in form_errors(response)
    assert not ApiToken.objects.exists()


def test_a_superuser_revokes_a_token_in_the_admin_with_the_reason(client, superuser, viewer, lab, make_token):
    created = make_token(viewer, lab, "viewer")
    client.force_login(superuser)
    response = client.post(
        admin_url(ApiToken, "change", created.token.pk), {"revoke": "on", "change_reason": "leaked in a log"}
    )
    assert response.status_code == 302, form_errors(response)
    token = ApiToken.objects.get()
    assert (token.revoked_by, token.revocation_reason) == (superuser, "leaked in a log")


def test_an_officer_reads_her_organisations_tokens_but_cannot_make_one(client, officer, viewer, lab, make_token):
    created = make_token(viewer, lab, "viewer")
    client.force_login(officer)
    assert client.get(admin_url(ApiToken, "change", created.token.pk)).status_code == 200
    assert client.post(admin_url(ApiToken, "add"), add_post(lab, viewer)).status_code == 403


def test_another_organisations_token_is_a_404_in_the_admin(client, outsider, viewer, lab, make_token):
    created = make_token(viewer, lab, "viewer")
    client.force_login(outsider)
    assert client.get(admin_url(ApiToken, "change", created.token.pk)).status_code == 404


def test_the_command_prints_the_secret_once_and_attributes_the_token_to_a_system_actor(viewer, lab, now):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "create_api_token",
        "--organisation",
        str(lab.pk),
        "--user",
        viewer.username,
        "--role",
        "viewer",
        "--name",
        "DPO script",
        "--days",
        "30",
        "--reason",
        "DPO's weekly export",
        stdout=out,
        stderr=err,
    )
    secret = out.getvalue().strip()
    token = ApiToken.objects.get()
    assert tokens.secret_hash(secret) == token.secret_sha256
    assert secret not in err.getvalue()
    record = token.history.get()
    assert (record.history_user.username, record.history_change_reason) == (
        "system:command:create_api_token",
        "DPO's weekly export",
    )


def test_the_command_refuses_a_bad_request_with_the_field_named(viewer, lab, now):
    with pytest.raises(CommandError, match="expires_at"):
        call_command(
            "create_api_token",
            "--organisation",
            str(lab.pk),
            "--user",
            viewer.username,
            "--role",
            "viewer",
            "--name",
            "DPO script",
            "--days",
            "4000",
            "--reason",
            "forever",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    assert not ApiToken.objects.exists()
