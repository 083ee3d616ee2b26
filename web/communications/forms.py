"""Forms of the Art. 34 pages: the ledger upload, the lookup, the assessment, the letter text, the waves."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from breachtrack import limits
from communications.choices import AuthorityDecision, Exemption, IdentifierKind, ImportKind, WaveChannel
from communications.models import ContentVersion
from communications.models.waves import ART_34_2_ELEMENTS
from incidents.choices import CONTROLLER_ROLES
from incidents.models import IncidentParty
from web.forms import LocalInstantField, default_zone_name


class LedgerUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("The file lists"),
        choices=ImportKind.choices,
        initial=ImportKind.RECIPIENTS,
        widget=forms.RadioSelect,
        help_text=_("Bounces are recorded as returned at the moment of upload; the wave must have been sent."),
    )
    file = forms.FileField(
        label=_("Recipients (CSV)"),
        help_text=_("UTF-8 CSV with the header 'kind,identifier'; kind is 'bsn' or 'email'. One person per line."),
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=limits.REASON, help_text=_("Kept as evidence with the import.")
    )


class LookupForm(forms.Form):
    organisation = forms.TypedChoiceField(label=_("Organisation"), coerce=int)
    kind = forms.ChoiceField(label=_("Identifier"), choices=IdentifierKind.choices)
    identifier = forms.CharField(
        label=_("BSN or e-mail address"),
        max_length=limits.EMAIL,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [(org.pk, org.name) for org in organisations]
        if len(organisations) == 1:
            self.fields["organisation"].initial = organisations[0].pk


# --- The guided Art. 34 pages: assessment, letter text, waves -------------------------------------


def controllers_of(incident):
    """The choices a page offers: only this incident's controllers (Art. 34 is theirs)."""
    return incident.parties.filter(role__in=CONTROLLER_ROLES).select_related("party").order_by("pk")


def offer(field: forms.ModelChoiceField, queryset) -> None:
    """Limit the choices to ``queryset``; a single choice is chosen already (no empty line)."""
    field.queryset = queryset
    if len(queryset) == 1:
        field.empty_label = None


