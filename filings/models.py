"""Filings to a supervisory authority, and the decision not to file.

A filing is evidence of what the authority was told, and when: once submitted
it never changes (``AuthorityFiling.save`` refuses it, whatever the caller).
A correction is a follow-up filing; the only later change is the authority's
own report number, added once when it was not known at submission.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from breachtrack import limits
from breachtrack.limits import bounded_text
from filings.choices import FilingChannel, FilingType, NotNotifiedBasis, ReporterFunction
from incidents.fields import entry_zone_field
from incidents.models.base import RecordedFact
from organisations.tenancy import tenant_manager


class FrozenFilingError(ValidationError):
    """A submitted filing was about to change: it is evidence, file a follow-up instead."""


class AuthorityFiling(RecordedFact):
    """One notification to a supervisory authority, as submitted (Art. 33(1), 33(4)).

    Filings form a chain per incident, controller and authority (``previous``):
    initial, follow-ups, possibly a withdrawal. ``content`` is the register as it
    stood at submission (Art. 33(3)(a)-(d)), frozen, with its SHA-256.
    """

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="authority_filings", verbose_name=_("incident")
    )
    controller = models.ForeignKey(
        "incidents.IncidentParty",
        on_delete=models.PROTECT,
        related_name="authority_filings",
        verbose_name=_("controller"),
    )
    authority = models.ForeignKey(
        "organisations.Authority",
        on_delete=models.PROTECT,
        related_name="filings",
        verbose_name=_("supervisory authority"),
    )
    filing_type = models.CharField(_("type of filing"), max_length=16, choices=FilingType.choices)
    submitted_at = models.DateTimeField(
        _("submitted at"), help_text=_("When it was actually submitted to the authority.")
    )
    submitted_tz = entry_zone_field(_("submitted at, zone"))
    submitted_by = models.CharField(
        _("submitted by"), max_length=200, blank=True, help_text=_("The filer named on the authority's form.")
    )
    reporter_function = models.CharField(
        _("function of the filer"),
        max_length=32,
        choices=ReporterFunction.choices,
        blank=True,
        help_text=_("The EDPB template asks who files: the DPO, a legal representative or someone else."),
    )
    reporter_function_detail = models.CharField(
        _("function of the filer, described"), max_length=200, blank=True, help_text=_("When someone else files.")
    )
    reporter_contact = models.CharField(
        _("filer's contact details"), max_length=200, blank=True, help_text=_("E-mail or phone of the filer.")
    )
    channel = models.CharField(_("channel"), max_length=16, choices=FilingChannel.choices)
    authority_reference = models.CharField(
        _("authority's report number"),
        max_length=100,
        blank=True,
        help_text=_("May be added once later if the authority assigns it after submission."),
    )
    previous = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_filings",
        verbose_name=_("previous filing"),
        editable=False,
    )
    is_phased = models.BooleanField(
        _("phased: more information follows (Art. 33(4))"),
        default=False,
        help_text=_("An incomplete filing; the missing information follows in phases."),
    )
    delay_reasons = bounded_text(
        _("reasons for the delay (Art. 33(1))"),
        blank=True,
        help_text=_("Required when the initial notification is made after the 72 hours."),
    )
    withdrawal_reason = bounded_text(_("why the notification is withdrawn"), limits.REASON, blank=True)
    content = models.JSONField(_("content as submitted"), editable=False)
    content_sha256 = models.CharField(_("SHA-256 of the content"), max_length=64, editable=False)

    history = HistoricalRecords()
    objects = tenant_manager("incident__organisation")

    # Everything but the report number, which may be filled in once.
    FROZEN_FIELDS = (
        "incident_id",
        "controller_id",
        "authority_id",
        "filing_type",
        "submitted_at",
        "submitted_tz",
        "submitted_by",
        "reporter_function",
        "reporter_function_detail",
        "reporter_contact",
        "channel",
        "previous_id",
        "is_phased",
        "delay_reasons",
        "withdrawal_reason",
        "content",
        "content_sha256",
        "recorded_by_id",
        "recorded_at",
    )

    class Meta:
        base_manager_name = "objects"  # the history guard applies to Django's internal manager too
        verbose_name = _("filing to the authority")
        verbose_name_plural = _("filings to the authority")
        ordering = ["incident", "submitted_at", "pk"]
        indexes = [models.Index(fields=["incident", "controller", "submitted_at"], name="filing_controller_time")]
        constraints = [
            # A chain never forks: each filing has at most one successor.
            models.UniqueConstraint(fields=["previous"], name="filing_one_successor"),
        ]

    def __str__(self):
        return _("%(type)s to %(authority)s, %(at)s") % {
            "type": self.get_filing_type_display(),
            "authority": self.authority,
            "at": self.submitted_at.isoformat(),
        }

    def save(self, *args, **kwargs):
        """Refuse any change to a submitted filing before it reaches the database."""
        if self.pk is not None and not self._state.adding:
            changed = self.changed_frozen_fields()
            if changed:
                raise FrozenFilingError(
                    {
                        name: ValidationError(
                            _("A submitted filing never changes: file a follow-up to correct it."), code="frozen"
                        )
                        for name in changed
                    }
                )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise FrozenFilingError(_("A submitted filing is evidence and is never deleted."), code="frozen")

    def changed_frozen_fields(self) -> list[str]:
        """The frozen fields whose value differs from the stored row (the report number: once set)."""
        stored = type(self)._base_manager.filter(pk=self.pk).values(*self.FROZEN_FIELDS, "authority_reference").first()
        if stored is None:
            return []
        changed = [name.removesuffix("_id") for name in self.FROZEN_FIELDS if stored[name] != getattr(self, name)]
        if stored["authority_reference"] and stored["authority_reference"] != self.authority_reference:
            changed.append("authority_reference")
        return changed

    @property
    def is_withdrawal(self) -> bool:
        return self.filing_type == FilingType.WITHDRAWAL


class NotificationDecisionRecord(RecordedFact):
    """ "Not notified, because …": a controller's decision not to notify the authority.

    Art. 33(5) asks the register to let the authority verify compliance, which
    includes the reasoning when a breach is not notified. The decision closes
    that controller's Art. 33(1) clock as *decided not to notify* — not as met.
    """

    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.PROTECT,
        related_name="notification_decisions",
        verbose_name=_("incident"),
    )
    controller = models.ForeignKey(
        "incidents.IncidentParty",
        on_delete=models.PROTECT,
        related_name="notification_decisions",
        verbose_name=_("controller"),
    )
    decided_at = models.DateTimeField(_("decided at"))
    decided_tz = entry_zone_field(_("decided at, zone"))
    decided_by = models.CharField(_("decided by"), max_length=200, help_text=_("The person who took the decision."))
    risk_basis = models.CharField(_("basis"), max_length=32, choices=NotNotifiedBasis.choices)
    reasoning = bounded_text(_("reasoning"), help_text=_("Why notifying the authority is not required."))

    history = HistoricalRecords()
    objects = tenant_manager("incident__organisation")

    class Meta:
        base_manager_name = "objects"  # the history guard applies to Django's internal manager too
        verbose_name = _("decision not to notify")
        verbose_name_plural = _("decisions not to notify")
        ordering = ["incident", "decided_at", "pk"]

    def __str__(self):
        return _("%(controller)s: not notified (%(basis)s)") % {
            "controller": self.controller.party,
            "basis": self.get_risk_basis_display(),
        }

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise FrozenFilingError(
                _("A recorded decision does not change: record a new decision or file a notification."), code="frozen"
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise FrozenFilingError(_("A recorded decision is evidence and is never deleted."), code="frozen")


class RegimeReportFiling(RecordedFact):
    """One report made under a notification regime other than the GDPR (NIS2, DORA, ...), as submitted.

    It meets that report's clock, and its submission is the moment a chained report of the same
    regime runs from (``report:<code>`` in the regime's file, e.g. DORA's intermediate report 72
    hours after the initial notification). ``regime``, ``report`` and ``recipient`` are codes of
    the regimes' catalogue and ``rule_version`` the version of the regime's rules it was made
    under (checked by ``actions.regimes``). Like a filing to the authority it never changes once
    submitted; only the recipient's reference may be added once later.
    """

    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.PROTECT,
        related_name="regime_report_filings",
        verbose_name=_("incident"),
    )
    regime = models.SlugField(_("regime"), max_length=32)
    report = models.SlugField(_("report"), max_length=64)
    recipient = models.SlugField(_("recipient"), max_length=64)
    rule_version = models.CharField(_("version of the rules"), max_length=32)
    submitted_at = models.DateTimeField(_("submitted at"), help_text=_("When it was actually submitted."))
    submitted_tz = entry_zone_field(_("submitted at, zone"))
    reference = models.CharField(
        _("recipient's reference"),
        max_length=limits.REFERENCE,
        blank=True,
        help_text=_("May be added once later if the recipient assigns it after submission."),
    )
    summary = bounded_text(_("what was reported"), blank=True)

    history = HistoricalRecords()
    objects = tenant_manager("incident__organisation")

    FROZEN_FIELDS = (
        "incident_id",
        "regime",
        "report",
        "recipient",
        "rule_version",
        "submitted_at",
        "submitted_tz",
        "summary",
        "recorded_by_id",
        "recorded_at",
    )

    class Meta:
        base_manager_name = "objects"  # the history guard applies to Django's internal manager too
        verbose_name = _("report under a regime")
        verbose_name_plural = _("reports under regimes")
        ordering = ["incident", "submitted_at", "pk"]
        indexes = [models.Index(fields=["incident", "regime", "report", "submitted_at"], name="regime_filing_time")]

    def __str__(self):
        return f"{self.regime}/{self.report} → {self.recipient}, {self.submitted_at.isoformat()}"

    def save(self, *args, **kwargs):
        """Refuse any change to a submitted report before it reaches the database."""
        if self.pk is not None and not self._state.adding:
            stored = type(self)._base_manager.filter(pk=self.pk).values(*self.FROZEN_FIELDS, "reference").first()
            if stored is not None:
                changed = [
                    name.removesuffix("_id") for name in self.FROZEN_FIELDS if stored[name] != getattr(self, name)
                ]
                if stored["reference"] and stored["reference"] != self.reference:
                    changed.append("reference")
                if changed:
                    raise FrozenFilingError(
                        {
                            name: ValidationError(
                                _("A submitted report never changes: make a new report to correct it."), code="frozen"
                            )
                            for name in changed
                        }
                    )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise FrozenFilingError(_("A submitted report is evidence and is never deleted."), code="frozen")
