"""The notes page of an incident: read, add, edit, mark or unmark legal privilege.

Scoped like every register page: another organisation's incident or note is a 404, and so is a
privileged note for someone who may not read it (its existence is not confirmed). Roles are
checked by ``actions.notes`` on the server; a refusal is a 403. Bad input re-renders
the form with a precise message and status 400, and writes nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from access.choices import AccessAction
from access.log import log_view
from actions import notes as note_services
from incidents.models import Incident, IncidentNote
from organisations.tenancy import organisation_ids
from readers import notes as note_reads
from web.forms import NoteForm, NotePrivilegeForm


def _incident(request, pk: int) -> Incident:
    return get_object_or_404(Incident.objects.visible_to(request.user).select_related("organisation"), pk=pk)


def _note(request, incident: Incident, note_pk: int, *, may_read_privileged: bool) -> IncidentNote:
    note = get_object_or_404(
        IncidentNote.objects.visible_to(request.user).select_related("incident__organisation"),
        incident=incident,
        pk=note_pk,
    )
    if note.is_legally_privileged and not may_read_privileged:
        raise Http404("no such note")
    return note


def _may(request, incident: Incident, roles) -> bool:
    """For showing forms only: the services check again on the server."""
    return request.user.is_superuser or incident.organisation_id in {
        row["organisation_id"] for row in organisation_ids(request.user, roles)
    }


def _add_errors(form, error: ValidationError) -> None:
    """A service's validation error onto the form: on its field when the form has it."""
    for field, messages_ in getattr(error, "message_dict", {"__all__": error.messages}).items():
        form.add_error(field if field in form.fields else None, messages_)


def _page(request, incident, *, form=None, status=200):
    may_read_privileged = note_services.may_read_privileged(request.user, incident.organisation)
    may_write = _may(request, incident, note_services.NOTE_WRITE_ROLES)
    context = {
        "incident": incident,
        "notes": note_reads.notes_for(incident, may_read_privileged=may_read_privileged),
        "form": form if form is not None else (NoteForm(user=request.user) if may_write else None),
        "may_write": may_write,
        "may_own_privilege": _may(request, incident, note_services.PRIVILEGE_OWNER_ROLES),
        "may_read_privileged": may_read_privileged,
    }
    return render(request, "incidents/notes.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def incident_notes(request, pk: int):
    """GET: the notes this person may read, and the form to add one. POST: add a note."""
    incident = _incident(request, pk)
    if request.method == "GET":
        log_view(request, incident, AccessAction.INCIDENT_VIEW, detail="notes")
        return _page(request, incident)
    form = NoteForm(request.POST, user=request.user)
    if not form.is_valid():
        return _page(request, incident, form=form, status=400)
    try:
        note_services.add_note(
            incident, **form.service_fields(), actor=request.user, reason=form.cleaned_data["reason"]
        )
    except ValidationError as error:
        _add_errors(form, error)
        return _page(request, incident, form=form, status=400)
    messages.success(request, _("Note added."))
    return redirect("incidents:notes", pk=incident.pk)


@require_http_methods(["GET", "POST"])
@login_required
def edit_note(request, pk: int, note_pk: int):
    incident = _incident(request, pk)
    may_read_privileged = note_services.may_read_privileged(request.user, incident.organisation)
    note = _note(request, incident, note_pk, may_read_privileged=may_read_privileged)
    if request.method == "GET":
        initial = {"body": note.body, "occurred_at": (note.occurred_at, note.occurred_tz) if note.occurred_at else None}
        form = NoteForm(initial=initial, user=request.user, with_privilege=False)
        return render(request, "incidents/note_edit.html", {"incident": incident, "note": note, "form": form})
    form = NoteForm(request.POST, user=request.user, with_privilege=False)
    status = 400
    if form.is_valid():
        try:
            note_services.edit_note(
                note, **form.service_fields(), actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Note changed; the earlier text stays in its history."))
            return redirect("incidents:notes", pk=incident.pk)
    return render(
        request, "incidents/note_edit.html", {"incident": incident, "note": note, "form": form}, status=status
    )


@require_POST
@login_required
def note_privilege(request, pk: int, note_pk: int):
    """Mark or unmark legal privilege (the form posts the wanted state and a reason)."""
    incident = _incident(request, pk)
    may_read_privileged = note_services.may_read_privileged(request.user, incident.organisation)
    note = _note(request, incident, note_pk, may_read_privileged=may_read_privileged)
    form = NotePrivilegeForm(request.POST)
    if form.is_valid():
        try:
            note_services.set_note_privilege(
                note,
                is_legally_privileged=form.cleaned_data["is_legally_privileged"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Legal privilege of the note changed."))
            return redirect("incidents:notes", pk=incident.pk)
    errors = [
        f"{form.fields[f].label if f in form.fields else ''}: {m}".lstrip(": ")
        for f, ms in form.errors.items()
        for m in ms
    ]
    return render(request, "incidents/note_refused.html", {"incident": incident, "errors": errors}, status=400)
