"""The forms of the guided register pages: facts, parties and authorities, a decision not to
notify, and the incident's status.

Each form is scoped to one incident: its choices come only from that incident and its
organisation's directory, so an id from elsewhere is an unknown choice (400), never a write.
Times are typed as local wall-clock time with their zone (``web.forms.LocalInstantField``,
``rules.timeinput`` underneath): a time skipped by a clock change is refused, one that happened
twice must say which, and every instant is held to the register's plausibility floor and to
"not in the future" (``incidents.models.incident.check_instant``), as on the intake page.
The forms only shape the input; the services in ``actions`` decide and write.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from breachtrack import limits
from filings.choices import NotNotifiedBasis
from incidents.choices import CONTROLLER_ROLES, PROCESSOR_ROLES, AuthorityRole, PartyRole, Status
from incidents.models import Incident
from incidents.models.incident import TIME_FACTS, check_instant
from organisations.models import Authority, Party
from web.forms import InstantFieldsMixin, LocalInstantField, default_zone_name


def _reason_field(label=None):
    return forms.CharField(
        label=label or _("Reason for this change — kept as evidence"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Why you are making this change, e.g. 'processor's e-mail of 4 July, 09:12'."),
    )


class ServiceErrorsMixin:
    """Put a service's refusal on the field the person typed it in (else at the top)."""

    SERVICE_FIELDS: dict[str, str] = {}

    def add_service_errors(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for name, errors in error.error_dict.items():
            target = self.SERVICE_FIELDS.get(name, name)
            if target.endswith("_tz"):
                target = f"{target[:-3]}_at"
            self.add_error(target if target in self.fields else None, errors)


# --- 1. The register facts (Art. 33(5)) ----------------------------------------------------------

TEXT_ROWS = {"rows": 3}
FACT_SECTIONS = (
    (
        _("The breach"),
        (
            "title",
            "is_confidentiality_breach",
            "is_integrity_breach",
            "is_availability_breach",
            "cause",
            "cause_detail",
            "discovery_method",
            "discovery_detail",
            "description",
            "systems_involved",
        ),
    ),
    (
        _("When it happened"),
        (
            "occurred_from_at",
            "occurred_until_at",
            "is_ongoing",
            "detected_at",
            "investigation_started_at",
            "contained_at",
        ),
    ),
    (
        _("The data and the people"),
        (
            "data_categories",
            "data_subject_categories",
            "data_subject_countries",
            "is_data_encrypted",
            "is_key_compromised",
            "confidentiality_outcome",
            "integrity_outcome",
            "availability_outcome",
        ),
    ),
    (
        _("Likely consequences and risk (Art. 33(3)(c))"),
        ("likely_consequences", "severity", "risk_level", "risk_reasoning"),
    ),
    (
        _("Measures (Art. 33(3)(d))"),
        ("measures_before", "measures_containment", "measures_mitigation", "measures_planned"),
    ),
    (_("The decision to notify the authority"), ("notification_decision", "notification_reasoning")),
)
FACT_FIELDS = tuple(name for _title, names in FACT_SECTIONS for name in names)


class FactsForm(ServiceErrorsMixin, InstantFieldsMixin, forms.ModelForm):
    """The incident's register facts. ``changes()`` are only what the person changed."""

    instant_fields = TIME_FACTS
    reason = _reason_field()
    # The version of the facts the page showed: a change by someone else since then would
    # otherwise be silently undone by the fields this person left as they were.
    loaded_version = forms.CharField(widget=forms.HiddenInput, required=False, max_length=limits.REFERENCE)

    class Meta:
        model = Incident
        fields = FACT_FIELDS
        widgets = {
            name: forms.Textarea(attrs=TEXT_ROWS)
            for name in (
                "cause_detail",
                "discovery_detail",
                "description",
                "systems_involved",
                "likely_consequences",
                "risk_reasoning",
                "measures_before",
                "measures_containment",
                "measures_mitigation",
                "measures_planned",
                "notification_reasoning",
            )
        }

    # Each instant is held to the plausibility floor and to "not in the future" by the model's own
    # clean() (check_instant), which the ModelForm runs: the messages land on the instant's field.

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["data_subject_countries"].widget.attrs["size"] = 6
        for field in self.fields.values():
            field.label = capfirst(field.label)
        for name in ("cause", "discovery_method", "severity", "risk_level"):
            field = self.fields[name]
            field.choices = [("", _("Not recorded yet"))] + [choice for choice in field.choices if choice[0]]
        self.version = self.instance.updated_at.isoformat() if self.instance.updated_at else ""
        self.fields["loaded_version"].initial = self.version

    def clean(self):
        data = super().clean()
        if self.data.get("loaded_version", "") != self.version:
            self.add_error(
                None,
                ValidationError(
                    _(
                        "Someone changed this incident after you opened this page. Nothing was saved: "
                        "reload the page to see their change, then make yours again."
                    ),
                    code="stale",
                ),
            )
        return data

    def changes(self) -> dict:
        """The facts the person changed, as ``update_incident`` takes them (each instant with its zone)."""
        data = self.cleaned_data
        changes = {}
        for name in self.changed_data:
            if name not in FACT_FIELDS:
                continue
            changes[name] = data[name]
            if name.endswith("_at") and name[:-3] in TIME_FACTS:
                changes[f"{name[:-3]}_tz"] = data[f"{name[:-3]}_tz"]
        return changes

    def sections(self):
        return [(title, [self[name] for name in names]) for title, names in FACT_SECTIONS]


# --- 2. Parties and authorities ------------------------------------------------------------------


class AddPartyForm(ServiceErrorsMixin, forms.Form):
    """A party from the organisation's own directory, or a new one added to it, in one role."""

    party = forms.TypedChoiceField(label=_("Party from your directory"), coerce=int, required=False, empty_value=None)
    new_party_name = forms.CharField(
        label=_("Or a new party"),
        max_length=200,
        required=False,
        help_text=_("Its name, as it will appear in your directory."),
    )
    role = forms.ChoiceField(label=_("Role in this incident"), choices=PartyRole.choices)
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=limits.TEXT, widget=forms.Textarea(attrs={"rows": 2})
    )
    reason = _reason_field()

    def __init__(self, *args, incident, **kwargs):
        super().__init__(*args, prefix="party", **kwargs)
        taken = incident.parties.values_list("party_id", flat=True)
        self.directory = {
            party.pk: party
            for party in Party.objects.filter(owner=incident.organisation).exclude(pk__in=taken).order_by("name")
        }
        self.fields["party"].choices = [("", "—")] + [(pk, str(party)) for pk, party in self.directory.items()]

    def clean(self):
        data = super().clean()
        chosen, name = data.get("party"), " ".join((data.get("new_party_name") or "").split())
        data["new_party_name"] = name
        if chosen is not None and chosen not in self.directory:
            self.add_error("party", _("Choose a party of your directory that is not on this incident yet."))
        elif chosen is None and not name and "party" not in self.errors:
            self.add_error("party", _("Choose a party, or name a new one."))
        elif chosen is not None and name:
            self.add_error("new_party_name", _("Choose a party or name a new one, not both."))
        return data


