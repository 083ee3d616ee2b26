"""Admin for the extortion facts: scoped, role-checked, every save through actions.extortion.

Countdown revisions are append-only (a new revision supersedes; the chain is the record), so they
are read-only once created. A publication's facts are too; what may follow on its page is the
Art. 34 reassessment that clears its flag. Imported by ``web.admin.incidents``.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from actions import extortion
from breachtrack import limits
from incidents.choices import CountdownRevisionKind
from incidents.models import ExtortionCountdown, ExtortionThreat, Publication
from web.admin.incidents import RegisterAdmin, local_time_text
from web.admin_base import AdminServiceForm

THREAT_FACTS = [
    "incident",
    "actor_name",
    "actor_aliases",
    "first_contact_at",
    "channel",
    "channel_detail",
    "demand_amount",
    "demand_currency",
    "demand_payment_method",
]
PAYMENT = ["payment_decision", "payment_decided_at", "payment_reasoning"]
POLICE = ["police_reported_at", "police_reference", "other_agencies_told"]


def _threat_label(threat) -> str:
    return f"{threat.incident.reference} · {threat.actor_name}"


class _ThreatChoiceMixin:
    """The threat picker: labelled with its incident, which is read in the same query."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "threat":
            field.queryset = field.queryset.select_related("incident")
            field.label_from_instance = _threat_label
        return field


def _split(values: dict, names) -> dict:
    """The entries of ``values`` for the fields ``names`` (instants with their zones)."""
    stems = {name[:-3] for name in names if name.endswith("_at")}
    return {key: value for key, value in values.items() if key in names or key[:-3] in stems}


@admin.register(ExtortionThreat)
class ExtortionThreatAdmin(RegisterAdmin):
    instant_fields = ("first_contact", "payment_decided", "police_reported")
    list_display = (
        "actor_name",
        "incident",
        "first_contact_at",
        "demand_currency",
        "demand_amount",
        "payment_decision",
    )
    list_filter = ("payment_decision", "channel")
    search_fields = ("actor_name", "actor_aliases", "incident__reference", "police_reference")
    list_select_related = ("incident",)
    autocomplete_fields = ("incident",)
    add_fieldsets = [
        (None, {"fields": THREAT_FACTS}),
        (_("Payment decision (paying does not reduce the risk nor delay any notification)"), {"fields": PAYMENT}),
        (_("Police and other agencies"), {"fields": POLICE}),
    ]
    fieldsets = [
        *add_fieldsets,
        (_("Countdown and publications"), {"fields": ["countdown_summary", "publications_summary"]}),
        (_("Recorded"), {"fields": ["recorded_by", "recorded_at"]}),
    ]
    readonly_fields = ("countdown_summary", "publications_summary", "recorded_by", "recorded_at")
    fixed_after_creation = ("incident",)
    live_only_fields = ("countdown_summary", "publications_summary")

    @admin.display(description=_("countdown revisions"))
    def countdown_summary(self, obj):
        rows = obj.countdown_revisions.order_by("announced_at", "pk")

        def render(revision):
            deadline = local_time_text(revision.deadline_at) if revision.deadline_at else "—"
            return gettext("%(kind)s, announced %(at)s, deadline %(deadline)s") % {
                "kind": revision.get_kind_display(),
                "at": local_time_text(revision.announced_at),
                "deadline": deadline,
            }

        return self._related(rows, render, ExtortionCountdown, gettext("Record a countdown revision"), threat=obj.pk)

    @admin.display(description=_("publications"))
    def publications_summary(self, obj):
        rows = obj.publications.order_by("published_at", "pk")
        return self._related(
            rows, str, Publication, gettext("Record a publication"), incident=obj.incident_id, threat=obj.pk
        )

    def save_through_service(self, request, obj, form, change):
        actor, reason = request.user, form.reason
        values = form.all_values(exclude=("incident",)) if not change else form.changed_values(exclude=("incident",))
        threat = obj
        if not change:
            threat = extortion.record_threat(
                form.cleaned_data["incident"], actor=actor, reason=reason, **_split(values, THREAT_FACTS)
            )
        elif _split(values, THREAT_FACTS):
            threat = extortion.update_threat(threat, actor=actor, reason=reason, **_split(values, THREAT_FACTS))
        payment = _split(values, PAYMENT)
        if payment and (change or payment.get("payment_decision") != "undecided" or payment.get("payment_decided_at")):
            payment.setdefault("payment_decision", form.cleaned_data["payment_decision"])
            threat = extortion.record_payment_decision(threat, actor=actor, reason=reason, **payment)
        police = {key: value for key, value in _split(values, POLICE).items() if change or value}
        if police:
            threat = extortion.record_police_report(threat, actor=actor, reason=reason, **police)
        return threat


