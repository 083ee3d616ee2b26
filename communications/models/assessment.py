"""The Art. 34 decision, per incident and controller, as a history of assessments."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from breachtrack.limits import bounded_text
from communications.choices import CLOSING_EXEMPTIONS, AuthorityDecision, Exemption
from incidents.fields import entry_zone_field
from incidents.models.base import RecordedFact
from organisations.tenancy import tenant_manager


class CommunicationAssessment(RecordedFact):
    """*Controller C decided, at T, whether data subjects must be told, and why.*

    Append-only: a new assessment supersedes the previous one for the same
    controller; all stay on record and the latest recorded is current. A
    decision **not** to communicate (no high risk, or an Art. 34(3) exemption)
    is an entry like any other, with its reasoning: the register must let the
    authority verify it (Art. 33(5)).
    """

    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.PROTECT,
        related_name="communication_assessments",
        verbose_name=_("incident"),
    )
    controller = models.ForeignKey(
        "incidents.IncidentParty",
        on_delete=models.PROTECT,
        related_name="communication_assessments",
        verbose_name=_("controller"),
    )
    is_high_risk = models.BooleanField(_("likely to result in a high risk (Art. 34(1))"))
    reasoning = bounded_text(_("reasoning for the risk assessment"))
    exemption = models.CharField(
        _("exemption (Art. 34(3))"), max_length=32, choices=Exemption.choices, default=Exemption.NONE
    )
    exemption_reasoning = bounded_text(_("reasoning for the exemption"), blank=True)
    authority_decision = models.CharField(
        _("decision of the authority (Art. 34(4))"),
        max_length=32,
        choices=AuthorityDecision.choices,
        default=AuthorityDecision.NONE,
    )
    authority_decided_at = models.DateTimeField(_("authority decided at"), null=True, blank=True)
    authority_decided_tz = entry_zone_field(_("authority decided at, zone"))
    authority_reference = models.CharField(_("authority's reference"), max_length=100, blank=True)
    decided_by_name = models.CharField(_("decided by (name)"), max_length=200)
    decided_by_role = models.CharField(_("decided by (role)"), max_length=200)
    decided_at = models.DateTimeField(_("decided at"))
    decided_tz = entry_zone_field(_("decided at, zone"))

    history = HistoricalRecords()
    objects = tenant_manager("incident__organisation")

    class Meta:
        base_manager_name = "objects"  # the history guard applies to Django's internal manager too
        verbose_name = _("Art. 34 assessment")
        verbose_name_plural = _("Art. 34 assessments")
        ordering = ["controller", "-pk"]
        indexes = [models.Index(fields=["controller", "-id"], name="assessment_controller_latest")]

    def __str__(self):
        return _("%(controller)s: %(verdict)s") % {"controller": self.controller.party, "verdict": self.verdict}

    @property
    def verdict(self) -> str:
        if self.is_exempt:
            return str(_("no communication (exemption)"))
        if self.requires_communication:
            return str(_("communicate"))
        return str(_("no high risk: no communication"))

    @property
    def is_ordered(self) -> bool:
        return self.authority_decision == AuthorityDecision.ORDERED

    @property
    def is_exempt(self) -> bool:
        """Nothing more is owed to data subjects: exemption (a)/(b), or the authority said so."""
        if self.is_ordered:
            return False
        # Under 34(3)(c) something is still owed (a public communication), whoever found it met.
        return self.exemption in CLOSING_EXEMPTIONS

    @property
    def requires_public_communication(self) -> bool:
        """Art. 34(3)(c): disproportionate effort, so a public communication is owed instead."""
        return not self.is_ordered and self.is_high_risk and self.exemption == Exemption.DISPROPORTIONATE_EFFORT

    @property
    def requires_communication(self) -> bool:
        """Something is owed (to each person, or publicly under 34(3)(c)): the Art. 34 clock runs."""
        if self.is_ordered:
            return True
        return self.is_high_risk and not self.is_exempt

    @property
    def clock_started_at(self):
        """Ordered by the authority: from its order; otherwise from this decision."""
        if self.is_ordered and self.authority_decided_at is not None:
            return self.authority_decided_at
        return self.decided_at

    def clean(self):
        errors: dict[str, list] = {}
        self.reasoning = (self.reasoning or "").strip()
        self.exemption_reasoning = (self.exemption_reasoning or "").strip()
        if self.controller_id and self.incident_id:
            if self.controller.incident_id != self.incident_id:
                errors["controller"] = [ValidationError(_("Unknown party."), code="other_incident")]
            elif not self.controller.is_controller:
                errors["controller"] = [
                    ValidationError(
                        _("Only a controller communicates to data subjects (Art. 34)."), code="not_controller"
                    )
                ]
        if not self.reasoning:
            errors["reasoning"] = [
                ValidationError(_("Give the reasoning: a decision not to communicate needs it too."), code="required")
            ]
        if self.exemption != Exemption.NONE and not self.exemption_reasoning:
            errors["exemption_reasoning"] = [ValidationError(_("Say why the exemption applies."), code="required")]
        if self.exemption != Exemption.NONE and not self.is_high_risk:
            errors["exemption"] = [
                ValidationError(
                    _("An Art. 34(3) exemption only matters when the risk is high."), code="exemption_without_high_risk"
                )
            ]
        self._clean_authority(errors)
        if self.decided_at and not self.decided_tz:
            self.decided_tz = "UTC"
        if errors:
            raise ValidationError(errors)

    def _clean_authority(self, errors) -> None:
        if self.authority_decision == AuthorityDecision.NONE:
            if self.authority_decided_at or self.authority_reference:
                errors["authority_decision"] = [
                    ValidationError(
                        _("Say what the authority decided, or clear its date and reference."), code="required"
                    )
                ]
            return
        if self.authority_decided_at is None:
            errors["authority_decided_at"] = [ValidationError(_("Record when the authority decided."), code="required")]
        elif not self.authority_decided_tz:
            self.authority_decided_tz = "UTC"
        if self.authority_decision == AuthorityDecision.EXEMPTION_APPLIES and self.exemption == Exemption.NONE:
            errors["exemption"] = [
                ValidationError(_("Name the Art. 34(3) condition the authority found met."), code="required")
            ]
