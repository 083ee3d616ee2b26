"""The forms of the incident page's "Regimes" section (privacy officers).

A decision on a regime (confirm or reject, the reason required), a moment a regime's clock runs
from (detection, classification, ...; typed as local wall-clock time with its zone, like
awareness), a yes/no determination, a count of people per place of residence, and a filing of a
regime's report. The forms only shape the input: ``actions.regimes`` decides and writes nothing
when it refuses; its refusals land on the fields. The report choices come from the section the
page has already read (no extra query).
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from breachtrack import limits
from incidents.choices import AnchorKind, DeterminationFlag
from web.forms import LocalInstant, LocalInstantField, default_zone_name

REASON_HELP = _("Why you record this, e.g. 'the CSIRT's receipt of 7 July, 10:15'. Kept as evidence.")
APPLIES_CHOICES = [("yes", _("Confirm: the regime applies")), ("no", _("Reject: the regime does not apply"))]
YES_NO = [("yes", _("yes")), ("no", _("no"))]


def _instant(label, user) -> LocalInstantField:
    # As the filing form: only the zones a person likely reads the clock in.
    return LocalInstantField(label=label, required=True, default_zone=default_zone_name(user), frequent_only=True)


def _reason(label=None) -> forms.CharField:
    return forms.CharField(
        label=label or _("Reason for recording this — kept as evidence"),
        max_length=limits.REASON,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=REASON_HELP,
    )


class RegimeForm(forms.Form):
    """Shared: a prefix per form (several on one page), service errors onto the fields."""

    prefix_name = ""
    instant_field = ""  # the LocalInstantField whose ``<stem>_tz`` errors it takes

    def __init__(self, *args, section, user=None, **kwargs):
        super().__init__(*args, prefix=self.prefix_name, **kwargs)
        self.section = section
        self.user = user

    def add_service_errors(self, error: ValidationError) -> None:
        for name, messages in getattr(error, "message_dict", {"__all__": error.messages}).items():
            target = self.instant_field if name.endswith("_tz") or name.endswith("_at") or name == "as_of" else name
            self.add_error(target if target in self.fields else None, messages)


class DecisionForm(RegimeForm):
    prefix_name = "decision"
    regime = forms.ChoiceField(label=_("Regime"))
    applies = forms.ChoiceField(label=_("Decision"), choices=APPLIES_CHOICES, widget=forms.RadioSelect)
    reasoning = forms.CharField(
        label=_("Why it applies, or does not"),
        max_length=limits.TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required: the decision and its reasoning are evidence, like any other."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["regime"].choices = self.section.regime_choices

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {"regime": data["regime"], "applies": data["applies"] == "yes", "reasoning": data["reasoning"].strip()}


class AnchorForm(RegimeForm):
    prefix_name = "anchor"
    instant_field = "occurred_at"
    kind = forms.ChoiceField(label=_("Moment"), choices=AnchorKind.choices)
    occurred_at = LocalInstantField(label=_("At"), required=True, frequent_only=True)
    asserted_by = forms.CharField(
        label=_("Who knew"), max_length=limits.NAME, required=False, help_text=_("The person who had the knowledge.")
    )
    rationale = forms.CharField(
        label=_("Why this is the moment"),
        max_length=limits.TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["occurred_at"] = _instant(_("At"), self.user)
        self.fields["reason"] = _reason()

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        instant: LocalInstant = data["occurred_at"]
        return {
            "kind": data["kind"],
            "occurred_at": instant.at,
            "occurred_tz": instant.zone,
            "asserted_by": data["asserted_by"].strip(),
            "rationale": data["rationale"].strip(),
            "reason": data["reason"],
        }


class DeterminationForm(RegimeForm):
    prefix_name = "determination"
    name = forms.ChoiceField(label=_("Determination"), choices=DeterminationFlag.choices)
    value = forms.ChoiceField(label=_("Answer"), choices=YES_NO, widget=forms.RadioSelect)
    rationale = forms.CharField(
        label=_("Reasoning"), max_length=limits.TEXT, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"] = _reason()

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "value": data["value"] == "yes",
            "rationale": data["rationale"].strip(),
            "reason": data["reason"],
        }


class PlaceForm(RegimeForm):
    prefix_name = "place"
    instant_field = "as_of"
    place = forms.CharField(
        label=_("Place of residence"),
        max_length=6,
        help_text=_("A country code (NL) or an ISO 3166-2 subdivision (US-CA for California)."),
    )
    count = forms.IntegerField(label=_("People affected living there"), min_value=0)
    as_of = LocalInstantField(label=_("Known at"), required=True, frequent_only=True)
    source = forms.CharField(label=_("Source"), max_length=limits.LABEL, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["as_of"] = _instant(_("Known at"), self.user)
        self.fields["reason"] = _reason()

    def clean_place(self):
        return self.cleaned_data["place"].strip().upper()

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        instant: LocalInstant = data["as_of"]
        return {
            "place": data["place"],
            "count": data["count"],
            "as_of": instant.at,
            "as_of_tz": instant.zone,
            "source": data["source"].strip(),
            "reason": data["reason"],
        }


class RegimeFilingForm(RegimeForm):
    prefix_name = "regime_filing"
    instant_field = "submitted_at"
    # A CharField with a menu: a report of a regime not (or no longer) confirmed gets clean_report's words.
    report = forms.CharField(label=_("Report"), max_length=100, widget=forms.Select)
    submitted_at = LocalInstantField(label=_("Submitted at"), required=True, frequent_only=True)
    reference = forms.CharField(
        label=_("Recipient's reference"),
        max_length=limits.REFERENCE,
        required=False,
        help_text=_("The case or receipt number the recipient gave, if any."),
    )
    summary = forms.CharField(
        label=_("What was reported"), max_length=limits.TEXT, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["report"].widget.choices = [("", "—"), *self.section.report_choices]
        self.fields["submitted_at"] = _instant(_("Submitted at"), self.user)
        self.fields["reason"] = _reason()

    def clean_report(self):
        value = self.cleaned_data["report"]
        if value not in dict(self.section.report_choices):
            raise ValidationError(_("Choose a report of a confirmed regime."), code="invalid_choice")
        return value

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        regime, report = data["report"].split(":", 1)
        instant: LocalInstant = data["submitted_at"]
        return {
            "regime": regime,
            "report": report,
            "submitted_at": instant.at,
            "submitted_tz": instant.zone,
            "reference": data["reference"].strip(),
            "summary": data["summary"].strip(),
            "reason": data["reason"],
        }


FORMS = {
    "decision_form": DecisionForm,
    "anchor_form": AnchorForm,
    "determination_form": DeterminationForm,
    "place_form": PlaceForm,
    "regime_filing_form": RegimeFilingForm,
}
