"""What is said to data subjects (content versions) and when and how (waves)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from breachtrack import limits
from breachtrack.limits import bounded_text
from communications.choices import WaveChannel
from incidents.fields import entry_zone_field
from incidents.models.base import RecordedFact
from incidents.models.incident import check_instant
from organisations.tenancy import tenant_manager

# The Art. 34(2) elements, as (flag, label): a communication must describe the nature of the
# breach in clear and plain language and give at least Art. 33(3)(b), (c) and (d).
ART_34_2_ELEMENTS = (
    ("describes_nature", _("the nature of the breach, in clear and plain language (Art. 34(2))")),
    ("names_contact_point", _("the name and contact details of the DPO or other contact point (Art. 33(3)(b))")),
    ("describes_consequences", _("the likely consequences (Art. 33(3)(c))")),
    ("describes_measures", _("the measures taken or proposed, including mitigation (Art. 33(3)(d))")),
)


class ContentVersion(RecordedFact):
    """One numbered version of the text sent to data subjects, in one language.

    The Art. 34(2) check is a checklist of flags the privacy officer confirms after reading
    the text (no program can tell whether a letter explains the consequences); a version with
    an unconfirmed element is refused for sending. Once a sent wave used it, the version is
    frozen: a correction is a new version, so every sent letter keeps the text it had.
    """

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="content_versions", verbose_name=_("incident")
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    version = models.PositiveIntegerField(_("version"), editable=False)
    title = models.CharField(_("title"), max_length=200)
    text = bounded_text(_("text"), limits.LETTER)
    describes_nature = models.BooleanField(_("describes the nature of the breach"), default=False)
    names_contact_point = models.BooleanField(_("names the contact point"), default=False)
    describes_consequences = models.BooleanField(_("describes the likely consequences"), default=False)
    describes_measures = models.BooleanField(_("describes the measures"), default=False)
    is_frozen = models.BooleanField(_("frozen (used by a sent wave)"), default=False, editable=False)

    history = HistoricalRecords()
    objects = tenant_manager("incident__organisation")

    class Meta:
        base_manager_name = "objects"  # the history guard applies to Django's internal manager too
        verbose_name = _("content version")
        verbose_name_plural = _("content versions")
        ordering = ["incident", "language", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "language", "version"], name="content_version_unique"),
        ]

    def __str__(self):
        return f"{self.title} ({self.language} v{self.version})"

    @property
    def missing_elements(self) -> list[tuple[str, str]]:
        """The Art. 34(2) elements not confirmed, as (flag, label); empty when complete."""
        return [(flag, str(label)) for flag, label in ART_34_2_ELEMENTS if not getattr(self, flag)]

    @property
    def is_complete(self) -> bool:
        return not self.missing_elements

    def clean(self):
        errors = {}
        self.text = (self.text or "").strip()
        if not self.text:
            errors["text"] = [ValidationError(_("The text is empty."), code="required")]
        if errors:
            raise ValidationError(errors)


class CommunicationWave(RecordedFact):
    """One sending to one cohort of one controller's data subjects, through one channel.

    Two figures are kept apart: ``planned_count`` is what the officer planned (typed in, never
    touched by an import), ``recipient_count`` is what the recipient ledger holds (rolled up by
    each import, never typed in). A wave with a ledger takes its sent count from the ledger;
    a wave without one (a public notice, a phone campaign) carries counts the officer records.
    """

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="communication_waves", verbose_name=_("incident")
    )
    controller = models.ForeignKey(
        "incidents.IncidentParty",
        on_delete=models.PROTECT,
        related_name="communication_waves",
        verbose_name=_("controller (whose data subjects)"),
    )
    cohort_label = models.CharField(
        _("cohort"), max_length=200, help_text=_("Who this wave reaches, e.g. 'participants 2017-2019'.")
    )
    channel = models.CharField(_("channel"), max_length=16, choices=WaveChannel.choices)
    content_version = models.ForeignKey(
        ContentVersion, on_delete=models.PROTECT, related_name="waves", verbose_name=_("content version")
    )
    planned_at = models.DateTimeField(_("planned for"))
    planned_tz = entry_zone_field(_("planned for, zone"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sent_tz = entry_zone_field(_("sent at, zone"))
    planned_count = models.PositiveBigIntegerField(_("recipients planned"), default=0)
    recipient_count = models.PositiveBigIntegerField(_("recipients imported (ledger)"), default=0, editable=False)
    sent_count = models.PositiveBigIntegerField(_("sent"), default=0)
    bounced_count = models.PositiveBigIntegerField(_("bounced or undeliverable"), default=0)
    has_ledger = models.BooleanField(_("counts from the recipient ledger"), default=False, editable=False)

    history = HistoricalRecords()
    objects = tenant_manager("incident__organisation")

    class Meta:
        base_manager_name = "objects"  # the history guard applies to Django's internal manager too
        verbose_name = _("communication wave")
        verbose_name_plural = _("communication waves")
        ordering = ["incident", "planned_at", "pk"]
        indexes = [models.Index(fields=["controller", "sent_at"], name="wave_controller_sent")]
        constraints = [
            # A ledger wave sends to the people in its ledger; another wave to at most its plan.
            models.CheckConstraint(
                condition=models.Q(has_ledger=True, sent_count__lte=models.F("recipient_count"))
                | models.Q(has_ledger=False, sent_count__lte=models.F("planned_count"))
                | models.Q(has_ledger=False, planned_count=0),
                name="wave_sent_le_planned",
            ),
        ]

    def __str__(self):
        return f"{self.cohort_label} · {self.get_channel_display()}"

    @property
    def is_sent(self) -> bool:
        return self.sent_at is not None

    def clean(self):
        errors: dict[str, list] = {}
        if self.controller_id and self.incident_id:
            if self.controller.incident_id != self.incident_id:
                errors["controller"] = [ValidationError(_("Unknown party."), code="other_incident")]
            elif not self.controller.is_controller:
                errors["controller"] = [
                    ValidationError(
                        _("Only a controller communicates to data subjects (Art. 34)."), code="not_controller"
                    )
                ]
        if self.content_version_id and self.incident_id and self.content_version.incident_id != self.incident_id:
            errors["content_version"] = [ValidationError(_("Unknown content version."), code="other_incident")]
        if self.bounced_count > self.sent_count and self.sent_count:
            errors["bounced_count"] = [ValidationError(_("More bounced than sent."), code="bounced_gt_sent")]
        if not self.has_ledger and self.planned_count and self.sent_count > self.planned_count:
            errors["sent_count"] = [ValidationError(_("More sent than planned."), code="sent_gt_planned")]
        check_instant(errors, "planned_at", self.planned_at, may_be_ahead=True)  # the future is when it is planned
        for stem in ("planned", "sent"):
            if getattr(self, f"{stem}_at") is not None and not getattr(self, f"{stem}_tz"):
                setattr(self, f"{stem}_tz", "UTC")
        if errors:
            raise ValidationError(errors)
