"""An incident's deadlines as an iCalendar file (RFC 5545), for officers' calendars.

One VEVENT per active deadline row. Built with the ``icalendar`` package: folding, escaping
and the VALARM/TRIGGER syntax are easy to get subtly wrong by hand, and calendar clients are
strict about them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from icalendar import Alarm, Calendar, Event

from notifications.models import Deadline
from readers.regime_labels import deadline_basis, deadline_label
from rules import clocks
from rules.deadlines import rule_for

PRODID = "-//BreachTrack//Incident deadlines//EN"

# The GDPR clocks' and the countdown's basis in the reader's language: the sentences of
# rules.clocks (``ClockRule.legal_basis``, which the rules layer keeps in English only). The Dutch
# calendar's descriptions began with them in English.
RULE_BASES = {
    "authority_notification": gettext_lazy(
        "GDPR Art. 33(1): notify the supervisory authority within 72 hours of awareness"
    ),
    "processor_notice": gettext_lazy(
        "GDPR Art. 33(2): processor informs the controller without undue delay "
        "(no number in the law; 24h is a default target, contracts often fix 24 or 48h)"
    ),
    "data_subject_communication": gettext_lazy(
        "GDPR Art. 34(1): communicate to data subjects without undue delay (no number in the law; 72h is a target)"
    ),
    "follow_up": gettext_lazy(
        "GDPR Art. 33(4): further information in phases without undue further delay "
        "(no number in the law; 72h is a target)"
    ),
    "extortion_countdown": gettext_lazy(
        "Not a legal deadline: the threat actor's countdown is operational only and never "
        "delays or extends Art. 33(1) or Art. 34"
    ),
}


def deadlines_of(incident):
    """The incident's active deadlines with what the events name (one query, policies included)."""
    rows = Deadline.objects.filter(incident=incident, is_active=True).select_related(
        "party__party", "relationship__processor__party", "relationship__controller__party", "extortion_threat"
    )
    return list(rows.with_alert_policy().order_by("due_at", "pk"))


def party_of(deadline: Deadline) -> str:
    if deadline.relationship_id:
        return str(deadline.relationship)
    if deadline.extortion_threat_id:
        return deadline.extortion_threat.actor_name
    if deadline.party_id:
        return deadline.party.party.name
    return ""


def uid_of(deadline: Deadline) -> str:
    """Stable per deadline row: recomputing a clock updates the row, so the calendar entry moves."""
    return f"deadline-{deadline.pk}@breachtrack"


def span_text(span: timedelta) -> str:
    """A timedelta as days and hours ('30 d 4 h'), or hours and minutes under a day."""
    total_minutes = int(abs(span.total_seconds()) // 60)
    days, minutes = divmod(total_minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return _("%(d)s d %(h)s h") % {"d": days, "h": hours}
    return _("%(h)s h %(m)s min") % {"h": hours, "m": minutes}


def is_met_late(deadline: Deadline) -> bool:
    """Met, but after its due moment (``rules.clocks.evaluate``): a month-late notice is not "met"."""
    if deadline.met_at is None:
        return False
    return clocks.evaluate(deadline.due_at, deadline.met_at, deadline.met_at).state is clocks.DeadlineState.MET_LATE


def _description(deadline: Deadline, rule: clocks.ClockRule) -> str:
    nature = _("Legal deadline (set by law).") if deadline.is_legal_deadline else _("Target, not a legal deadline.")
    lines = [deadline_basis(deadline) or str(RULE_BASES.get(deadline.kind, rule.legal_basis)), nature]
    bound = clocks.outer_bound_at(deadline.kind, deadline.started_at)
    if bound is not None:
        lines.append(
            _("Outer bound (Reg. 1182/71, information): %(at)s UTC.")
            % {"at": bound.astimezone(UTC).strftime("%Y-%m-%d %H:%M")}
        )
    if deadline.met_at:
        at = deadline.met_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
        if is_met_late(deadline):
            lines.append(
                _("Met late at %(at)s UTC: %(late)s over.")
                % {"at": at, "late": span_text(deadline.met_at - deadline.due_at)}
            )
        else:
            lines.append(_("Met at %(at)s UTC.") % {"at": at})
    return "\n".join(lines)


def _marked(deadline: Deadline, summary: str) -> str:
    if deadline.met_at is None:
        return summary
    return (_("[met late] ") if is_met_late(deadline) else _("[met] ")) + summary


def event_for(incident, deadline: Deadline, stamp_at: datetime) -> Event:
    """One deadline as a VEVENT: due moment, what and whose, basis, an alarm at the first threshold.

    VEVENT has no COMPLETED status (that is VTODO's): a met deadline keeps STATUS:CONFIRMED, says
    so in its summary and description ("[met]", or "[met late]" with how late when it was met
    after its due moment), and carries no alarm.
    """
    rule = rule_for(deadline)
    event = Event()
    event.add("uid", uid_of(deadline))
    event.add("dtstamp", stamp_at)
    event.add("dtstart", deadline.due_at)
    party = party_of(deadline)
    summary = f"{incident.reference}: {deadline_label(deadline)}" + (f" ({party})" if party else "")
    event.add("summary", _marked(deadline, summary))
    event.add("description", _description(deadline, rule))
    event.add("status", "CONFIRMED")
    event.add("categories", [deadline.kind])
    if not deadline.met_at:
        thresholds = clocks.alert_thresholds(rule, deadline.due_at, until=deadline.due_at)
        _label, moment = thresholds[0]
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", summary)
        alarm.add("trigger", moment - deadline.due_at)  # relative to DTSTART: negative, before it
        event.add_component(alarm)
    return event


def calendar_for(incident, deadlines, *, stamp: dict, now: datetime) -> bytes:
    """The whole calendar; ``stamp`` is evidence.chain.export_stamp (the chain head it covers)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", _("%(reference)s deadlines") % {"reference": incident.reference})
    calendar.add("x-breachtrack-chain", stamp["chain"])
    calendar.add("x-breachtrack-chain-seq", str(stamp["seq"]))
    calendar.add("x-breachtrack-chain-sha256", stamp["sha256"])
    if stamp.get("anchor"):  # the chain's latest RFC 3161 time-stamp
        calendar.add("x-breachtrack-anchor-at", stamp["anchor"]["at"])
        calendar.add("x-breachtrack-anchor-tsa", stamp["anchor"]["tsa"])
        calendar.add("x-breachtrack-anchor-seq", str(stamp["anchor"]["seq"]))
    for deadline in deadlines:
        calendar.add_component(event_for(incident, deadline, now))
    return calendar.to_ical()
