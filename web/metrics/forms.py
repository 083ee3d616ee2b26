"""The metrics filters: a GET form, so a filtered reading is a link one can share or bookmark."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from organisations.models import Authority, Party
from readers.metrics import Filters
from readers.metrics_regimes import GDPR, known_regime, regime_choices
from rules.timeinput import Fold, LocalTimeError, local_to_utc


class MetricsFilterForm(forms.Form):
    """Organisation (when the user reads several), period in whole days of the user's zone, authority,
    controller, regime (the GDPR unless another is chosen). An unknown value is a 400 naming its field, never a silently wider reading."""

    organisation = forms.TypedChoiceField(label=_("Organisation"), required=False, coerce=int, empty_value=None)
    period_from = forms.DateField(label=_("From (day)"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    period_to = forms.DateField(
        label=_("To (day, included)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    authority = forms.ModelChoiceField(
        label=_("Supervisory authority"), queryset=Authority.objects.order_by("name"), required=False
    )
    controller = forms.ModelChoiceField(label=_("Controller"), queryset=Party.objects.none(), required=False)
    # Any code of the regimes' catalogue is read; the select offers the GDPR and the regimes in the data.
    regime = forms.CharField(label=_("Regime"), required=False, max_length=32, widget=forms.Select)
    # Exact instants (ISO 8601), as the API's drill-down links carry its period; they win over the days.
    from_at = forms.DateTimeField(required=False, widget=forms.HiddenInput)
    until_at = forms.DateTimeField(required=False, widget=forms.HiddenInput)

    def __init__(self, data, *, organisations, zone: str):
        if data is not None and "regime" not in data:
            data = data.copy()
            data["regime"] = GDPR  # the select shows the GDPR chosen when none was asked for
        super().__init__(data)
        self.organisations = list(organisations)
        self.zone = zone
        self.fields["organisation"].choices = [(o.pk, o.name) for o in self.organisations]
        self.fields["authority"].empty_label = _("Every authority")
        self.fields["controller"].empty_label = _("Every controller")
        self.fields["controller"].queryset = Party.objects.filter(owner__in=self.organisations).order_by("name")
        chosen = (data or {}).get("regime") or GDPR
        self.fields["regime"].widget.choices = regime_choices([o.pk for o in self.organisations], chosen)

    def clean_regime(self) -> str:
        code = self.cleaned_data.get("regime") or GDPR
        if not known_regime(code):
            raise forms.ValidationError(
                _("Unknown regime “%(code)s”: choose one from the list."), params={"code": code[:40]}
            )
        return code

    def clean(self):
        data = super().clean()
        chosen = data.get("organisation") or (self.organisations[0].pk if self.organisations else None)
        data["organisation"] = chosen
        start, end = data.get("period_from"), data.get("period_to")
        if start and end and end < start:
            self.add_error("period_to", _("The end of the period is before its start."))
        data["from_at"] = data.get("from_at") or self.midnight("period_from", start)
        data["until_at"] = data.get("until_at") or self.midnight("period_to", end, next_day=True)
        controller = data.get("controller")
        if controller is not None and controller.owner_id != chosen:
            self.add_error("controller", _("Choose a controller from this organisation's directory."))
        return data

    def midnight(self, name: str, day, *, next_day: bool = False) -> datetime | None:
        """The start of ``day`` (or of the day after) in the user's zone, as a UTC instant."""
        if day is None:
            return None
        try:
            local = datetime.combine(day, time()) + (timedelta(days=1) if next_day else timedelta(0))
            return local_to_utc(local, self.zone, Fold.EARLIER)
        except (LocalTimeError, OverflowError):
            self.add_error(name, _("This day has no start in your time zone; choose another."))
            return None

    def filters(self) -> Filters:
        data = self.cleaned_data
        return Filters(
            organisation_id=data["organisation"],
            period_from=data["from_at"],
            period_until=data["until_at"],
            authority_id=data["authority"].pk if data.get("authority") else None,
            controller_id=data["controller"].pk if data.get("controller") else None,
            regime=data.get("regime") or GDPR,
        )