class CorrectPartyForm(ServiceErrorsMixin, forms.Form):
    role = forms.ChoiceField(label=_("Role in this incident"), choices=PartyRole.choices)
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=limits.TEXT, widget=forms.Textarea(attrs={"rows": 2})
    )
    reason = _reason_field()


class RemoveForm(ServiceErrorsMixin, forms.Form):
    reason = _reason_field(_("Why it is removed — kept as evidence"))


class AddAuthorityForm(ServiceErrorsMixin, forms.Form):
    authority = forms.ModelChoiceField(
        label=_("Supervisory authority"), queryset=Authority.objects.none(), empty_label="—"
    )
    role = forms.ChoiceField(label=_("Role"), choices=AuthorityRole.choices, initial=AuthorityRole.LEAD)
    reason = _reason_field()

    def __init__(self, *args, incident, **kwargs):
        super().__init__(*args, prefix="authority", **kwargs)
        taken = incident.authorities.values_list("authority_id", flat=True)
        self.fields["authority"].queryset = Authority.objects.exclude(pk__in=taken).order_by("name")
        if incident.authorities.filter(role=AuthorityRole.LEAD).exists():
            self.fields["role"].initial = AuthorityRole.CONCERNED


class CorrectAuthorityForm(ServiceErrorsMixin, forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=AuthorityRole.choices)
    reason = _reason_field()


