"""No lost updates: a change must name the version it read (If-Match), and a stale one is refused."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from incidents.models import Incident
from tests.api.conftest import REASON, detail_url, session_client, token_client


def _read(client, incident):
    response = client.get(detail_url(incident))
    return response.json(), response["ETag"]


def test_an_update_without_if_match_is_refused_with_428_and_writes_nothing(officer, incident):
    response = session_client(officer).patch(detail_url(incident), {"title": "New", "reason": REASON}, format="json")
    assert response.status_code == 428
    assert Incident.objects.get().title == incident.title
    assert incident.history.count() == 1


def test_if_match_star_names_no_version_and_is_refused_like_a_missing_header(officer, incident):
    client = session_client(officer)
    response = client.patch(detail_url(incident), {"title": "New", "reason": REASON}, format="json", HTTP_IF_MATCH="*")
    assert response.status_code == 428


def test_of_two_clients_that_read_the_same_version_only_the_first_update_lands(officer, lab, incident, make_token):
    browser = session_client(officer)
    integration = token_client(make_token(officer, lab, "privacy_officer").secret)
    _data, etag = _read(browser, incident)
    _same, same_etag = _read(integration, incident)
    assert etag == same_etag

    first = browser.patch(
        detail_url(incident), {"cause": "ransomware", "reason": REASON}, format="json", HTTP_IF_MATCH=etag
    )
    assert first.status_code == 200, first.json()
    assert first["ETag"] != etag
    second = integration.patch(
        detail_url(incident),
        {"cause": "phishing", "reason": "SIEM says phishing"},
        format="json",
        HTTP_IF_MATCH=same_etag,
    )
    assert second.status_code == 412
    assert Incident.objects.get().cause == "ransomware"
    assert [record.history_change_reason for record in incident.history.order_by("history_id")] == [
        "first report",
        REASON,
    ]

    _fresh, fresh_etag = _read(integration, incident)
    assert fresh_etag == first["ETag"]
    third = integration.patch(
        detail_url(incident),
        {"cause": "phishing", "reason": "SIEM says phishing"},
        format="json",
        HTTP_IF_MATCH=fresh_etag,
    )
    assert third.status_code == 200
    assert Incident.objects.get().cause == "phishing"


def test_a_change_made_elsewhere_makes_the_etag_stale(officer, incident):
    from actions import incidents as services

    client = session_client(officer)
    _data, etag = _read(client, incident)
    services.update_incident(incident, title="Changed in the web page", actor=officer, reason="web form")
    response = client.patch(detail_url(incident), {"title": "API", "reason": REASON}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    assert Incident.objects.get().title == "Changed in the web page"


def test_a_weak_etag_never_matches(officer, incident):
    client = session_client(officer)
    _data, etag = _read(client, incident)
    response = client.patch(
        detail_url(incident), {"title": "X", "reason": REASON}, format="json", HTTP_IF_MATCH=f"W/{etag}"
    )
    assert response.status_code == 412


def test_put_replaces_every_editable_field_and_must_name_them_all(officer, incident):
    client = session_client(officer)
    data, etag = _read(client, incident)
    writable = {
        name: value
        for name, value in data.items()
        if name not in {"id", "organisation", "reference", "status", "created_at", "updated_at"}
    }
    partial = {"title": "Only a title", "reason": REASON}
    response = client.put(detail_url(incident), partial, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 400
    assert response.json()["fields"]["description"] == ["This field is required."]
    response = client.put(
        detail_url(incident), {**writable, "title": "Replaced", "reason": REASON}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 200, response.json()
    assert Incident.objects.get().title == "Replaced"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_clients_racing_with_the_same_etag_give_one_change_and_one_412(officer, lab, incident, make_token):
    """Both pass If-Match before either writes, unless the comparison runs on the locked row."""
    clients = [session_client(officer), token_client(make_token(officer, lab, "privacy_officer").secret)]
    etag = clients[0].get(detail_url(incident))["ETag"]
    barrier = threading.Barrier(2)
    statuses = []

    def patch(client, cause):
        try:
            barrier.wait(timeout=10)
            body = {"cause": cause, "reason": f"racing: {cause}"}
            statuses.append(client.patch(detail_url(incident), body, format="json", HTTP_IF_MATCH=etag).status_code)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=patch, args=pair) for pair in zip(clients, ["ransomware", "phishing"], strict=False)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [200, 412]
    assert incident.history.count() == 2
