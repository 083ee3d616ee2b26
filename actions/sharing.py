"""Creating and revoking share links: privacy officers and legal, with an actor and a reason."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from access.log import token_hash
from access.models import ShareLink
from breachtrack.errors import check_expiry, field_error
from incidents.models import Incident
from organisations.models import Role, User
from organisations.services import authorise, require_reason, save_with_history
from readers.exports import is_available

SHARE_ROLES = frozenset({Role.PRIVACY_OFFICER, Role.LEGAL})


@dataclass(frozen=True)
class CreatedLink:
    """The new link and its token: the only moment the token exists outside the holder's hands."""

    link: ShareLink
    token: str


@transaction.atomic
def create_share_link(
    incident: Incident,
    *,
    export_kind: str,
    recipient: str,
    expires_at: datetime,
    expires_tz: str = "UTC",
    actor: User,
    reason: str,
) -> CreatedLink:
    """Make a link to one export of one incident.

    Steps: check the role (officer or legal of the incident's organisation), the reason, the
    export kind (known and available here), the recipient and the expiry (future, within the
    maximum); then store the token's SHA-256 and return the token once.
    """
    authorise(actor, incident.organisation, SHARE_ROLES)
    reason = require_reason(reason)
    if not is_available(export_kind):
        raise field_error("export_kind", _("This export cannot be shared in this installation."), "unavailable")
    if not recipient or not recipient.strip():
        raise field_error("recipient", _("Say who the link is for."), "required")
    now = timezone.now()
    check_expiry(
        expires_at,
        now,
        longest=timedelta(days=settings.BREACHTRACK_SHARE_LINK_MAX_DAYS),
        too_long_message=_("A share link may live at most %(days)d days."),
    )
    token = secrets.token_urlsafe(32)
    link = ShareLink(
        organisation=incident.organisation,
        incident=incident,
        export_kind=export_kind,
        recipient=recipient.strip(),
        purpose=reason,
        token_sha256=token_hash(token),
        created_by=actor,
        created_at=now,
        expires_at=expires_at,
        expires_tz=expires_tz,
    )
    save_with_history(link, actor=actor, reason=reason)
    return CreatedLink(link=link, token=token)


@transaction.atomic
def revoke_share_link(link: ShareLink, *, actor: User, reason: str) -> ShareLink:
    """Revoke at once; a revoked link is never revived (make a new one)."""
    authorise(actor, link.organisation, SHARE_ROLES)
    reason = require_reason(reason)
    link = ShareLink.objects.select_for_update().get(pk=link.pk)
    if link.revoked_at is not None:
        raise field_error("revoked_at", _("This link was already revoked."), "already_revoked")
    link.revoked_at = timezone.now()
    link.revoked_by = actor
    link.revocation_reason = reason
    return save_with_history(
        link, actor=actor, reason=reason, update_fields=["revoked_at", "revoked_by", "revocation_reason"]
    )
