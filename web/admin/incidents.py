"""Admin for the breach register: incidents and everything recorded under them.

Every save goes through ``actions.incidents`` with the person as actor and the
form's reason; nothing is ever deleted. Rows without a correction service
(parties, authorities, processing relationships) and estimates (append-only:
a new estimate supersedes the old) are read-only once created.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from actions import incidents as services
from incidents.choices import DataCategory, DataSubjectCategory
from incidents.models import (
    TIME_FACTS,
    AffectedEstimate,
    AwarenessRecord,
    Incident,
    IncidentAuthority,
    IncidentParty,
    ProcessingRelationship,
    ProcessorNotice,
)
from readers import wording
from web.admin_base import BreachTrackAdmin, rendering_request


def local_time_text(instant) -> str:
    """An instant in the reader's zone (activated per request by the middleware)."""
    if instant is None:
        return "—"
    return formats.date_format(timezone.localtime(instant), "DATETIME_FORMAT")


def _labels(values, choices_enum) -> str:
    labels = dict(choices_enum.choices)
    return "; ".join(str(labels.get(value, value)) for value in values or []) or "—"


class RegisterAdmin(BreachTrackAdmin):
    """Shared by the admins of rows that belong to one incident."""

    organisation_lookup = "incident__organisation"

    def _url(self, model, view: str, *args, query=None) -> str | None:
        opts = model._meta
        try:
            url = reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_{view}", args=args)
        except NoReverseMatch:
            return None
        return f"{url}?{urlencode(query)}" if query else url

    def _add_link(self, model, label, **query):
        """A link to add a related row, shown only to someone who may add it."""
        request = rendering_request()
        related_admin = self.admin_site.get_model_admin(model)
        if request is None or not related_admin.has_add_permission(request):
            return ""
        return format_html(' <a class="addlink" href="{}">{}</a>', self._url(model, "add", query=query), label)

    def _rows(self, rows, render):
        """``rows`` as a list of links to their change pages; ``render(row)`` gives each text."""
        items = format_html_join(
            "", "<li><a href='{}'>{}</a></li>", ((self._url(type(row), "change", row.pk), render(row)) for row in rows)
        )
        return format_html("<ul>{}</ul>", items) if items else "—"

    def _related(self, rows, render, add_model, add_label, **query):
        """The rows as links, then (for someone who may) a link to add another."""
        return format_html("{}{}", self._rows(rows, render), self._add_link(add_model, add_label, **query))

    @staticmethod
    def _party_label(incident_party) -> str:
        return f"{incident_party.incident.reference} · {incident_party}"

    def _label_incident_parties(self, field):
        field.queryset = field.queryset.select_related("incident", "party")
        field.label_from_instance = self._party_label
        return field


# The register entry, grouped as the authority's form and Art. 33(3)/(5) ask for it.
REGISTER_FIELDSETS = [
    (
        _("Nature of the breach (Art. 33(3)(a))"),
        {
            "fields": [
                "is_confidentiality_breach",
                "is_integrity_breach",
                "is_availability_breach",
                "cause",
                "cause_detail",
                "discovery_method",
                "discovery_detail",
                "description",
                "systems_involved",
                "confidentiality_outcome",
                "integrity_outcome",
                "availability_outcome",
            ]
        },
    ),
    (
        _("Time facts"),
        {
            "fields": [
                "occurred_from_at",
                "occurred_until_at",
                "is_ongoing",
                "detected_at",
                "investigation_started_at",
                "contained_at",
            ]
        },
    ),
    (
        _("Data and people"),
        {
            "fields": [
                "data_categories",
                "has_special_categories",
                "has_national_id",
                "has_criminal_data",
                "data_subject_categories",
                "data_subject_countries",
                "is_data_encrypted",
                "is_key_compromised",
            ]
        },
    ),
    (_("Risk (Art. 33(3)(c))"), {"fields": ["likely_consequences", "severity", "risk_level", "risk_reasoning"]}),
    (
        _("Measures (Art. 33(3)(d))"),
        {
            "fields": [
                "measures_before",
                "measures_containment",
                "measures_mitigation",
                "measures_planned",
            ]
        },
    ),
    (_("Decision to notify the authority"), {"fields": ["notification_decision", "notification_reasoning"]}),
]
DERIVED = ("has_special_categories", "has_national_id", "has_criminal_data")
RELATED_SUMMARIES = (
    "parties_summary",
    "authorities_summary",
    "relationships_summary",
    "awareness_summary",
    "estimates_summary",
)


def _fieldsets_without(fieldsets, names):
    return [
        (title, {**options, "fields": [f for f in options["fields"] if f not in names]}) for title, options in fieldsets
    ]


