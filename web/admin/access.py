"""Share links in the scoped member admin: officers and legal create and revoke them.

Creating shows the link once (a message with the full URL: only the token's hash is kept).
A link is never edited; its change page offers one thing, "revoke", whose change reason is
the revocation reason. The access log is read on the incident's access-log page, not here.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from access.models import ShareLink
from actions import sharing as services
from incidents.models import Incident
from organisations.tenancy import active_memberships
from web.admin_base import AdminServiceForm, BreachTrackAdmin, is_superuser


class ShareLinkForm(AdminServiceForm):
    revoke = forms.BooleanField(
        label=gettext_lazy("Revoke this link now"),
        required=False,
        help_text=gettext_lazy("The change reason below is kept as the revocation reason."),
    )


@admin.register(ShareLink)
class ShareLinkAdmin(BreachTrackAdmin):
    form = ShareLinkForm
    instant_fields = ("expires",)
    list_display = ("incident", "export_kind", "recipient", "created_by", "expires_at", "revoked_at")
    list_filter = ("export_kind",)
    list_select_related = ("incident", "created_by")
    add_fieldsets = [(None, {"fields": ["incident", "export_kind", "recipient", "expires_at"]})]
    fieldsets = [
        (None, {"fields": ["incident", "export_kind", "recipient", "purpose", "expires_at"]}),
        (
            _("Made and revoked"),
            {"fields": ["created_by", "created_at", "revoked_at", "revoked_by", "revocation_reason", "revoke"]},
        ),
    ]
    fixed_after_creation = ("purpose", "created_by", "created_at", "revoked_at", "revoked_by", "revocation_reason")

    # Legal may share too (services.SHARE_ROLES), not only privacy officers.
    def _may_share_somewhere(self, request) -> bool:
        return active_memberships(request.user).filter(role__in=list(services.SHARE_ROLES)).exists()

    def has_add_permission(self, request):
        if not self.admin_site.has_permission(request):
            return False
        return is_superuser(request.user) or self._may_share_somewhere(request)

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return self.has_add_permission(request)
        if obj.revoked_at is not None or not self.admin_site.has_permission(request):
            return False
        if is_superuser(request.user):
            return True
        return self.scoped(ShareLink.objects.filter(pk=obj.pk), request.user, roles=services.SHARE_ROLES).exists()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "incident":
            kwargs["queryset"] = Incident.objects.visible_to(
                request.user, None if is_superuser(request.user) else services.SHARE_ROLES
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and self.has_change_permission(request, obj):
            return fieldsets
        # "revoke" is a form field, not a model field: a reader's read-only page cannot show it.
        return [(name, {**opts, "fields": [f for f in opts["fields"] if f != "revoke"]}) for name, opts in fieldsets]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly += [
                name for name in ("incident", "export_kind", "recipient", "expires_at") if name not in readonly
            ]
        return readonly

    def save_through_service(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            created = services.create_share_link(
                data["incident"],
                export_kind=data["export_kind"],
                recipient=data["recipient"],
                expires_at=data["expires_at"],
                expires_tz=data.get("expires_tz") or "UTC",
                actor=request.user,
                reason=form.reason,
            )
            obj.token_shown_once = created.token  # for response_add: only its hash is stored
            return created.link
        if data.get("revoke"):
            return services.revoke_share_link(obj, actor=request.user, reason=form.reason)
        return obj

    def response_add(self, request, obj, post_url_continue=None):
        url = request.build_absolute_uri(reverse("access:share", args=[obj.token_shown_once]))
        self.message_user(
            request, _("Send this link now; it is shown only once: %(url)s") % {"url": url}, messages.WARNING
        )
        return super().response_add(request, obj, post_url_continue)
