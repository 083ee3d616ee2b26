"""API tokens in the admin: superusers create and revoke them; members read their organisation's.

Creating shows the secret once (a message: only its SHA-256 is kept). A token is never edited;
its change page offers one thing, "revoke", whose change reason is the revocation reason.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from api import tokens
from api.models import ApiToken
from web.admin_base import AdminServiceForm, BreachTrackAdmin


class ApiTokenForm(AdminServiceForm):
    revoke = forms.BooleanField(
        label=gettext_lazy("Revoke this token now"),
        required=False,
        help_text=gettext_lazy("The change reason below is kept as the revocation reason."),
    )


@admin.register(ApiToken)
class ApiTokenAdmin(BreachTrackAdmin):
    form = ApiTokenForm
    managed_by_superusers = True
    instant_fields = ("expires",)
    list_display = ("name", "prefix", "organisation", "user", "role", "expires_at", "revoked_at", "last_used_at")
    list_filter = ("role",)
    list_select_related = ("organisation", "user")
    add_fieldsets = [(None, {"fields": ["organisation", "user", "role", "name", "expires_at"]})]
    fieldsets = [
        (None, {"fields": ["organisation", "user", "role", "name", "prefix", "expires_at", "last_used_at"]}),
        (
            _("Made and revoked"),
            {"fields": ["created_by", "created_at", "revoked_at", "revoked_by", "revocation_reason", "revoke"]},
        ),
    ]
    readonly_fields = ("prefix", "last_used_at")
    fixed_after_creation = (
        "organisation",
        "user",
        "role",
        "name",
        "expires_at",
        "created_by",
        "created_at",
        "revoked_at",
        "revoked_by",
        "revocation_reason",
    )

    def editable_after_creation(self, obj) -> bool:
        return obj is None or obj.revoked_at is None

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and self.has_change_permission(request, obj):
            return fieldsets
        # "revoke" is a form field, not a model field: a read-only page cannot show it.
        return [(name, {**opts, "fields": [f for f in opts["fields"] if f != "revoke"]}) for name, opts in fieldsets]

    def save_through_service(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            created = tokens.create_api_token(
                organisation=data["organisation"],
                user=data["user"],
                role=data["role"],
                name=data["name"],
                expires_at=data["expires_at"],
                expires_tz=data.get("expires_tz") or "UTC",
                actor=request.user,
                reason=form.reason,
            )
            obj.secret_shown_once = created.secret  # for response_add: only its SHA-256 is stored
            return created.token
        if data.get("revoke"):
            return tokens.revoke_api_token(obj, actor=request.user, reason=form.reason)
        return obj

    def response_add(self, request, obj, post_url_continue=None):
        self.message_user(
            request,
            _("Give this secret to the integration now; it is shown only once: %(secret)s")
            % {"secret": obj.secret_shown_once},
            messages.WARNING,
        )
        return super().response_add(request, obj, post_url_continue)
