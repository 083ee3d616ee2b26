"""The dashboard's filters: a GET form, so a filtered view is a link one can share or bookmark."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from incidents.choices import RiskLevel, Status
from readers.dashboard import NO_HIGH_RISK, UNASSESSED, DashboardFilters

STATUS_CHOICES = [
    ("", _("Open or contained")),
    (Status.OPEN.value, _("Open")),
    (Status.CONTAINED.value, _("Contained")),
]
RISK_CHOICES = [
    ("", _("Any risk")),
    (RiskLevel.HIGH.value, _("High risk")),
    (RiskLevel.RISK.value, _("Risk")),
    (RiskLevel.NONE.value, _("Unlikely to result in a risk")),
    (UNASSESSED, _("Not assessed yet")),
]

# The short words a badge shows; the register's own labels cite the articles and are long.
RISK_BADGES = {
    RiskLevel.HIGH.value: _("High risk"),
    RiskLevel.RISK.value: _("Risk"),
    RiskLevel.NONE.value: _("No risk"),
    NO_HIGH_RISK: _("No high risk (Art. 34)"),
    "": _("Risk not assessed"),
}
STATUS_BADGES = {Status.OPEN.value: _("Open"), Status.CONTAINED.value: _("Contained")}


class DashboardFilterForm(forms.Form):
    """Status, risk and (for people in several organisations) organisation.

    An unknown value is refused with the field's message (the view answers 400), never
    silently widened to "everything": a filtered list that quietly shows more is worse than none.
    """

    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)
    risk = forms.ChoiceField(label=_("Risk"), choices=RISK_CHOICES, required=False)
    organisation = forms.TypedChoiceField(label=_("Organisation"), required=False, coerce=int, empty_value=None)

    def __init__(self, data, *, organisations):
        super().__init__(data)
        self.fields["organisation"].choices = [("", _("All my organisations"))] + [
            (organisation.pk, organisation.name) for organisation in organisations
        ]
        if len(organisations) < 2:
            del self.fields["organisation"]  # one organisation: nothing to choose

    def filters(self) -> DashboardFilters:
        data = self.cleaned_data
        return DashboardFilters(status=data["status"], risk=data["risk"], organisation=data.get("organisation"))
