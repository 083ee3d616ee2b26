"""Form fields for the register: instants typed as local wall-clock time, and change reasons.

A person reports "Thursday 22:00 our time", not a UTC instant. ``LocalInstantField``
takes exactly that — a local date-time, the IANA zone it was read in and, for
the hour that happens twice when the clocks go back, which of the two is meant —
and turns it into ``(utc_datetime, zone_name)`` through ``rules.timeinput``,
refusing times that never happened instead of guessing.

``InstantFieldsMixin`` puts one such field on a ModelForm for each
``<stem>_at``/``<stem>_tz`` pair of the model; ``ReasonFormMixin`` adds the
change reason that every service stores as evidence.
"""

from __future__ import annotations

import functools
import html
import zoneinfo
from datetime import datetime
from typing import NamedTuple

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.forms.fields import BaseTemporalField
from django.utils import timezone
from django.utils.choices import BaseChoiceIterator
from django.utils.dateparse import parse_datetime
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from breachtrack import limits
from incidents.models.notes import NOTE_MAX_LENGTH
from rules.timeinput import (
    LOCAL_TIME_MESSAGES,
    AmbiguousLocalTime,
    Fold,
    LocalTimeError,
    NonExistentLocalTime,
    OutOfRangeLocalTime,
    UnknownTimeZone,
    is_ambiguous,
    local_to_utc,
    utc_to_local,
    zone,
)

FOLD_CHOICES = [
    ("", _("(only if the time happens twice)")),
    (Fold.EARLIER.value, _("earlier (summer time)")),
    (Fold.LATER.value, _("later (winter time)")),
]


class LocalInstant(NamedTuple):
    """What ``LocalInstantField`` cleans to: the instant in UTC and the zone it was typed in."""

    at: datetime
    zone: str


@functools.cache
def _all_zone_names() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(_all_zone_names())


def frequent_zone_choices(*preferred: str) -> list[tuple[str, str]]:
    """The zones a person most likely means: ``preferred``, the site's, UTC (no duplicates)."""
    return [(name, name) for name in dict.fromkeys(name for name in (*preferred, settings.TIME_ZONE, "UTC") if name)]


def zone_choices(*preferred: str):
    """Every IANA zone, with the zones a person most likely means offered first."""
    return [
        (_("Frequently used"), frequent_zone_choices(*preferred)),
        (_("All time zones"), [(name, name) for name in _all_zone_names()]),
    ]


def default_zone_name(user=None) -> str:
    """The zone a person most likely reads clocks in: their profile's, else the site default."""
    name = getattr(user, "time_zone", "") or ""
    if name in _known_zones():
        return name
    return settings.TIME_ZONE


