"""An organisation's regime settings: what kind of entity it is and where it is established.

The notification regimes' conditions read them (an essential entity under NIS2, a financial entity
under DORA, established in the EU, ...). Any member reads the page; only a privacy officer of the
organisation may change it (403 from the server, decided before the input is read). Another
organisation is a 404. The change goes through ``actions.regimes`` with a reason, into the
organisation's history; bad input is a 400 with the message on its field, nothing written.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_countries import countries

from actions import regimes as services
from breachtrack import limits
from organisations.models import EntityType, Organisation, Role
from organisations.services import authorise
from organisations.tenancy import active_memberships


class RegimeSettingsForm(forms.Form):
    entity_tags = forms.MultipleChoiceField(
        label=gettext_lazy("Kinds of entity"),
        choices=EntityType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("What the notification regimes ask about your organisation."),
    )
    country = forms.ChoiceField(
        label=gettext_lazy("Established in"),
        choices=lambda: list(countries),  # read per form: the names in the reader's language
        help_text=gettext_lazy("The country of the organisation's main establishment."),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason for the change — kept as evidence"),
        max_length=limits.REASON,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def add_service_errors(self, error: ValidationError) -> None:
        for name, found in getattr(error, "message_dict", {"__all__": error.messages}).items():
            target = "country" if name == "established" else name
            self.add_error(target if target in self.fields else None, found)


def _organisation(request, pk: int) -> tuple[Organisation, str | None]:
    """The organisation (404 unless the user is an active member) and the user's role in it."""
    role = active_memberships(request.user).filter(organisation_id=pk).values_list("role", flat=True).first()
    if role is None and not request.user.is_superuser:
        raise Http404
    organisation = Organisation.objects.filter(pk=pk).first()
    if organisation is None:
        raise Http404
    return organisation, role or (Role.PRIVACY_OFFICER if request.user.is_superuser else None)


@require_http_methods(["GET", "POST"])
@login_required
def settings_page(request, pk: int):
    organisation, role = _organisation(request, pk)
    may_write = role == Role.PRIVACY_OFFICER
    initial = {"entity_tags": list(organisation.entity_tags or []), "country": str(organisation.country)}
    status = 200
    if request.method == "POST":
        authorise(request.user, organisation)
        form = RegimeSettingsForm(request.POST, initial=initial)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.set_organisation_profile(
                    organisation,
                    entity_tags=data["entity_tags"],
                    established=data["country"],
                    actor=request.user,
                    reason=data["reason"],
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("Saved. The regimes' suggestions now read these settings."))
                return redirect(reverse("incidents:regime_settings", args=[organisation.pk]))
        status = 400
    else:
        form = RegimeSettingsForm(initial=initial)
    context = {
        "organisation": organisation,
        "form": form if may_write else None,
        "may_write": may_write,
        "entity_labels": [EntityType(tag).label for tag in organisation.entity_tags or [] if tag in EntityType.values],
        "country_name": organisation.country.name if organisation.country else "",
    }
    return render(request, "incidents/regime_settings.html", context, status=status)
