"""Writing the access log: one INSERT per view, download or refusal.

**Fail closed.** The log is written *before* the response is returned and any database error
propagates: the person gets an error page instead of the data. An access log that silently
misses the views it was not able to write proves nothing, and the insert runs on the database
that has just served the page's own reads, so a failure here means the page was about to fail
anyway. For share links this is the only acceptable behaviour (a regulator's link is the one
access nobody in the organisation sees happen); for logged-in pages we chose the same rule
rather than "log-and-continue", because a swallowed error would be invisible to legal, who rely
on the log being complete. Refusals are logged the same way: if that fails, the answer is
still a refusal (a 500), never the data.
"""

from __future__ import annotations

import hashlib

from access.choices import AccessAction, AccessOutcome
from access.client import client_ip, user_agent
from access.models import USER_AGENT_MAX, AccessLog


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _request_fields(request) -> dict:
    return {"ip_address": client_ip(request), "user_agent": user_agent(request, USER_AGENT_MAX)}


def log_view(request, incident, action: str, *, export_kind: str = "", detail: str = "") -> AccessLog:
    """A logged-in person saw ``incident`` (its page, a filing, an export): allowed."""
    return AccessLog.objects.create(
        organisation_id=incident.organisation_id,
        incident=incident,
        user=request.user,
        action=action,
        export_kind=export_kind,
        detail=detail[:200],
        outcome=AccessOutcome.ALLOWED,
        **_request_fields(request),
    )


def log_share_access(request, link, *, refusal: str = "") -> AccessLog:
    """A share link was used: served, or refused with ``refusal`` (a RefusalReason)."""
    return AccessLog.objects.create(
        organisation_id=link.organisation_id,
        incident_id=link.incident_id,
        share_link=link,
        action=AccessAction.SHARE_LINK_ACCESS,
        export_kind=link.export_kind,
        outcome=AccessOutcome.REFUSED if refusal else AccessOutcome.ALLOWED,
        refusal_reason=refusal,
        **_request_fields(request),
    )


def log_unknown_token(request, token: str, refusal: str) -> AccessLog:
    """A token that names no link: no organisation, only a prefix of its hash (never the token)."""
    return AccessLog.objects.create(
        token_hash_prefix=token_hash(token)[:12],
        action=AccessAction.SHARE_LINK_ACCESS,
        outcome=AccessOutcome.REFUSED,
        refusal_reason=refusal,
        **_request_fields(request),
    )
