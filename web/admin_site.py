"""The admin site of BreachTrack: for members of an organisation, not for Django "staff".

Privacy officers, lawyers and viewers are members of an organisation
(``organisations.Membership``); none of them needs ``is_staff``. The site lets
in active superusers and active users with an active membership; what each may
see and change is decided per object by the model admins (``admin_base``).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, UsernameField
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from breachtrack import limits
from organisations.models import User
from organisations.tenancy import active_memberships


def is_member(user) -> bool:
    """An active user who is a superuser or holds an active membership."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or active_memberships(user).exists()


class MemberAuthenticationForm(AdminAuthenticationForm):
    """Admin login for members: ``is_staff`` plays no part.

    Both fields are declared with their bound (breachtrack.limits): Django sets the username's only
    when the form is made, and gives the password none, so a megabyte would be hashed."""

    username = UsernameField(
        max_length=User._meta.get_field("username").max_length, widget=forms.TextInput(attrs={"autofocus": True})
    )
    password = forms.CharField(
        label=AuthenticationForm.base_fields["password"].label,
        strip=False,
        max_length=limits.PASSWORD,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": _(
            "Please enter the correct %(username)s and password of an active member of an organisation. "
            "Note that both fields may be case-sensitive."
        ),
    }

    def confirm_login_allowed(self, user):
        # Skip AdminAuthenticationForm's is_staff check; keep the is_active one.
        AuthenticationForm.confirm_login_allowed(self, user)
        if not is_member(user):
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


class BreachTrackAdminSite(admin.AdminSite):
    site_header = _("BreachTrack")
    site_title = _("BreachTrack")
    index_title = _("Breach register")
    login_form = MemberAuthenticationForm

    def __init__(self, name="admin"):
        super().__init__(name)
        # Evidence is never deleted, in bulk least of all.
        self.disable_action("delete_selected")

    def has_permission(self, request):
        return is_member(request.user)
