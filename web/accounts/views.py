"""Our own login, logout and two-factor pages (/accounts/...), in the app's look.

Login goes through django-axes (AUTHENTICATION_BACKENDS): a locked-out username + address
gets the lockout page (429) from axes' middleware. After the password, a user who owes a
second factor is sent by web.two_factor's middleware to ``two_factor_verify`` or,
with no device yet, to ``two_factor_enrol``.
"""

from __future__ import annotations

import segno
from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login
from django_otp import match_token

from web import two_factor

ENROL_SESSION_KEY = "two_factor_enrol_key"


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "login_failure_limit": settings.AXES_FAILURE_LIMIT}


def locked_out(request, credentials=None, *args, **kwargs):
    """django-axes' answer to a locked-out login (AXES_LOCKOUT_CALLABLE): 429 and a page that
    says for how long, on our login page and the admin's alike."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/locked_out.html", {"lockout_minutes": minutes}, status=429)


class LogoutView(auth_views.LogoutView):
    next_page = "accounts:login"


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from your authenticator app"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


def _next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()}, request.is_secure()):
        return candidate
    return reverse("dashboard:home")


@never_cache
@sensitive_post_parameters("code")
@login_required
def two_factor_verify(request):
    if not getattr(request.user, "has_two_factor_device", False):
        return redirect(two_factor.next_step_url(request.user, _next_url(request)))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # match_token checks the user's own devices only, each throttled by django-otp after a failure.
        device = match_token(request.user, "".join(form.cleaned_data["code"].split()))
        if device is not None:
            otp_login(request, device)
            return redirect(_next_url(request))
        form.add_error("code", _("That code is not valid. Wait for the next code and try again."))
    status = 400 if form.errors else 200
    return render(
        request, "registration/two_factor_verify.html", {"form": form, "next": _next_url(request)}, status=status
    )


@never_cache
@sensitive_post_parameters("code")
@login_required
def two_factor_enrol(request):
    if two_factor.owes_second_factor(request.user) and getattr(request.user, "has_two_factor_device", False):
        # Replacing a device takes the old one's code first: the password alone must not do it.
        return redirect(two_factor.next_step_url(request.user, _next_url(request)))
    key = request.session.get(ENROL_SESSION_KEY)
    if not key:
        key = request.session[ENROL_SESSION_KEY] = two_factor.new_secret()
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = two_factor.enrol_device(
                request.user,
                key,
                form.cleaned_data["code"],
                actor=request.user,
                reason=_("Set up an authenticator app for two-factor login"),
            )
        except ValidationError as error:
            for message in (
                error.message_dict.get("code", error.messages) if hasattr(error, "error_dict") else error.messages
            ):
                form.add_error("code", message)
        else:
            del request.session[ENROL_SESSION_KEY]
            otp_login(request, device)
            return redirect(_next_url(request))
    uri = two_factor.provisioning_uri(request.user, key)
    qr_svg = segno.make(uri, error="m").svg_inline(scale=5, title=_("QR code for your authenticator app"))
    context = {
        "form": form,
        "next": _next_url(request),
        # segno writes the SVG from the URI alone (paths, no text of ours but the escaped title).
        "qr_svg": mark_safe(qr_svg),  # noqa: S308 (segno's own SVG, no unescaped text of ours)
        "secret": two_factor.readable_secret(key),
        "is_required": two_factor.owes_second_factor(request.user),
    }
    return render(request, "registration/two_factor_enrol.html", context, status=400 if form.errors else 200)
