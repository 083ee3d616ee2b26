"""Who is involved in one incident, and in which role.

One breach at a processor can start a separate 72-hour clock for each
controller it serves (docs/domain.md#awareness): the parties, the processing
relationships between them and each processor→controller notice are rows of
their own so every controller's clock can be derived and checked.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from breachtrack.errors import field_error
from breachtrack.limits import bounded_text
from incidents.choices import CONTROLLER_ROLES, PROCESSOR_ROLES, AuthorityRole, Channel, PartyRole
from incidents.fields import entry_zone_field
from incidents.models.base import RecordedFact
from incidents.models.incident import check_instant
from organisations.tenancy import tenant_manager


class IncidentParty(models.Model):
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="parties", verbose_name=_("incident")
    )
    party = models.ForeignKey(
        "organisations.Party", on_delete=models.PROTECT, related_name="incident_roles", verbose_name=_("party")
    )
    role = models.CharField(_("role in this incident"), max_length=32, choices=PartyRole.choices)
    notes = bounded_text(_("notes"), blank=True)

    history = HistoricalRecords()
    objects = tenant_manager("incident__organisation")

    class Meta:
        base_manager_name = "objects"  # the history guard applies to Django's internal manager too
        verbose_name = _("party to the incident")
        verbose_name_plural = _("parties to the incident")
        ordering = ["incident", "role", "party__name"]
        constraints = [models.UniqueConstraint(fields=["incident", "party"], name="party_once_per_incident")]

    def __str__(self):
        return f"{self.party} ({self.get_role_display()})"

    @property
    def is_controller(self) -> bool:
        return self.role in CONTROLLER_ROLES

    @property
    def is_processor(self) -> bool:
        return self.role in PROCESSOR_ROLES

    def clean(self):
        if self.incident_id and self.party_id and self.party.owner_id != self.incident.organisation_id:
            raise field_error("party", _("Unknown party."), "other_organisation")


class IncidentAuthority(models.Model):
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="authorities", verbose_name=_("incident")
    )
    authority = models.ForeignKey("organisations.Authority", on_delete=models.PROTECT, verbose_name=_("authority"))
    role = models.CharField(_("role"), max_length=16, choices=AuthorityRole.choices)

    history = HistoricalRecords()
    objects = tenant_manager("incident__organisation")

    class Meta:
        base_manager_name = "objects"  # the history guard applies to Django's internal manager too
        verbose_name = _("authority on the incident")
        verbose_name_plural = _("authorities on the incident")
        constraints = [
            models.UniqueConstraint(fields=["incident", "authority"], name="authority_once_per_incident"),
            models.UniqueConstraint(
                fields=["incident"], condition=models.Q(role="lead"), name="one_lead_authority_per_incident"
            ),
        ]

    def __str__(self):
        return f"{self.authority} ({self.get_role_display()})"


class ProcessingRelationship(models.Model):
    """A processor acting for a controller in this incident, with the agreed notice target.

    Art. 33(2) says only "without undue delay"; processing agreements usually
    fix a number of hours, kept here so the lag can be flagged against it.
    """

    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.PROTECT,
        related_name="processing_relationships",
        verbose_name=_("incident"),
    )
    processor = models.ForeignKey(
        IncidentParty, on_delete=models.PROTECT, related_name="serves", verbose_name=_("processor")
    )
    controller = models.ForeignKey(
        IncidentParty, on_delete=models.PROTECT, related_name="served_by", verbose_name=_("controller")
    )
    notice_target_hours = models.PositiveIntegerField(
        _("notice target (hours)"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 30)],
        help_text=_("From the processing agreement; Art. 33(2) itself says 'without undue delay'."),
    )
    agreement_reference = models.CharField(_("processing agreement"), max_length=200, blank=True)

    history = HistoricalRecords()
    objects = tenant_manager("incident__organisation")

    class Meta:
        base_manager_name = "objects"  # the history guard applies to Django's internal manager too
        verbose_name = _("processing relationship")
        verbose_name_plural = _("processing relationships")
        constraints = [
            models.UniqueConstraint(fields=["processor", "controller"], name="relationship_once"),
        ]

    def __str__(self):
        return _("%(processor)s for %(controller)s") % {
            "processor": self.processor.party,
            "controller": self.controller.party,
        }

    def clean(self):
        errors = {}
        if self.processor_id and self.processor.incident_id != self.incident_id:
            errors["processor"] = _("Unknown party.")
        elif self.processor_id and not self.processor.is_processor:
            errors["processor"] = _("This party is not a processor in this incident.")
        if self.controller_id and self.controller.incident_id != self.incident_id:
            errors["controller"] = _("Unknown party.")
        elif self.controller_id and self.controller.role not in CONTROLLER_ROLES | {PartyRole.PROCESSOR}:
            errors["controller"] = _("A processor serves a controller (or, as sub-processor, a processor).")
        if self.processor_id and self.processor_id == self.controller_id:
            errors["controller"] = _("A party cannot be its own processor.")
        if errors:
            raise ValidationError(errors)


class ProcessorNotice(RecordedFact):
    """The processor telling a controller about the breach (Art. 33(2)): an event of its own."""

    relationship = models.ForeignKey(
        ProcessingRelationship, on_delete=models.PROTECT, related_name="notices", verbose_name=_("relationship")
    )
    informed_at = models.DateTimeField(_("informed at"))
    informed_tz = entry_zone_field(_("informed at, zone"))
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    informed_by = models.CharField(_("informed by (processor side)"), max_length=200)
    received_by = models.CharField(_("received by (controller side)"), max_length=200, blank=True)
    summary = bounded_text(_("what was said"), blank=True)
    evidence = bounded_text(
        _("evidence"), blank=True, help_text=_("Where the proof is kept: e-mail id, ticket, document.")
    )

    history = HistoricalRecords()
    objects = tenant_manager("relationship__incident__organisation")

    class Meta:
        base_manager_name = "objects"  # the history guard applies to Django's internal manager too
        verbose_name = _("processor notice")
        verbose_name_plural = _("processor notices")
        ordering = ["informed_at"]

    def __str__(self):
        return _("%(relationship)s informed at %(at)s") % {
            "relationship": self.relationship,
            "at": self.informed_at.isoformat(),
        }

    def clean(self):
        errors = {}
        check_instant(errors, "informed_at", self.informed_at)
        if not self.informed_tz and self.informed_at:
            self.informed_tz = "UTC"
        if errors:
            raise ValidationError(errors)
