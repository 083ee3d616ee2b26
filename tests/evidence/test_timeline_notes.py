"""Notes on the timeline, and legal privilege: a privileged note never leaves the building.

Every export is regulator-facing (the JSON download, every share link); the logged-in page shows
privileged notes, marked, only to the roles that may read them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from access.choices import ExportKind
from actions import notes as note_services
from actions.sharing import create_share_link
from readers import timeline
from readers.timeline import Audience, PrivilegedEntryInExport, incident_timeline

SECRET = "Counsel's view: the lab's delay is indefensible"  # what must never leave the building
SECRET_EDIT = "Counsel's view, revised: the delay is hard to defend"
PLAIN = "Call with the screening programme about the letters"
NOTE_MODEL = "incidents.incidentnote"


@pytest.fixture
def notes(incident, officer, lawyer, now):
    """A plain note with an event time, and a privileged note edited once (two history records)."""
    plain = note_services.add_note(
        incident, body=PLAIN, occurred_at=now - timedelta(hours=3), actor=officer, reason="call"
    )
    secret = note_services.add_note(incident, body=SECRET, is_legally_privileged=True, actor=lawyer, reason="advice")
    note_services.edit_note(secret, body=SECRET_EDIT, actor=lawyer, reason="revised advice")
    return plain, secret


def note_entries(entries, note):
    return [e for e in entries if e.model == NOTE_MODEL and e.object_id == note.pk]


def exported(client, user, incident) -> str:
    client.force_login(user)
    response = client.get(reverse("evidence:timeline_json", args=[incident.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_plain_note_is_an_entry_at_the_time_it_describes_and_when_it_was_written(incident, notes, now):
    plain, _secret = notes

    (entry,) = note_entries(incident_timeline(incident, audience=Audience.REGULATOR), plain)

    assert (entry.kind, entry.event_at, entry.recorded_at) == ("note", now - timedelta(hours=3), now)
    assert PLAIN in entry.summary and entry.reason == "call" and not entry.is_privileged


def test_a_note_without_an_event_time_is_placed_when_it_was_written(incident, officer, now):
    note = note_services.add_note(incident, body=PLAIN, actor=officer, reason="call")

    (entry,) = note_entries(incident_timeline(incident, audience=Audience.INTERNAL), note)

    assert entry.event_at == entry.recorded_at == now


def test_the_regulator_timeline_has_neither_the_privileged_note_nor_its_history(incident, notes):
    plain, secret = notes

    entries = incident_timeline(incident, audience=Audience.REGULATOR)

    assert note_entries(entries, secret) == []
    assert note_entries(entries, plain)
    assert not any("Counsel" in e.summary or any("Counsel" in str(v) for c in e.changes for v in c) for e in entries)


def test_the_internal_timeline_has_the_privileged_note_and_its_history_flagged(incident, notes):
    _plain, secret = notes

    found = note_entries(incident_timeline(incident, audience=Audience.INTERNAL), secret)

    assert {e.kind for e in found} == {"note", "change"}
    assert all(e.is_privileged for e in found)
    change = next(e for e in found if e.kind == "change")
    assert ("body", SECRET, SECRET_EDIT) in change.changes


@pytest.mark.parametrize("persona", ["officer", "lawyer", "viewer"])
def test_the_json_download_never_carries_a_privileged_note_whoever_downloads_it(
    client, request, incident, notes, persona
):
    body = exported(client, request.getfixturevalue(persona), incident)

    assert "Counsel" not in body
    assert PLAIN in body


@pytest.mark.parametrize("kind", list(ExportKind.values))
def test_no_share_link_export_carries_a_privileged_note(client, incident, notes, officer, now, kind):
    link = create_share_link(
        incident, export_kind=kind, recipient="AP", expires_at=now + timedelta(days=7), actor=officer, reason="AP asked"
    )
    response = client.get(reverse("access:share", args=[link.token]))

    assert response.status_code == 200
    assert b"Counsel" not in response.content
    if kind == ExportKind.TIMELINE_JSON:
        assert PLAIN in response.content.decode()


def test_marking_a_note_privileged_later_removes_it_and_its_earlier_history_from_the_export(
    client, lawyer, incident, officer
):
    note = note_services.add_note(incident, body="First draft of the advice", actor=officer, reason="draft")
    note_services.edit_note(note, body=SECRET, actor=officer, reason="advice came in")
    assert SECRET in exported(client, lawyer, incident)  # before the mark, the note and its edit are out there

    note_services.set_note_privilege(note, is_legally_privileged=True, actor=lawyer, reason="legal advice")

    body = exported(client, lawyer, incident)
    assert SECRET not in body and "First draft of the advice" not in body
    assert f'"model":"{NOTE_MODEL}","id":{note.pk}' not in body
    assert note_entries(incident_timeline(incident, audience=Audience.REGULATOR), note) == []


def test_removing_the_privilege_releases_the_note_and_its_history(client, lawyer, incident, notes):
    _plain, secret = notes
    note_services.set_note_privilege(secret, is_legally_privileged=False, actor=lawyer, reason="privilege waived")

    found = note_entries(incident_timeline(incident, audience=Audience.REGULATOR), secret)

    assert {e.kind for e in found} == {"note", "change"} and not any(e.is_privileged for e in found)
    assert SECRET_EDIT in exported(client, lawyer, incident)


def test_legal_sees_the_privileged_note_and_its_history_on_the_timeline_page_marked(client, lawyer, incident, notes):
    client.force_login(lawyer)

    page = client.get(reverse("evidence:timeline", args=[incident.pk])).content.decode()

    assert escape(SECRET_EDIT) in page and escape(SECRET) in page  # the note, and its edit (old → new)
    assert "Legally privileged: not exported, not shown to viewers" in page


def test_a_viewer_sees_neither_the_privileged_note_nor_its_history_on_the_timeline_page(
    client, viewer, incident, notes
):
    client.force_login(viewer)

    page = client.get(reverse("evidence:timeline", args=[incident.pk])).content.decode()

    assert "Counsel" not in page and "privileged" not in page.lower()
    assert PLAIN in page


def test_the_as_of_register_and_its_diff_show_no_notes(client, lawyer, incident, notes, now):
    client.force_login(lawyer)
    at = (now + timedelta(minutes=1)).isoformat()

    as_of = client.get(reverse("evidence:as_of", args=[incident.pk]), {"at": at})
    diff = client.get(
        reverse("evidence:as_of_diff", args=[incident.pk]), {"from": (now - timedelta(days=1)).isoformat(), "to": at}
    )

    assert as_of.status_code == diff.status_code == 200
    assert "Counsel" not in as_of.content.decode() + diff.content.decode()


def test_the_timeline_needs_an_explicit_audience(incident):
    with pytest.raises(TypeError):
        incident_timeline(incident)
    with pytest.raises(TypeError):
        incident_timeline(incident, audience="regulator")


def test_an_export_refuses_a_privileged_entry_rather_than_write_it(incident, notes):
    entries = incident_timeline(incident, audience=Audience.INTERNAL)

    with pytest.raises(PrivilegedEntryInExport):
        timeline.as_json(incident, entries, now=timezone.now())


def test_a_lawyer_reads_privileged_notes_until_deactivated(incident, lawyer, admin_actor):
    from organisations.services import deactivate_user

    assert Audience.for_reader(lawyer, incident.organisation) is Audience.INTERNAL
    deactivate_user(lawyer, actor=admin_actor, reason="left the firm")
    lawyer.refresh_from_db()
    assert Audience.for_reader(lawyer, incident.organisation) is Audience.INTERNAL_UNPRIVILEGED


def test_another_organisations_member_reads_no_privileged_note_of_the_lab(incident, outsider):
    assert Audience.for_reader(outsider, incident.organisation) is Audience.INTERNAL_UNPRIVILEGED


def test_note_instants_in_the_export_are_utc(client, lawyer, incident, notes, now):
    body = exported(client, lawyer, incident)

    assert (now - timedelta(hours=3)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") in body
    assert datetime.fromisoformat(body.split('"generated_at":"')[1][:20].replace("Z", "+00:00")).tzinfo is not None


@pytest.mark.parametrize("persona", ["officer", "lawyer"])
def test_the_pdf_and_csv_downloads_carry_the_plain_note_and_never_the_privileged_one(
    client, request, incident, notes, persona
):
    import io

    import pypdf

    client.force_login(request.getfixturevalue(persona))
    pdf = client.get(reverse("evidence:timeline_pdf", args=[incident.pk]))
    csv_text = client.get(reverse("evidence:timeline_csv", args=[incident.pk])).content.decode("utf-8-sig")
    # The PDF's streams are compressed: read its text back, as a regulator's viewer would.
    pdf_text = " ".join(
        " ".join(page.extract_text().split()) for page in pypdf.PdfReader(io.BytesIO(pdf.content)).pages
    )

    assert PLAIN.split(" about")[0] in pdf_text and PLAIN in csv_text
    assert "Counsel" not in pdf_text and "Counsel" not in csv_text
