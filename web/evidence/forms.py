"""The timeline's filter form: a GET form, so a filtered view is a link legal can keep.

An unknown value (a kind, party or actor that is not on offer) is refused with the field's
message and the page answers 400: a filter that silently widens to "everything" misleads.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from breachtrack import limits
from readers.review import KIND_LABELS, TimelineFilters, day_start


class DateInput(forms.DateInput):
    input_type = "date"


class TimelineFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of entry"), required=False)
    party = forms.TypedChoiceField(label=_("Party"), required=False, coerce=int, empty_value=None)
    actor = forms.ChoiceField(label=_("Recorded by"), required=False)
    since = forms.DateField(label=_("Happened from (date)"), required=False, widget=DateInput)
    until = forms.DateField(label=_("Happened until (date, inclusive)"), required=False, widget=DateInput)
    q = forms.CharField(label=_("Text contains"), required=False, max_length=limits.SEARCH)

    def __init__(self, data, *, parties, actors, zone_name: str):
        """``parties``: ``[(incident party id, name, label)]``; ``actors``: the usernames on the timeline."""
        super().__init__(data)
        self.zone_name = zone_name
        self.party_names = {pk: name for pk, name, _label in parties}
        self.fields["kind"].choices = [("", _("Any kind"))] + list(KIND_LABELS.items())
        self.fields["party"].choices = [("", _("Any party"))] + [(pk, label) for pk, _name, label in parties]
        self.fields["actor"].choices = [("", _("Anyone"))] + [(actor, actor) for actor in actors]

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end date lies before the start date."))
        return data

    def filters(self) -> TimelineFilters:
        """The cleaned filters, dates turned into UTC instants in the reader's zone."""
        data = self.cleaned_data
        since = until = None
        if data.get("since"):
            since = day_start(data["since"], zone_name=self.zone_name, label=self.fields["since"].label)
        if data.get("until"):
            until = day_start(
                data["until"] + timedelta(days=1), zone_name=self.zone_name, label=self.fields["until"].label
            )
        return TimelineFilters(
            kind=data.get("kind") or "",
            party_name=self.party_names.get(data.get("party"), ""),
            actor=data.get("actor") or "",
            since=since,
            until=until,
            text=(data.get("q") or "").strip(),
        )
