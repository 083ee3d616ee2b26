"""Forms of the access-log filters and the share-link page.

The access-log filter is a GET form (a filtered log is a link); an unknown value is a 400 with
the field's message. The share-link forms turn a local expiry (the reader's zone) into UTC,
refusing a time that does not exist there and asking which one when it happens twice.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from access.choices import AccessAction, ExportKind
from breachtrack import limits
from readers.exports import is_available
from readers.review import BadLocalTime, day_start, local_instant
from web.evidence.forms import DateInput
from web.forms import LocalDateTimeInput, NaiveDateTimeField

SHARE_LINK_USERS = "share-links"  # the "who" of accesses through a share link (no user)


class AccessLogFilterForm(forms.Form):
    who = forms.ChoiceField(label=_("Who"), required=False)
    action = forms.ChoiceField(label=_("What"), required=False)
    since = forms.DateField(label=_("From (date)"), required=False, widget=DateInput)
    until = forms.DateField(label=_("Until (date, inclusive)"), required=False, widget=DateInput)

    def __init__(self, data, *, members, zone_name: str):
        """``members``: ``[(user id, username)]`` of the incident's organisation."""
        super().__init__(data)
        self.zone_name = zone_name
        self.fields["who"].choices = [("", _("Anyone")), (SHARE_LINK_USERS, _("Share links (no login)"))] + [
            (str(pk), name) for pk, name in members
        ]
        self.fields["action"].choices = [("", _("Anything"))] + list(AccessAction.choices)

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            self.add_error("until", _("The end date lies before the start date."))
        return data

    def lookups(self) -> dict:
        """ORM lookups on AccessLog for the cleaned filters."""
        data, found = self.cleaned_data, {}
        if data.get("who") == SHARE_LINK_USERS:
            found["share_link__isnull"] = False
        elif data.get("who"):
            found["user_id"] = int(data["who"])
        if data.get("action"):
            found["action"] = data["action"]
        if data.get("since"):
            found["accessed_at__gte"] = day_start(
                data["since"], zone_name=self.zone_name, label=self.fields["since"].label
            )
        if data.get("until"):
            found["accessed_at__lt"] = day_start(
                data["until"] + timedelta(days=1), zone_name=self.zone_name, label=self.fields["until"].label
            )
        return found


FOLD_CHOICES = [
    ("", _("(only if the time happens twice)")),
    ("earlier", _("the earlier (summer time)")),
    ("later", _("the later (winter time)")),
]


class ShareLinkForm(forms.Form):
    export_kind = forms.ChoiceField(label=_("Export"))
    recipient = forms.CharField(
        label=_("For whom"), max_length=limits.NAME, help_text=_("E.g. the supervisory authority's case handler.")
    )
    expires = NaiveDateTimeField(label=_("Expires at"), widget=LocalDateTimeInput)
    expires_fold = forms.ChoiceField(label=_("If that time happens twice"), choices=FOLD_CHOICES, required=False)
    reason = forms.CharField(
        label=_("Why (recorded with the link)"), max_length=limits.REASON, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, zone_name: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone_name = zone_name
        self.fields["export_kind"].choices = [(k, label) for k, label in ExportKind.choices if is_available(k)]
        self.fields["expires"].help_text = _("In your time zone, %(zone)s.") % {"zone": zone_name}

    def clean(self):
        data = super().clean()
        if data.get("expires") is not None:
            try:
                data["expires_at"] = local_instant(
                    data["expires"],
                    zone_name=self.zone_name,
                    fold=data.get("expires_fold"),
                    label=self.fields["expires"].label,
                )
            except BadLocalTime as error:
                self.add_error("expires", forms.ValidationError(str(error), code=error.code))
        return data


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Why revoke it"), max_length=limits.REASON)
