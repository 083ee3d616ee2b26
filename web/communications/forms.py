"""Forms of the Art. 34 pages: the ledger upload and the call-centre lookup."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from breachtrack import limits
from communications.choices import IdentifierKind, ImportKind


class LedgerUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("The file lists"),
        choices=ImportKind.choices,
        initial=ImportKind.RECIPIENTS,
        widget=forms.RadioSelect,
        help_text=_("Bounces are recorded as returned at the moment of upload; the wave must have been sent."),
    )
    file = forms.FileField(
        label=_("Recipients (CSV)"),
        help_text=_("UTF-8 CSV with the header 'kind,identifier'; kind is 'bsn' or 'email'. One person per line."),
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=limits.REASON, help_text=_("Kept as evidence with the import.")
    )


class LookupForm(forms.Form):
    organisation = forms.TypedChoiceField(label=_("Organisation"), coerce=int)
    kind = forms.ChoiceField(label=_("Identifier"), choices=IdentifierKind.choices)
    identifier = forms.CharField(
        label=_("BSN or e-mail address"),
        max_length=limits.EMAIL,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [(org.pk, org.name) for org in organisations]
        if len(organisations) == 1:
            self.fields["organisation"].initial = organisations[0].pk
