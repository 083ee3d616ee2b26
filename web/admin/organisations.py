"""Admin for organisations, people, party directories and supervisory authorities.

Organisations, memberships, users and authorities are managed by superusers;
members see their own organisation, its memberships and their colleagues, read
only. Each organisation's privacy officers keep its party directory and its
alert policies.
"""

from __future__ import annotations

import copy

from django import forms
from django.contrib import admin
from django.contrib.auth import password_validation
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from actions import alert_policies
from breachtrack import limits
from organisations import services
from organisations.models import AlertPolicy, Authority, Membership, Organisation, Party, User
from organisations.tenancy import organisation_ids
from web.admin_base import AdminServiceForm, BreachTrackAdmin, is_superuser
from web.forms import zone_choices

# Roles live in memberships, not in Django groups and permissions: the group
# admin that django.contrib.auth registers would be an unscoped, unhistoried side door.
if admin.site.is_registered(Group):
    admin.site.unregister(Group)
# Authenticator secrets are each user's own (web.two_factor): never shown in the admin.
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


@admin.register(Organisation)
class OrganisationAdmin(BreachTrackAdmin):
    organisation_lookup = "pk"
    managed_by_superusers = True
    list_display = ("name", "country", "registration_number", "created_at")
    search_fields = ("name", "registration_number")
    fieldsets = [
        (None, {"fields": ["name", "country", "registration_number", "address", "sector", "ownership", "size"]}),
        (_("Data protection officer or contact point"), {"fields": ["dpo_name", "dpo_email", "dpo_phone"]}),
        (_("Security"), {"fields": ["requires_two_factor"]}),
        (_("Recorded"), {"fields": ["created_at"]}),
    ]
    add_fieldsets = fieldsets[:2]
    readonly_fields = ("created_at",)

    def save_through_service(self, request, obj, form, change):
        if not change:
            data = form.all_values(exclude=("name", "country"))
            return services.create_organisation(
                name=form.cleaned_data["name"],
                country=form.cleaned_data["country"],
                actor=request.user,
                reason=form.reason,
                **data,
            )
        changes = form.changed_values()
        if not changes:
            return obj
        return services.update_organisation(obj, actor=request.user, reason=form.reason, **changes)


