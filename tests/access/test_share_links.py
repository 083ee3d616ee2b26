"""Share links: one export of one incident, until expiry or revocation; every use logged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from access.choices import AccessOutcome, ExportKind, RefusalReason
from access.log import token_hash
from access.models import AccessLog, ShareLink
from actions import sharing as services


def share_url(token, kind=None):
    if kind is None:
        return reverse("access:share", args=[token])
    return reverse("access:share_kind", args=[token, kind])


def test_only_the_tokens_hash_is_stored_and_history_names_creator_and_reason(make_link, officer):
    created = make_link()
    link = ShareLink.objects.get()
    assert link.token_sha256 == token_hash(created.token)
    assert created.token not in str(ShareLink.objects.values().get())
    record = link.history.get()
    assert record.history_user == officer
    assert record.history_change_reason == "AP asked for the deadlines (letter of 19 August)"


def test_a_valid_link_serves_its_export_without_login_and_logs_it(client, make_link, incident):
    created = make_link()
    response = client.get(share_url(created.token), REMOTE_ADDR="198.51.100.7", HTTP_USER_AGENT="AP-browser/1.0")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert incident.reference.encode() in response.content
    assert "no-store" in response["Cache-Control"]
    entry = AccessLog.objects.get()
    assert (entry.share_link, entry.incident, entry.user, entry.outcome) == (created.link, incident, None, "allowed")
    assert (entry.ip_address, entry.user_agent, entry.export_kind) == (
        "198.51.100.7",
        "AP-browser/1.0",
        "deadlines_ics",
    )


def test_an_expired_link_is_refused_with_410_and_the_refusal_logged(client, make_link, time_machine, now):
    created = make_link(days=1)
    time_machine.move_to(now + timedelta(days=1, seconds=1), tick=False)
    response = client.get(share_url(created.token))
    assert response.status_code == 410
    assert b"BEGIN:VCALENDAR" not in response.content
    entry = AccessLog.objects.get()
    assert (entry.outcome, entry.refusal_reason, entry.share_link) == ("refused", "expired", created.link)


def test_a_revoked_link_is_refused_with_410_and_the_refusal_logged(client, make_link, lawyer):
    created = make_link()
    services.revoke_share_link(created.link, actor=lawyer, reason="the AP confirmed receipt")
    response = client.get(share_url(created.token))
    assert response.status_code == 410
    entry = AccessLog.objects.get()
    assert (entry.outcome, entry.refusal_reason) == (AccessOutcome.REFUSED, RefusalReason.REVOKED)
    link = ShareLink.objects.get()
    assert (link.revoked_by, link.revocation_reason) == (lawyer, "the AP confirmed receipt")
    assert link.history.count() == 2


def test_an_unknown_token_is_refused_and_logged_without_organisation_or_token(client, make_link):
    make_link()
    guess = "not-a-real-token-0123456789abcdefghijklmnopqrst"
    response = client.get(share_url(guess), REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 404
    entry = AccessLog.objects.get()
    assert (entry.organisation, entry.incident, entry.share_link, entry.refusal_reason) == (
        None,
        None,
        None,
        "unknown_token",
    )
    assert entry.token_hash_prefix == token_hash(guess)[:12]
    assert guess not in str(AccessLog.objects.values().get())
    assert entry.ip_address == "203.0.113.9"


def test_a_link_serves_nothing_but_its_own_export(client, make_link, incident):
    created = make_link(ExportKind.DEADLINES_ICS)
    response = client.get(share_url(created.token, ExportKind.AP_ANSWER_SHEET_JSON))
    assert response.status_code == 404
    assert AccessLog.objects.get().refusal_reason == RefusalReason.WRONG_EXPORT
    # Query parameters choose nothing either: the same calendar of the same incident.
    response = client.get(share_url(created.token, ExportKind.DEADLINES_ICS), {"incident": incident.pk + 1, "party": 1})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")


def test_a_link_to_the_answer_sheet_serves_that_incidents_sheet_only(client, make_link, incident, officer):
    from actions import incidents as incident_services

    second = incident_services.create_incident(
        organisation=incident.organisation,
        title="Another incident",
        occurred_from_at=incident.occurred_from_at,
        actor=officer,
        reason="second",
    )
    created = make_link(ExportKind.AP_ANSWER_SHEET_JSON, target=second)
    response = client.get(share_url(created.token))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert second.reference in response.content.decode() and incident.reference not in response.content.decode()
    assert AccessLog.objects.get().incident == second


def test_a_link_to_the_timeline_serves_that_incidents_timeline_with_the_chain_head(client, make_link, incident):
    created = make_link(ExportKind.TIMELINE_JSON)
    response = client.get(share_url(created.token))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    body = response.json()
    assert body["schema"] == "breachtrack.timeline/2"
    assert body["incident"]["reference"] == incident.reference
    assert body["chain"]["seq"] > 0 and len(body["chain"]["sha256"]) == 64
    log = AccessLog.objects.get()
    assert (log.incident, log.export_kind) == (incident, ExportKind.TIMELINE_JSON)


def test_a_kind_without_a_renderer_cannot_be_shared_yet(make_link, monkeypatch):
    from readers import exports

    monkeypatch.delitem(exports.RENDERERS, ExportKind.TIMELINE_JSON)
    with pytest.raises(ValidationError) as caught:
        make_link(ExportKind.TIMELINE_JSON)
    assert caught.value.error_dict["export_kind"][0].code == "unavailable"


@pytest.mark.parametrize("days, code", [(0, "in_past"), (91, "too_long")])
def test_expiry_must_be_future_and_within_the_maximum(make_link, days, code):
    with pytest.raises(ValidationError) as caught:
        make_link(days=days)
    assert caught.value.error_dict["expires_at"][0].code == code
    assert not ShareLink.objects.exists()


def test_legal_may_create_links_but_viewers_and_outsiders_may_not(make_link, lawyer, viewer, outsider):
    assert make_link(actor=lawyer).link.created_by == lawyer
    for actor in (viewer, outsider):
        with pytest.raises(PermissionDenied):
            make_link(actor=actor)
    assert ShareLink.objects.count() == 1


def test_a_viewer_cannot_revoke_and_a_link_is_revoked_once(make_link, viewer, officer):
    created = make_link()
    with pytest.raises(PermissionDenied):
        services.revoke_share_link(created.link, actor=viewer, reason="no")
    services.revoke_share_link(created.link, actor=officer, reason="done")
    with pytest.raises(ValidationError):
        services.revoke_share_link(created.link, actor=officer, reason="again")
