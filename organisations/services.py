"""Every change to organisations, people and directories goes through here.

Each function takes the acting user and a reason as keyword-only arguments,
runs in one transaction and leaves one historical record per row it changes.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any, TypedDict, TypeVar, Unpack

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils.translation import gettext as _

from breachtrack import limits
from breachtrack.errors import field_error, field_errors
from breachtrack.history import save_attributed
from organisations.models import Authority, Membership, Organisation, Party, Role, User

EDIT_ROLES = frozenset({Role.PRIVACY_OFFICER})
READ_ROLES = frozenset({Role.PRIVACY_OFFICER, Role.LEGAL, Role.VIEWER})

M = TypeVar("M", bound=models.Model)


def require_reason(reason: str | None) -> str:
    if not reason or not reason.strip():
        raise field_error("reason", _("Give a reason for this change: it is kept as evidence."), "required")
    reason = reason.strip()
    if len(reason) > limits.REASON:
        message = _("Keep the reason to at most %(limit)d characters (it has %(length)d).") % {
            "limit": limits.REASON,
            "length": len(reason),
        }
        raise field_error("reason", message, "max_length")
    return reason


def authorise(actor: User | None, organisation: Organisation, roles: Collection[str] = EDIT_ROLES) -> None:
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


def save_with_history(
    obj: M, *, actor: User, reason: str, update_fields: Iterable[str] | None = None, validate: bool = True
) -> M:
    """Validate, then save ``obj`` with its historical record attributed to ``actor``."""
    reason = require_reason(reason)
    if validate:
        obj.full_clean()
    save_attributed(obj, actor=actor, reason=reason, update_fields=update_fields)
    return obj


class OrganisationFacts(TypedDict, total=False):
    """What ``create_organisation`` sets besides the name and country (which it takes by name)."""

    registration_number: str
    address: str
    sector: str
    ownership: str
    size: str
    dpo_name: str
    dpo_email: str
    dpo_phone: str
    requires_two_factor: bool


class OrganisationChanges(OrganisationFacts, total=False):
    """What ``update_organisation`` changes."""

    name: str
    country: str


@transaction.atomic
def create_organisation(
    *, name: str, country: str, actor: User, reason: str, **fields: Unpack[OrganisationFacts]
) -> Organisation:
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


class UserFacts(TypedDict, total=False):
    """What ``create_user`` sets besides the username, e-mail and password; never a privilege."""

    first_name: str
    last_name: str
    time_zone: str


USER_FIELDS = frozenset(UserFacts.__annotations__)


def _require_administrator(actor: User | None) -> None:
    if actor is None or not (actor.is_superuser or getattr(actor, "is_system_actor", False)):
        raise PermissionDenied(_("Only an administrator can manage users and organisations."))


@transaction.atomic
def create_user(
    *, username: str, email: str, password: str | None, actor: User, reason: str, **fields: Unpack[UserFacts]
) -> User:
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
def set_user_password(user: User, password: str, *, actor: User, reason: str) -> User:
    """Set a password (validated). The hash is not history; the change and its reason are."""
    if actor is None or (actor.pk != user.pk and not (actor.is_superuser or getattr(actor, "is_system_actor", False))):
        raise PermissionDenied(_("Only the user or an administrator can set this password."))
    validate_password(password, user)
    user.set_password(password)
    # Saved without update_fields so the change leaves a dated, attributed record.
    return save_with_history(user, actor=actor, reason=reason, validate=False)


@transaction.atomic
def add_member(organisation: Organisation, user: User, *, role: str, actor: User, reason: str) -> Membership:
    _require_administrator(actor)
    membership = Membership.objects.filter(organisation=organisation, user=user).first()
    if membership is None:
        membership = Membership(organisation=organisation, user=user)
    membership.role = role
    membership.is_active = True
    return save_with_history(membership, actor=actor, reason=reason)


@transaction.atomic
def deactivate_user(user: User, *, actor: User, reason: str) -> User:
    """Users are deactivated, never deleted: their past changes stay attributable."""
    _require_administrator(actor)
    user.is_active = False
    return save_with_history(user, actor=actor, reason=reason, update_fields=["is_active"])


class PartyFacts(TypedDict, total=False):
    """What ``create_party`` sets besides the name (which it takes by name)."""

    country: str
    registration_number: str
    contact_name: str
    contact_email: str
    contact_phone: str


class PartyChanges(PartyFacts, total=False):
    """What ``update_party`` changes; the owner and the self mark are refused (code ``not_editable``)."""

    name: str


@transaction.atomic
def create_party(
    organisation: Organisation, *, name: str, actor: User, reason: str, **fields: Unpack[PartyFacts]
) -> Party:
    authorise(actor, organisation)
    return save_with_history(Party(owner=organisation, name=name, **fields), actor=actor, reason=reason)


@transaction.atomic
def update_party(party: Party, *, actor: User, reason: str, **changes: Unpack[PartyChanges]) -> Party:
    authorise(actor, party.owner)
    forbidden = set(changes) & {"owner", "owner_id", "is_self"}
    if forbidden:
        raise field_errors(sorted(forbidden), _("This field cannot be changed."), "not_editable")
    for name, value in changes.items():
        setattr(party, name, value)
    return save_with_history(party, actor=actor, reason=reason, update_fields=list(changes) or None)


class MembershipChanges(TypedDict, total=False):
    role: str
    is_active: bool


class AuthorityFields(TypedDict, total=False):
    code: str
    name: str
    country: str
    notification_url: str


class OwnProfileChanges(TypedDict, total=False):
    """What a person may change in their own profile; privileges are never set through here."""

    first_name: str
    last_name: str
    email: str
    time_zone: str


class AccountChanges(OwnProfileChanges, total=False):
    """What an administrator changes in an account."""

    username: str
    is_active: bool


ORGANISATION_FIELDS = frozenset(OrganisationChanges.__annotations__)
MEMBERSHIP_FIELDS = frozenset(MembershipChanges.__annotations__)
AUTHORITY_FIELDS = frozenset(AuthorityFields.__annotations__)
OWN_PROFILE_FIELDS = frozenset(OwnProfileChanges.__annotations__)
ACCOUNT_FIELDS = frozenset(AccountChanges.__annotations__)


def _update(obj: M, changes: Mapping[str, Any], allowed: Collection[str], *, actor: User, reason: str) -> M:
    unknown = set(changes) - set(allowed)
    if unknown:
        raise field_errors(sorted(unknown), _("This field cannot be changed here."), "not_editable")
    for name, value in changes.items():
        setattr(obj, name, value)
    update_fields = (list(changes) or None) if obj.pk else None
    return save_with_history(obj, actor=actor, reason=reason, update_fields=update_fields)


@transaction.atomic
def update_organisation(
    organisation: Organisation, *, actor: User, reason: str, **changes: Unpack[OrganisationChanges]
) -> Organisation:
    _require_administrator(actor)
    return _update(organisation, changes, ORGANISATION_FIELDS, actor=actor, reason=reason)


@transaction.atomic
def update_membership(
    membership: Membership, *, actor: User, reason: str, **changes: Unpack[MembershipChanges]
) -> Membership:
    """Change a role, or end (is_active=False) or restore a membership; never delete it."""
    _require_administrator(actor)
    return _update(membership, changes, MEMBERSHIP_FIELDS, actor=actor, reason=reason)


@transaction.atomic
def update_user(user: User, *, actor: User, reason: str, **changes: Unpack[AccountChanges]) -> User:
    """Administrators change accounts; a person may change their own profile fields."""
    if actor is not None and actor.pk == user.pk and set(changes) <= OWN_PROFILE_FIELDS:
        return _update(user, changes, OWN_PROFILE_FIELDS, actor=actor, reason=reason)
    _require_administrator(actor)
    return _update(user, changes, ACCOUNT_FIELDS, actor=actor, reason=reason)


@transaction.atomic
def save_authority(
    authority: Authority | None, *, actor: User, reason: str, **fields: Unpack[AuthorityFields]
) -> Authority:
    """Create or correct a supervisory authority (shared reference data)."""
    _require_administrator(actor)
    return _update(authority or Authority(), fields, AUTHORITY_FIELDS, actor=actor, reason=reason)
