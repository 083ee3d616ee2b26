"""Every change to organisations, people and directories goes through here.

Each function takes the acting user and a reason as keyword-only arguments,
runs in one transaction and leaves one historical record per row it changes.
"""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from breachtrack.errors import field_error, field_errors
from breachtrack.history import save_attributed
from organisations.models import Authority, Membership, Organisation, Party, Role, User

EDIT_ROLES = frozenset({Role.PRIVACY_OFFICER})
READ_ROLES = frozenset({Role.PRIVACY_OFFICER, Role.LEGAL, Role.VIEWER})


def require_reason(reason: str | None) -> str:
    if not reason or not reason.strip():
        raise field_error("reason", _("Give a reason for this change: it is kept as evidence."), "required")
    return reason.strip()


def authorise(actor, organisation, roles=EDIT_ROLES) -> None:
    """Refuse unless ``actor`` holds one of ``roles`` in ``organisation``.

    System actors (tasks, commands) and superusers may act everywhere; every
    other check is on the server, whatever the interface allowed.
    """
    if actor is None:
        raise PermissionDenied(_("No actor."))
    if getattr(actor, "is_system_actor", False) or actor.is_superuser:
        return
    allowed = Membership.objects.filter(
        user=actor, organisation=organisation, role__in=list(roles), is_active=True, user__is_active=True
    ).exists()
    if not allowed:
        raise PermissionDenied(_("Your role does not allow this change."))


def save_with_history(obj, *, actor, reason: str, update_fields=None, validate: bool = True):
    """Validate, then save ``obj`` with its historical record attributed to ``actor``."""
    reason = require_reason(reason)
    if validate:
        obj.full_clean()
    save_attributed(obj, actor=actor, reason=reason, update_fields=update_fields)
    return obj


@transaction.atomic
def create_organisation(*, name: str, country: str, actor, reason: str, **fields) -> Organisation:
    """Create a tenant and its own entry in its party directory."""
    _require_administrator(actor)
    organisation = save_with_history(Organisation(name=name, country=country, **fields), actor=actor, reason=reason)
    save_with_history(
        Party(
            owner=organisation,
            name=name,
            country=country,
            registration_number=organisation.registration_number,
            contact_name=organisation.dpo_name,
            contact_email=organisation.dpo_email,
            contact_phone=organisation.dpo_phone,
            is_self=True,
        ),
        actor=actor,
        reason=reason,
    )
    return organisation


USER_FIELDS = frozenset({"first_name", "last_name", "time_zone"})


def _require_administrator(actor) -> None:
    if actor is None or not (actor.is_superuser or getattr(actor, "is_system_actor", False)):
        raise PermissionDenied(_("Only an administrator can manage users and organisations."))


@transaction.atomic
def create_user(*, username: str, email: str, password: str | None, actor, reason: str, **fields) -> User:
    """Create a person's account. Privileges (superuser, system actor) are never set here."""
    _require_administrator(actor)
    unknown = set(fields) - USER_FIELDS
    if unknown:
        raise field_errors(sorted(unknown), _("This field cannot be set here."), "not_editable")
    user = User(username=username, email=email, **fields)
    if password:
        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    return save_with_history(user, actor=actor, reason=reason)


@transaction.atomic
def set_user_password(user: User, password: str, *, actor, reason: str) -> User:
    """Set a password (validated). The hash is not history; the change and its reason are."""
    if actor is None or (actor.pk != user.pk and not (actor.is_superuser or getattr(actor, "is_system_actor", False))):
        raise PermissionDenied(_("Only the user or an administrator can set this password."))
    validate_password(password, user)
    user.set_password(password)
    # Saved without update_fields so the change leaves a dated, attributed record.
    return save_with_history(user, actor=actor, reason=reason, validate=False)


@transaction.atomic
def add_member(organisation: Organisation, user: User, *, role: str, actor, reason: str) -> Membership:
    _require_administrator(actor)
    membership = Membership.objects.filter(organisation=organisation, user=user).first()
    if membership is None:
        membership = Membership(organisation=organisation, user=user)
    membership.role = role
    membership.is_active = True
    return save_with_history(membership, actor=actor, reason=reason)


@transaction.atomic
def deactivate_user(user: User, *, actor, reason: str) -> User:
    """Users are deactivated, never deleted: their past changes stay attributable."""
    _require_administrator(actor)
    user.is_active = False
    return save_with_history(user, actor=actor, reason=reason, update_fields=["is_active"])


@transaction.atomic
def create_party(organisation: Organisation, *, name: str, actor, reason: str, **fields) -> Party:
    authorise(actor, organisation)
    return save_with_history(Party(owner=organisation, name=name, **fields), actor=actor, reason=reason)


@transaction.atomic
def update_party(party: Party, *, actor, reason: str, **changes) -> Party:
    authorise(actor, party.owner)
    forbidden = set(changes) & {"owner", "owner_id", "is_self"}
    if forbidden:
        raise field_errors(sorted(forbidden), _("This field cannot be changed."), "not_editable")
    for name, value in changes.items():
        setattr(party, name, value)
    return save_with_history(party, actor=actor, reason=reason, update_fields=list(changes) or None)


ORGANISATION_FIELDS = frozenset(
    {"name", "country", "registration_number", "address", "sector", "dpo_name", "dpo_email", "dpo_phone", "requires_two_factor"}
)
MEMBERSHIP_FIELDS = frozenset({"role", "is_active"})
AUTHORITY_FIELDS = frozenset({"code", "name", "country", "notification_url"})
# A person may keep their own profile; privileges are never set through here.
OWN_PROFILE_FIELDS = frozenset({"first_name", "last_name", "email", "time_zone"})
ACCOUNT_FIELDS = OWN_PROFILE_FIELDS | {"username", "is_active"}


def _update(obj, changes: dict, allowed, *, actor, reason: str):
    unknown = set(changes) - set(allowed)
    if unknown:
        raise field_errors(sorted(unknown), _("This field cannot be changed here."), "not_editable")
    for name, value in changes.items():
        setattr(obj, name, value)
    update_fields = (list(changes) or None) if obj.pk else None
    return save_with_history(obj, actor=actor, reason=reason, update_fields=update_fields)


@transaction.atomic
def update_organisation(organisation: Organisation, *, actor, reason: str, **changes) -> Organisation:
    _require_administrator(actor)
    return _update(organisation, changes, ORGANISATION_FIELDS, actor=actor, reason=reason)


@transaction.atomic
def update_membership(membership: Membership, *, actor, reason: str, **changes) -> Membership:
    """Change a role, or end (is_active=False) or restore a membership; never delete it."""
    _require_administrator(actor)
    return _update(membership, changes, MEMBERSHIP_FIELDS, actor=actor, reason=reason)


@transaction.atomic
def update_user(user: User, *, actor, reason: str, **changes) -> User:
    """Administrators change accounts; a person may change their own profile fields."""
    if actor is not None and actor.pk == user.pk and set(changes) <= OWN_PROFILE_FIELDS:
        return _update(user, changes, OWN_PROFILE_FIELDS, actor=actor, reason=reason)
    _require_administrator(actor)
    return _update(user, changes, ACCOUNT_FIELDS, actor=actor, reason=reason)


@transaction.atomic
def save_authority(authority: Authority | None, *, actor, reason: str, **fields) -> Authority:
    """Create or correct a supervisory authority (shared reference data)."""
    _require_administrator(actor)
    return _update(authority or Authority(), fields, AUTHORITY_FIELDS, actor=actor, reason=reason)