@admin.register(Incident)
class IncidentAdmin(RegisterAdmin):
    organisation_lookup = "organisation"
    instant_fields = TIME_FACTS
    list_display = ("reference", "title", "status", "organisation", "created_at")
    list_display_links = ("reference", "title")
    list_filter = (
        "status",
        "risk_level",
        "notification_decision",
        "cause",
        ("organisation", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("reference", "title", "description")
    list_select_related = ("organisation",)
    date_hierarchy = "created_at"

    add_fieldsets = [(None, {"fields": ["organisation", "title"]}), *_fieldsets_without(REGISTER_FIELDSETS, DERIVED)]
    fieldsets = [
        (None, {"fields": ["reference", "organisation", "title", "status", "register_gaps"]}),
        *REGISTER_FIELDSETS,
        (_("Involved and recorded under this incident"), {"fields": list(RELATED_SUMMARIES)}),
        (_("Recorded"), {"fields": ["created_at", "updated_at"]}),
    ]
    readonly_fields = (
        "reference",
        "created_at",
        "updated_at",
        *DERIVED,
        "register_gaps",
        *RELATED_SUMMARIES,
        "data_categories_labels",
        "data_subject_categories_labels",
    )
    fixed_after_creation = ("organisation",)
    live_only_fields = ("register_gaps", *RELATED_SUMMARIES)
    readonly_display = {
        "data_categories": "data_categories_labels",
        "data_subject_categories": "data_subject_categories_labels",
    }

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if obj is not None and obj.is_closed:
            # A closed entry changes only by reopening it (with a reason).
            editable = {"status", "change_reason"}
            fields = [name for _t, options in self.fieldsets for name in options["fields"]]
            readonly += [name for name in fields if name not in editable and name not in readonly]
        return readonly

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        organisations = self.admin_site.get_model_admin(self.model._meta.get_field("organisation").related_model)
        choosable = organisations.get_choosable_queryset(request)[:2]
        if "organisation" not in initial and len(choosable) == 1:
            initial["organisation"] = choosable[0].pk  # the only register this person keeps
        return initial

    # --- Derived and related, read-only ------------------------------------
    @admin.display(boolean=True, description=_("special categories (Art. 9)"))
    def has_special_categories(self, obj):
        return obj.has_special_categories

    @admin.display(boolean=True, description=_("national identification number (Art. 87)"))
    def has_national_id(self, obj):
        return obj.has_national_id

    @admin.display(boolean=True, description=_("criminal convictions and offences (Art. 10)"))
    def has_criminal_data(self, obj):
        return obj.has_criminal_data

    @admin.display(description=_("categories of personal data"))
    def data_categories_labels(self, obj):
        return _labels(obj.data_categories, DataCategory)

    @admin.display(description=_("categories of data subjects"))
    def data_subject_categories_labels(self, obj):
        return _labels(obj.data_subject_categories, DataSubjectCategory)

    @admin.display(description=_("missing before it can be closed"))
    def register_gaps(self, obj):
        if obj.pk is None:
            return "—"
        gaps = obj.register_gaps()
        if not gaps:
            return gettext("Nothing: the register entry is complete (Art. 33(5)).")
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((message,) for _f, message in gaps)))

    @admin.display(description=_("parties"))
    def parties_summary(self, obj):
        rows = obj.parties.select_related("party")
        return self._related(rows, str, IncidentParty, gettext("Add a party"), incident=obj.pk)

    @admin.display(description=_("supervisory authorities"))
    def authorities_summary(self, obj):
        rows = obj.authorities.select_related("authority")
        return self._related(rows, str, IncidentAuthority, gettext("Add an authority"), incident=obj.pk)

    @admin.display(description=_("processing relationships"))
    def relationships_summary(self, obj):
        rows = obj.processing_relationships.select_related("processor__party", "controller__party")
        return self._related(rows, str, ProcessingRelationship, gettext("Link a processor"), incident=obj.pk)

    @admin.display(description=_("awareness records"))
    def awareness_summary(self, obj):
        rows = obj.awareness_records.select_related("party__party").order_by("aware_at")

        def render(record):
            text = gettext("%(party)s aware at %(at)s (%(source)s)") % {
                "party": record.party.party,
                "at": local_time_text(record.aware_at),
                "source": record.get_source_display(),
            }
            return text + (" — " + gettext("withdrawn") if record.is_withdrawn else "")

        return self._related(rows, render, AwarenessRecord, gettext("Record awareness"), incident=obj.pk)

    @admin.display(description=_("estimates of those affected"))
    def estimates_summary(self, obj):
        rows = list(obj.estimates.select_related("party__party").order_by("measure", "party_id", "known_at", "pk"))
        latest = {(row.measure, row.party_id): row.pk for row in rows}

        def render(estimate):
            text = gettext("%(estimate)s, known at %(at)s") % {
                "estimate": estimate,
                "at": local_time_text(estimate.known_at),
            }
            if estimate.party_id:
                text += f" ({estimate.party.party})"
            superseded = latest[(estimate.measure, estimate.party_id)] != estimate.pk
            return text + (" — " + gettext("superseded") if superseded else "")

        return self._related(rows, render, AffectedEstimate, gettext("Record an estimate"), incident=obj.pk)

    # --- Saving --------------------------------------------------------------
    def save_through_service(self, request, obj, form, change):
        actor, reason = request.user, form.reason
        if not change:
            return services.create_incident(
                organisation=form.cleaned_data["organisation"],
                title=form.cleaned_data["title"],
                actor=actor,
                reason=reason,
                **form.all_values(exclude=("organisation", "title", "status")),
            )
        saved = obj
        changes = form.changed_values(exclude=("organisation", "status"))
        if changes:
            saved = services.update_incident(obj, actor=actor, reason=reason, **changes)
        if "status" in form.changed_data:
            saved = services.change_status(saved, form.cleaned_data["status"], actor=actor, reason=reason)
        return saved


