"""Facts that are asserted by people and change over time: awareness and counts."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from breachtrack import limits
from breachtrack.limits import bounded_text
from incidents.choices import AwarenessSource, EstimateMeasure
from incidents.fields import entry_zone_field
from incidents.models.base import RecordedFact
from incidents.models.incident import check_instant
from organisations.tenancy import tenant_manager


class AwarenessRecord(RecordedFact):
    """*Party P became aware at T*: an assertion with a source and evidence.

    The 72-hour clock runs from awareness (Art. 33(1)), which is a reasonable
    degree of certainty that personal data was compromised (EDPB Guidelines
    9/2022) — not detection, and not when this record was typed in, which is
    kept separately (``recorded_at``, ``recorded_by``). A party's clock starts
    at its earliest record that has not been withdrawn.
    """

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="awareness_records", verbose_name=_("incident")
    )
    party = models.ForeignKey(
        "incidents.IncidentParty", on_delete=models.PROTECT, related_name="awareness_records", verbose_name=_("party")
    )
    aware_at = models.DateTimeField(_("aware at"))
    aware_tz = entry_zone_field(_("aware at, zone"))
    source = models.CharField(_("source"), max_length=32, choices=AwarenessSource.choices)
    source_detail = bounded_text(_("source, details"), blank=True)
    asserted_by = models.CharField(
        _("asserted by"),
        max_length=200,
        blank=True,
        help_text=_("The person who had the knowledge, if not the recorder."),
    )
    evidence = bounded_text(_("evidence"), blank=True)
    rationale = bounded_text(
        _("why this is the moment of awareness"),
        blank=True,
        help_text=_("The reasonable degree of certainty (EDPB 9/2022)."),
    )
    processor_notice = models.OneToOneField(
        "incidents.ProcessorNotice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="awareness_record",
        verbose_name=_("from processor notice"),
        editable=False,
    )
    is_withdrawn = models.BooleanField(_("withdrawn"), default=False)
    withdrawal_reason = bounded_text(_("why it was withdrawn"), limits.REASON, blank=True)

    history = HistoricalRecords()
    objects = tenant_manager("incident__organisation")

    class Meta:
        base_manager_name = "objects"  # the history guard applies to Django's internal manager too
        verbose_name = _("awareness record")
        verbose_name_plural = _("awareness records")
        ordering = ["aware_at"]
        indexes = [models.Index(fields=["party", "aware_at"], name="awareness_party_time")]

    def __str__(self):
        return _("%(party)s aware at %(at)s") % {"party": self.party.party, "at": self.aware_at.isoformat()}

    def clean(self):
        errors: dict[str, list] = {}
        if self.party_id and self.incident_id and self.party.incident_id != self.incident_id:
            errors["party"] = [ValidationError(_("Unknown party."), code="other_incident")]
        check_instant(errors, "aware_at", self.aware_at)
        start = self.incident.occurred_from_at if self.incident_id else None
        if self.aware_at and start and self.aware_at < start:
            errors.setdefault("aware_at", []).append(
                ValidationError(_("Awareness cannot come before the breach started."), code="before_start")
            )
        self.withdrawal_reason = (self.withdrawal_reason or "").strip()
        if self.is_withdrawn and not self.withdrawal_reason:
            errors["withdrawal_reason"] = [ValidationError(_("Say why the record is withdrawn."), code="required")]
        if self.aware_at and not self.aware_tz:
            self.aware_tz = "UTC"
        if errors:
            raise ValidationError(errors)


class AffectedEstimate(RecordedFact):
    """How many people or records were affected, as known at an instant.

    Numbers in a breach are approximate and grow (485,000 → 715,000 → 941,000
    in the real case); each estimate is kept with when it became known and its
    source, so the register can show what was known when.
    """

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="estimates", verbose_name=_("incident")
    )
    measure = models.CharField(_("what is counted"), max_length=16, choices=EstimateMeasure.choices)
    low = models.PositiveBigIntegerField(_("number (or lower bound)"))
    high = models.PositiveBigIntegerField(
        _("upper bound"), null=True, blank=True, help_text=_("Leave empty for a single number.")
    )
    is_approximate = models.BooleanField(_("approximate"), default=True)
    is_at_least = models.BooleanField(
        _("at least"), default=False, help_text=_("The number is a floor: at least this many (no upper bound known).")
    )
    party = models.ForeignKey(
        "incidents.IncidentParty",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="estimates",
        verbose_name=_("for controller"),
        help_text=_("Leave empty for the whole incident."),
    )
    known_at = models.DateTimeField(_("known at"))
    known_tz = entry_zone_field(_("known at, zone"))
    source = models.CharField(_("source"), max_length=300)
    note = bounded_text(_("note"), blank=True)

    history = HistoricalRecords()
    objects = tenant_manager("incident__organisation")

    class Meta:
        base_manager_name = "objects"  # the history guard applies to Django's internal manager too
        verbose_name = _("affected estimate")
        verbose_name_plural = _("affected estimates")
        ordering = ["measure", "known_at"]
        indexes = [models.Index(fields=["incident", "measure", "known_at"], name="estimate_incident_time")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(high__isnull=True) | models.Q(high__gte=models.F("low")), name="estimate_low_le_high"
            ),
        ]

    def __str__(self):
        return f"{self.get_measure_display()}: {self.display_value}"

    @property
    def display_value(self) -> str:
        if self.is_at_least:
            return f"≥{self.low:,}"
        approx = "≈" if self.is_approximate and self.high is None else ""
        if self.high is None or self.high == self.low:
            return f"{approx}{self.low:,}"
        return f"{self.low:,}–{self.high:,}"

    def clean(self):
        errors: dict[str, list] = {}
        if self.low is not None and self.low < 0:
            errors["low"] = [ValidationError(_("A count cannot be negative."), code="negative")]
        if self.high is not None and self.high < 0:
            errors["high"] = [ValidationError(_("A count cannot be negative."), code="negative")]
        elif self.high is not None and self.low is not None and self.high < self.low:
            errors["high"] = [ValidationError(_("The upper bound is below the lower bound."), code="min_gt_max")]
        if self.is_at_least and self.high is not None:
            errors["is_at_least"] = [
                ValidationError(_("'At least' has no upper bound: clear one or the other."), code="at_least_with_high")
            ]
        if self.party_id and self.incident_id and self.party.incident_id != self.incident_id:
            errors["party"] = [ValidationError(_("Unknown party."), code="other_incident")]
        check_instant(errors, "known_at", self.known_at)
        start = self.incident.occurred_from_at if self.incident_id else None
        if self.known_at and start and self.known_at < start:
            errors.setdefault("known_at", []).append(
                ValidationError(
                    _("A count known at %(known)s cannot come before the breach started (%(start)s)."),
                    code="before_start",
                    params={"known": self.known_at.isoformat(), "start": start.isoformat()},
                )
            )
        if self.known_at and not self.known_tz:
            self.known_tz = "UTC"
        if errors:
            raise ValidationError(errors)
