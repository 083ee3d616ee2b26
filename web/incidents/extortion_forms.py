"""The forms of the guided extortion pages: a threat, its payment decision and police report, the
countdown's revisions, a publication and the Art. 34 reassessment after it.

The forms only shape the input — local times through ``LocalInstantField`` (a DST gap is refused, a
repeated hour asks which one), counts and sizes in people's units (``web.incidents.quantities``).
``actions.extortion`` decides (role, plausibility floor, the order of the countdown chain) and
writes nothing when it refuses; its errors land on the field the person sees.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from breachtrack import limits
from incidents.choices import CountdownRevisionKind, ExtortionChannel, PaymentDecision
from web.forms import LocalInstant, LocalInstantField, default_zone_name
from web.incidents.quantities import parse_count, parse_decimal, parse_size, show_count, show_size

TEXTAREA = forms.Textarea(attrs={"rows": 2})


class TypedTextField(forms.CharField):
    """Text typed by a person and cleaned to a number: its length is held before it is parsed
    (Django's length check runs on the cleaned value, which is no longer text)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", limits.REFERENCE)  # a number with its unit or grouping
        super().__init__(**kwargs)
        self.validators = [v for v in self.validators if not isinstance(v, MaxLengthValidator)]

    def to_python(self, value):
        value = super().to_python(value)
        if value:
            MaxLengthValidator(self.max_length)(value)  # Django's own message, in both languages
        return value


class CountField(TypedTextField):
    """A whole number typed as people do: "53,000", "53.000", "53 000"."""

    def to_python(self, value):
        value = super().to_python(value)
        return parse_count(value) if value else None


class AmountField(TypedTextField):
    """A sum of money in the page's notation ("2,500,000.00", in Dutch "2.500.000,00")."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return parse_decimal(value)
        except ValueError:
            raise ValidationError(_("Enter an amount, e.g. 250,000."), code="invalid") from None


class SizeField(TypedTextField):
    """A data size with its unit ("1.2 GB", "800 MB"), cleaned to bytes."""

    def to_python(self, value):
        value = super().to_python(value)
        return parse_size(value) if value else None


class GuidedForm(forms.Form):
    """A reason kept as evidence, local instants in the person's zone, service errors on fields.

    ``instants`` names each instant field (``<stem>_at``) and whether it is required; the field is
    built in the person's zone (their profile's, else the site's). ``service_arguments()`` gives the
    service its keywords: each instant as ``<stem>_at`` (UTC) and ``<stem>_tz``.
    """

    instants: dict[str, bool] = {}
    error_fields: dict[str, str] = {}  # a service's field name → the form's, where they differ
    reason = forms.CharField(
        label=_("Reason for recording it — kept as evidence"),
        max_length=2000,
        widget=TEXTAREA,
        help_text=_("Why you record this, e.g. 'screenshot of the leak site, 14:05'."),
    )

    def __init__(self, *args, user=None, initial_instants=None, **kwargs):
        super().__init__(*args, **kwargs)
        zone_name = default_zone_name(user)
        for name, required in self.instants.items():
            declared = self.fields[name]
            stored = (initial_instants or {}).get(name)
            options = {"help_text": declared.help_text} if declared.help_text else {}
            self.fields[name] = LocalInstantField(
                label=declared.label,
                required=required,
                default_zone=zone_name,
                extra_zones=[stored.zone] if stored else [],
                **options,
            )
            if stored:
                self.initial[name] = stored
        # The reason comes last, after the facts it explains.
        self.order_fields([name for name in self.fields if name != "reason"] + ["reason"])

    def service_arguments(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("reason")
        for name in self.instants:
            value = data.pop(name)
            stem = name[:-3]
            data[name] = value.at if value else None
            data[f"{stem}_tz"] = value.zone if value else ""
        return data

    def add_service_errors(self, error: ValidationError) -> None:
        for name, messages in getattr(error, "message_dict", {"__all__": error.messages}).items():
            target = f"{name[:-3]}_at" if name.endswith("_tz") else self.error_fields.get(name, name)
            self.add_error(target if target in self.fields else None, messages)


def _instant_field(label, help_text=""):
    """A placeholder the form replaces with a ``LocalInstantField`` in the person's zone."""
    return forms.CharField(label=label, help_text=help_text, required=False, max_length=limits.REFERENCE)


class ThreatForm(GuidedForm):
    instants = {"first_contact_at": True}

    actor_name = forms.CharField(label=_("Threat actor"), max_length=200, help_text=_("The name the group uses."))
    actor_aliases = forms.CharField(label=_("Also known as"), max_length=500, required=False)
    first_contact_at = _instant_field(_("First contact at"))
    channel = forms.ChoiceField(label=_("Channel"), choices=ExtortionChannel.choices)
    channel_detail = forms.CharField(
        label=_("Channel, details"),
        required=False,
        max_length=limits.TEXT,
        widget=TEXTAREA,
        help_text=_("Leak-site address, e-mail, chat id."),
    )
    demand_amount = AmountField(
        label=_("Amount demanded"), required=False, help_text=_("Leave empty while no amount was named.")
    )
    demand_currency = forms.CharField(
        label=_("Currency (ISO 4217)"), max_length=3, required=False, help_text=_("e.g. EUR, USD")
    )
    demand_payment_method = forms.CharField(
        label=_("To be paid in"),
        max_length=100,
        required=False,
        help_text=_("e.g. bitcoin: the amount is its value in the currency."),
    )

    @classmethod
    def initial_for(cls, threat) -> tuple[dict, dict]:
        """The form's initial values and instants for correcting ``threat``."""
        amount = threat.demand_amount
        initial = {
            "actor_name": threat.actor_name,
            "actor_aliases": threat.actor_aliases,
            "channel": threat.channel,
            "channel_detail": threat.channel_detail,
            "demand_amount": "" if amount is None else show_count(amount) if amount == int(amount) else str(amount),
            "demand_currency": threat.demand_currency,
            "demand_payment_method": threat.demand_payment_method,
        }
        return initial, {"first_contact_at": LocalInstant(threat.first_contact_at, threat.first_contact_tz)}

    def clean_demand_currency(self):
        return self.cleaned_data["demand_currency"].strip().upper()


class PaymentForm(GuidedForm):
    instants = {"payment_decided_at": False}

    payment_decision = forms.ChoiceField(label=_("Payment decision"), choices=PaymentDecision.choices)
    payment_decided_at = _instant_field(
        _("Decided (or paid) at"), _("Local time, in the zone it was read in. Empty while nothing is decided.")
    )
    payment_reasoning = forms.CharField(
        label=_("Reasoning for the payment decision"),
        required=False,
        max_length=limits.TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    @classmethod
    def initial_for(cls, threat) -> tuple[dict, dict]:
        initial = {"payment_decision": threat.payment_decision, "payment_reasoning": threat.payment_reasoning}
        stored = threat.payment_decided_at
        return initial, {"payment_decided_at": LocalInstant(stored, threat.payment_decided_tz)} if stored else {}


class PoliceForm(GuidedForm):
    instants = {"police_reported_at": False}

    police_reported_at = _instant_field(_("Reported to the police at"))
    police_reference = forms.CharField(label=_("Police report reference"), max_length=100, required=False)
    other_agencies_told = forms.CharField(
        label=_("Other agencies told"),
        required=False,
        max_length=limits.TEXT,
        widget=TEXTAREA,
        help_text=_("e.g. the national CSIRT, a sector CERT, the insurer: who, when."),
    )

    @classmethod
    def initial_for(cls, threat) -> tuple[dict, dict]:
        initial = {"police_reference": threat.police_reference, "other_agencies_told": threat.other_agencies_told}
        stored = threat.police_reported_at
        return initial, {"police_reported_at": LocalInstant(stored, threat.police_reported_tz)} if stored else {}


class _RevisionFields(GuidedForm):
    announced_at = _instant_field(_("Announced at"), _("When the threat actor made this change."))
    source = forms.CharField(label=_("Source"), max_length=300, required=False, help_text=_("Where we saw it."))
    evidence = forms.CharField(label=_("Evidence"), required=False, widget=TEXTAREA, max_length=limits.TEXT)
    note = forms.CharField(label=_("Note"), required=False, widget=TEXTAREA, max_length=limits.TEXT)


class RevisionForm(_RevisionFields):
    """Set, extend, shorten or renew the countdown (a withdrawal has its own form)."""

    instants = {"announced_at": True, "deadline_at": True}

    kind = forms.ChoiceField(
        label=_("What changed"),
        choices=[(value, label) for value, label in CountdownRevisionKind.choices if value != "withdrawn"],
    )
    deadline_at = _instant_field(_("New deadline"), _("The threat actor's deadline; it may still lie ahead."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(["kind", "announced_at", "deadline_at", "source", "evidence", "note", "reason"])


class WithdrawalForm(_RevisionFields):
    """The threat actor dropped the countdown: when, and where we saw it."""

    instants = {"announced_at": True}


class PublicationForm(GuidedForm):
    instants = {"published_at": True}

    threat = forms.TypedChoiceField(label=_("Published by"), coerce=int, required=False, empty_value=None)
    published_at = _instant_field(_("Published at"))
    location = forms.CharField(
        label=_("Where"), max_length=500, help_text=_("Leak site, forum, paste site; the address.")
    )
    records_count = CountField(label=_("Records"), required=False, help_text=_("e.g. 53,000"))
    files_count = CountField(label=_("Files"), required=False)
    size_bytes = SizeField(
        label=_("Size"),
        required=False,
        help_text=_("With its unit, e.g. 1.2 GB or 800 MB (1 GB = 1,000 MB; KiB, MiB, GiB for binary units)."),
    )
    note = forms.CharField(label=_("Note"), required=False, widget=TEXTAREA, max_length=limits.TEXT)

    def __init__(self, *args, threats=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.threats = {threat.pk: threat for threat in threats}
        self.fields["threat"].choices = [("", _("not known"))] + [
            (pk, threat.actor_name) for pk, threat in self.threats.items()
        ]
        if len(self.threats) == 1 and not self.is_bound:
            self.initial["threat"] = next(iter(self.threats))

    def clean_threat(self):
        threat = self.cleaned_data["threat"]
        if threat is not None and threat not in self.threats:
            raise ValidationError(_("Choose a threat of this incident."), code="other_incident")
        return threat

    def service_arguments(self) -> dict:
        data = super().service_arguments()
        data["threat"] = self.threats.get(data["threat"]) if data["threat"] is not None else None
        return data

    @staticmethod
    def amounts(publication) -> str:
        """What was published, in people's units, for the message after recording it."""
        parts = []
        if publication.records_count is not None:
            n = publication.records_count
            parts.append(ngettext("%(n)s record", "%(n)s records", n) % {"n": show_count(n)})
        if publication.files_count is not None:
            n = publication.files_count
            parts.append(ngettext("%(n)s file", "%(n)s files", n) % {"n": show_count(n)})
        if publication.size_bytes is not None:
            parts.append(show_size(publication.size_bytes))
        return ", ".join(str(part) for part in parts)


class ReassessmentForm(GuidedForm):
    error_fields = {"risk_reassessment_note": "outcome"}

    outcome = forms.CharField(
        label=_("Outcome of the Art. 34 reassessment"),
        max_length=limits.TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the risk to the people affected is now, and whether they must be told (Art. 34)."),
    )
