"""Every view is logged (who, what, when, from where); the log cannot be changed; legal reads it."""

from __future__ import annotations

import pytest
from axes.helpers import get_client_ip_address
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from access.models import AccessLog
from evidence.append_only import protected_tables
from evidence.triggers import _name

TABLE = AccessLog._meta.db_table


def _view(client, user, incident, name="incidents:detail", **extra):
    client.force_login(user)
    return client.get(reverse(name, args=[incident.pk]), **extra)


@pytest.mark.parametrize(
    "name, action, kind",
    [
        ("incidents:detail", "incident_view", ""),
        ("incidents:ap_answer_sheet", "answer_sheet_view", ""),
        ("incidents:ap_answer_sheet_json", "export_download", "ap_answer_sheet_json"),
        ("access:deadlines_ics", "export_download", "deadlines_ics"),
    ],
)
def test_every_view_is_logged_with_user_ip_and_user_agent(client, viewer, incident, name, action, kind):
    response = _view(client, viewer, incident, name, REMOTE_ADDR="192.0.2.10", HTTP_USER_AGENT="x" * 500)
    assert response.status_code == 200
    entry = AccessLog.objects.get()
    assert (entry.user, entry.organisation, entry.incident, entry.action, entry.export_kind) == (
        viewer,
        incident.organisation,
        incident,
        action,
        kind,
    )
    assert (entry.outcome, entry.ip_address, entry.user_agent) == ("allowed", "192.0.2.10", "x" * 200)
    assert entry.accessed_at is not None  # the database's clock


def test_the_forwarded_header_is_ignored_unless_the_proxy_is_trusted(client, viewer, incident, settings):
    settings.BEHIND_TLS_PROXY = False
    _view(client, viewer, incident, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert AccessLog.objects.get().ip_address == "10.0.0.2"


def test_a_trusted_proxy_gives_the_last_forwarded_address(client, viewer, incident, settings):
    settings.BEHIND_TLS_PROXY = True
    # The client sent a made-up first entry; our proxy appended the address it really saw.
    _view(client, viewer, incident, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.55")
    _view(client, viewer, incident, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="garbage")
    assert list(AccessLog.objects.order_by("pk").values_list("ip_address", flat=True)) == ["192.0.2.55", "10.0.0.2"]


def test_another_organisations_incident_is_a_404_and_nothing_of_it_is_logged(client, outsider, incident):
    assert _view(client, outsider, incident).status_code == 404
    assert _view(client, outsider, incident, "access:deadlines_ics").status_code == 404
    assert _view(client, outsider, incident, "access:access_log").status_code == 404
    assert not AccessLog.objects.exists()


def test_the_access_log_triggers_are_installed_after_migrate(db):
    assert TABLE in protected_tables()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass", [TABLE])
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE])
        names = {row[0] for row in cursor.fetchall()}
    assert {_name("update", TABLE), _name("delete", TABLE)} <= names


@pytest.mark.parametrize("sql", [f'UPDATE "{TABLE}" SET ip_address = NULL', f'DELETE FROM "{TABLE}"'])
def test_the_access_log_refuses_update_and_delete(client, viewer, incident, sql):
    _view(client, viewer, incident, REMOTE_ADDR="192.0.2.10")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql)
    assert AccessLog.objects.get().ip_address == "192.0.2.10"


@pytest.mark.postgres
def test_the_access_log_refuses_update_and_delete_on_postgresql(client, viewer, incident):
    assert connection.vendor == "postgresql"
    _view(client, viewer, incident)
    entry = AccessLog.objects.get()
    entry.user_agent = "rewritten"
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        entry.save()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessLog.objects.filter(pk=entry.pk).delete()
    assert AccessLog.objects.get().user_agent == ""


@pytest.mark.parametrize("persona", ["officer", "lawyer"])
def test_legal_and_officers_see_who_viewed_what_newest_first(client, request, persona, viewer, officer, incident):
    _view(client, viewer, incident, REMOTE_ADDR="192.0.2.10")
    _view(client, officer, incident, "access:deadlines_ics", REMOTE_ADDR="192.0.2.11")
    response = _view(client, request.getfixturevalue(persona), incident, "access:access_log")
    assert response.status_code == 200
    entries = list(response.context["page"])
    assert [e.action for e in entries] == ["access_log_view", "export_download", "incident_view"]
    body = response.content.decode()
    assert viewer.get_username() in body and "192.0.2.10" in body and "192.0.2.11" in body


def test_a_viewer_may_not_read_the_access_log(client, viewer, incident):
    assert _view(client, viewer, incident, "access:access_log").status_code == 403
    assert not AccessLog.objects.filter(action="access_log_view").exists()


