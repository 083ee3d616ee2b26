"""The words and numbers of a clock on the dashboard, shared by the page and its countdown script.

The server renders every countdown as text (the page reads right without JavaScript, and a
screen reader gets it at once); ``countdown.js`` then updates it every second with the same
format and the same translated phrases, which it reads from ``countdown_messages``.
"""

from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from readers.clock_states import ClockState

register = template.Library()


# Each state's words, translated when shown (one catalogue look-up for a label, not seven).
STATE_LABELS = {
    ClockState.ON_TRACK.value: gettext_lazy("on track"),
    ClockState.UNDER_24H.value: gettext_lazy("under 24 h"),
    ClockState.UNDER_6H.value: gettext_lazy("under 6 h"),
    ClockState.OVERDUE.value: gettext_lazy("overdue"),
    ClockState.MET.value: gettext_lazy("met"),
    ClockState.MET_LATE.value: gettext_lazy("met late"),
}
# The actor's moment passing is not a breach of law: "overdue" would say it was ours to meet.
EXTORTION_STATE_LABELS = {**STATE_LABELS, ClockState.OVERDUE.value: gettext_lazy("deadline passed")}


def state_labels(*, is_extortion: bool = False) -> dict[str, str]:
    labels = EXTORTION_STATE_LABELS if is_extortion else STATE_LABELS
    return {state: str(label) for state, label in labels.items()}


def span_text(span: timedelta) -> str:
    """'2 d 03:14:07' or '03:14:07': days, then hours, minutes and seconds (whole seconds, floored)."""
    seconds = max(int(span.total_seconds()), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{seconds:02d}"
    return _("%(days)s d %(clock)s") % {"days": days, "clock": clock} if days else clock


@register.simple_tag
def clock_state_label(row) -> str:
    return str((EXTORTION_STATE_LABELS if row.is_extortion else STATE_LABELS)[row.reading.state.value])


@register.filter
def badge(badges: dict, key) -> str:
    """The badge's words for ``key`` (``{{ risk_badges|badge:row.risk }}``); nothing for a key it does not know."""
    return badges.get(key, "")


@register.simple_tag
def countdown_text(row) -> str:
    """What the countdown cell says at the page's ``now``."""
    reading = row.reading
    if reading.state is ClockState.OVERDUE:
        template_text = _("%(time)s ago") if row.is_extortion else _("overdue by %(time)s")
        return template_text % {"time": span_text(reading.lateness)}
    if reading.remaining is not None:
        return _("%(time)s left") % {"time": span_text(reading.remaining)}
    return ""


@register.simple_tag
def countdown_messages() -> dict:
    """The phrases countdown.js needs, translated into the page's language ({time}, {days}, {clock})."""
    return {
        "left": _("%(time)s left") % {"time": "{time}"},
        "overdue": _("overdue by %(time)s") % {"time": "{time}"},
        "ago": _("%(time)s ago") % {"time": "{time}"},
        "days": _("%(days)s d %(clock)s") % {"days": "{days}", "clock": "{clock}"},
        "states": state_labels(),
        "extortion_states": state_labels(is_extortion=True),
        "thresholds": {"under_24h": 24 * 3600, "under_6h": 6 * 3600},
    }