def _reason_field():
    return forms.CharField(
        label=_("Reason for this change — kept as evidence"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Why you record this, e.g. 'DPO advice of 4 July'."),
    )


def _instant(label, *, user, required: bool, help_text=None) -> LocalInstantField:
    field = LocalInstantField(label=label, required=required, default_zone=default_zone_name(user))
    if help_text:
        field.help_text = help_text
    return field


def _instant_values(data: dict, stem: str) -> dict:
    """``<stem>_at`` (UTC) and ``<stem>_tz`` as the services take them, from a cleaned LocalInstant."""
    value = data.get(f"{stem}_at")
    return {f"{stem}_at": value.at if value else None, f"{stem}_tz": value.zone if value else ""}


class AssessmentForm(forms.Form):
    """The Art. 34 decision for one controller of this incident (it supersedes the current one)."""

    controller = forms.ModelChoiceField(
        label=_("Controller (whose data subjects)"), queryset=IncidentParty.objects.none()
    )
    is_high_risk = forms.TypedChoiceField(
        label=_("Is the breach likely to result in a high risk to people (Art. 34(1))?"),
        choices=[("yes", _("Yes: a high risk")), ("no", _("No high risk"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    reasoning = forms.CharField(
        max_length=limits.TEXT,
        label=_("Reasoning for the risk assessment"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("A decision not to communicate needs its reasoning too (Art. 33(5))."),
    )
    exemption = forms.ChoiceField(
        label=_("Exemption (Art. 34(3))"), choices=Exemption.choices, initial=Exemption.NONE, widget=forms.RadioSelect
    )
    exemption_reasoning = forms.CharField(
        max_length=limits.TEXT,
        label=_("Why the exemption applies"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Required with an exemption: e.g. which encryption, which later measure, why the effort is disproportionate."
        ),
    )
    authority_decision = forms.ChoiceField(
        label=_("Decision of the authority (Art. 34(4))"),
        choices=AuthorityDecision.choices,
        initial=AuthorityDecision.NONE,
    )
    authority_reference = forms.CharField(label=_("The authority's reference"), max_length=100, required=False)
    decided_by_name = forms.CharField(label=_("Decided by (name)"), max_length=200)
    decided_by_role = forms.CharField(label=_("Decided by (role)"), max_length=200, help_text=_("e.g. DPO, board"))

    def __init__(self, *args, incident, user, **kwargs):
        super().__init__(*args, **kwargs)
        offer(self.fields["controller"], controllers_of(incident))
        self.fields["controller"].label_from_instance = lambda party: str(party.party)
        self.fields["authority_decided_at"] = _instant(_("Authority decided at"), user=user, required=False)
        self.fields["decided_at"] = _instant(_("Decided at"), user=user, required=True)
        self.fields["reason"] = _reason_field()
        self.order_fields(
            [
                "controller",
                "is_high_risk",
                "reasoning",
                "exemption",
                "exemption_reasoning",
                "decided_by_name",
                "decided_by_role",
                "decided_at",
                "authority_decision",
                "authority_decided_at",
                "authority_reference",
            ]
        )

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            **{
                name: data[name]
                for name in (
                    "is_high_risk",
                    "reasoning",
                    "exemption",
                    "exemption_reasoning",
                    "authority_decision",
                    "authority_reference",
                    "decided_by_name",
                    "decided_by_role",
                )
            },
            **_instant_values(data, "decided"),
            **_instant_values(data, "authority_decided"),
        }


class ContentForm(forms.Form):
    """One version of the letter text, with the Art. 34(2) checklist the officer confirms after reading it."""

    language = forms.ChoiceField(label=_("Language of the text"), choices=settings.LANGUAGES)
    title = forms.CharField(label=_("Title"), max_length=200)
    text = forms.CharField(
        label=_("Text of the communication"), max_length=limits.LETTER, widget=forms.Textarea(attrs={"rows": 16})
    )

    copied_fields = ("language", "title", "text", *(flag for flag, _label in ART_34_2_ELEMENTS))

    def __init__(self, *args, with_language: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        for flag, label in ART_34_2_ELEMENTS:
            self.fields[flag] = forms.BooleanField(label=label, required=False)
        self.fields["reason"] = _reason_field()
        if not with_language:
            del self.fields["language"]

    @property
    def checklist_fields(self):
        return [self[flag] for flag, _label in ART_34_2_ELEMENTS]

    @property
    def text_fields(self):
        return [self[name] for name in ("language", "title", "text") if name in self.fields]

    def service_fields(self) -> dict:
        names = ["title", "text", *(flag for flag, _label in ART_34_2_ELEMENTS)]
        if "language" in self.fields:
            names.append("language")
        return {name: self.cleaned_data[name] for name in names}


class WaveForm(forms.Form):
    """Plan (or change) a wave: whose data subjects, which cohort, how, with which text, when."""

    controller = forms.ModelChoiceField(
        label=_("Controller (whose data subjects)"), queryset=IncidentParty.objects.none()
    )
    cohort_label = forms.CharField(
        label=_("Cohort"), max_length=200, help_text=_("Who this wave reaches, e.g. 'participants 2017-2019'.")
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=WaveChannel.choices)
    content_version = forms.ModelChoiceField(label=_("Letter text (version)"), queryset=ContentVersion.objects.none())
    planned_count = forms.IntegerField(
        label=_("Recipients planned"),
        min_value=0,
        max_value=10**12,
        required=False,
        help_text=_("What you plan to send. Recipients imported into the ledger are counted separately."),
    )

    def __init__(self, *args, incident, user, with_controller: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        offer(self.fields["controller"], controllers_of(incident))
        self.fields["controller"].label_from_instance = lambda party: str(party.party)
        offer(self.fields["content_version"], ContentVersion.objects.filter(incident=incident))
        self.fields["planned_at"] = _instant(_("Planned for"), user=user, required=True)
        self.fields["reason"] = _reason_field()
        self.order_fields(["controller", "cohort_label", "channel", "content_version", "planned_at", "planned_count"])
        if not with_controller:
            del self.fields["controller"]

    def service_fields(self) -> dict:
        data = self.cleaned_data
        fields = {name: data[name] for name in ("cohort_label", "channel", "content_version")}
        fields.update(_instant_values(data, "planned"))
        if data.get("planned_count") is not None:
            fields["planned_count"] = data["planned_count"]
        return fields


class WaveSentForm(forms.Form):
    """The moment the wave went out (it can meet the controller's Art. 34 clock)."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sent_at"] = _instant(_("Sent at"), user=user, required=True)
        self.fields["reason"] = _reason_field()


class WaveCountsForm(forms.Form):
    """Counts of a wave without a ledger (a public notice, a phone campaign)."""

    planned_count = forms.IntegerField(label=_("Recipients planned"), min_value=0, max_value=10**12)
    sent_count = forms.IntegerField(label=_("Sent"), min_value=0, max_value=10**12)
    bounced_count = forms.IntegerField(label=_("Bounced or undeliverable"), min_value=0, max_value=10**12)
    reason = forms.CharField(label=_("Reason"), max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"] = _reason_field()
