"""Notes on an incident and their legal privilege: who may do what, and the writes.

Same contract as ``actions.incidents``: keyword-only ``actor`` and ``reason``, the role checked
on the server, the row validated before anything is written, one transaction, the incident row
locked so concurrent writers serialise. Notes may be added to a closed incident: they annotate
the register, they do not change it (legal keeps writing while an authority investigates).

Who may do what (roles of the incident's organisation):

============================================  ================  =====  ======
                                              privacy officer   legal  viewer
============================================  ================  =====  ======
read notes that are not privileged            yes               yes    yes
read privileged notes (and their history)     yes               yes    no
add a note (privileged or not)                yes               yes    no
edit a note that is not privileged            yes               yes    no
mark a note privileged                        yes               yes    no
edit a privileged note, remove the privilege  no                yes    no
============================================  ================  =====  ======

Marking errs on the side of protection, so whoever writes may mark; removing the privilege makes
the note and its whole history exportable to a regulator (a waiver), so it is legal's decision
alone, as is changing what privileged advice says. A person who may not read privileged notes
is told a privileged note does not exist (a 404 in the views), as for another organisation's.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TypedDict, Unpack

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from actions.changes import actor_zone
from breachtrack.errors import field_error, field_errors
from incidents.models import Incident, IncidentNote
from organisations.models import Role, User
from organisations.services import authorise, save_with_history
from readers.notes import may_read_privileged

NOTE_WRITE_ROLES = frozenset({Role.PRIVACY_OFFICER, Role.LEGAL})
PRIVILEGE_MARK_ROLES = frozenset({Role.PRIVACY_OFFICER, Role.LEGAL})
PRIVILEGE_OWNER_ROLES = frozenset({Role.LEGAL})  # edit privileged notes, remove the privilege


class NoteTime(TypedDict, total=False):
    """When what a note describes happened, if known (``add_note`` takes the body by name)."""

    occurred_at: datetime | None
    occurred_tz: str


class NoteChanges(NoteTime, total=False):
    """What ``edit_note`` changes."""

    body: str


NOTE_FIELDS = frozenset(NoteChanges.__annotations__)


# --- Reading ---------------------------------------------------------------------------------------


# --- Writing ---------------------------------------------------------------------------------------


def _set_fields(note: IncidentNote, changes: Mapping[str, object], actor: User) -> list[str]:
    unknown = set(changes) - NOTE_FIELDS
    if unknown:
        raise field_errors(sorted(unknown), _("This field cannot be changed here."), "not_editable")
    for name, value in changes.items():
        setattr(note, name, value)
    fields = list(changes)
    if "occurred_at" in changes and "occurred_tz" not in changes:
        note.occurred_tz = actor_zone(actor) if changes["occurred_at"] is not None else ""
        fields.append("occurred_tz")
    return fields


def _lock(incident: Incident) -> Incident:
    return Incident.objects.select_for_update().get(pk=incident.pk)


def _locked_note(note: IncidentNote) -> IncidentNote:
    return IncidentNote.objects.select_for_update().select_related("incident__organisation").get(pk=note.pk)


@transaction.atomic
def add_note(
    incident: Incident,
    *,
    body: str,
    actor: User,
    reason: str,
    is_legally_privileged: bool = False,
    **fields: Unpack[NoteTime],
) -> IncidentNote:
    """Add a note (``occurred_at``/``occurred_tz`` optional); it may be privileged from the start."""
    authorise(actor, incident.organisation, NOTE_WRITE_ROLES)
    if is_legally_privileged:
        authorise(actor, incident.organisation, PRIVILEGE_MARK_ROLES)
    incident = _lock(incident)
    note = IncidentNote(
        incident=incident, body=body, is_legally_privileged=bool(is_legally_privileged), recorded_by=actor
    )
    _set_fields(note, fields, actor)
    return save_with_history(note, actor=actor, reason=reason)


@transaction.atomic
def edit_note(note: IncidentNote, *, actor: User, reason: str, **changes: Unpack[NoteChanges]) -> IncidentNote:
    """Change a note's text or event time; the earlier text stays in its history.

    A privileged note is edited by legal only (checked on the locked row, not a stale copy).
    """
    authorise(actor, note.incident.organisation, NOTE_WRITE_ROLES)
    _lock(note.incident)
    note = _locked_note(note)
    if note.is_legally_privileged:
        authorise(actor, note.incident.organisation, PRIVILEGE_OWNER_ROLES)
    before = {name: getattr(note, name) for name in NOTE_FIELDS}
    fields = _set_fields(note, changes, actor)
    if all(getattr(note, name) == before[name] for name in NOTE_FIELDS):
        raise ValidationError(_("Nothing was changed."), code="no_change")
    return save_with_history(note, actor=actor, reason=reason, update_fields=fields)


@transaction.atomic
def set_note_privilege(note: IncidentNote, *, is_legally_privileged: bool, actor: User, reason: str) -> IncidentNote:
    """Mark a note legally privileged, or remove the mark (legal only). The reason is required
    (as for every change) and kept with the history record: it is the record of the decision.

    Marking hides the note and every earlier history record of it from every export at once
    (the exports filter on the note's current mark). Removing it releases the whole history.
    """
    authorise(
        actor, note.incident.organisation, PRIVILEGE_MARK_ROLES if is_legally_privileged else PRIVILEGE_OWNER_ROLES
    )
    _lock(note.incident)
    note = _locked_note(note)
    if note.is_legally_privileged == bool(is_legally_privileged):
        message = (
            _("This note is already marked legally privileged.")
            if is_legally_privileged
            else _("This note is not marked legally privileged.")
        )
        raise field_error("is_legally_privileged", message, "unchanged")
    note.is_legally_privileged = bool(is_legally_privileged)
    return save_with_history(note, actor=actor, reason=reason, update_fields=["is_legally_privileged"])


def check_may_read(note: IncidentNote, user: User) -> None:
    """Refuse a privileged note to someone who may not read it (the views turn this into a 404)."""
    if note.is_legally_privileged and not may_read_privileged(user, note.incident.organisation):
        raise PermissionDenied(_("This note is legally privileged."))
