"""Who saw what: the append-only access log, and the share links regulators open without login."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from access.choices import AccessAction, AccessOutcome, ExportKind, RefusalReason
from breachtrack import limits
from breachtrack.limits import bounded_text
from incidents.fields import entry_zone_field
from organisations.tenancy import tenant_manager

USER_AGENT_MAX = 200


class ShareLink(models.Model):
    """One incident's one export, readable without login by whoever holds the token, until it
    expires or is revoked.

    Only the SHA-256 of the token is stored: the token is shown once, at creation. Historied
    (who created it, why, who revoked it and why is evidence); changed only by
    ``actions.sharing``.
    """

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="share_links", verbose_name=_("incident")
    )
    export_kind = models.CharField(_("export"), max_length=32, choices=ExportKind.choices)
    recipient = models.CharField(
        _("recipient"),
        max_length=200,
        help_text=_("Who the link is for, e.g. the supervisory authority's case handler."),
    )
    purpose = bounded_text(
        _("purpose"), limits.REASON, help_text=_("Why the link was made (e.g. the AP's request of ...).")
    )
    token_sha256 = models.CharField(_("token SHA-256"), max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    expires_tz = entry_zone_field(_("expires, zone"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )
    revocation_reason = bounded_text(_("revocation reason"), limits.REASON, blank=True)

    history = HistoricalRecords()
    objects = tenant_manager("organisation")

    class Meta:
        base_manager_name = "objects"
        verbose_name = _("share link")
        verbose_name_plural = _("share links")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_export_kind_display()} → {self.recipient}"

    def refusal_at(self, now) -> str | None:
        """Why the link may not be used at ``now`` (a RefusalReason), or None when it may."""
        if self.revoked_at is not None:
            return RefusalReason.REVOKED
        if now >= self.expires_at:
            return RefusalReason.EXPIRED
        return None


class AccessLog(models.Model):
    """One view or download of an incident's data, or one refused attempt.

    **Append-only** (``append_only = True``: the evidence triggers refuse UPDATE and DELETE on
    its table). ``accessed_at`` is the database's clock, not the web worker's. A share link's
    access names the link, not a user; an unknown token names neither, only the first 12 hex
    digits of its SHA-256 (enough to group repeated guesses, never the token).
    """

    append_only = True

    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
        help_text=_("Empty only for an unknown share-link token."),
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("incident"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    share_link = models.ForeignKey(
        ShareLink,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="accesses",
        verbose_name=_("share link"),
    )
    token_hash_prefix = models.CharField(_("token hash prefix"), max_length=12, blank=True)
    action = models.CharField(_("action"), max_length=32, choices=AccessAction.choices)
    export_kind = models.CharField(_("export"), max_length=32, choices=ExportKind.choices, blank=True)
    detail = models.CharField(_("detail"), max_length=200, blank=True, help_text=_("E.g. the filing viewed."))
    outcome = models.CharField(_("outcome"), max_length=16, choices=AccessOutcome.choices)
    refusal_reason = models.CharField(_("refusal reason"), max_length=32, choices=RefusalReason.choices, blank=True)
    accessed_at = models.DateTimeField(_("accessed at"), db_default=Now())
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=USER_AGENT_MAX, blank=True)

    objects = tenant_manager("organisation")

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-accessed_at", "-pk"]
        indexes = [
            # Only reader: web.access.views.access_log (one incident's entries, newest first).
            models.Index(fields=["incident", "-accessed_at", "-id"], name="accesslog_incident_newest"),
            # Only reader: access.throttle.guesses_from (one address's recent refused guesses).
            # refusal_reason sits before the time, so a flood of logged 429s (not counted) is
            # never scanned: the check reads at most the few counted rows of each reason.
            models.Index(fields=["ip_address", "refusal_reason", "-accessed_at"], name="accesslog_ip_newest"),
            # Only reader: access.throttle.downloads_of (one link's recent downloads); outcome
            # first for the same reason (refused attempts on the link are not downloads).
            models.Index(fields=["share_link", "outcome", "-accessed_at"], name="accesslog_link_newest"),
        ]

    def __str__(self):
        return f"{self._meta.verbose_name} {self.pk}"
