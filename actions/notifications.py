"""Every change to delivery configuration, and to a person's notifications, goes through here.

Webhook endpoints are evidence (where alerts went): privacy officers of the organisation create,
change and deactivate them, with a reason, one historical record per change. Nothing is deleted:
an endpoint that should no longer receive alerts is deactivated.
"""

from __future__ import annotations

import secrets
from typing import TypedDict, Unpack

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from breachtrack.errors import field_errors
from notifications.models import Notification, WebhookEndpoint
from organisations.models import Organisation, User
from organisations.services import EDIT_ROLES, authorise, save_with_history


class EndpointChanges(TypedDict, total=False):
    """What ``update_webhook_endpoint`` changes; the organisation and the secret are fixed."""

    url: str
    description: str
    is_active: bool


ENDPOINT_FIELDS = frozenset(EndpointChanges.__annotations__)


def new_secret() -> str:
    """The signing secret: generated here, never chosen by a person (so never weak or reused)."""
    return secrets.token_urlsafe(32)


@transaction.atomic
def create_webhook_endpoint(
    organisation: Organisation, *, url: str, description: str = "", actor: User, reason: str
) -> WebhookEndpoint:
    """Register an address that receives this organisation's alerts; the secret is generated."""
    authorise(actor, organisation, EDIT_ROLES)
    endpoint = WebhookEndpoint(organisation=organisation, url=url, description=description, secret=new_secret())
    return save_with_history(endpoint, actor=actor, reason=reason)


@transaction.atomic
def update_webhook_endpoint(
    endpoint: WebhookEndpoint, *, actor: User, reason: str, **changes: Unpack[EndpointChanges]
) -> WebhookEndpoint:
    """Change the address, description or active flag (the organisation and secret are fixed)."""
    authorise(actor, endpoint.organisation, EDIT_ROLES)
    unknown = set(changes) - ENDPOINT_FIELDS
    if unknown:
        raise field_errors(sorted(unknown), _("This field cannot be changed here."), "not_editable")
    for name, value in changes.items():
        setattr(endpoint, name, value)
    return save_with_history(endpoint, actor=actor, reason=reason, update_fields=list(changes) or None)


def deactivate_webhook_endpoint(endpoint: WebhookEndpoint, *, actor: User, reason: str) -> WebhookEndpoint:
    """Stop sending alerts to this endpoint; pending deliveries to it then fail, visibly."""
    return update_webhook_endpoint(endpoint, actor=actor, reason=reason, is_active=False)


# --- A person's own notifications (not evidence: see notifications.models.delivery) -----------


def mark_notification_read(user: User, notification_id: int) -> bool:
    """Mark one of ``user``'s notifications read; False if it is not theirs or was already read.

    The first reading is kept: ``read_at`` is only set while empty.
    """
    changed = (
        Notification.objects.for_user(user)
        .unread()
        .filter(pk=notification_id)
        .update(  # not-historied: Notification
            read_at=timezone.now()
        )
    )
    return changed == 1


def mark_all_notifications_read(user: User) -> int:
    """Mark every unread notification of ``user`` read; how many changed."""
    return Notification.objects.for_user(user).unread().update(read_at=timezone.now())  # not-historied: Notification