def test_the_access_log_page_costs_the_same_queries_whatever_its_length(
    client, lawyer, viewer, incident, django_assert_max_num_queries
):
    for _ in range(3):
        _view(client, viewer, incident)
    client.force_login(lawyer)
    url = reverse("access:access_log", args=[incident.pk])
    # session, user, incident, role check, the INSERT, count, one page (users and links
    # joined), and the base template's heartbeat banner and unread badge.
    with django_assert_max_num_queries(10) as small:
        client.get(url)
    for _ in range(60):
        _view(client, viewer, incident)
    client.force_login(lawyer)
    with django_assert_max_num_queries(10) as large:
        response = client.get(url)
    assert len(large) == len(small)
    assert len(response.context["page"]) == 50


@pytest.mark.parametrize(
    ("hops", "forwarded", "expected"),
    [
        # One proxy of ours: the last entry, whatever the client wrote before it.
        (1, "6.6.6.6, 192.0.2.55", "192.0.2.55"),
        # Two (a load balancer, then the TLS proxy): the client's address is second from the right;
        # the last is the load balancer's and the first the client's invention.
        (2, "6.6.6.6, 192.0.2.55, 10.0.0.9", "192.0.2.55"),
        (2, "192.0.2.55,10.0.0.9", "192.0.2.55"),
        # Fewer entries than proxies: the client reached us past one of them; REMOTE_ADDR.
        (2, "10.0.0.9", "10.0.0.2"),
        (3, "6.6.6.6, 192.0.2.55", "10.0.0.2"),
        (2, "", "10.0.0.2"),
        # A malformed entry at that place: REMOTE_ADDR, never the next one to the left.
        (2, "6.6.6.6, garbage, 10.0.0.9", "10.0.0.2"),
    ],
)
def test_the_client_address_is_as_many_hops_from_the_right_as_we_have_proxies(
    client, viewer, incident, settings, hops, forwarded, expected
):
    settings.BEHIND_TLS_PROXY = True
    settings.BEHIND_TLS_PROXY_COUNT = hops
    _view(client, viewer, incident, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    assert AccessLog.objects.get().ip_address == expected


def test_the_login_throttle_counts_the_same_address_as_the_access_log(rf, settings):
    """django-axes asks access.client.client_ip (AXES_CLIENT_IP_CALLABLE): a client that forges
    X-Forwarded-For entries does not escape its lockout."""
    settings.BEHIND_TLS_PROXY = True
    settings.BEHIND_TLS_PROXY_COUNT = 2
    addresses = {
        get_client_ip_address(
            rf.post("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"{forged}, 192.0.2.55, 10.0.0.9")
        )
        for forged in ("6.6.6.6", "7.7.7.7", "1.2.3.4")
    }
    assert addresses == {"192.0.2.55"}


def test_each_detail_of_the_access_log_is_in_the_readers_language(client, db, settings):
    """The detail was shown as stored: the Dutch log said "Incidentpagina bekeken notes", "as of
    2026-12-05T16:12:34.982669+00:00 (recorded)", "filing 2" and "party=5&lang=nl"."""
    from filings.models import AuthorityFiling
    from incidents.models import Incident
    from ops.demo import load_demo
    from organisations.models import User

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    load_demo("a demo password for tests")
    officer = User.objects.get(username="programme@demo.example")
    incident = Incident.objects.visible_to(officer).get()
    filing = AuthorityFiling.objects.filter(incident=incident).earliest("submitted_at")
    client.force_login(officer)
    client.cookies["django_language"] = "nl"
    pk = incident.pk
    for url in (
        reverse("incidents:notes", args=[pk]),
        reverse("filings:detail", args=[pk, filing.pk]),
        reverse("evidence:as_of", args=[pk]) + "?at=2025-08-12T12:00",
        reverse("evidence:as_of_diff", args=[pk]) + "?from=2025-08-01T00:00&to=2025-09-01T00:00",
        reverse("incidents:ap_answer_sheet", args=[pk]) + f"?party={filing.controller_id}&lang=nl",
    ):
        assert client.get(url).status_code == 200, url

    page = client.get(reverse("access:access_log", args=[pk])).content.decode()

    for raw in ("notes<", "filing ", "as of ", "(recorded)", "diff ", "+00:00", "party=", "lang=nl"):
        assert raw not in page, raw
    assert "de notities" in page
    assert "Eerste melding (art. 33 lid 1 AVG) aan Autoriteit Persoonsgegevens, ingediend op ma 11 aug 2025" in page
    assert "zoals vastgelegd tot di 12 aug 2025, 12:00 CEST" in page
    assert "wijzigingen tussen vr 1 aug 2025, 00:00 CEST en ma 1 sep 2025, 00:00 CEST" in page
    assert f"voor {filing.controller.party}; in het Nederlands" in page
