"""Template helpers for showing instants honestly."""

from __future__ import annotations

import html
import zoneinfo

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from readers import wording
from readers.wording import instant_format  # noqa: F401 (web.incidents.awareness_views imports it from here)
from web.incidents.quantities import show_count, show_size

register = template.Library()


@register.simple_tag
def instant(value, entered_tz: str = ""):
    """An instant in the reader's zone, with the exact UTC value machine-readable.

    If it was entered in another zone than the reader's, that local time is
    shown too, so "what the reporter typed" stays visible.
    """
    if value is None:
        return format_html('<span class="missing">{}</span>', _("not recorded"))
    # The weekday matters to a reader: hour-based deadlines ignore weekends.
    text = wording.instant_text(value)
    iso = value.astimezone(zoneinfo.ZoneInfo("UTC")).isoformat().replace("+00:00", "Z")
    reader_zone = timezone.get_current_timezone_name()
    if entered_tz and entered_tz != reader_zone:
        try:
            entered = value.astimezone(zoneinfo.ZoneInfo(entered_tz))
            note = _("entered as %(time)s %(zone)s") % {
                "time": wording.local_text(entered),
                "zone": entered_tz,
            }
            return format_html('<time datetime="{}" title="{}">{}</time> <small>({})</small>', iso, iso, text, note)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    return format_html('<time datetime="{}" title="{}">{}</time>', iso, iso, text)


@register.simple_tag
def chart_points(points):
    """The estimate chart's points as SVG in one pass (a template loop costs ~0.1 ms a point, 2,000
    points on a large incident): a range's bar, then its circle (open: "at least"). Written with
    the standard library's escape, what ``format_html`` applies to each value, without its
    per-value lazy-string checks."""
    quote = html.escape
    parts = []
    for p in points:
        x, y = quote(str(p.x)), quote(str(p.y))
        bar = f'<line class="range" x1="{x}" x2="{x}" y1="{y}" y2="{quote(str(p.y_high))}"/>' if p.y_high else ""
        parts.append(f'{bar}<circle class="point{" at-least" if p.is_at_least else ""}" cx="{x}" cy="{y}" r="5"/>')
    return mark_safe("".join(parts))  # noqa: S308 (every value is escaped above)


@register.filter
def duration(value):
    """A timedelta to the minute, e.g. '31 d 4 h 45 min' (readers.wording.duration_text)."""
    return wording.duration_text(value)


@register.filter
def grouped(value):
    """A whole number grouped in the page's language: 53,000 (English), 53.000 (Dutch)."""
    return show_count(value)


@register.filter
def estimate(value):
    """An estimate of those affected in the page's language: ≈485,000 (English), ≈485.000 (Dutch)."""
    return wording.count_text(value)


@register.filter
def human_size(value):
    """A size in bytes in people's units: 1.2 GB (English), 1,2 GB (Dutch)."""
    return show_size(value)


@register.filter
def words(obj, field_name: str):
    """A model instance's field as a person reads it: choice labels (lists too), names, local
    times, local numbers, yes/no (readers.wording.value_text); "—" for nothing."""
    return wording.value_text(type(obj), field_name, getattr(obj, field_name, None))