def _wall_clock(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M")


class PlainChoices(BaseChoiceIterator):
    """Choices already in Django's plain form, ``(value, label)`` pairs without groups, taken as
    they are: Django normalises a list of choices pair by pair, once for the field and again for
    its widget (16,000 steps for the two controller menus of an incident with 2,000 controllers),
    but hands an iterator like this one on untouched."""

    def __init__(self, pairs: list[tuple]):
        self.pairs = pairs

    def __iter__(self):
        return iter(self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)


class LongSelect(forms.Select):
    """A ``Select`` for thousands of options (the controllers of an incident), written in Python.

    The same HTML as Django's select.html and select_option.html, without a template per option:
    those cost about a millisecond per 10 options, a second for the two controller menus of an
    incident with 2,000 controllers. No option groups (none of its choices has any).
    """

    def render(self, name, value, attrs=None, renderer=None):
        # Widget's context (name, attributes, the values chosen as text) without ChoiceWidget's
        # option dicts: one per choice, built and read back, cost more than writing the options.
        widget = forms.Widget.get_context(self, name, value, attrs)["widget"]
        if self.allow_multiple_selected:
            widget["attrs"]["multiple"] = True
        chosen, multiple = widget["value"], self.allow_multiple_selected
        # The standard library's escape: Django's escape() is the same function behind a lazy-string
        # check that cost more than the escaping itself, 4,000 options a page.
        quote = html.escape
        options, has_selected = [], False
        for option_value, label in self.choices:
            if isinstance(label, list | tuple):
                raise ValueError("LongSelect takes no option groups")
            option_value = "" if option_value is None else option_value
            # As ChoiceWidget.optgroups: a single select marks the first matching option only.
            selected = (not has_selected or multiple) and str(option_value) in chosen
            has_selected |= selected
            options.append(
                f'<option value="{quote(str(option_value))}"{" selected" if selected else ""}>{quote(str(label))}</option>'
            )
        markup = f'<select name="{escape(widget["name"])}"{_attrs(widget["attrs"])}>{"".join(options)}</select>'
        return mark_safe(markup)  # noqa: S308 (every name, value and label is escaped above)


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html, escaped: a True value is a bare attribute, a False one is left out."""
    return "".join(
        f" {escape(name)}" if value is True else f' {escape(name)}="{escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


class NaiveDateTimeField(forms.DateTimeField):
    """A wall-clock date-time, deliberately *not* interpreted in the active time zone.

    Django's own field attaches the request's zone (and rejects DST gaps with a
    generic message); here the zone is chosen next to the field, so the value
    stays naive until ``LocalInstantField.compress`` interprets it.
    """

    def prepare_value(self, value):
        return value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            result = value
        else:
            try:
                result = parse_datetime(str(value).strip())
            except ValueError:
                raise ValidationError(self.error_messages["invalid"], code="invalid") from None
            if result is None:
                result = BaseTemporalField.to_python(self, value)
        if timezone.is_aware(result):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return result


class LocalDateTimeInput(forms.DateTimeInput):
    """``<input type="datetime-local">``, showing seconds only when the value has them."""

    input_type = "datetime-local"

    def format_value(self, value):
        if isinstance(value, datetime):
            if value.microsecond:
                return value.strftime("%Y-%m-%dT%H:%M:%S.%f")
            if value.second:
                return value.strftime("%Y-%m-%dT%H:%M:%S")
            return value.strftime("%Y-%m-%dT%H:%M")
        return super().format_value(value)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if isinstance(value, datetime) and (value.second or value.microsecond):
            # A browser refuses a value finer than its step (a minute by default).
            context["widget"]["attrs"]["step"] = "any"
        return context


class LocalInstantWidget(forms.MultiWidget):
    def __init__(self, zone_choices_=(), default_zone: str = "UTC", attrs=None):
        self.default_zone = default_zone
        widgets = [
            LocalDateTimeInput(),
            forms.Select(choices=zone_choices_, attrs={"aria-label": _("time zone")}),
            forms.Select(choices=FOLD_CHOICES, attrs={"aria-label": _("which one, if the time happens twice")}),
        ]
        super().__init__(widgets, attrs)

    def id_for_label(self, id_):
        # The field's label names the date-time input (Django's MultiWidget names none, leaving
        # the input without a label for a screen reader); the two selects carry aria-labels.
        return f"{id_}_0" if id_ else id_

    def decompress(self, value):
        """``(utc, zone)`` or an aware datetime → ``[local wall-clock time, zone, fold]``."""
        if not value:
            return [None, self.default_zone, ""]
        if isinstance(value, datetime):
            value = LocalInstant(value, self.default_zone)
        at, zone_name = value
        zone_name = zone_name or self.default_zone
        if at is None:
            return [None, zone_name, ""]
        local = utc_to_local(at, zone_name)
        fold = ""
        if is_ambiguous(local, zone(zone_name)):
            fold = Fold.LATER.value if local.fold else Fold.EARLIER.value
        return [local.replace(tzinfo=None, fold=0), zone_name, fold]


class LocalInstantField(forms.MultiValueField):
    """A local date-time, its IANA zone and (when needed) which of two repeated times.

    Cleans to ``LocalInstant(utc_datetime, zone_name)`` — a plain tuple — or
    ``None`` when no time was entered. A time skipped by a clock change is
    refused (code ``nonexistent``); a time that happens twice must say which
    (code ``ambiguous``).
    """

    default_error_messages = dict(LOCAL_TIME_MESSAGES)

    def __init__(self, *, default_zone: str | None = None, extra_zones=(), frequent_only: bool = False, **kwargs):
        """``frequent_only``: offer only the zones a person most likely reads the clock in (theirs,
        the site's, UTC), not all ~600: a page with several such fields (the incident page) spent
        a fifth of its time copying and checking the long list for every form it made."""
        self.default_zone = default_zone or settings.TIME_ZONE
        if frequent_only:
            choices = frequent_zone_choices(self.default_zone, *extra_zones)
        else:
            choices = zone_choices(self.default_zone, *extra_zones)
        fields = (
            NaiveDateTimeField(required=False),
            forms.ChoiceField(choices=choices, required=False),
            forms.ChoiceField(choices=FOLD_CHOICES, required=False),
        )
        kwargs.setdefault("widget", LocalInstantWidget(choices, self.default_zone))
        kwargs.setdefault(
            "help_text",
            _("Local time as it was read, in the zone it was read in. Stored in UTC with that zone."),
        )
        super().__init__(fields=fields, require_all_fields=False, **kwargs)

    def prepare_value(self, value):
        if isinstance(value, list):
            return value  # already split into the widget's parts (a bound form)
        return self.widget.decompress(value)

    def compress(self, data_list):
        if not data_list or data_list[0] is None:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return None
        local, zone_name, fold = (list(data_list) + ["", ""])[:3]
        zone_name = zone_name or self.default_zone
        params = {"time": _wall_clock(local), "zone": zone_name}
        try:
            return LocalInstant(local_to_utc(local, zone_name, fold or None), zone_name)
        except NonExistentLocalTime:
            raise ValidationError(self.error_messages["nonexistent"], code="nonexistent", params=params) from None
        except AmbiguousLocalTime:
            raise ValidationError(self.error_messages["ambiguous"], code="ambiguous", params=params) from None
        except UnknownTimeZone:
            raise ValidationError(self.error_messages["unknown_zone"], code="unknown_zone", params=params) from None
        except OutOfRangeLocalTime:
            raise ValidationError(self.error_messages["out_of_range"], code="out_of_range", params=params) from None
        except LocalTimeError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None

    def has_changed(self, initial, data):
        """Changed when the instant or its zone changed — not when only the typing did."""
        if self.disabled:
            return False
        try:
            new = self.clean(data)
        except ValidationError:
            return True
        old = self.to_instant(initial)
        return old != new

    def to_instant(self, value) -> LocalInstant | None:
        """An initial value (``(utc, zone)``, an aware datetime or None) as this field would clean it."""
        if isinstance(value, list):
            try:
                return self.clean(value)
            except ValidationError:
                return None
        if not value:
            return None
        if isinstance(value, datetime):
            return LocalInstant(value, self.default_zone)
        at, zone_name = value
        return LocalInstant(at, zone_name or self.default_zone) if at is not None else None


class InstantFieldsMixin:
    """For ModelForms: one ``LocalInstantField`` per ``<stem>_at``/``<stem>_tz`` model pair.

    ``instant_fields`` lists the stems. The model's two form fields are replaced
    by one ``LocalInstantField`` named ``<stem>_at`` (so model errors on
    ``<stem>_at`` land on it), whose initial value is the stored instant in
    its stored zone. ``clean()`` writes ``<stem>_at`` (UTC) and ``<stem>_tz`` both
    into ``cleaned_data`` and onto the instance *before* model validation, so
    ``Model.clean()`` sees the zone the person chose (a subclass's ``clean()``
    calls ``super().clean()`` first).

    The default zone is that of ``user`` (a keyword argument, or a ``user``
    class attribute set by the admin), else ``settings.TIME_ZONE``.
    """

    instant_fields: tuple[str, ...] = ()
    user = None

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.user = user
        default = default_zone_name(self.user)
        for stem in self.instant_fields:
            at, tz = f"{stem}_at", f"{stem}_tz"
            self.fields.pop(tz, None)
            if at not in self.fields:
                continue  # read-only here (or left out): nothing to enter
            stored = getattr(self.instance, at, None)
            stored_zone = getattr(self.instance, tz, "") or default
            model_field = self.fields[at]
            self.fields[at] = LocalInstantField(
                default_zone=default,
                extra_zones=[stored_zone],
                required=model_field.required,
                label=model_field.label,
                disabled=model_field.disabled,
            )
            if stored is not None:
                self.initial[at] = LocalInstant(stored, stored_zone)
            else:
                self.initial.pop(at, None)

    def clean(self):
        cleaned_data = super().clean()
        for stem in self.instant_fields:
            at, tz = f"{stem}_at", f"{stem}_tz"
            if at not in self.fields or at not in cleaned_data:
                continue  # absent, or invalid: the instance keeps its value
            value = cleaned_data[at]
            instant, zone_name = value if value else (None, "")
            cleaned_data[at] = instant
            cleaned_data[tz] = zone_name
            # The zone is no form field, so the ModelForm would not copy it onto
            # the instance: set both here, before the model validation runs.
            setattr(self.instance, at, instant)
            setattr(self.instance, tz, zone_name)
        return cleaned_data

    def add_error(self, field, error):
        """Show a model error on ``<stem>_tz`` on the ``<stem>_at`` field the person sees."""
        if field is None and hasattr(error, "error_dict"):
            remapped: dict[str, list] = {}
            for name, messages in error.error_dict.items():
                if name.endswith("_tz") and name[:-3] in self.instant_fields and f"{name[:-3]}_at" in self.fields:
                    name = f"{name[:-3]}_at"
                remapped.setdefault(name, []).extend(messages)
            error = ValidationError(remapped)
        super().add_error(field, error)


class ReasonFormMixin(forms.Form):
    """A required reason, stored with the change in its historical record."""

    change_reason = forms.CharField(
        label=_("Reason for this change — kept as evidence"),
        max_length=limits.REASON,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Why you are making this change, e.g. 'processor's e-mail of 4 July, 09:12'."),
    )


# --- Notes (some legally privileged: never in a regulator export) ----------------------------------


class NoteForm(forms.Form):
    """A note on an incident: its text, optionally when what it describes happened, and (on
    adding) whether it is legally privileged. The reason is kept with the history record."""

    body = forms.CharField(label=_("Note"), max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 5}))
    occurred_at = LocalInstantField(
        label=_("Happened at"),
        required=False,
        help_text=_("When what the note describes happened, if known: local time, in the zone it was read in."),
    )
    is_legally_privileged = forms.BooleanField(
        label=_("Legally privileged"),
        required=False,
        help_text=_("Legal advice or work product: never exported, never shown to viewers."),
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=limits.REASON, help_text=_("Kept as evidence with the change.")
    )

    def __init__(self, *args, user=None, with_privilege: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        zone_name = default_zone_name(user)
        self.fields["occurred_at"] = LocalInstantField(
            label=self.fields["occurred_at"].label,
            required=False,
            default_zone=zone_name,
            help_text=self.fields["occurred_at"].help_text,
        )
        if not with_privilege:
            del self.fields["is_legally_privileged"]

    def service_fields(self) -> dict:
        """The cleaned values as the note services take them."""
        data = self.cleaned_data
        instant = data.get("occurred_at")
        fields = {
            "body": data["body"],
            "occurred_at": instant.at if instant else None,
            "occurred_tz": instant.zone if instant else "",
        }
        if "is_legally_privileged" in self.fields:
            fields["is_legally_privileged"] = data["is_legally_privileged"]
        return fields


class NotePrivilegeForm(forms.Form):
    """Mark a note legally privileged, or remove the mark: a reason is required either way."""

    is_legally_privileged = forms.TypedChoiceField(
        label=_("Legal privilege"),
        coerce=lambda value: value == "1",
        choices=[("1", _("Mark as legally privileged")), ("0", _("Remove the legal privilege"))],
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=limits.REASON, help_text=_("Kept as evidence with the decision.")
    )
