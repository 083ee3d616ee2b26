"""Creating, revoking and checking API tokens. Every write has an actor and a reason."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import ApiToken
from breachtrack.errors import check_expiry, field_error
from organisations.models import Membership, Role
from organisations.services import require_reason, save_with_history
from organisations.tenancy import active_memberships

SECRET_PREFIX = "btk_"  # recognisable, so secret scanners and people can tell what leaked  # noqa: S105 (a public prefix, not a secret)
PREFIX_LENGTH = 12
# last_used_at is written at most this often per token: a busy integration must not turn
# every read into a write.
LAST_USED_RESOLUTION = timedelta(seconds=60)


@dataclass(frozen=True)
class CreatedToken:
    """The new token and its secret: the only moment the secret exists outside the holder's hands."""

    token: ApiToken
    secret: str


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _require_administrator(actor) -> None:
    if actor is None or not (actor.is_superuser or getattr(actor, "is_system_actor", False)):
        raise PermissionDenied(_("Only an administrator can create or revoke API tokens."))


def _check_role(organisation, user, role: str) -> None:
    """A token may do what its user may do in that organisation, or only read."""
    if role not in Role.values:
        raise field_error("role", _("Unknown role."), "invalid_choice")
    membership = active_memberships(user).filter(organisation=organisation).first()
    if membership is None:
        raise field_error("user", _("This user is not an active member of the organisation."), "not_member")
    if role not in {membership.role, Role.VIEWER}:
        raise field_error(
            "role", _("The token's role must be the user's own role there, or viewer."), "exceeds_membership"
        )


@transaction.atomic
def create_api_token(
    *,
    organisation,
    user,
    role: str,
    name: str,
    expires_at: datetime,
    expires_tz: str = "UTC",
    actor,
    reason: str,
) -> CreatedToken:
    """Make a token for ``user`` in ``organisation``; return its secret once.

    Steps: an administrator acts; the reason, the name, the role (the user's own role in the
    organisation, or viewer) and the expiry (future, within BREACHTRACK_API_TOKEN_MAX_DAYS) are
    checked; 256 random bits become the secret, of which only the SHA-256 is stored.
    """
    _require_administrator(actor)
    reason = require_reason(reason)
    if not name or not name.strip():
        raise field_error("name", _("Say what will use this token."), "required")
    _check_role(organisation, user, role)
    now = timezone.now()
    check_expiry(
        expires_at,
        now,
        longest=timedelta(days=settings.BREACHTRACK_API_TOKEN_MAX_DAYS),
        too_long_message=_("An API token may live at most %(days)d days."),
    )
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        organisation=organisation,
        user=user,
        role=role,
        name=name.strip(),
        prefix=secret[:PREFIX_LENGTH],
        secret_sha256=secret_hash(secret),
        created_by=actor,
        created_at=now,
        expires_at=expires_at,
        expires_tz=expires_tz or "UTC",
    )
    save_with_history(token, actor=actor, reason=reason)
    return CreatedToken(token=token, secret=secret)


@transaction.atomic
def revoke_api_token(token: ApiToken, *, actor, reason: str) -> ApiToken:
    """Revoke at once; a revoked token is never revived (make a new one)."""
    _require_administrator(actor)
    reason = require_reason(reason)
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        raise field_error("revoked_at", _("This token was already revoked."), "already_revoked")
    token.revoked_at = timezone.now()
    token.revoked_by = actor
    token.revocation_reason = reason
    return save_with_history(
        token, actor=actor, reason=reason, update_fields=["revoked_at", "revoked_by", "revocation_reason"]
    )


def usable_token(secret: str, *, now: datetime) -> ApiToken | None:
    """The token this secret names, if it may be used at ``now``; None otherwise.

    Usable means: not revoked, not expired, and its user still an active member of its
    organisation with the token's role (or any role, for a viewer token). A user who was
    deactivated or demoted loses the token's power at once, without anyone revoking it.
    One query, since every API request runs it: the token with its user and organisation, and
    the membership check as an EXISTS in the same statement.
    """
    memberships = Membership.objects.filter(
        user=OuterRef("user_id"), organisation=OuterRef("organisation_id"), is_active=True, user__is_active=True
    )
    token = (
        ApiToken.objects.select_related("user", "organisation")
        .annotate(
            member_in_role=Exists(memberships.filter(role=OuterRef("role"))),
            member_at_all=Exists(memberships),
        )
        .filter(secret_sha256=secret_hash(secret))
        .first()
    )
    if token is None or not token.is_usable_at(now):
        return None
    if not (token.member_at_all if token.role == Role.VIEWER else token.member_in_role):
        return None
    _record_use(token, now)
    return token


def _record_use(token: ApiToken, now: datetime) -> None:
    """Bookkeeping, not evidence: no historical record (the field is excluded from history)."""
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    token.last_used_at = now
    token.skip_history_when_saving = True
    try:
        token.save(update_fields=["last_used_at"])
    finally:
        del token.skip_history_when_saving
