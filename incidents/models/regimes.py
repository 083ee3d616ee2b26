"""Facts that notification regimes other than the GDPR read (docs/obligations.md).

* ``IncidentAnchor``: a moment a regime's clock runs from (detection, classification, ...), one
  current value per kind and incident; corrections and withdrawals are kept in its history.
* ``IncidentDetermination``: a yes/no determination (significant, major, material, ...), one
  current value per name and incident, with its history.
* ``AffectedPlace``: how many of the people affected live in a place (a country or an ISO 3166-2
  subdivision), as known at an instant; one current count per place, with its history.
* ``RegimeDecision``: an officer's decision that a regime applies to the incident, or not.
  Decisions are appended, never changed; the latest one per regime is the one that counts.

Written only through ``actions.regimes``; the clocks are derived by ``rules.obligations``.
"""

from __future__ import annotations

import functools
import re

import holidays
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from simple_history.models import HistoricalRecords

from breachtrack import limits
from breachtrack.limits import bounded_text
from incidents.choices import AnchorKind, DeterminationFlag
from incidents.fields import entry_zone_field
from incidents.models.base import RecordedFact
from incidents.models.incident import check_instant
from organisations.tenancy import tenant_manager

SUBDIVISION = re.compile(r"^(?P<country>[A-Z]{2})-(?P<code>[A-Z0-9]{1,3})$")


@functools.cache
def known_subdivisions() -> dict[str, frozenset[str]]:
    """ISO 3166-2 subdivision codes per country, where the holiday calendars know them (US, BR, ...).

    Read once, on first use (listing takes about 0.4 s): the ``holidays`` package lists the subdivisions whose public holidays
    it keeps, with their ISO 3166-2 codes. A country it does not split is checked on format only.
    """
    return {country: frozenset(codes) for country, codes in holidays.list_supported_countries().items() if codes}


def validate_place(value: str) -> None:
    """A place of residence: an ISO 3166-1 country ("NL") or an ISO 3166-2 subdivision ("US-CA")."""
    if value in countries:
        return
    match = SUBDIVISION.match(value or "")
    if match is None or match["country"] not in countries:
        raise ValidationError(
            _("%(value)s is not a country or subdivision code (e.g. NL, or US-CA for California)."),
            code="invalid_place",
            params={"value": value},
        )
    known = known_subdivisions().get(match["country"])
    if known is not None and match["code"] not in known:
        raise ValidationError(
            _("%(value)s is not a subdivision of %(country)s."),
            code="invalid_place",
            params={"value": value, "country": countries.name(match["country"])},
        )


class IncidentAnchor(RecordedFact):
    """*The incident was detected / classified as major / ... at T*: the moment a regime's clock runs from.

    One row per incident and kind: a correction changes it (the earlier moment stays in the
    history), a withdrawal marks it and stops the clocks that ran from it. Who had the knowledge
    (``asserted_by``) and why this is the moment (``rationale``) are evidence, like awareness.
    """

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="anchors", verbose_name=_("incident")
    )
    kind = models.CharField(_("moment"), max_length=32, choices=AnchorKind.choices)
    occurred_at = models.DateTimeField(_("at"))
    occurred_tz = entry_zone_field(_("at, zone"))
    asserted_by = models.CharField(
        _("asserted by"),
        max_length=limits.NAME,
        blank=True,
        help_text=_("The person who had the knowledge, if not the recorder."),
    )
    rationale = bounded_text(_("why this is the moment"), blank=True)
    is_withdrawn = models.BooleanField(_("withdrawn"), default=False)
    withdrawal_reason = bounded_text(_("why it was withdrawn"), limits.REASON, blank=True)

    history = HistoricalRecords()
    objects = tenant_manager("incident__organisation")

    class Meta:
        base_manager_name = "objects"  # the history guard applies to Django's internal manager too
        verbose_name = _("incident moment")
        verbose_name_plural = _("incident moments")
        ordering = ["incident", "occurred_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["incident", "kind"], name="anchor_once_per_kind")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.occurred_at.isoformat()}"

    def clean(self):
        errors: dict[str, list] = {}
        if self.kind not in AnchorKind.values:
            errors["kind"] = [ValidationError(_("Unknown kind of moment."), code="invalid_choice")]
        check_instant(errors, "occurred_at", self.occurred_at)
        start = self.incident.occurred_from_at if self.incident_id else None
        if self.occurred_at and start and self.occurred_at < start and self.kind != AnchorKind.FIX_AVAILABLE:
            errors.setdefault("occurred_at", []).append(
                ValidationError(_("This cannot come before the breach started."), code="before_start")
            )
        self.withdrawal_reason = (self.withdrawal_reason or "").strip()
        if self.is_withdrawn and not self.withdrawal_reason:
            errors["withdrawal_reason"] = [ValidationError(_("Say why the moment is withdrawn."), code="required")]
        if self.occurred_at and not self.occurred_tz:
            self.occurred_tz = "UTC"
        if errors:
            raise ValidationError(errors)


class IncidentDetermination(RecordedFact):
    """*The incident is (not) significant / major / material ...*: one current answer per name."""

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="determinations", verbose_name=_("incident")
    )
    name = models.CharField(_("determination"), max_length=32, choices=DeterminationFlag.choices)
    value = models.BooleanField(_("yes"))
    rationale = bounded_text(_("reasoning"), blank=True)

    history = HistoricalRecords()
    objects = tenant_manager("incident__organisation")

    class Meta:
        base_manager_name = "objects"  # the history guard applies to Django's internal manager too
        verbose_name = _("determination")
        verbose_name_plural = _("determinations")
        ordering = ["incident", "name"]
        constraints = [models.UniqueConstraint(fields=["incident", "name"], name="determination_once_per_name")]

    def __str__(self):
        return f"{self.get_name_display()}: {_('yes') if self.value else _('no')}"

    def clean(self):
        if self.name not in DeterminationFlag.values:
            raise ValidationError({"name": ValidationError(_("Unknown determination."), code="invalid_choice")})