@admin.register(IncidentParty)
class IncidentPartyAdmin(RegisterAdmin):
    list_display = ("party", "role", "incident")
    list_filter = ("role",)
    search_fields = ("party__name", "incident__reference", "incident__title")
    list_select_related = ("party", "incident")
    autocomplete_fields = ("incident", "party")
    fieldsets = [(None, {"fields": ["incident", "party", "role", "notes"]})]

    def editable_after_creation(self, obj) -> bool:
        return False  # no service corrects a party's role yet

    def save_through_service(self, request, obj, form, change):
        data = form.cleaned_data
        return services.add_party(
            data["incident"],
            party=data["party"],
            role=data["role"],
            notes=data.get("notes", ""),
            actor=request.user,
            reason=form.reason,
        )


@admin.register(IncidentAuthority)
class IncidentAuthorityAdmin(RegisterAdmin):
    list_display = ("authority", "role", "incident")
    list_filter = ("role",)
    search_fields = ("authority__name", "incident__reference", "incident__title")
    list_select_related = ("authority", "incident")
    autocomplete_fields = ("incident",)
    fieldsets = [(None, {"fields": ["incident", "authority", "role"]})]

    def editable_after_creation(self, obj) -> bool:
        return False

    def save_through_service(self, request, obj, form, change):
        data = form.cleaned_data
        return services.add_authority(
            data["incident"], authority=data["authority"], role=data["role"], actor=request.user, reason=form.reason
        )


