"""The words of the access log and the share links."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportKind(models.TextChoices):
    """What a share link (and the access log) can name. A new export adds a value here and a
    renderer in ``readers.exports.RENDERERS``; a kind without a renderer cannot be shared yet."""

    DEADLINES_ICS = "deadlines_ics", _("Deadlines (iCalendar)")
    AP_ANSWER_SHEET_JSON = "ap_answer_sheet_json", _("AP notification answer sheet (JSON)")
    TIMELINE_JSON = "timeline_json", _("Timeline (JSON)")
    TIMELINE_PDF = "timeline_pdf", _("Timeline (PDF)")
    TIMELINE_CSV = "timeline_csv", _("Timeline (CSV)")
    EDPB_JSON = "edpb_json", _("Filings in the EDPB template (JSON)")


class AccessAction(models.TextChoices):
    INCIDENT_VIEW = "incident_view", _("Viewed the incident page")
    ANSWER_SHEET_VIEW = "answer_sheet_view", _("Viewed the AP answer sheet")
    FILING_VIEW = "filing_view", _("Viewed a filing")
    TIMELINE_VIEW = "timeline_view", _("Viewed the timeline, or the register as of a moment")
    EXPORT_DOWNLOAD = "export_download", _("Downloaded an export")
    ACCESS_LOG_VIEW = "access_log_view", _("Viewed the access log")
    SHARE_LINK_ACCESS = "share_link_access", _("Opened a share link")


class AccessOutcome(models.TextChoices):
    ALLOWED = "allowed", _("Allowed")
    REFUSED = "refused", _("Refused")


class RefusalReason(models.TextChoices):
    UNKNOWN_TOKEN = "unknown_token", _("Unknown share link")
    EXPIRED = "expired", _("Share link expired")
    REVOKED = "revoked", _("Share link revoked")
    WRONG_EXPORT = "wrong_export", _("Asked for an export the link does not name")
    EXPORT_UNAVAILABLE = "export_unavailable", _("Export not available in this installation")
    # Answered 429 by access.throttle; logged, but never counted towards a limit themselves.
    RATE_LIMITED_ADDRESS = "rate_limited_address", _("Too many refused attempts from this address")
    RATE_LIMITED_LINK = "rate_limited_link", _("Too many downloads of this link")
