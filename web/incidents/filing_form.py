"""The incident page's form to record a filing to the supervisory authority (privacy officers).

The form only shapes the input: ``actions.filings.submit_filing`` decides (the role, the
sequence of the chain, the instant, the completeness of the register, the reasons for a late
filing) and writes nothing when it refuses. Its refusals are put back on the form's fields.
The choices come from the register the page has loaded already (no extra query).
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from breachtrack import limits
from filings.choices import FilingChannel, FilingType, ReporterFunction, TemplateAnswer
from web.forms import LocalInstantField, LongSelect, PlainChoices, default_zone_name


class FilingForm(forms.Form):
    controller = forms.TypedChoiceField(label=_("Controller that files"), coerce=int, widget=LongSelect)
    authority = forms.TypedChoiceField(label=_("Supervisory authority"), coerce=int)
    filing_type = forms.ChoiceField(label=_("Type of filing"), choices=FilingType.choices, initial=FilingType.INITIAL)
    submitted_at = LocalInstantField(label=_("Submitted at"), required=True, frequent_only=True)
    channel = forms.ChoiceField(label=_("Channel"), choices=FilingChannel.choices, initial=FilingChannel.AP_FORM)
    authority_reference = forms.CharField(
        label=_("Authority's report number"),
        max_length=limits.REFERENCE,
        required=False,
        help_text=_("If the authority gave one; it can be added once later."),
    )
    submitted_by = forms.CharField(
        label=_("Submitted by"),
        max_length=limits.NAME,
        required=False,
        help_text=_("The filer named on the form; you, if empty."),
    )
    reporter_function = forms.ChoiceField(
        label=_("Function of the filer"),
        choices=[("", "—"), *ReporterFunction.choices],
        required=False,
        help_text=_("Asked by the EDPB template."),
    )
    reporter_function_detail = forms.CharField(
        label=_("Function of the filer, described"),
        max_length=200,
        required=False,
        help_text=_("When someone else files."),
    )
    reporter_contact = forms.CharField(
        label=_("Filer's contact details"), max_length=200, required=False, help_text=_("E-mail or phone of the filer.")
    )
    police_report = forms.ChoiceField(
        label=_("Reported to the police or judicial authorities?"),
        choices=[("", "—"), *TemplateAnswer.choices],
        required=False,
        help_text=_("As a criminal offence. Asked by the EDPB template."),
    )
    police_reported_on = forms.DateField(
        label=_("Reported to the police on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    police_reference = forms.CharField(label=_("Police report number"), max_length=limits.REFERENCE, required=False)
    cross_border = forms.ChoiceField(
        label=_("Cross-border processing (Art. 56)?"),
        choices=[("", "—"), *TemplateAnswer.choices],
        required=False,
        help_text=_("By a controller established in the EEA, in more than one member state or affecting people there."),
    )
    establishment_countries = forms.CharField(
        label=_("EEA countries where the controller is established"),
        max_length=200,
        required=False,
        help_text=_("Two-letter codes, comma-separated, e.g. NL, BE. Only for cross-border processing."),
    )
    is_phased = forms.BooleanField(
        label=_("Phased: more information follows (Art. 33(4))"),
        required=False,
        help_text=_("Allowed when the register is still incomplete."),
    )
    delay_reasons = forms.CharField(
        label=_("Reasons for the delay (Art. 33(1))"),
        max_length=limits.TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required for an initial notification made after the 72 hours."),
    )
    withdrawal_reason = forms.CharField(
        label=_("Why the notification is withdrawn"),
        max_length=limits.REASON,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    reason = forms.CharField(label=_("Reason for recording it — kept as evidence"), max_length=limits.REASON)

    SERVICE_FIELDS = (
        "filing_type",
        "channel",
        "authority_reference",
        "submitted_by",
        "reporter_function",
        "reporter_function_detail",
        "reporter_contact",
        "police_report",
        "police_reported_on",
        "police_reference",
        "cross_border",
        "establishment_countries",
        "is_phased",
        "delay_reasons",
        "withdrawal_reason",
    )

    def __init__(self, *args, register, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.register = register
        self.controllers = {party.pk: party for party in register.parties if party.is_controller}
        self.authorities = {row.authority.pk: row.authority for row in register.authorities}
        self.fields["controller"].choices = PlainChoices(
            [(pk, str(party.party)) for pk, party in self.controllers.items()]
        )
        self.fields["authority"].choices = [(row.authority.pk, str(row.authority)) for row in register.authorities]
        own = next((pk for pk, party in self.controllers.items() if party.party.is_self), None)
        lead = next((row.authority.pk for row in register.authorities if row.role == "lead"), None)
        self.initial.setdefault("controller", own)
        self.initial.setdefault("authority", lead)
        # Once the own controller's notification stands, the next filing is most likely a follow-up.
        last = next((f for f in reversed(register.filings) if f.controller_id == own and f.authority_id == lead), None)
        if last is not None and not last.is_withdrawal:
            self.initial.setdefault("filing_type", FilingType.FOLLOW_UP)
        zone_name = default_zone_name(user)
        # Only the zones a filer most likely reads the clock in (theirs, the site's, UTC): the full
        # list of ~600 zones doubled the page's rendering time, and the page is rendered all day.
        self.fields["submitted_at"] = LocalInstantField(
            label=self.fields["submitted_at"].label, required=True, default_zone=zone_name, frequent_only=True
        )

    def service_arguments(self) -> dict:
        """The cleaned values as ``submit_filing`` takes them."""
        data = self.cleaned_data
        instant = data["submitted_at"]
        arguments = {name: data[name] for name in self.SERVICE_FIELDS}
        arguments.update(
            controller=self.controllers[data["controller"]],
            authority=self.authorities[data["authority"]],
            submitted_at=instant.at,
            submitted_tz=instant.zone,
            reason=data["reason"],
        )
        return arguments

    def add_service_errors(self, error: ValidationError) -> None:
        """A refusal of the service onto the form: on its field when the form has one, else at the top
        (a missing register item names the part of Art. 33(3) it belongs to)."""
        for name, messages in getattr(error, "message_dict", {"__all__": error.messages}).items():
            target = "submitted_at" if name == "submitted_tz" else name
            self.add_error(target if target in self.fields else None, messages)
