"""Admin for filings and decisions not to notify: created through the services, then read-only.

A filing is shown with its Art. 33(3) checklist (on the add page: what the
register lacks right now; afterwards: what the filing lacked when submitted)
and what changed since the previous filing. The only later change is adding
the authority's report number, once.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from actions import filings as services
from filings.models import AuthorityFiling, NotificationDecisionRecord
from incidents.models import Incident
from readers.filing_content import diff, snapshot
from rules.completeness import missing_items
from web.admin.incidents import RegisterAdmin
from web.admin_base import rendering_request


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _preview_content(request) -> dict | None:
    """The register as a filing would freeze it now, for the incident (and controller) being chosen."""
    if request is None:
        return None
    data = request.POST if request.method == "POST" else request.GET
    incident = Incident.objects.visible_to(request.user).filter(pk=_int(data.get("incident"))).first()
    if incident is None:
        return None
    controller = incident.parties.select_related("party").filter(pk=_int(data.get("controller"))).first()
    return snapshot(incident, controller, None)


def checklist_html(content: dict):
    missing = missing_items(content)
    if not missing:
        return gettext("Nothing missing: Art. 33(3)(a)-(d) are all answered.")
    items = format_html_join("", "<li>{} <small>({})</small></li>", ((item.label, item.field) for item in missing))
    note = gettext("Incomplete: file it as phased (Art. 33(4)), or complete the register first.")
    return format_html("<ul>{}</ul><p>{}</p>", items, note)


@admin.register(AuthorityFiling)
class AuthorityFilingAdmin(RegisterAdmin):
    instant_fields = ("submitted",)
    list_display = ("incident", "controller", "authority", "filing_type", "submitted_at", "authority_reference")
    list_filter = ("filing_type", "channel")
    search_fields = ("incident__reference", "authority_reference", "controller__party__name")
    list_select_related = ("incident", "controller__party", "authority")
    autocomplete_fields = ("incident",)
    _facts = [
        "incident",
        "controller",
        "authority",
        "filing_type",
        "submitted_at",
        "channel",
        "submitted_by",
        "reporter_function",
        "reporter_function_detail",
        "reporter_contact",
        "authority_reference",
        "is_phased",
        "delay_reasons",
        "withdrawal_reason",
    ]
    add_fieldsets = [
        (None, {"fields": _facts}),
        (_("Completeness (Art. 33(3))"), {"fields": ["completeness_checklist"]}),
    ]
    fieldsets = [
        (None, {"fields": _facts}),
        (
            _("As submitted"),
            {
                "fields": [
                    "previous",
                    "completeness_checklist",
                    "changes_since_previous",
                    "content_sha256",
                    "page_link",
                    "recorded_by",
                    "recorded_at",
                ]
            },
        ),
    ]
    readonly_fields = (
        "previous",
        "completeness_checklist",
        "changes_since_previous",
        "content_sha256",
        "page_link",
        "recorded_by",
        "recorded_at",
    )
    live_only_fields = ("page_link",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return self._label_incident_parties(field) if db_field.name == "controller" else field

    def editable_after_creation(self, obj) -> bool:
        # Submitted filings never change; the report number may be added once.
        return obj is None or not obj.authority_reference

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if obj is not None:
            readonly += [name for name in self._facts if name != "authority_reference" and name not in readonly]
            if obj.authority_reference and "authority_reference" not in readonly:
                readonly.append("authority_reference")
        return readonly

    @admin.display(description=_("missing of Art. 33(3)(a)-(d)"))
    def completeness_checklist(self, obj):
        content = obj.content if obj.pk else _preview_content(rendering_request())
        if content is None:
            return gettext("Choose the incident and the controller to see what the register still lacks.")
        return checklist_html(content)

    @admin.display(description=_("changed since the previous filing"))
    def changes_since_previous(self, obj):
        if obj.pk is None:
            return "—"
        changes = diff(obj.previous.content if obj.previous_id else None, obj.content)
        if not changes:
            return gettext("Nothing changed.")
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "", "<li><strong>{}</strong>: {} → {}</li>", ((c.label, c.before, c.after) for c in changes)
            ),
        )

    @admin.display(description=_("page"))
    def page_link(self, obj):
        if obj.pk is None:
            return "—"
        url = reverse("filings:detail", args=[obj.incident_id, obj.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Show the filing as submitted"))

    def save_through_service(self, request, obj, form, change):
        actor, reason, data = request.user, form.reason, form.cleaned_data
        if not change:
            return services.submit_filing(
                data["incident"],
                controller=data["controller"],
                authority=data["authority"],
                actor=actor,
                reason=reason,
                **form.all_values(exclude=("incident", "controller", "authority")),
            )
        if "authority_reference" in form.changed_data:
            return services.add_authority_reference(
                obj, authority_reference=data["authority_reference"], actor=actor, reason=reason
            )
        return obj


@admin.register(NotificationDecisionRecord)
class NotificationDecisionRecordAdmin(RegisterAdmin):
    """ "Not notified, because …": recorded through the service, never changed afterwards."""

    instant_fields = ("decided",)
    list_display = ("incident", "controller", "risk_basis", "decided_at", "decided_by")
    list_filter = ("risk_basis",)
    search_fields = ("incident__reference", "controller__party__name", "decided_by")
    list_select_related = ("incident", "controller__party")
    autocomplete_fields = ("incident",)
    _facts = ["incident", "controller", "decided_at", "decided_by", "risk_basis", "reasoning"]
    add_fieldsets = [(None, {"fields": _facts})]
    fieldsets = [(None, {"fields": _facts}), (_("Recorded"), {"fields": ["recorded_by", "recorded_at"]})]
    readonly_fields = ("recorded_by", "recorded_at")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return self._label_incident_parties(field) if db_field.name == "controller" else field

    def editable_after_creation(self, obj) -> bool:
        return False

    def save_through_service(self, request, obj, form, change):
        data = form.cleaned_data
        return services.record_decision_not_to_notify(
            data["incident"],
            controller=data["controller"],
            actor=request.user,
            reason=form.reason,
            **form.all_values(exclude=("incident", "controller")),
        )