class LinkProcessorForm(ServiceErrorsMixin, forms.Form):
    processor = forms.TypedChoiceField(label=_("Processor"), coerce=int)
    controller = forms.TypedChoiceField(
        label=_("Works for"), coerce=int, help_text=_("A controller, or (for a sub-processor) a processor.")
    )
    notice_target_hours = forms.IntegerField(
        label=_("Notice target (hours)"),
        min_value=1,
        max_value=24 * 30,
        required=False,
        help_text=_("From the processing agreement; empty: your organisation's default."),
    )
    agreement_reference = forms.CharField(label=_("Processing agreement"), max_length=200, required=False)
    reason = _reason_field()

    def __init__(self, *args, incident, **kwargs):
        super().__init__(*args, prefix="link", **kwargs)
        parties = {party.pk: party for party in incident.parties.select_related("party")}
        self.processors = {pk: p for pk, p in parties.items() if p.role in PROCESSOR_ROLES}
        self.served = {pk: p for pk, p in parties.items() if p.role in CONTROLLER_ROLES | {PartyRole.PROCESSOR}}
        self.fields["processor"].choices = [(pk, str(p)) for pk, p in self.processors.items()]
        self.fields["controller"].choices = [(pk, str(p)) for pk, p in self.served.items()]

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "processor": self.processors[data["processor"]],
            "controller": self.served[data["controller"]],
            "notice_target_hours": data["notice_target_hours"],
            "agreement_reference": data["agreement_reference"].strip(),
        }


# --- 3. A decision not to notify ---------------------------------------------------------------


class DecisionForm(ServiceErrorsMixin, forms.Form):
    controller = forms.TypedChoiceField(label=_("Controller"), coerce=int)
    decided_at = LocalInstantField(label=_("Decided at"), required=True, frequent_only=True)
    decided_by = forms.CharField(
        label=_("Decided by"), max_length=200, help_text=_("The person who took the decision.")
    )
    risk_basis = forms.ChoiceField(label=_("Basis"), choices=NotNotifiedBasis.choices)
    reasoning = forms.CharField(
        label=_("Reasoning"),
        max_length=limits.TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Why notifying the authority is not required: the authority must be able to verify it."),
    )
    reason = _reason_field(_("Reason for recording it — kept as evidence"))

    def __init__(self, *args, incident, user, now, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now
        self.controllers = {
            party.pk: party for party in incident.parties.select_related("party") if party.role in CONTROLLER_ROLES
        }
        self.fields["controller"].choices = [(pk, str(p.party)) for pk, p in self.controllers.items()]
        zone_name = default_zone_name(user)
        self.fields["decided_at"] = LocalInstantField(
            label=self.fields["decided_at"].label, required=True, default_zone=zone_name, frequent_only=True
        )
        self.fields["decided_by"].initial = (user.get_full_name() or user.get_username())[:200]

    def clean(self):
        data = super().clean()
        instant = data.get("decided_at")
        if instant is not None:
            errors: dict[str, list[ValidationError]] = {}
            check_instant(errors, "decided_at", instant.at, self.now)
            for messages in errors.values():
                self.add_error("decided_at", messages)
        return data

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "controller": self.controllers[data["controller"]],
            "decided_at": data["decided_at"].at,
            "decided_tz": data["decided_at"].zone,
            "decided_by": data["decided_by"].strip(),
            "risk_basis": data["risk_basis"],
            "reasoning": data["reasoning"].strip(),
            "reason": data["reason"],
        }


# --- 4. Close and reopen ------------------------------------------------------------------------


class StatusForm(ServiceErrorsMixin, forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=Status.choices, widget=forms.RadioSelect)
    reason = _reason_field()

    def __init__(self, *args, incident, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [(value, label) for value, label in Status.choices if value != incident.status]

    def add_service_errors(self, error: ValidationError) -> None:
        # The register's gaps name the facts' fields: each is a message for the whole form.
        if hasattr(error, "error_dict"):
            for errors in error.error_dict.values():
                self.add_error(None, errors)
        else:
            self.add_error(None, error)
