"""The access-log page's filters: who, what, a local date range; paging keeps them."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from access.models import AccessLog
from actions.sharing import create_share_link


def _view(client, user, incident, name="incidents:detail"):
    client.force_login(user)
    return client.get(reverse(name, args=[incident.pk]))


def _log(client, user, incident, **params):
    client.force_login(user)
    return client.get(reverse("access:access_log", args=[incident.pk]), params)


def test_who_and_what_narrow_the_log(client, lawyer, viewer, officer, incident):
    _view(client, viewer, incident)
    _view(client, viewer, incident, "access:deadlines_ics")
    _view(client, officer, incident)

    by_viewer = _log(client, lawyer, incident, who=viewer.pk)
    downloads = _log(client, lawyer, incident, action="export_download")

    assert [(e.user, e.action) for e in by_viewer.context["page"]] == [
        (viewer, "export_download"),
        (viewer, "incident_view"),
    ]
    assert [e.user for e in downloads.context["page"]] == [viewer]


def test_share_link_accesses_are_found_as_their_own_who(client, lawyer, officer, incident, now):
    made = create_share_link(
        incident,
        export_kind="deadlines_ics",
        recipient="AP",
        expires_at=now + timedelta(days=3),
        actor=officer,
        reason="AP asked",
    )
    client.get(reverse("access:share", args=[made.token]))

    response = _log(client, lawyer, incident, who="share-links")

    assert [e.share_link for e in response.context["page"]] == [made.link]


def test_the_date_range_is_in_the_readers_local_days(client, lawyer, viewer, incident):
    _view(client, viewer, incident)
    # accessed_at is the database's clock (not the frozen one): read the day the entry got.
    day = AccessLog.objects.get().accessed_at.astimezone(ZoneInfo("Europe/Amsterdam")).date()

    that_day = _log(client, lawyer, incident, since=day.isoformat(), until=day.isoformat(), action="incident_view")
    day_before = _log(client, lawyer, incident, until=(day - timedelta(days=1)).isoformat())

    assert len(that_day.context["page"]) == 1
    assert len(day_before.context["page"]) == 0


def test_an_unknown_filter_value_is_a_400_naming_the_field(client, lawyer, incident, outsider):
    response = _log(client, lawyer, incident, who=outsider.pk, action="anything")

    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"who", "action"}
    assert len(response.context["page"]) == 0


def test_paging_keeps_the_filters_and_the_queries_stay_fixed(client, lawyer, viewer, incident):
    def count(**params) -> int:
        client.force_login(lawyer)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("access:access_log", args=[incident.pk]), params).status_code == 200
        return len(captured)

    _view(client, viewer, incident)
    small = count(who=viewer.pk, action="incident_view")
    for _ in range(60):
        _view(client, viewer, incident)
    assert count(who=viewer.pk, action="incident_view") == small

    response = _log(client, lawyer, incident, who=viewer.pk, action="incident_view")
    assert len(response.context["page"]) == 50
    assert f"?who={viewer.pk}&amp;action=incident_view&amp;page=2" in response.content.decode()
