"""The numbering of incident references (``YYYY-NNNN``): one counter per organisation and year."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from organisations.tenancy import scoped_manager


class IncidentReferenceCounter(models.Model):
    """The last number handed out for ``organisation``'s incident references in ``year``.

    **Derived bookkeeping, deliberately not historied, and not evidence.** The evidence is the
    reference on each incident, which is historied and never changes; this row only remembers
    the highest number used, so the next one is taken without a race. ``actions.incidents``
    locks it (``select_for_update``) in the transaction that creates the incident, so two
    concurrent creates never take the same number, and a create that rolls back gives its
    number back. It is created, under the same lock, by the first create of that year, starting
    at the highest number already used that year.
    """

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    last_number = models.PositiveIntegerField(_("last number used"), default=0)

    objects = scoped_manager("organisation")

    class Meta:
        verbose_name = _("incident reference counter")
        verbose_name_plural = _("incident reference counters")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "year"], name="incident_reference_counter_once_per_year"),
        ]

    def __str__(self):
        return f"{self.organisation_id} {self.year}: {self.last_number}"