class AffectedPlace(RecordedFact):
    """How many of the people affected live in one place, as known at ``as_of``.

    Thresholds of other regimes are per place of residence (500 residents of one US state, ...).
    One row per incident and place: a new count replaces it, the earlier ones stay in its history.
    """

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="affected_places", verbose_name=_("incident")
    )
    place = models.CharField(
        _("place of residence"),
        max_length=6,
        validators=[validate_place],
        help_text=_("A country (NL) or an ISO 3166-2 subdivision (US-CA)."),
    )
    count = models.PositiveBigIntegerField(_("people affected living there"))
    as_of = models.DateTimeField(_("known at"))
    as_of_tz = entry_zone_field(_("known at, zone"))
    source = models.CharField(_("source"), max_length=limits.LABEL, blank=True)

    history = HistoricalRecords()
    objects = tenant_manager("incident__organisation")

    class Meta:
        base_manager_name = "objects"  # the history guard applies to Django's internal manager too
        verbose_name = _("people affected per place")
        verbose_name_plural = _("people affected per place")
        ordering = ["incident", "place"]
        constraints = [models.UniqueConstraint(fields=["incident", "place"], name="affected_place_once")]

    def __str__(self):
        return f"{self.place}: {self.count:,}"

    def clean(self):
        errors: dict[str, list] = {}
        if self.count is not None and self.count < 0:
            errors["count"] = [ValidationError(_("A count cannot be negative."), code="negative")]
        check_instant(errors, "as_of", self.as_of)
        start = self.incident.occurred_from_at if self.incident_id else None
        if self.as_of and start and self.as_of < start:
            errors.setdefault("as_of", []).append(
                ValidationError(_("This cannot come before the breach started."), code="before_start")
            )
        if self.as_of and not self.as_of_tz:
            self.as_of_tz = "UTC"
        if errors:
            raise ValidationError(errors)


class RegimeDecision(RecordedFact):
    """An officer's decision that a notification regime applies to the incident (or does not).

    The product suggests regimes from the facts (``rules.regimes.suggest``); only a decision makes
    a regime's clocks run. Decisions are appended and never changed: the latest per regime counts,
    and the earlier ones show how the view changed. ``regime`` is a code of the regimes' catalogue
    (checked by the action that records it).
    """

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="regime_decisions", verbose_name=_("incident")
    )
    regime = models.SlugField(_("regime"), max_length=32)
    applies = models.BooleanField(_("applies"))
    reasoning = bounded_text(_("reasoning"), help_text=_("Why the regime applies, or does not."))
    decided_at = models.DateTimeField(_("decided at"))

    history = HistoricalRecords()
    objects = tenant_manager("incident__organisation")

    class Meta:
        base_manager_name = "objects"  # the history guard applies to Django's internal manager too
        verbose_name = _("regime decision")
        verbose_name_plural = _("regime decisions")
        ordering = ["incident", "regime", "decided_at", "pk"]
        indexes = [models.Index(fields=["incident", "regime", "decided_at"], name="regime_decision_latest")]

    def __str__(self):
        return f"{self.regime}: {_('applies') if self.applies else _('does not apply')}"

    def clean(self):
        self.reasoning = (self.reasoning or "").strip()
        if not self.reasoning:
            raise ValidationError(
                {"reasoning": ValidationError(_("Say why the regime applies or does not."), code="required")}
            )

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValidationError(_("A recorded decision does not change: record a new decision."), code="frozen")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("A recorded decision is evidence and is never deleted."), code="frozen")
