"""Admin for Art. 34: assessments, content versions, waves, and the ledger's records.

Same rules as ``web.admin.incidents``: scoped to the person's organisations, role-checked, and
every save through ``actions.communications`` with the form's reason. Assessments are
append-only (a newer one supersedes); a content version is read-only once frozen; a wave
is planned, changed while unsent, marked sent (its ``sent_at``) and given counts here.
Ledger imports are read-only records (the upload page writes them). The lookup log
(``LedgerLookup``) is not historied, so it is not offered here, where every page has a history.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from actions import communications as services
from communications.models import CommunicationAssessment, CommunicationWave, ContentVersion, ImportBatch
from incidents.choices import CONTROLLER_ROLES
from web.admin.incidents import RegisterAdmin


class CommunicationsAdmin(RegisterAdmin):
    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "controller":
            field.queryset = field.queryset.filter(role__in=list(CONTROLLER_ROLES))
            field = self._label_incident_parties(field)
        elif db_field.name == "content_version":
            field.queryset = field.queryset.select_related("incident")
            field.label_from_instance = lambda c: f"{c.incident.reference} · {c}"
        return field


@admin.register(CommunicationAssessment)
class CommunicationAssessmentAdmin(CommunicationsAdmin):
    """Append-only: record a newer assessment to change the decision; all stay on record."""

    instant_fields = ("decided", "authority_decided")
    list_display = (
        "incident",
        "controller",
        "is_high_risk",
        "exemption",
        "authority_decision",
        "decided_at",
        "decided_by_name",
    )
    list_filter = ("is_high_risk", "exemption", "authority_decision")
    search_fields = ("incident__reference", "decided_by_name")
    list_select_related = ("incident", "controller__party")
    autocomplete_fields = ("incident",)
    _facts = [
        "incident",
        "controller",
        "is_high_risk",
        "reasoning",
        "exemption",
        "exemption_reasoning",
        "authority_decision",
        "authority_decided_at",
        "authority_reference",
        "decided_by_name",
        "decided_by_role",
        "decided_at",
    ]
    add_fieldsets = [(None, {"fields": _facts})]
    fieldsets = [(None, {"fields": _facts}), (_("Recorded"), {"fields": ["recorded_by", "recorded_at"]})]
    readonly_fields = ("recorded_by", "recorded_at")

    def editable_after_creation(self, obj) -> bool:
        return False

    def save_through_service(self, request, obj, form, change):
        return services.record_assessment(
            form.cleaned_data["incident"],
            controller=form.cleaned_data["controller"],
            actor=request.user,
            reason=form.reason,
            **form.all_values(exclude=("incident", "controller")),
        )


@admin.register(ContentVersion)
class ContentVersionAdmin(CommunicationsAdmin):
    list_display = ("incident", "language", "version", "title", "is_complete", "is_frozen")
    list_filter = ("language", "is_frozen")
    search_fields = ("incident__reference", "title")
    list_select_related = ("incident",)
    autocomplete_fields = ("incident",)
    _checklist = ["describes_nature", "names_contact_point", "describes_consequences", "describes_measures"]
    add_fieldsets = [
        (None, {"fields": ["incident", "language", "title", "text"]}),
        (_("Art. 34(2) checklist: confirm after reading the text"), {"fields": _checklist}),
    ]
    fieldsets = [
        (None, {"fields": ["incident", "language", "version", "title", "text"]}),
        (_("Art. 34(2) checklist: confirm after reading the text"), {"fields": _checklist + ["is_frozen"]}),
        (_("Recorded"), {"fields": ["recorded_by", "recorded_at"]}),
    ]
    readonly_fields = ("version", "is_frozen", "recorded_by", "recorded_at")
    fixed_after_creation = ("incident", "language")

    @admin.display(boolean=True, description=_("Art. 34(2) complete"))
    def is_complete(self, obj):
        return obj.is_complete

    def editable_after_creation(self, obj) -> bool:
        return obj is None or not obj.is_frozen

    def save_through_service(self, request, obj, form, change):
        if not change:
            return services.create_content_version(
                form.cleaned_data["incident"],
                actor=request.user,
                reason=form.reason,
                **form.all_values(exclude=("incident",)),
            )
        changes = form.changed_values(exclude=("incident", "language"))
        return (
            services.update_content_version(obj, actor=request.user, reason=form.reason, **changes) if changes else obj
        )


@admin.register(CommunicationWave)
class CommunicationWaveAdmin(CommunicationsAdmin):
    instant_fields = ("planned", "sent")
    list_display = (
        "incident",
        "controller",
        "cohort_label",
        "channel",
        "planned_at",
        "sent_at",
        "planned_count",
        "recipient_count",
        "sent_count",
        "bounced_count",
    )
    list_filter = ("channel",)
    search_fields = ("incident__reference", "cohort_label")
    list_select_related = ("incident", "controller__party")
    autocomplete_fields = ("incident",)
    add_fieldsets = [
        (
            None,
            {
                "fields": [
                    "incident",
                    "controller",
                    "cohort_label",
                    "channel",
                    "content_version",
                    "planned_at",
                    "planned_count",
                ]
            },
        )
    ]
    fieldsets = [
        (None, {"fields": ["incident", "controller", "cohort_label", "channel", "content_version", "planned_at"]}),
        (
            _("Sending"),
            {"fields": ["sent_at", "planned_count", "recipient_count", "sent_count", "bounced_count", "has_ledger"]},
        ),
        (_("Recorded"), {"fields": ["recorded_by", "recorded_at"]}),
    ]
    readonly_fields = ("recipient_count", "has_ledger", "recorded_by", "recorded_at")
    fixed_after_creation = ("incident", "controller")

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.is_sent:
            readonly += ["cohort_label", "channel", "content_version", "planned_at", "sent_at"]
        if obj is not None and obj.has_ledger:
            readonly += ["sent_count", "bounced_count"]  # the plan stays the officer's
        return readonly

    def save_through_service(self, request, obj, form, change):
        actor, reason = request.user, form.reason
        if not change:
            return services.plan_wave(
                form.cleaned_data["incident"],
                controller=form.cleaned_data["controller"],
                actor=actor,
                reason=reason,
                **form.all_values(exclude=("incident", "controller")),
            )
        changes = form.changed_values(exclude=("incident", "controller"))
        sent = {name: changes.pop(name) for name in ("sent_at", "sent_tz") if name in changes}
        counts = {name: changes.pop(name) for name in services.COUNT_FIELDS if name in changes}
        if changes:
            obj = services.update_wave(obj, actor=actor, reason=reason, **changes)
        if counts:
            obj = services.record_wave_counts(obj, actor=actor, reason=reason, **counts)
        if sent.get("sent_at"):
            obj = services.mark_wave_sent(
                obj, sent_at=sent["sent_at"], sent_tz=sent.get("sent_tz"), actor=actor, reason=reason
            )
        return obj


class ReadOnlyRecordAdmin(RegisterAdmin):
    def has_add_permission(self, request):
        return False

    def editable_after_creation(self, obj) -> bool:
        return False


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyRecordAdmin):
    organisation_lookup = "wave__incident__organisation"
    list_display = (
        "wave",
        "file_name",
        "rows_read",
        "rows_added",
        "rows_already_present",
        "recorded_by",
        "recorded_at",
    )
    list_select_related = ("wave", "recorded_by")
    fields = (
        "wave",
        "file_name",
        "file_sha256",
        "file_size",
        "status",
        "rows_read",
        "rows_added",
        "rows_already_present",
        "recorded_by",
        "recorded_at",
    )
    readonly_fields = fields