@admin.register(Membership)
class MembershipAdmin(BreachTrackAdmin):
    managed_by_superusers = True
    list_display = ("user", "organisation", "role", "is_active")
    list_filter = ("role", "is_active", ("organisation", admin.RelatedOnlyFieldListFilter))
    search_fields = ("user__username", "user__email", "organisation__name")
    list_select_related = ("user", "organisation")
    fieldsets = [(None, {"fields": ["user", "organisation", "role", "is_active"]})]
    add_fieldsets = [(None, {"fields": ["user", "organisation", "role"]})]
    fixed_after_creation = ("user", "organisation")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "user":
            field.queryset = field.queryset.filter(is_system_actor=False, is_active=True)
        return field

    def save_through_service(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            changes = form.changed_values(exclude=("user", "organisation"))
            if not changes:
                return obj
            return services.update_membership(obj, actor=request.user, reason=form.reason, **changes)
        return services.add_member(
            data.get("organisation", obj.organisation),
            data.get("user", obj.user),
            role=data["role"],
            actor=request.user,
            reason=form.reason,
        )


class UserAdminForm(AdminServiceForm):
    time_zone = forms.ChoiceField(label=_("display time zone"), choices=zone_choices)
    password1 = forms.CharField(
        label=_("New password"),
        max_length=limits.PASSWORD,
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the current password (a new user then has none and cannot log in)."),
    )
    password2 = forms.CharField(
        label=_("New password (again)"),
        max_length=limits.PASSWORD,
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        self.check_passwords()  # first: the service is asked only about an acceptable password
        return super().clean()

    def check_passwords(self):
        first, second = self.cleaned_data.get("password1"), self.cleaned_data.get("password2")
        if not (first or second):
            return
        if first != second:
            self.add_error("password2", _("The two passwords differ."))
            return
        # Compared with the name and e-mail as entered, not as stored.
        user = copy.copy(self.instance)
        for name in ("username", "email", "first_name", "last_name"):
            if name in self.cleaned_data:
                setattr(user, name, self.cleaned_data[name])
        try:
            password_validation.validate_password(first, user)
        except forms.ValidationError as error:
            self.add_error("password1", error)


@admin.register(User)
class UserAdmin(BreachTrackAdmin):
    form = UserAdminForm
    organisation_lookup = None  # scoped by shared membership, see scoped()
    managed_by_superusers = True
    list_display = ("username", "email", "first_name", "last_name", "is_active", "is_superuser")
    list_filter = ("is_active", "is_superuser", "is_system_actor")
    search_fields = ("username", "email", "first_name", "last_name")
    ordering = ("username",)
    fieldsets = [
        (None, {"fields": ["username", "email", "first_name", "last_name", "time_zone"]}),
        (_("Access"), {"fields": ["is_active", "password1", "password2", "is_superuser", "is_staff"]}),
        (_("Record"), {"fields": ["memberships_display", "is_system_actor", "date_joined", "last_login"]}),
    ]
    add_fieldsets = [
        (None, {"fields": ["username", "email", "first_name", "last_name", "time_zone"]}),
        (_("Access"), {"fields": ["password1", "password2"]}),
    ]
    # Privileges are not granted here (organisations.services never sets them):
    # superusers come from ``manage.py createsuperuser``.
    readonly_fields = (
        "is_superuser",
        "is_staff",
        "memberships_display",
        "is_system_actor",
        "date_joined",
        "last_login",
    )
    live_only_fields = ("memberships_display",)

    def scoped(self, queryset, user, roles=None):
        """A member sees their colleagues (anyone with a membership in a shared organisation) and themselves."""
        if user is None or not user.is_authenticated or not user.is_active:
            return queryset.none()
        if user.is_superuser and roles is None:
            return queryset
        colleagues = Membership.objects.filter(organisation__in=organisation_ids(user, roles)).values("user_id")
        return queryset.filter(Q(pk__in=colleagues) | Q(pk=user.pk))

    def get_choosable_queryset(self, request):
        if is_superuser(request.user):
            return self.model._default_manager.all()
        return self.model._default_manager.none()

    def editable_after_creation(self, obj) -> bool:
        return obj is None or not obj.is_system_actor  # system actors are fixed: they sign history

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not self.may_save(request, obj):  # password fields mean nothing to a reader
            fieldsets = [
                (title, {**options, "fields": [f for f in options["fields"] if not f.startswith("password")]})
                for title, options in fieldsets
            ]
        return fieldsets

    @admin.display(description=_("memberships"))
    def memberships_display(self, obj):
        memberships = obj.memberships.select_related("organisation").order_by("organisation__name")
        return (
            format_html_join(
                ", ",
                "{} ({}{})",
                (
                    (m.organisation, m.get_role_display(), "" if m.is_active else ", " + str(_("inactive")))
                    for m in memberships
                ),
            )
            or "—"
        )

    def save_through_service(self, request, obj, form, change):
        actor, reason = request.user, form.reason
        data = form.cleaned_data
        password = data.get("password1") or None
        if not change:
            return services.create_user(
                username=data["username"],
                email=data["email"],
                password=password,
                actor=actor,
                reason=reason,
                **form.all_values(exclude=("username", "email")),
            )
        changes = form.changed_values()
        deactivating = "is_active" in changes and not data["is_active"]
        if deactivating:
            del changes["is_active"]
        if changes:
            services.update_user(obj, actor=actor, reason=reason, **changes)
        if password:
            services.set_user_password(obj, password, actor=actor, reason=reason)
        if deactivating:
            services.deactivate_user(obj, actor=actor, reason=reason)
        return obj


@admin.register(Party)
class PartyAdmin(BreachTrackAdmin):
    """An organisation's directory of legal entities; kept by its privacy officers."""

    organisation_lookup = "owner"
    list_display = ("name", "owner", "country", "is_self")
    list_filter = ("is_self", ("owner", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "registration_number", "contact_name")
    list_select_related = ("owner",)
    fieldsets = [
        (None, {"fields": ["owner", "name", "country", "registration_number", "is_self"]}),
        (_("Contact"), {"fields": ["contact_name", "contact_email", "contact_phone"]}),
    ]
    readonly_fields = ("is_self",)
    fixed_after_creation = ("owner",)

    def save_through_service(self, request, obj, form, change):
        if not change:
            return services.create_party(
                form.cleaned_data["owner"],
                name=form.cleaned_data["name"],
                actor=request.user,
                reason=form.reason,
                **form.all_values(exclude=("owner", "name")),
            )
        changes = form.changed_values()
        if not changes:
            return obj
        return services.update_party(obj, actor=request.user, reason=form.reason, **changes)


@admin.register(Authority)
class AuthorityAdmin(BreachTrackAdmin):
    """Supervisory authorities: shared reference data, visible to every member."""

    organisation_lookup = None
    managed_by_superusers = True
    list_display = ("name", "code", "country")
    list_filter = ("country",)
    search_fields = ("name", "code")
    fieldsets = [(None, {"fields": ["code", "name", "country", "notification_url"]})]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def save_through_service(self, request, obj, form, change):
        values = form.changed_values() if change else form.all_values()
        if change and not values:
            return obj
        return services.save_authority(obj if change else None, actor=request.user, reason=form.reason, **values)


class MinutesListField(forms.CharField):
    """'240, 30' in the form, [240, 30] in the model; the service checks the numbers themselves."""

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(item) for item in value)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        parts = [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]
        try:
            return [int(part) for part in parts]
        except ValueError:
            raise forms.ValidationError(
                _("Give whole numbers of minutes separated by commas, e.g. 240, 30."), code="invalid"
            ) from None


class AlertPolicyForm(AdminServiceForm):
    thresholds_before_minutes = MinutesListField(
        label=_("alerts before the deadline (minutes)"),
        max_length=limits.LABEL,
        required=False,
        help_text=_(
            "Minutes before the due moment, separated by commas: 240, 30 is 4 hours and 30 minutes before. "
            "Empty: only at the due moment."
        ),
    )
    reset_to_defaults = forms.BooleanField(
        label=_("Reset to the defaults"),
        required=False,
        help_text=_("Remove this policy: 48, 24, 12, 6 and 1 hours before, at due, then every 12 hours overdue."),
    )


@admin.register(AlertPolicy)
class AlertPolicyAdmin(BreachTrackAdmin):
    """When an organisation is alerted about each kind of deadline; kept by its privacy officers."""

    form = AlertPolicyForm
    list_display = ("organisation", "kind", "thresholds_before_minutes", "overdue_repeat_minutes", "target_hours")
    list_filter = ("kind", ("organisation", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("organisation",)
    fieldsets = [
        (None, {"fields": ["organisation", "kind"]}),
        (_("Alerts"), {"fields": ["thresholds_before_minutes", "overdue_repeat_minutes"]}),
        (_("Target"), {"fields": ["target_hours"]}),
    ]
    fixed_after_creation = ("organisation", "kind")

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and self.may_save(request, obj):
            fieldsets.insert(-1, (_("Defaults"), {"fields": ["reset_to_defaults"]}))
        return fieldsets

    def save_through_service(self, request, obj, form, change):
        data = form.cleaned_data
        if change and data.get("reset_to_defaults"):
            alert_policies.reset_alert_policy(obj.organisation, obj.kind, actor=request.user, reason=form.reason)
            return None
        return alert_policies.set_alert_policy(
            obj.organisation if change else data["organisation"],
            obj.kind if change else data["kind"],
            thresholds_before_minutes=data["thresholds_before_minutes"],
            overdue_repeat_minutes=data.get("overdue_repeat_minutes"),
            target_hours=data.get("target_hours"),
            actor=request.user,
            reason=form.reason,
        )

    def response_change(self, request, obj):
        if not AlertPolicy.objects.filter(pk=obj.pk).exists():  # reset: the row is gone
            self.message_user(request, _("The policy was removed: the defaults apply again."))
            return HttpResponseRedirect(reverse("admin:organisations_alertpolicy_changelist"))
        return super().response_change(request, obj)
