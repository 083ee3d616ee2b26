"""Model fields shared by the register models (``ChoiceListField`` lives in the platform, for organisations too)."""

from __future__ import annotations

import zoneinfo

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from breachtrack.fields import ChoiceListField

__all__ = ["ChoiceListField", "entry_zone_field", "validate_zone_name"]


def validate_zone_name(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value}, code="invalid")


def entry_zone_field(verbose_name):
    """The IANA zone an instant was entered in: shown back to the reader as typed."""
    return models.CharField(
        verbose_name, max_length=64, blank=True, validators=[validate_zone_name], help_text=_("IANA time zone")
    )
