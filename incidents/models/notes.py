"""Notes on an incident, some of them legally privileged (never in a regulator export)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from breachtrack import limits
from breachtrack.limits import bounded_text
from incidents.fields import entry_zone_field
from incidents.models.base import RecordedFact
from incidents.models.incident import check_instant
from organisations.tenancy import tenant_manager

NOTE_MAX_LENGTH = limits.TEXT


class IncidentNote(RecordedFact):
    """A person's note on an incident: what was said on a call, advice, a decision's background.

    A note can be marked **legally privileged** (legal advice, work product). A privileged note
    is read only by the roles in ``readers.notes.PRIVILEGE_READ_ROLES`` and never leaves the
    building: every export is regulator-facing and leaves out the note *and every history record
    of it* (``readers.timeline.Audience``). ``occurred_at`` is when what the note describes
    happened, if it says; ``recorded_at``/``recorded_by`` when and by whom it was written.
    """

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="notes", verbose_name=_("incident")
    )
    body = bounded_text(_("note"), NOTE_MAX_LENGTH)
    is_legally_privileged = models.BooleanField(
        _("legally privileged"),
        default=False,
        help_text=_("Legal advice or work product: never exported, never shown to viewers."),
    )
    occurred_at = models.DateTimeField(
        _("happened at"), null=True, blank=True, help_text=_("When what the note describes happened, if known.")
    )
    occurred_tz = entry_zone_field(_("happened at, zone"))

    history = HistoricalRecords()
    objects = tenant_manager("incident__organisation")

    class Meta:
        base_manager_name = "objects"  # the history guard applies to Django's internal manager too
        verbose_name = _("incident note")
        verbose_name_plural = _("incident notes")
        ordering = ["recorded_at", "pk"]

    def __str__(self):
        return _("Note #%(id)s on %(incident)s") % {"id": self.pk, "incident": self.incident.reference}

    def clean(self):
        errors: dict[str, list] = {}
        self.body = (self.body or "").strip()
        if not self.body:
            errors["body"] = [ValidationError(_("Write the note."), code="required")]
        check_instant(errors, "occurred_at", self.occurred_at)
        if self.occurred_at and not self.occurred_tz:
            self.occurred_tz = "UTC"
        if self.occurred_at is None:
            self.occurred_tz = ""
        if errors:
            raise ValidationError(errors)
