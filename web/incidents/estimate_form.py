"""The incident page's form to record what is now known about the number affected (privacy officers).

Counts in a breach grow and are approximate (485,000 → 941,000 letters in the real case): each new
figure is a new estimate, with when it became known and its source, never an edit of the last one.
The form only shapes the input; ``actions.incidents.record_estimate`` decides (role, instants,
bounds) and writes nothing when it refuses. The controllers come from the register the page has
already loaded (no extra query).
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from breachtrack import limits
from incidents.choices import EstimateMeasure
from web.forms import LocalInstantField, LongSelect, PlainChoices, default_zone_name


class EstimateForm(forms.Form):
    measure = forms.ChoiceField(
        label=_("What is counted"), choices=EstimateMeasure.choices, initial=EstimateMeasure.DATA_SUBJECTS
    )
    low = forms.IntegerField(label=_("Number (or lower bound)"), min_value=0)
    high = forms.IntegerField(label=_("Upper bound"), min_value=0, required=False, help_text=_("For a range only."))
    is_approximate = forms.BooleanField(label=_("Approximate"), required=False, initial=True)
    is_at_least = forms.BooleanField(label=_("At least this many (no upper bound known)"), required=False)
    party = forms.TypedChoiceField(label=_("For"), coerce=int, required=False, empty_value=None, widget=LongSelect)
    known_at = LocalInstantField(label=_("Known at"), required=True, frequent_only=True)
    source = forms.CharField(
        label=_("Source"), max_length=limits.LABEL, help_text=_("e.g. the forensic report, the mailing list.")
    )
    note = forms.CharField(
        label=_("Note"), max_length=limits.TEXT, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    reason = forms.CharField(label=_("Reason for recording it — kept as evidence"), max_length=limits.REASON)

    SERVICE_FIELDS = ("measure", "low", "high", "is_approximate", "is_at_least", "source", "note")

    def __init__(self, *args, register, user=None, **kwargs):
        super().__init__(*args, prefix="estimate", **kwargs)
        self.controllers = {party.pk: party for party in register.parties if party.is_controller}
        self.fields["party"].choices = PlainChoices(
            [("", _("the whole incident"))] + [(pk, str(party.party)) for pk, party in self.controllers.items()]
        )
        zone_name = default_zone_name(user)
        # As the filing form: only the zones a person likely reads the clock in.
        self.fields["known_at"] = LocalInstantField(
            label=self.fields["known_at"].label, required=True, default_zone=zone_name, frequent_only=True
        )

    def clean(self):
        data = super().clean()
        if data.get("party") is not None and data["party"] not in self.controllers:
            self.add_error("party", _("Choose a controller of this incident."))
        return data

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        arguments = {name: data[name] for name in self.SERVICE_FIELDS}
        arguments.update(
            party=self.controllers.get(data["party"]) if data["party"] is not None else None,
            known_at=data["known_at"].at,
            known_tz=data["known_at"].zone,
            reason=data["reason"],
        )
        return arguments

    def add_service_errors(self, error: ValidationError) -> None:
        for name, messages in getattr(error, "message_dict", {"__all__": error.messages}).items():
            target = "known_at" if name == "known_tz" else name
            self.add_error(target if target in self.fields else None, messages)
