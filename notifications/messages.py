"""What an alert says: the texts of e-mails and the facts webhooks carry.

Pure formatting of rows that are already loaded (``Delivery.objects.for_sending()`` fetches the
whole chain in one query). E-mails are written in the recipient's language and time zone: there
is no per-user language yet, so the installation's ``LANGUAGE_CODE`` is used; the zone is
``User.time_zone``; every instant is also given in UTC, which is what the regulation counts in.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

DEFAULT_ZONE = "Europe/Amsterdam"
_SPAN = re.compile(r"^(?P<amount>\d+(?:\.\d+)?)(?P<unit>[hms])$")


def _span_text(span: str) -> str:
    """'24h' → '24 hours', '90m' → '90 minutes', '45s' → '45 seconds' (labels from rules.clocks)."""
    match = _SPAN.match(span)
    if match is None:
        return span
    amount = float(match["amount"])
    count = int(amount) if amount.is_integer() else amount
    forms = {
        "h": ngettext("%(count)s hour", "%(count)s hours", count),
        "m": ngettext("%(count)s minute", "%(count)s minutes", count),
        "s": ngettext("%(count)s second", "%(count)s seconds", count),
    }
    return forms[match["unit"]] % {"count": count}


def threshold_text(label: str) -> str:
    """'before:24h' → 'due in 24 hours'; 'due' → 'due now'; 'overdue:12h' → 'overdue by 12 hours'."""
    kind, _sep, span = label.partition(":")
    if kind == "before":
        return _("due in %(span)s") % {"span": _span_text(span)}
    if kind == "overdue":
        return _("overdue by %(span)s") % {"span": _span_text(span)}
    if kind == "due":
        return _("due now")
    return label


def party_label(deadline) -> str:
    """Whose clock: the party, or for a processor's notice both ends of the relationship."""
    if deadline.relationship_id:
        relationship = deadline.relationship
        return f"{relationship.processor.party} → {relationship.controller.party}"  # the same in every language
    return str(deadline.party.party) if deadline.party_id else ""


def incident_link(incident) -> str:
    return settings.BREACHTRACK_BASE_URL + reverse("incidents:detail", args=[incident.pk])


def iso_utc(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _zone(name: str | None) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or DEFAULT_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(DEFAULT_ZONE)


def recipient_language(user) -> str:
    """No per-user language field yet: the installation's language."""
    return settings.LANGUAGE_CODE


def alert_context(event, user) -> dict:
    """The facts of one alert, formatted for ``user`` (call inside their language)."""
    deadline = event.deadline
    incident = deadline.incident
    zone = _zone(getattr(user, "time_zone", None))
    return {
        "reference": incident.reference,
        "title": incident.title,
        "kind": deadline.get_kind_display(),
        "party": party_label(deadline),
        "threshold": threshold_text(event.label),
        "due_local": event.due_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        "zone": zone.key,
        "due_utc": event.due_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "link": incident_link(incident),
    }


def alert_email(delivery) -> EmailMessage:
    """The e-mail of one delivery, with a Message-ID that is the same on every attempt."""
    user = delivery.user
    language = recipient_language(user)
    with translation.override(language):
        context = alert_context(delivery.alert_event, user)
        subject = _("[BreachTrack] %(reference)s %(threshold)s: %(kind)s") % context
        body = render_to_string("notifications/alert_email.txt", context)
    return EmailMessage(
        subject=" ".join(subject.split()),  # a header holds one line
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers={
            "Message-ID": delivery.message_id,
            "Content-Language": language,
            "X-BreachTrack-Delivery": str(delivery.pk),
        },
    )


def webhook_payload(delivery) -> dict:
    """The JSON body of a webhook delivery (language-neutral: keys and codes, instants in UTC)."""
    event = delivery.alert_event
    deadline = event.deadline
    return {
        "event_id": event.pk,
        "delivery_id": delivery.pk,
        "incident_reference": deadline.incident.reference,
        "kind": deadline.kind,
        "party": party_label(deadline),
        "label": event.label,
        "due_at": iso_utc(event.due_at),
        "fired_at": iso_utc(event.fired_at),
        "link": incident_link(deadline.incident),
    }
