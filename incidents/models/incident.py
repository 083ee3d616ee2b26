"""The register entry of one breach (GDPR Art. 33(5))."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from breachtrack.limits import bounded_text
from incidents.choices import (
    SPECIAL_CATEGORIES,
    AvailabilityOutcome,
    Cause,
    ConfidentialityOutcome,
    DataCategory,
    DataSubjectCategory,
    DiscoveryMethod,
    IntegrityOutcome,
    NotificationDecision,
    RiskLevel,
    Severity,
    Status,
)
from incidents.fields import ChoiceListField, entry_zone_field
from organisations.tenancy import tenant_manager

# The instants of the breach itself, in the order they normally happen. Each
# ``<name>_at`` has a ``<name>_tz`` holding the zone it was typed in.
TIME_FACTS = ("occurred_from", "occurred_until", "detected", "investigation_started", "contained")


def future_limit(now: datetime | None = None) -> datetime:
    now = now or timezone.now()
    return now + timedelta(seconds=settings.BREACHTRACK_CLOCK_SKEW_SECONDS)


def earliest_instant() -> datetime:
    """The plausibility floor: no instant a person or a client reports lies before it."""
    return settings.BREACHTRACK_EARLIEST_INSTANT


def too_early_error(value: datetime) -> ValidationError:
    earliest = earliest_instant()
    return ValidationError(
        _("%(at)s lies before %(earliest)s: too early to be a fact of this register. Check the year."),
        code="too_early",
        params={"at": value.isoformat(), "earliest": earliest.isoformat()},
    )


def check_instant(
    errors: dict, field: str, value: datetime | None, now: datetime | None = None, *, may_be_ahead: bool = False
) -> None:
    """The one check of every reported instant: not before ``earliest_instant()`` and, unless it
    ``may_be_ahead`` (a planned moment, a threat's deadline), not in the future."""
    if value is None:
        return
    if value < earliest_instant():
        errors.setdefault(field, []).append(too_early_error(value))
    elif not may_be_ahead and value > future_limit(now):
        errors.setdefault(field, []).append(ValidationError(_("This instant lies in the future."), code="future"))


class Incident(models.Model):
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="incidents", verbose_name=_("organisation")
    )
    reference = models.CharField(_("reference"), max_length=32, editable=False)
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)

    # --- Nature (Art. 33(3)(a)) ---
    is_confidentiality_breach = models.BooleanField(_("confidentiality breach"), default=False)
    is_integrity_breach = models.BooleanField(_("integrity breach"), default=False)
    is_availability_breach = models.BooleanField(_("availability breach"), default=False)
    cause = models.CharField(_("cause"), max_length=32, choices=Cause.choices, blank=True)
    cause_detail = bounded_text(_("cause, details"), blank=True)
    discovery_method = models.CharField(
        _("how it was discovered"), max_length=32, choices=DiscoveryMethod.choices, blank=True
    )
    discovery_detail = bounded_text(_("discovery, details"), blank=True)
    description = bounded_text(_("what happened"), blank=True)
    systems_involved = bounded_text(
        _("systems, software and services involved, and where"),
        blank=True,
        help_text=_("The systems, software, services and infrastructure involved and where they are located."),
    )
    confidentiality_outcome = models.CharField(
        _("what became of the data (confidentiality breach)"),
        max_length=32,
        choices=ConfidentialityOutcome.choices,
        blank=True,
    )
    integrity_outcome = models.CharField(
        _("what became of the data (integrity breach)"),
        max_length=32,
        choices=IntegrityOutcome.choices,
        blank=True,
    )
    availability_outcome = models.CharField(
        _("how long the data are unavailable (availability breach)"),
        max_length=32,
        choices=AvailabilityOutcome.choices,
        blank=True,
        help_text=_("Seen from the data subjects' side."),
    )

    # --- Time facts (each in UTC, with the zone it was entered in) ---
    occurred_from_at = models.DateTimeField(_("occurred from"), null=True, blank=True)
    occurred_from_tz = entry_zone_field(_("occurred from, zone"))
    occurred_until_at = models.DateTimeField(_("occurred until"), null=True, blank=True)
    occurred_until_tz = entry_zone_field(_("occurred until, zone"))
    is_ongoing = models.BooleanField(_("still ongoing"), default=False)
    detected_at = models.DateTimeField(_("detected"), null=True, blank=True)
    detected_tz = entry_zone_field(_("detected, zone"))
    investigation_started_at = models.DateTimeField(_("investigation started"), null=True, blank=True)
    investigation_started_tz = entry_zone_field(_("investigation started, zone"))
    contained_at = models.DateTimeField(_("contained"), null=True, blank=True)
    contained_tz = entry_zone_field(_("contained, zone"))

    # --- The data and the people ---
    data_categories = ChoiceListField(_("categories of personal data"), choices_enum=DataCategory)
    data_subject_categories = ChoiceListField(_("categories of data subjects"), choices_enum=DataSubjectCategory)
    data_subject_countries = CountryField(_("countries of data subjects"), multiple=True, blank=True)
    is_data_encrypted = models.BooleanField(
        _("data was encrypted"), null=True, blank=True, help_text=_("Leave empty while unknown.")
    )
    is_key_compromised = models.BooleanField(
        _("encryption key compromised"), null=True, blank=True, help_text=_("Leave empty while unknown.")
    )

    # --- Risk (Art. 33(3)(c)) ---
    likely_consequences = bounded_text(_("likely consequences"), blank=True)
    severity = models.CharField(_("severity (AP scale)"), max_length=16, choices=Severity.choices, blank=True)
    risk_level = models.CharField(_("risk level"), max_length=8, choices=RiskLevel.choices, blank=True)
    risk_reasoning = bounded_text(_("reasoning for the risk level"), blank=True)

    # --- Measures (Art. 33(3)(d)) ---
    measures_before = bounded_text(_("measures in place before"), blank=True)
    measures_containment = bounded_text(_("containment measures"), blank=True)
    measures_mitigation = bounded_text(_("mitigation for data subjects"), blank=True)
    measures_planned = bounded_text(_("planned measures"), blank=True)

    # --- The decision to notify the authority ---
    notification_decision = models.CharField(
        _("notify the authority?"),
        max_length=16,
        choices=NotificationDecision.choices,
        default=NotificationDecision.UNDECIDED,
    )
    notification_reasoning = bounded_text(_("reasoning for the decision"), blank=True)

    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed at"), auto_now=True)

    history = HistoricalRecords()
    objects = tenant_manager("organisation")

    class Meta:
        base_manager_name = "objects"  # the history guard applies to Django's internal manager too
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "reference"], name="incident_reference_unique_per_org"),
            models.CheckConstraint(
                condition=models.Q(occurred_until_at__isnull=True)
                | models.Q(occurred_from_at__isnull=True)
                | models.Q(occurred_until_at__gte=models.F("occurred_from_at")),
                name="incident_occurred_range_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.reference} · {self.title}"

    # --- Derived facts ---
    @property
    def has_special_categories(self) -> bool:
        return bool(SPECIAL_CATEGORIES.intersection(self.data_categories or []))

    @property
    def has_national_id(self) -> bool:
        return DataCategory.NATIONAL_ID in (self.data_categories or [])

    @property
    def has_criminal_data(self) -> bool:
        return DataCategory.CRIMINAL in (self.data_categories or [])

    @property
    def is_closed(self) -> bool:
        return self.status == Status.CLOSED

    # --- Validation ---
    def clean(self):
        errors: dict[str, list] = {}
        self._clean_time_order(errors)
        for name in TIME_FACTS:
            check_instant(errors, f"{name}_at", getattr(self, f"{name}_at"))
            if getattr(self, f"{name}_at") is not None and not getattr(self, f"{name}_tz"):
                setattr(self, f"{name}_tz", "UTC")
        if self.is_ongoing and self.occurred_until_at is not None:
            errors.setdefault("occurred_until_at", []).append(
                ValidationError(
                    _("An ongoing breach has no end yet: clear the end or untick 'still ongoing'."), code="ongoing"
                )
            )
        if self.pk and self.occurred_from_at is not None:
            self._clean_against_awareness(errors)
        if errors:
            raise ValidationError(errors)

    def _clean_time_order(self, errors):
        start = self.occurred_from_at
        pairs = [
            ("occurred_until_at", start, _("The breach cannot end before it started.")),
            ("detected_at", start, _("A breach cannot be detected before it started.")),
            ("contained_at", start, _("A breach cannot be contained before it started.")),
            ("investigation_started_at", self.detected_at, _("The investigation cannot start before detection.")),
        ]
        for field, lower, message in pairs:
            value = getattr(self, field)
            if value is not None and lower is not None and value < lower:
                errors.setdefault(field, []).append(ValidationError(message, code="before_start"))

    def _clean_against_awareness(self, errors):
        earliest = (
            self.awareness_records.filter(is_withdrawn=False)
            .order_by("aware_at")
            .values_list("aware_at", flat=True)
            .first()
        )
        if earliest is not None and earliest < self.occurred_from_at:
            errors.setdefault("occurred_from_at", []).append(
                ValidationError(
                    _("A party was already aware at %(aware)s, before this start: correct the awareness record first."),
                    code="after_awareness",
                    params={"aware": earliest.isoformat()},
                )
            )
        known = self.estimates.order_by("known_at").values_list("known_at", flat=True).first()
        if known is not None and known < self.occurred_from_at:
            errors.setdefault("occurred_from_at", []).append(
                ValidationError(
                    _("A count was already known at %(known)s, before this start (%(start)s)."),
                    code="after_estimate",
                    params={"known": known.isoformat(), "start": self.occurred_from_at.isoformat()},
                )
            )

    def register_gaps(
        self, *, has_awareness: bool | None = None, has_subject_estimate: bool | None = None
    ) -> list[tuple[str, str]]:
        """What an Art. 33(5) register entry still lacks, as (field, message) pairs.

        Closing an incident requires this list to be empty: the register must
        let the authority verify compliance (facts, effects, remedial action,
        and the reasoning of the notification decision).
        """
        if has_awareness is None:
            has_awareness = self.awareness_records.filter(is_withdrawn=False).exists()
        if has_subject_estimate is None:
            has_subject_estimate = self.estimates.filter(measure="data_subjects").exists()
        gaps = []

        def need(condition, field, message):
            if not condition:
                gaps.append((field, str(message)))

        need(self.description, "description", _("Describe what happened."))
        need(
            self.is_confidentiality_breach or self.is_integrity_breach or self.is_availability_breach,
            "is_confidentiality_breach",
            _("Say whether confidentiality, integrity or availability was breached."),
        )
        need(self.cause, "cause", _("Record the cause."))
        need(self.discovery_method, "discovery_method", _("Record how the breach was discovered."))
        need(self.occurred_from_at, "occurred_from_at", _("Record when the breach started."))
        need(self.detected_at, "detected_at", _("Record when the breach was detected."))
        need(not self.is_ongoing, "is_ongoing", _("A breach that is still ongoing cannot be closed."))
        need(self.data_categories, "data_categories", _("Record the categories of personal data."))
        need(self.data_subject_categories, "data_subject_categories", _("Record the categories of data subjects."))
        need(self.likely_consequences, "likely_consequences", _("Describe the likely consequences."))
        need(self.risk_level and self.risk_reasoning, "risk_level", _("Assess the risk level and give the reasoning."))
        need(
            self.measures_containment or self.measures_mitigation,
            "measures_containment",
            _("Record the measures taken (containment or mitigation)."),
        )
        need(
            self.notification_decision != NotificationDecision.UNDECIDED and self.notification_reasoning,
            "notification_decision",
            _("Decide whether to notify the authority and record the reasoning."),
        )
        need(
            has_awareness,
            "awareness",
            _("Record when the organisation became aware."),
        )
        need(
            has_subject_estimate,
            "estimates",
            _("Record an estimate of the number of data subjects."),
        )
        return gaps