@admin.register(ProcessingRelationship)
class ProcessingRelationshipAdmin(RegisterAdmin):
    list_display = ("__str__", "notice_target_hours", "incident")
    search_fields = ("processor__party__name", "controller__party__name", "incident__reference")
    list_select_related = ("incident", "processor__party", "controller__party")
    autocomplete_fields = ("incident",)
    fieldsets = [
        (None, {"fields": ["incident", "processor", "controller", "notice_target_hours", "agreement_reference"]})
    ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return self._label_incident_parties(field) if db_field.name in ("processor", "controller") else field

    def editable_after_creation(self, obj) -> bool:
        return False

    def save_through_service(self, request, obj, form, change):
        data = form.cleaned_data
        return services.link_processor(
            data["incident"],
            processor=data["processor"],
            controller=data["controller"],
            notice_target_hours=data["notice_target_hours"],
            agreement_reference=data.get("agreement_reference", ""),
            actor=request.user,
            reason=form.reason,
        )


@admin.register(ProcessorNotice)
class ProcessorNoticeAdmin(RegisterAdmin):
    organisation_lookup = "relationship__incident__organisation"
    instant_fields = ("informed",)
    list_display = ("relationship", "informed_at", "channel", "informed_by")
    list_filter = ("channel",)
    search_fields = ("informed_by", "received_by", "relationship__incident__reference")
    list_select_related = ("relationship__processor__party", "relationship__controller__party")
    fieldsets = [
        (
            None,
            {"fields": ["relationship", "informed_at", "channel", "informed_by", "received_by", "summary", "evidence"]},
        ),
        (_("Recorded"), {"fields": ["awareness_link", "recorded_by", "recorded_at"]}),
    ]
    add_fieldsets = fieldsets[:1]
    readonly_fields = ("awareness_link", "recorded_by", "recorded_at")
    fixed_after_creation = ("relationship",)
    live_only_fields = ("awareness_link",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "relationship":
            field.queryset = field.queryset.select_related("incident", "processor__party", "controller__party")
            field.label_from_instance = lambda rel: f"{rel.incident.reference} · {rel}"
        return field

    @admin.display(description=_("controller's awareness from this notice"))
    def awareness_link(self, obj):
        record = getattr(obj, "awareness_record", None) if obj.pk else None
        return self._rows([record], str) if record else "—"

    def save_through_service(self, request, obj, form, change):
        if not change:
            return services.record_processor_notice(
                form.cleaned_data["relationship"],
                actor=request.user,
                reason=form.reason,
                **form.all_values(exclude=("relationship",)),
            )
        changes = form.changed_values(exclude=("relationship",))
        if not changes:
            return obj
        return services.correct_processor_notice(obj, actor=request.user, reason=form.reason, **changes)


@admin.register(AwarenessRecord)
class AwarenessRecordAdmin(RegisterAdmin):
    instant_fields = ("aware",)
    list_display = ("party", "aware_at", "source", "is_withdrawn", "incident")
    list_filter = ("source", "is_withdrawn")
    search_fields = ("party__party__name", "incident__reference", "asserted_by")
    list_select_related = ("party__party", "incident")
    autocomplete_fields = ("incident",)
    _facts = ["aware_at", "source", "source_detail", "asserted_by", "evidence", "rationale"]
    add_fieldsets = [(None, {"fields": ["incident", "party", *_facts]})]
    fieldsets = [
        (None, {"fields": ["incident", "party", *_facts]}),
        (_("Withdrawal"), {"fields": ["is_withdrawn", "withdrawal_reason"]}),
        (_("Recorded"), {"fields": ["processor_notice", "recorded_by", "recorded_at"]}),
    ]
    readonly_fields = ("processor_notice", "recorded_by", "recorded_at")
    fixed_after_creation = ("incident", "party")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return self._label_incident_parties(field) if db_field.name == "party" else field

    def editable_after_creation(self, obj) -> bool:
        # An awareness derived from a processor notice follows its notice: correct the notice.
        return obj is None or obj.processor_notice_id is None

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if obj is not None and obj.is_withdrawn:
            readonly += ["is_withdrawn", "withdrawal_reason"]  # a withdrawal stands
        return readonly

    def save_through_service(self, request, obj, form, change):
        actor, reason = request.user, form.reason
        data = form.cleaned_data
        if not change:
            return services.record_awareness(
                data["incident"],
                party=data["party"],
                actor=actor,
                reason=reason,
                **form.all_values(exclude=("incident", "party")),
            )
        record = obj
        corrections = form.changed_values(exclude=("incident", "party", "is_withdrawn", "withdrawal_reason"))
        if corrections:
            record = services.correct_awareness(record, actor=actor, reason=reason, **corrections)
        if data.get("is_withdrawn") and "is_withdrawn" in form.changed_data:
            record = self.get_queryset(request).get(pk=record.pk)
            record = services.withdraw_awareness(
                record, withdrawal_reason=data["withdrawal_reason"], actor=actor, reason=reason
            )
        return record


@admin.register(AffectedEstimate)
class AffectedEstimateAdmin(RegisterAdmin):
    """Estimates are append-only: what was known when. A newer estimate supersedes."""

    instant_fields = ("known",)
    list_display = ("incident", "measure", "display_value", "known_at", "source")
    list_filter = ("measure",)
    search_fields = ("incident__reference", "source")
    list_select_related = ("incident",)
    autocomplete_fields = ("incident",)
    _facts = ["incident", "measure", "low", "high", "is_approximate", "party", "known_at", "source", "note"]
    add_fieldsets = [(None, {"fields": _facts})]
    fieldsets = [
        (None, {"fields": _facts}),
        (_("Recorded"), {"fields": ["recorded_by", "recorded_at", "supersede_link"]}),
    ]
    readonly_fields = ("recorded_by", "recorded_at", "supersede_link")
    live_only_fields = ("supersede_link",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return self._label_incident_parties(field) if db_field.name == "party" else field

    def editable_after_creation(self, obj) -> bool:
        return False

    @admin.display(description=_("value"))
    def display_value(self, obj):
        return wording.count_text(obj)

    @admin.display(description=_("newer figures"))
    def supersede_link(self, obj):
        query = {"incident": obj.incident_id, "measure": obj.measure}
        if obj.party_id:
            query["party"] = obj.party_id
        return (
            self._add_link(AffectedEstimate, gettext("Record a newer estimate (this one stays on record)"), **query)
            or "—"
        )

    def save_through_service(self, request, obj, form, change):
        return services.record_estimate(
            form.cleaned_data["incident"],
            actor=request.user,
            reason=form.reason,
            **form.all_values(exclude=("incident",)),
        )


# The extortion admins live in their own module (kept small); importing registers them.
from web.admin import extortion as extortion_admin  # noqa: E402, F401
