"""The timeline and the exports over the API: privileged notes only for the roles that may read
them (the token's role, not its user's), the exports regulator-facing for everyone, the right
content types, every read logged, and a fixed number of queries whatever the history's size."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from access.models import AccessLog
from actions import incidents as services
from actions import notes as note_services
from tests.api.conftest import session_client, token_client

SECRET = "Counsel advises not to admit liability"
PLAIN = "Called the screening programme"


@pytest.fixture
def notes(incident, officer, lawyer, now):
    note_services.add_note(incident, body=PLAIN, occurred_at=now - timedelta(hours=3), actor=officer, reason="call")
    note_services.add_note(incident, body=SECRET, is_legally_privileged=True, actor=lawyer, reason="advice")


def _timeline(client, incident):
    response = client.get(f"/api/incidents/{incident.pk}/timeline/")
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("persona", ["officer", "lawyer"])
def test_officers_and_legal_see_the_privileged_note_flagged(request, incident, notes, persona):
    body = _timeline(session_client(request.getfixturevalue(persona)), incident).json()
    assert body["audience"] == "internal"
    privileged = [entry for entry in body["entries"] if SECRET in entry["summary"]]
    assert privileged and all(entry["is_privileged"] for entry in privileged)


def test_a_viewer_never_sees_the_privileged_note(incident, notes, viewer):
    response = _timeline(session_client(viewer), incident)
    assert response.json()["audience"] == "internal_unprivileged"
    assert PLAIN in response.content.decode() and SECRET not in response.content.decode()


def test_an_officers_viewer_token_never_sees_the_privileged_note(incident, notes, officer, lab, make_token):
    response = _timeline(token_client(make_token(officer, lab, "viewer").secret), incident)
    assert SECRET not in response.content.decode()
    assert not any(entry["is_privileged"] for entry in response.json()["entries"])


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("timeline-json", "application/json"),
        ("timeline-csv", "text/csv; charset=utf-8"),
        ("timeline-pdf", "application/pdf"),
    ],
)
def test_no_export_carries_the_privileged_note_even_for_an_officer(incident, notes, officer, path, content_type):
    response = session_client(officer).get(f"/api/incidents/{incident.pk}/exports/{path}/")
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert SECRET.encode() not in response.content
    if path != "timeline-pdf":  # the PDF's text is compressed; the CSV and JSON are plain
        assert PLAIN.encode() in response.content


def test_the_pdf_is_served_when_the_client_accepts_only_pdf(incident, viewer):
    response = session_client(viewer).get(
        f"/api/incidents/{incident.pk}/exports/timeline-pdf/", HTTP_ACCEPT="application/pdf"
    )
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert response["Content-Disposition"].endswith('-timeline.pdf"')


def test_an_outsider_accepting_only_pdf_gets_a_json_404(incident, outsider):
    response = session_client(outsider).get(
        f"/api/incidents/{incident.pk}/exports/timeline-pdf/", HTTP_ACCEPT="application/pdf"
    )
    assert response.status_code == 404 and response["Content-Type"] == "application/json"


def test_the_deadlines_calendar_is_icalendar(incident, viewer):
    response = session_client(viewer).get(f"/api/incidents/{incident.pk}/exports/deadlines-ics/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.content.startswith(b"BEGIN:VCALENDAR")


def test_reads_and_downloads_are_logged_with_the_token(incident, officer, lab, make_token):
    created = make_token(officer, lab, "viewer")
    client = token_client(created.secret)
    client.get(f"/api/incidents/{incident.pk}/timeline/")
    client.get(f"/api/incidents/{incident.pk}/exports/timeline-csv/")
    rows = list(
        AccessLog.objects.filter(incident=incident).order_by("pk").values_list("action", "export_kind", "detail")
    )
    assert rows == [
        ("timeline_view", "", f"API timeline, token {created.token.prefix}"),
        ("export_download", "timeline_csv", f"API download timeline_csv, token {created.token.prefix}"),
    ]


def test_the_schema_documents_each_download_content_type(viewer):
    schema = session_client(viewer).get("/api/schema/?format=json").json()
    for path, content_type in [
        ("timeline-json", "application/json"),
        ("timeline-pdf", "application/pdf"),
        ("timeline-csv", "text/csv"),
        ("deadlines-ics", "text/calendar"),
    ]:
        responses = schema["paths"][f"/api/incidents/{{id}}/exports/{path}/"]["get"]["responses"]
        assert content_type in responses["200"]["content"]


def _grow(incident, officer, lab, rounds, start):
    """Add ``rounds`` of every row a list shows: parties, awareness, estimates, notes,
    assessments, content versions, share links."""
    from actions import communications as communication_services
    from actions import sharing as access_services
    from organisations import services as org_services

    for i in range(start, start + rounds):
        party = org_services.create_party(lab, name=f"Controller {i}", country="NL", actor=officer, reason="directory")
        controller = services.add_party(incident, party=party, role="controller", actor=officer, reason="parties")
        services.record_awareness(
            incident,
            party=controller,
            aware_at=incident.occurred_from_at + timedelta(days=i + 1),
            source="own_detection",
            actor=officer,
            reason="mail",
        )
        services.record_estimate(
            incident,
            measure="data_subjects",
            low=1000 * (i + 1),
            known_at=incident.occurred_from_at + timedelta(days=i + 1),
            source="count",
            actor=officer,
            reason="count",
        )
        note_services.add_note(incident, body=f"note {i}", actor=officer, reason="call")
        communication_services.record_assessment(
            incident,
            controller=controller,
            is_high_risk=True,
            reasoning="health data",
            decided_by_name="DPO",
            decided_by_role="DPO",
            decided_at=incident.occurred_from_at + timedelta(days=i + 1),
            actor=officer,
            reason="art 34",
        )
        communication_services.create_content_version(
            incident, language="en", title=f"v{i}", text="Dear ...", actor=officer, reason="text"
        )
        access_services.create_share_link(
            incident,
            export_kind="timeline_pdf",
            recipient=f"AP {i}",
            expires_at=incident.occurred_from_at + timedelta(days=60),
            actor=officer,
            reason="AP request",
        )


@pytest.mark.parametrize(
    "path", ["timeline/", "parties/", "awareness/", "estimates/", "assessments/", "content-versions/", "share-links/"]
)
def test_list_endpoints_do_a_fixed_number_of_queries_whatever_the_size(incident, officer, lab, path):
    client = session_client(officer)
    counts = []
    for start, rounds in ((0, 1), (1, 6)):
        _grow(incident, officer, lab, rounds, start)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/api/incidents/{incident.pk}/{path}").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert counts[1] <= (30 if path == "timeline/" else 6)  # measured: 24 and 5
