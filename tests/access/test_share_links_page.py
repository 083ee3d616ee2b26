"""The share-links page: list with state, maker and uses; create with the secret URL
shown once; revoke with a reason; roles on the server; another organisation's incident a 404."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from access.choices import ExportKind
from access.models import ShareLink

RECIPIENT = "Autoriteit Persoonsgegevens, case handler"


def page_url(incident) -> str:
    return reverse("access:share_links", args=[incident.pk])


def create(client, user, incident, **overrides):
    client.force_login(user)
    data = {
        "export_kind": ExportKind.TIMELINE_CSV,
        "recipient": RECIPIENT,
        "expires": "2025-09-01T17:00",
        "expires_fold": "",
        "reason": "AP asked for the timeline (letter of 19 August)",
        **overrides,
    }
    response = client.post(page_url(incident), data)
    if response.status_code == 302:  # made: the page shows the secret URL once
        assert response["Location"] == page_url(incident)
        response = client.get(page_url(incident))
        response.made = True
    return response


def secret_path(response) -> str:
    url = response.context["created"]["url"]
    return url[url.index("/share/") :]


@pytest.mark.parametrize("persona", ["lawyer", "officer"])
def test_legal_and_officers_make_a_link_and_see_its_secret_url_once(client, request, incident, now, persona):
    user = request.getfixturevalue(persona)

    response = create(client, user, incident)

    assert response.made and response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    link = ShareLink.objects.get()
    assert (link.created_by, link.recipient, link.export_kind) == (user, RECIPIENT, ExportKind.TIMELINE_CSV)
    assert link.expires_at == datetime(2025, 9, 1, 15, 0, tzinfo=UTC)  # 17:00 CEST, the reader's zone
    assert link.expires_tz == "Europe/Amsterdam"
    path = secret_path(response)
    assert path in response.content.decode()
    assert path not in client.get(page_url(incident)).content.decode()  # shown once, never again
    client.logout()
    download = client.get(path)
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")


def test_the_list_shows_state_maker_and_uses(client, lawyer, officer, incident, now, time_machine):
    used = secret_path(create(client, lawyer, incident, recipient="Used link"))
    create(client, officer, incident, recipient="Short link", expires="2025-08-21T10:00")
    create(client, lawyer, incident, recipient="Revoked link")
    link = ShareLink.objects.get(recipient="Revoked link")
    client.post(
        reverse("access:share_link_revoke", args=[incident.pk, link.pk]), {"reason": "sent to the wrong person"}
    )
    client.logout()
    for _ in range(2):
        assert client.get(used).status_code == 200
    time_machine.move_to(now + timedelta(days=2), tick=False)

    client.force_login(lawyer)
    response = client.get(page_url(incident))

    rows = {link.recipient: link for link in response.context["page"]}
    assert {name: row.state for name, row in rows.items()} == {
        "Used link": "active",
        "Short link": "expired",
        "Revoked link": "revoked",
    }
    assert rows["Used link"].uses == 2 and rows["Short link"].uses == 0
    body = response.content.decode()
    assert "sent to the wrong person" in body and officer.get_username() in body


def test_a_viewer_reads_the_list_but_may_neither_make_nor_revoke(client, viewer, lawyer, incident, now):
    create(client, lawyer, incident)
    link = ShareLink.objects.get()

    client.force_login(viewer)
    listing = client.get(page_url(incident))
    made = create(client, viewer, incident, recipient="A viewer's link")
    revoked = client.post(reverse("access:share_link_revoke", args=[incident.pk, link.pk]), {"reason": "curious"})

    assert listing.status_code == 200 and listing.context["form"] is None
    assert "Make the link" not in listing.content.decode() and 'name="reason"' not in listing.content.decode()
    assert made.status_code == 403 and revoked.status_code == 403
    assert ShareLink.objects.count() == 1
    link.refresh_from_db()
    assert link.revoked_at is None


def test_revoking_needs_a_reason_and_records_who_and_why(client, lawyer, incident, now):
    create(client, lawyer, incident)
    link = ShareLink.objects.get()
    url = reverse("access:share_link_revoke", args=[incident.pk, link.pk])

    refused = client.post(url, {"reason": "  "})
    link.refresh_from_db()
    assert refused.status_code == 400 and link.revoked_at is None
    assert "Say why the link is revoked." in refused.content.decode()

    done = client.post(url, {"reason": "the AP has its copy"})
    assert done.status_code == 302
    link.refresh_from_db()
    assert (link.revoked_by, link.revocation_reason) == (lawyer, "the AP has its copy")
    assert link.history.first().history_change_reason == "the AP has its copy"
    again = client.post(url, {"reason": "twice"})
    assert again.status_code == 400 and "already revoked" in again.content.decode()


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("recipient", " ", "This field is required."),
        ("reason", "", "This field is required."),
        ("expires", "2025-08-19T10:00", "The expiry must be in the future."),
        ("expires", "2026-03-29T02:30", "does not exist in Europe/Amsterdam"),
        ("export_kind", "everything", "Select a valid choice."),
    ],
)
def test_bad_input_is_refused_with_the_fields_message_and_nothing_made(
    client, lawyer, incident, now, field, value, says
):
    response = create(client, lawyer, incident, **{field: value})

    assert response.status_code == 400
    assert says in " ".join(response.context["form"].errors[field])
    assert not ShareLink.objects.exists()


def test_an_expiry_at_a_repeated_hour_asks_which_and_takes_the_answer(client, lawyer, incident, now, settings):
    settings.BREACHTRACK_SHARE_LINK_MAX_DAYS = 90

    asked = create(client, lawyer, incident, expires="2025-10-26T02:30")
    later = create(client, lawyer, incident, expires="2025-10-26T02:30", expires_fold="later")

    assert asked.status_code == 400 and "happens twice" in " ".join(asked.context["form"].errors["expires"])
    assert later.made
    assert ShareLink.objects.get().expires_at == datetime(2025, 10, 26, 1, 30, tzinfo=UTC)


@pytest.mark.parametrize("method", ["get", "post", "revoke"])
def test_another_organisations_incident_is_a_404(client, outsider, lawyer, incident, now, method):
    create(client, lawyer, incident)
    link = ShareLink.objects.get()
    client.force_login(outsider)

    if method == "get":
        response = client.get(page_url(incident))
    elif method == "post":
        response = client.post(page_url(incident), {"recipient": "x", "reason": "x"})
    else:
        response = client.post(reverse("access:share_link_revoke", args=[incident.pk, link.pk]), {"reason": "x"})

    assert response.status_code == 404
    link.refresh_from_db()
    assert link.revoked_at is None and ShareLink.objects.count() == 1


def test_a_link_of_another_incident_cannot_be_revoked_through_this_one(client, lawyer, incident, officer, now):
    from actions import incidents as services

    other = services.create_incident(
        organisation=incident.organisation, title="Stolen laptop", actor=officer, reason="report"
    )
    create(client, lawyer, other)
    link = ShareLink.objects.get()

    response = client.post(reverse("access:share_link_revoke", args=[incident.pk, link.pk]), {"reason": "x"})

    assert response.status_code == 404


def test_the_page_reads_a_fixed_number_of_queries_at_two_sizes(client, lawyer, incident, now):
    def count() -> int:
        client.force_login(lawyer)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(page_url(incident)).status_code == 200
        return len(captured)

    create(client, lawyer, incident)
    small = count()
    for k in range(30):
        path = secret_path(create(client, lawyer, incident, recipient=f"Handler {k}"))
        client.logout()
        client.get(path)
    assert count() == small


def test_making_and_revoking_on_the_page_write_history_with_the_member_and_the_reason(client, lawyer, incident, now):
    from tests.evidence.history_paths import recording_history, unattributed

    with recording_history() as made:
        create(client, lawyer, incident, reason="AP asked for the timeline")
    link = ShareLink.objects.get()
    with recording_history() as revoked:
        client.post(reverse("access:share_link_revoke", args=[incident.pk, link.pk]), {"reason": "the AP has its copy"})

    for records, reason in ((made, "AP asked for the timeline"), (revoked, "the AP has its copy")):
        records = records.excluding_system_actors()
        assert [r.instance_type._meta.label for r in records] == ["access.ShareLink"]
        assert unattributed(records) == []
        assert (records[0].history_user, records[0].history_change_reason) == (lawyer, reason)
