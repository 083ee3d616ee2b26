"""Correcting and removing the parties and authorities of one incident.

Adding them is ``actions.incidents.add_party``/``add_authority``; these functions set right what
was added wrongly. Each takes ``actor`` and ``reason`` (keyword-only), checks the role on the
server, refuses on a closed incident and writes in one transaction with history: a removal
leaves a "-" record naming who removed the row and why.

What was already sent to an authority never loses its subject: a party that filed or decided
not to notify keeps its controller role and stays; an authority that received a filing stays.
Any other record that still points at a party (an awareness, an estimate, a processing link)
is named in the refusal, so the person knows what to correct first.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.text import get_text_list
from django.utils.translation import gettext as _

from actions.incidents import lock_open_incident, recompute_deadlines_now, refuse_second_lead
from breachtrack.errors import field_error
from breachtrack.history import delete_attributed
from filings.models import AuthorityFiling, NotificationDecisionRecord
from incidents.choices import CONTROLLER_ROLES, AuthorityRole, PartyRole
from incidents.models import IncidentAuthority, IncidentParty, ProcessingRelationship
from organisations.models import User
from organisations.services import authorise, require_reason, save_with_history


def _sent_for(party: IncidentParty) -> tuple[int, int]:
    """How many filings and decisions not to notify this party made as controller."""
    return (
        AuthorityFiling.objects.filter(controller=party).count(),
        NotificationDecisionRecord.objects.filter(controller=party).count(),
    )


def _refuse_if_sent(party: IncidentParty, *, removing: bool) -> None:
    filings, decisions = _sent_for(party)
    if not (filings or decisions):
        return
    params = {"party": party.party, "filings": filings, "decisions": decisions}
    if removing:
        message = _(
            "%(party)s cannot be removed: as controller it already has %(filings)d filing(s) to an authority "
            "and %(decisions)d decision(s) not to notify, which must keep naming it."
        )
    else:
        message = _(
            "%(party)s must stay a controller: it already has %(filings)d filing(s) to an authority "
            "and %(decisions)d decision(s) not to notify as controller, which must keep naming it."
        )
    raise ValidationError(message % params, code="already_filed")


@transaction.atomic
def correct_party(
    party: IncidentParty, *, actor: User, reason: str, role: str | None = None, notes: str | None = None
) -> IncidentParty:
    """Correct a party's role in this incident or its notes; the old values stay in its history.

    Steps: check the role and lock the open incident; refuse taking the controller role from a
    party that filed or decided as controller; check every processing link still holds with
    the new role; save; recompute the deadlines (a controller's clock depends on the role).
    """
    incident = party.incident
    authorise(actor, incident.organisation)
    require_reason(reason)
    lock_open_incident(incident)
    locked = IncidentParty.objects.select_for_update().get(pk=party.pk)
    fields = []
    if role is not None and role != locked.role:
        if role not in PartyRole.values:
            raise field_error("role", _("Unknown role."), "invalid_choice")
        if locked.role in CONTROLLER_ROLES and role not in CONTROLLER_ROLES:
            _refuse_if_sent(locked, removing=False)
        locked.role = role
        fields.append("role")
        links = ProcessingRelationship.objects.filter(incident=incident).filter(
            pk__in=[*locked.serves.values_list("pk", flat=True), *locked.served_by.values_list("pk", flat=True)]
        )
        for link in links.select_related("processor__party", "controller__party"):
            for side in ("processor", "controller"):
                if getattr(link, f"{side}_id") == locked.pk:
                    setattr(link, side, locked)
            try:
                link.clean()
            except ValidationError:
                raise field_error(
                    "role",
                    _("This role does not fit the processing link %(link)s: remove or correct the link first.")
                    % {"link": link},
                    "relationship",
                ) from None
    if notes is not None and notes != locked.notes:
        locked.notes = notes
        fields.append("notes")
    if not fields:
        raise ValidationError(_("Nothing was changed: there is nothing to record."), code="unchanged")
    save_with_history(locked, actor=actor, reason=reason, update_fields=fields)
    recompute_deadlines_now(incident)
    return locked


def _protected_names(error: ProtectedError) -> str:
    counts: dict[str, int] = {}
    for obj in error.protected_objects:
        name = str(obj._meta.verbose_name_plural)
        counts[name] = counts.get(name, 0) + 1
    return get_text_list([f"{name} ({count})" for name, count in sorted(counts.items())], _("and"))


@transaction.atomic
def remove_party(party: IncidentParty, *, actor: User, reason: str) -> None:
    """Remove a party added by mistake; its history keeps the row and who removed it, and why.

    Refused, with what holds it named, while a filing, a decision not to notify or any other
    record of this incident still points at the party.
    """
    incident = party.incident
    authorise(actor, incident.organisation)
    require_reason(reason)
    lock_open_incident(incident)
    locked = IncidentParty.objects.select_for_update().select_related("party").get(pk=party.pk)
    _refuse_if_sent(locked, removing=True)
    try:
        with transaction.atomic():
            delete_attributed(locked, actor=actor, reason=reason)
    except ProtectedError as error:
        raise ValidationError(
            _("%(party)s cannot be removed: %(records)s of this incident still refer to it. Correct those first.")
            % {"party": locked.party, "records": _protected_names(error)},
            code="protected",
        ) from None
    recompute_deadlines_now(incident)


@transaction.atomic
def correct_authority(authority: IncidentAuthority, *, role: str, actor: User, reason: str) -> IncidentAuthority:
    """Correct an authority's role (lead or concerned); one lead per incident is checked."""
    incident = authority.incident
    authorise(actor, incident.organisation)
    require_reason(reason)
    lock_open_incident(incident)
    locked = IncidentAuthority.objects.select_for_update().get(pk=authority.pk)
    if role == locked.role:
        raise ValidationError(_("Nothing was changed: there is nothing to record."), code="unchanged")
    if role == AuthorityRole.LEAD:
        refuse_second_lead(incident, other_than=locked)
    locked.role = role
    return save_with_history(locked, actor=actor, reason=reason, update_fields=["role"])


@transaction.atomic
def remove_authority(authority: IncidentAuthority, *, actor: User, reason: str) -> None:
    """Remove an authority added by mistake; refused once this incident was filed with it."""
    incident = authority.incident
    authorise(actor, incident.organisation)
    require_reason(reason)
    lock_open_incident(incident)
    locked = IncidentAuthority.objects.select_for_update().select_related("authority").get(pk=authority.pk)
    filings = AuthorityFiling.objects.filter(incident=incident, authority=locked.authority).count()
    if filings:
        raise ValidationError(
            _(
                "%(authority)s cannot be removed: %(count)d filing(s) of this incident were made to it, "
                "and they must keep naming it."
            )
            % {"authority": locked.authority, "count": filings},
            code="already_filed",
        )
    delete_attributed(locked, actor=actor, reason=reason)


@transaction.atomic
def remove_processing_link(relationship: ProcessingRelationship, *, actor: User, reason: str) -> None:
    """Remove a processing link recorded by mistake (so a wrongly added party can go too).

    Refused while a processor's notice to the controller is recorded on it: that notice started
    the controller's clock, and the link is what it was sent along.
    """
    incident = relationship.incident
    authorise(actor, incident.organisation)
    require_reason(reason)
    lock_open_incident(incident)
    locked = ProcessingRelationship.objects.select_for_update().get(pk=relationship.pk)
    link = str(locked)
    try:
        with transaction.atomic():
            delete_attributed(locked, actor=actor, reason=reason)
    except ProtectedError as error:
        raise ValidationError(
            _("%(link)s cannot be removed: %(records)s of this incident still refer to it. Correct those first.")
            % {"link": link, "records": _protected_names(error)},
            code="protected",
        ) from None
    recompute_deadlines_now(incident)
