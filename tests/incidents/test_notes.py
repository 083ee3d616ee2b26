"""Notes on an incident and their legal privilege: services, roles, bad input and the notes page."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from actions import incidents as services
from actions import notes as note_services
from incidents.models import IncidentNote
from tests.test_history_guard import database_state

ADVICE = "Counsel: the 72 hours run from the leak-site listing; do not speculate about payment."
CALL = "Call with the screening programme: they will write to the participants."


@pytest.fixture
def plain_note(incident, officer):
    return note_services.add_note(incident, body=CALL, actor=officer, reason="call notes")


@pytest.fixture
def privileged_note(incident, lawyer):
    return note_services.add_note(
        incident, body=ADVICE, is_legally_privileged=True, actor=lawyer, reason="advice on file"
    )


def notes_url(incident):
    return reverse("incidents:notes", args=[incident.pk])


def privilege_url(note):
    return reverse("incidents:note_privilege", args=[note.incident_id, note.pk])


def edit_url(note):
    return reverse("incidents:note_edit", args=[note.incident_id, note.pk])


# --- Services ---------------------------------------------------------------------------------------


def test_a_note_records_who_wrote_it_when_and_why_and_when_it_happened(incident, officer, now):
    happened = datetime(2025, 8, 19, 14, 30, tzinfo=UTC)
    note = note_services.add_note(
        incident, body=f"  {CALL}  ", occurred_at=happened, actor=officer, reason="call notes"
    )

    assert (note.body, note.occurred_at, note.recorded_by, note.recorded_at) == (CALL, happened, officer, now)
    assert note.occurred_tz == "Europe/Amsterdam"  # the actor's zone when none is given
    record = note.history.get()
    assert (record.history_user, record.history_change_reason, record.is_legally_privileged) == (
        officer,
        "call notes",
        False,
    )


def test_editing_a_note_keeps_the_earlier_text_in_its_history(plain_note, lawyer):
    note_services.edit_note(
        plain_note, body="Call with the programme: letters from next week.", actor=lawyer, reason="correction"
    )

    assert [r.body for r in plain_note.history.order_by("history_id")] == [
        CALL,
        "Call with the programme: letters from next week.",
    ]


@pytest.mark.parametrize("persona", ["officer", "lawyer"])
def test_officers_and_legal_may_mark_a_note_privileged_with_a_reason(request, plain_note, persona):
    actor = request.getfixturevalue(persona)

    note_services.set_note_privilege(
        plain_note, is_legally_privileged=True, actor=actor, reason="contains counsel's view"
    )

    latest = plain_note.history.latest()
    assert IncidentNote.objects.get(pk=plain_note.pk).is_legally_privileged
    assert (latest.history_user, latest.history_change_reason) == (actor, "contains counsel's view")


def test_only_legal_may_remove_the_privilege(privileged_note, officer, lawyer):
    before = database_state()
    with pytest.raises(PermissionDenied):
        note_services.set_note_privilege(privileged_note, is_legally_privileged=False, actor=officer, reason="share it")
    assert database_state() == before

    note_services.set_note_privilege(
        privileged_note, is_legally_privileged=False, actor=lawyer, reason="privilege waived"
    )
    assert not IncidentNote.objects.get(pk=privileged_note.pk).is_legally_privileged


def test_only_legal_may_edit_a_privileged_note(privileged_note, officer, lawyer):
    before = database_state()
    with pytest.raises(PermissionDenied):
        note_services.edit_note(privileged_note, body="rewritten", actor=officer, reason="tidy up")
    assert database_state() == before

    note_services.edit_note(privileged_note, body=ADVICE + " Confirmed by e-mail.", actor=lawyer, reason="confirmation")
    assert IncidentNote.objects.get(pk=privileged_note.pk).body.endswith("Confirmed by e-mail.")


@pytest.mark.parametrize(
    "write",
    [
        lambda incident, note, actor: note_services.add_note(incident, body="x", actor=actor, reason="r"),
        lambda incident, note, actor: note_services.edit_note(note, body="x", actor=actor, reason="r"),
        lambda incident, note, actor: note_services.set_note_privilege(
            note, is_legally_privileged=True, actor=actor, reason="r"
        ),
    ],
    ids=["add", "edit", "mark"],
)
@pytest.mark.parametrize("persona", ["viewer", "outsider"])
def test_viewers_and_outsiders_may_not_write_notes(request, incident, plain_note, write, persona):
    actor = request.getfixturevalue(persona)
    before = database_state()

    with pytest.raises(PermissionDenied):
        write(incident, plain_note, actor)

    assert database_state() == before


@pytest.mark.parametrize(
    ("call", "field", "code"),
    [
        (lambda i, n, a: note_services.add_note(i, body="   ", actor=a, reason="r"), "body", "required"),
        (lambda i, n, a: note_services.add_note(i, body="x" * 20_001, actor=a, reason="r"), "body", "max_length"),
        (lambda i, n, a: note_services.add_note(i, body="x", actor=a, reason=" "), "reason", "required"),
        (
            lambda i, n, a: note_services.add_note(
                i, body="x", occurred_at=datetime(2030, 1, 1, tzinfo=UTC), actor=a, reason="r"
            ),
            "occurred_at",
            "future",
        ),
        (
            lambda i, n, a: note_services.add_note(i, body="x", recorded_by=a, actor=a, reason="r"),
            "recorded_by",
            "not_editable",
        ),
        (
            lambda i, n, a: note_services.edit_note(n, is_legally_privileged=True, actor=a, reason="r"),
            "is_legally_privileged",
            "not_editable",
        ),
        (
            lambda i, n, a: note_services.set_note_privilege(n, is_legally_privileged=True, actor=a, reason=""),
            "reason",
            "required",
        ),
        (
            lambda i, n, a: note_services.set_note_privilege(n, is_legally_privileged=False, actor=a, reason="r"),
            "is_legally_privileged",
            "unchanged",
        ),
    ],
    ids=[
        "empty",
        "too-long",
        "no-reason",
        "future",
        "recorder",
        "privilege-by-edit",
        "mark-without-reason",
        "unmark-unmarked",
    ],
)
def test_bad_input_is_refused_with_its_field_and_code_and_writes_nothing(
    incident, plain_note, lawyer, call, field, code
):
    before = database_state()

    with pytest.raises(ValidationError) as caught:
        call(incident, plain_note, lawyer)

    assert [e.code for e in caught.value.error_dict[field]] == [code]
    assert database_state() == before


def test_an_edit_that_changes_nothing_is_refused(plain_note, officer):
    with pytest.raises(ValidationError) as caught:
        note_services.edit_note(plain_note, body=CALL, actor=officer, reason="no change")
    assert caught.value.code == "no_change"
    assert plain_note.history.count() == 1


# --- The notes page ---------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["officer", "lawyer"])
def test_officers_and_legal_see_privileged_notes_clearly_marked(
    client, request, incident, plain_note, privileged_note, persona
):
    client.force_login(request.getfixturevalue(persona))

    page = client.get(notes_url(incident)).content.decode()

    assert CALL in page and ADVICE.split(":")[1].strip()[:30] in page
    assert "Legally privileged: not exported, not shown to viewers" in page


def test_a_viewer_sees_plain_notes_but_neither_privileged_notes_nor_the_forms(
    client, viewer, incident, plain_note, privileged_note
):
    client.force_login(viewer)

    page = client.get(notes_url(incident)).content.decode()

    assert CALL in page
    assert "72 hours run from the leak-site" not in page and "privileged" not in page.lower()
    assert "Add a note" not in page


def test_a_privileged_note_does_not_exist_for_a_viewer(client, viewer, privileged_note, plain_note):
    client.force_login(viewer)

    assert client.get(edit_url(privileged_note)).status_code == 404
    assert client.post(privilege_url(privileged_note), {"is_legally_privileged": "0", "reason": "r"}).status_code == 404
    assert client.get(edit_url(plain_note)).status_code == 200  # the control: a plain note exists for them


def test_a_viewers_post_is_refused_with_403_and_writes_nothing(client, viewer, incident, plain_note):
    client.force_login(viewer)
    before = database_state()

    assert client.post(notes_url(incident), {"body": "x", "reason": "r"}).status_code == 403
    assert client.post(privilege_url(plain_note), {"is_legally_privileged": "1", "reason": "r"}).status_code == 403
    assert database_state() == before


@pytest.mark.parametrize("name", ["notes", "edit", "privilege"])
def test_another_organisations_incident_or_note_is_a_404(client, outsider, incident, privileged_note, plain_note, name):
    client.force_login(outsider)
    before = database_state()

    for note in (plain_note, privileged_note):
        url = {"notes": notes_url(incident), "edit": edit_url(note), "privilege": privilege_url(note)}[name]
        assert (
            client.get(url).status_code in (404, 405)
            and client.post(url, {"body": "x", "reason": "r"}).status_code == 404
        )
    assert database_state() == before


def test_a_note_of_another_incident_is_a_404_under_this_one(client, officer, lab, plain_note, now):
    other = services.create_incident(organisation=lab, title="Lost laptop", actor=officer, reason="report")
    client.force_login(officer)

    assert client.get(reverse("incidents:note_edit", args=[other.pk, plain_note.pk])).status_code == 404


def test_an_officer_adds_a_note_through_the_page_with_a_local_time(client, officer, incident, now):
    client.force_login(officer)

    response = client.post(
        notes_url(incident),
        {
            "body": CALL,
            "occurred_at_0": "2025-08-19T16:30",
            "occurred_at_1": "Europe/Amsterdam",
            "occurred_at_2": "",
            "reason": "call notes",
        },
    )

    assert response.status_code == 302
    note = IncidentNote.objects.get()
    assert (note.body, note.occurred_at, note.occurred_tz) == (
        CALL,
        datetime(2025, 8, 19, 14, 30, tzinfo=UTC),
        "Europe/Amsterdam",
    )
    assert not note.is_legally_privileged


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"body": "", "reason": "r"}, "This field is required."),
        ({"body": CALL, "reason": ""}, "This field is required."),
        (
            {"body": CALL, "reason": "r", "occurred_at_0": "2026-03-29T02:30", "occurred_at_1": "Europe/Amsterdam"},
            "2026-03-29 02:30 does not exist in Europe/Amsterdam",
        ),
        (
            {"body": CALL, "reason": "r", "occurred_at_0": "2030-01-01T10:00", "occurred_at_1": "UTC"},
            "This instant lies in the future.",
        ),
        ({"body": "x" * 20_001, "reason": "r"}, "at most 20000 characters"),
    ],
    ids=["no-body", "no-reason", "dst-gap", "future", "too-long"],
)
def test_bad_input_on_the_page_is_a_400_with_a_precise_message_and_writes_nothing(
    client, lawyer, incident, data, message
):
    client.force_login(lawyer)
    before = database_state()

    response = client.post(notes_url(incident), data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert database_state() == before


def test_legal_marks_and_unmarks_through_the_page_and_a_missing_reason_is_a_400(client, lawyer, plain_note):
    client.force_login(lawyer)

    refused = client.post(privilege_url(plain_note), {"is_legally_privileged": "1", "reason": ""})
    assert refused.status_code == 400 and "This field is required." in refused.content.decode()
    assert not IncidentNote.objects.get(pk=plain_note.pk).is_legally_privileged

    assert (
        client.post(privilege_url(plain_note), {"is_legally_privileged": "1", "reason": "counsel"}).status_code == 302
    )
    assert IncidentNote.objects.get(pk=plain_note.pk).is_legally_privileged
    again = client.post(privilege_url(plain_note), {"is_legally_privileged": "1", "reason": "counsel"})
    assert again.status_code == 400 and "already marked legally privileged" in again.content.decode()
    assert client.post(privilege_url(plain_note), {"is_legally_privileged": "0", "reason": "waived"}).status_code == 302
    assert not IncidentNote.objects.get(pk=plain_note.pk).is_legally_privileged


def test_an_officer_may_not_unmark_through_the_page(client, officer, privileged_note):
    client.force_login(officer)

    assert (
        client.post(privilege_url(privileged_note), {"is_legally_privileged": "0", "reason": "share"}).status_code
        == 403
    )
    assert IncidentNote.objects.get(pk=privileged_note.pk).is_legally_privileged


def test_the_register_page_links_the_notes(client, viewer, incident):
    client.force_login(viewer)

    assert notes_url(incident) in client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
