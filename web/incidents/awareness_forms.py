"""The forms of the awareness and processor-notice pages (privacy officers).

Choices come only from the incident the page is about: its parties and its processing
relationships, so another incident's or organisation's row is an unknown choice (400), never a
write. Times are typed as local wall-clock time with their zone (``web.forms.LocalInstantField``,
as on the intake page), defaulting to the person's own zone. The forms only shape the input:
``actions.incidents`` decides (role, instants, one awareness per party and source, the notice
that *is* a controller's awareness from its processor) and writes nothing when it refuses.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from breachtrack import limits
from incidents.choices import AwarenessSource, Channel
from web.forms import LocalInstant, LocalInstantField, default_zone_name

REASON_HELP = _("Why you record this, e.g. 'the processor's e-mail of 6 August, 09:12'. Kept as evidence.")


def _instant_field(label, user, stored_zone: str = "") -> LocalInstantField:
    zone_name = default_zone_name(user)
    return LocalInstantField(
        label=label, required=True, default_zone=zone_name, extra_zones=[stored_zone] if stored_zone else []
    )


def _reason_field():
    return forms.CharField(
        label=_("Reason for recording this — kept as evidence"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=REASON_HELP,
    )


class ServiceErrorsMixin:
    """Put a service's refusal on the field the person typed it in (``<stem>_tz`` on ``<stem>_at``)."""

    def add_service_errors(self, error: ValidationError) -> None:
        for name, messages in getattr(error, "message_dict", {"__all__": error.messages}).items():
            target = f"{name[:-3]}_at" if name.endswith("_tz") else name
            self.add_error(target if target in self.fields else None, messages)