@admin.register(ExtortionCountdown)
class ExtortionCountdownAdmin(_ThreatChoiceMixin, RegisterAdmin):
    """Append-only: each revision is a fact of its own; a later one supersedes it."""

    organisation_lookup = "threat__incident__organisation"
    instant_fields = ("announced", "deadline")
    list_display = ("threat", "kind", "announced_at", "deadline_at")
    list_filter = ("kind",)
    search_fields = ("threat__actor_name", "threat__incident__reference", "source")
    list_select_related = ("threat__incident",)
    _facts = ["threat", "kind", "announced_at", "deadline_at", "source", "evidence", "note"]
    add_fieldsets = [(None, {"fields": _facts})]
    fieldsets = [(None, {"fields": _facts}), (_("Recorded"), {"fields": ["recorded_by", "recorded_at"]})]
    readonly_fields = ("recorded_by", "recorded_at")

    def editable_after_creation(self, obj) -> bool:
        return False

    def save_through_service(self, request, obj, form, change):
        data = form.cleaned_data
        facts = form.all_values(exclude=("threat", "kind"))
        if data["kind"] == CountdownRevisionKind.WITHDRAWN:
            if facts.get("deadline_at") is None:
                facts.pop("deadline_at", None)
                facts.pop("deadline_tz", None)
            return extortion.withdraw_countdown(data["threat"], actor=request.user, reason=form.reason, **facts)
        return extortion.revise_countdown(
            data["threat"], kind=data["kind"], actor=request.user, reason=form.reason, **facts
        )


class PublicationForm(AdminServiceForm):
    reassessment_outcome = forms.CharField(
        label=_("Outcome of the Art. 34 reassessment"),
        max_length=limits.TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Fill in once the risk to the people affected was reassessed in the light of this publication."),
    )


@admin.register(Publication)
class PublicationAdmin(_ThreatChoiceMixin, RegisterAdmin):
    form = PublicationForm
    instant_fields = ("published",)
    list_display = ("incident", "published_at", "location", "records_count", "needs_risk_reassessment")
    search_fields = ("incident__reference", "location", "threat__actor_name")
    list_select_related = ("incident",)
    autocomplete_fields = ("incident",)
    _facts = ["incident", "threat", "published_at", "location", "records_count", "files_count", "size_bytes", "note"]
    add_fieldsets = [(None, {"fields": _facts})]
    fieldsets = [
        (None, {"fields": _facts}),
        (
            _("Art. 34 reassessment"),
            {"fields": ["risk_reassessed_at", "risk_reassessed_by", "risk_reassessment_note", "reassessment_outcome"]},
        ),
        (_("Recorded"), {"fields": ["recorded_by", "recorded_at"]}),
    ]
    readonly_fields = (
        "risk_reassessed_at",
        "risk_reassessed_by",
        "risk_reassessment_note",
        "recorded_by",
        "recorded_at",
    )
    fixed_after_creation = tuple(_facts)

    @admin.display(boolean=True, description=_("Art. 34 risk to reassess"))
    def needs_risk_reassessment(self, obj):
        return obj.needs_risk_reassessment

    def editable_after_creation(self, obj) -> bool:
        return obj is None or obj.needs_risk_reassessment  # only the reassessment may follow

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not self.may_save(request, obj):
            fieldsets = [
                (title, {**o, "fields": [f for f in o["fields"] if f != "reassessment_outcome"]})
                for title, o in fieldsets
            ]
        return fieldsets

    def save_through_service(self, request, obj, form, change):
        if change:
            return extortion.record_risk_reassessment(
                obj, outcome=form.cleaned_data.get("reassessment_outcome", ""), actor=request.user, reason=form.reason
            )
        data = form.cleaned_data
        return extortion.record_publication(
            data["incident"],
            threat=data.get("threat"),
            actor=request.user,
            reason=form.reason,
            **form.all_values(exclude=("incident", "threat", "reassessment_outcome")),
        )