class AwarenessFields(forms.Form):
    """What an awareness record says, beside who became aware."""

    source = forms.ChoiceField(label=_("How the party learnt of it"), choices=AwarenessSource.choices)
    source_detail = forms.CharField(
        max_length=limits.TEXT, label=_("Source, details"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    asserted_by = forms.CharField(
        label=_("Who knew"), max_length=200, required=False, help_text=_("The person who had the knowledge.")
    )
    evidence = forms.CharField(
        max_length=limits.TEXT,
        label=_("Evidence"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Where the proof is kept: e-mail id, ticket, document."),
    )
    rationale = forms.CharField(
        max_length=limits.TEXT,
        label=_("Why this is the moment of awareness"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("A reasonable degree of certainty that personal data was compromised (EDPB Guidelines 9/2022)."),
    )
    TEXT_FIELDS = ("source", "source_detail", "asserted_by", "evidence", "rationale")


class RecordAwarenessForm(ServiceErrorsMixin, AwarenessFields):
    """``record_awareness`` for one party of the incident; for a notice from its processor, which one."""

    field_order = ["party", "aware_at", "source", "processor", "channel"]
    party = forms.TypedChoiceField(label=_("Who became aware"), coerce=int, empty_value=None)
    processor = forms.TypedChoiceField(
        label=_("Told by which processor"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_(
            "Only for a notice from a processor: that notice is recorded with it (Art. 33(2)). "
            "Needed when the party has more than one processor."
        ),
    )
    channel = forms.ChoiceField(
        label=_("How the processor told it"), choices=[("", "—")] + Channel.choices, required=False
    )

    def __init__(self, *args, incident, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.parties = {party.pk: party for party in incident.parties.select_related("party")}
        self.relationships = {
            r.pk: r for r in incident.processing_relationships.select_related("processor__party", "controller__party")
        }
        self.fields["party"].choices = [("", "—")] + [
            (pk, f"{party.party} ({party.get_role_display()})") for pk, party in self.parties.items()
        ]
        self.fields["processor"].choices = [("", "—")] + [(pk, str(r)) for pk, r in self.relationships.items()]
        self.fields["aware_at"] = _instant_field(_("Aware at"), user)
        self.fields["reason"] = _reason_field()
        self.order_fields(self.field_order)

    def clean(self):
        data = super().clean()
        is_notice = data.get("source") == AwarenessSource.PROCESSOR_NOTICE
        if not is_notice and data.get("processor") is not None:
            self.add_error("processor", _("Only a notice from a processor names one: clear it, or change the source."))
        if not is_notice and data.get("channel"):
            self.add_error(
                "channel", _("Only a notice from a processor has a channel: clear it, or change the source.")
            )
        return data

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        arguments = {name: data[name].strip() if name != "source" else data[name] for name in self.TEXT_FIELDS}
        instant: LocalInstant = data["aware_at"]
        arguments.update(
            party=self.parties[data["party"]],
            aware_at=instant.at,
            aware_tz=instant.zone,
            reason=data["reason"],
        )
        if data["source"] == AwarenessSource.PROCESSOR_NOTICE:
            arguments["relationship"] = self.relationships.get(data["processor"]) if data["processor"] else None
            arguments["channel"] = data["channel"]
        return arguments


class CorrectAwarenessForm(ServiceErrorsMixin, AwarenessFields):
    """``correct_awareness``: the record's facts as they stand; only what changed is sent."""

    field_order = ["aware_at", "source"]

    def __init__(self, *args, record, user, **kwargs):
        super().__init__(*args, initial={name: getattr(record, name) for name in self.TEXT_FIELDS}, **kwargs)
        self.record = record
        field = _instant_field(_("Aware at"), user, record.aware_tz)
        self.fields["aware_at"] = field
        self.initial["aware_at"] = LocalInstant(record.aware_at, record.aware_tz or field.default_zone)
        self.fields["reason"] = _reason_field()
        self.fields["reason"].label = _("Reason for the correction — kept as evidence")
        self.order_fields(self.field_order)

    def clean(self):
        data = super().clean()
        if not self.errors and not self.changes():
            raise ValidationError(_("Nothing was changed: change a fact, or go back."), code="unchanged")
        return data

    def changes(self) -> dict:
        data, record, changes = self.cleaned_data, self.record, {}
        for name in self.TEXT_FIELDS:
            value = data.get(name)
            value = value.strip() if isinstance(value, str) and name != "source" else value
            if value is not None and value != getattr(record, name):
                changes[name] = value
        instant = data.get("aware_at")
        if instant is not None and (instant.at, instant.zone) != (record.aware_at, record.aware_tz):
            changes.update(aware_at=instant.at, aware_tz=instant.zone)
        return changes

    def service_arguments(self) -> dict:
        return {**self.changes(), "reason": self.cleaned_data["reason"]}


class NoticeFields(forms.Form):
    """What a processor's notice says (Art. 33(2))."""

    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    informed_by = forms.CharField(label=_("Informed by (processor side)"), max_length=200)
    received_by = forms.CharField(label=_("Received by (controller side)"), max_length=200, required=False)
    summary = forms.CharField(
        label=_("What was said"), required=False, max_length=limits.TEXT, widget=forms.Textarea(attrs={"rows": 2})
    )
    evidence = forms.CharField(
        max_length=limits.TEXT,
        label=_("Evidence"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Where the proof is kept: e-mail id, ticket, document."),
    )
    TEXT_FIELDS = ("channel", "informed_by", "received_by", "summary", "evidence")


class RecordNoticeForm(ServiceErrorsMixin, NoticeFields):
    """``record_processor_notice`` for one relationship of the incident."""

    field_order = ["relationship", "informed_at"]
    relationship = forms.TypedChoiceField(label=_("Which processor told which controller"), coerce=int)

    def __init__(self, *args, incident, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.relationships = {
            r.pk: r for r in incident.processing_relationships.select_related("processor__party", "controller__party")
        }
        self.fields["relationship"].choices = [("", "—")] + [(pk, str(r)) for pk, r in self.relationships.items()]
        self.fields["informed_at"] = _instant_field(_("Informed at"), user)
        self.fields["informed_at"].help_text = _(
            "The controller is aware from this moment: its awareness is recorded with the notice, and its "
            "72 hours (Art. 33(1)) run from here. Local time, in the zone it was read in."
        )
        self.fields["reason"] = _reason_field()
        self.order_fields(self.field_order)

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        instant: LocalInstant = data["informed_at"]
        return {
            **{name: data[name].strip() for name in self.TEXT_FIELDS},
            "relationship": self.relationships[data["relationship"]],
            "informed_at": instant.at,
            "informed_tz": instant.zone,
            "reason": data["reason"],
        }


class CorrectNoticeForm(ServiceErrorsMixin, NoticeFields):
    """``correct_processor_notice``: the controller's awareness derived from the notice follows."""

    field_order = ["informed_at"]

    def __init__(self, *args, notice, user, **kwargs):
        super().__init__(*args, initial={name: getattr(notice, name) for name in self.TEXT_FIELDS}, **kwargs)
        self.notice = notice
        field = _instant_field(_("Informed at"), user, notice.informed_tz)
        self.fields["informed_at"] = field
        self.initial["informed_at"] = LocalInstant(notice.informed_at, notice.informed_tz or field.default_zone)
        self.fields["reason"] = _reason_field()
        self.fields["reason"].label = _("Reason for the correction — kept as evidence")
        self.order_fields(self.field_order)

    def clean(self):
        data = super().clean()
        if not self.errors and not self.changes():
            raise ValidationError(_("Nothing was changed: change a fact, or go back."), code="unchanged")
        return data

    def changes(self) -> dict:
        data, notice, changes = self.cleaned_data, self.notice, {}
        for name in self.TEXT_FIELDS:
            value = data.get(name)
            value = value.strip() if isinstance(value, str) else value
            if value is not None and value != getattr(notice, name):
                changes[name] = value
        instant = data.get("informed_at")
        if instant is not None and (instant.at, instant.zone) != (notice.informed_at, notice.informed_tz):
            changes.update(informed_at=instant.at, informed_tz=instant.zone)
        return changes

    def service_arguments(self) -> dict:
        return {**self.changes(), "reason": self.cleaned_data["reason"]}
