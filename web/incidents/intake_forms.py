"""The guided intake form: one page that opens a whole register entry.

Every time on the page is typed as a wall-clock time in the person's own zone (their profile's,
else Europe/Amsterdam), shown next to the field. ``clean()`` turns each one into UTC through
``rules.timeinput``: a time skipped by a clock change is refused with the skipped hour named;
a time that happens twice is not guessed — the form comes back with a radio for each reading.
Then the order of the facts is checked (nothing in the future, awareness not before the breach),
each message naming its field. ``IntakeForm.facts`` is what ``web.incidents.intake`` writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from breachtrack import limits
from incidents.choices import (
    AwarenessSource,
    Cause,
    Channel,
    DataCategory,
    DataSubjectCategory,
    DiscoveryMethod,
    ExtortionChannel,
)
from incidents.models.incident import check_instant, future_limit
from organisations.models import Authority
from rules.clocks import authority_due_at
from rules.timeinput import (
    LOCAL_TIME_MESSAGES,
    AmbiguousLocalTime,
    Fold,
    NonExistentLocalTime,
    OutOfRangeLocalTime,
    gap_around,
    local_to_utc,
    readings,
    zone,
)
from web.forms import LocalDateTimeInput, NaiveDateTimeField, default_zone_name

MAX_OTHER_PARTIES = 10  # keeps one submission's writes (and queries) bounded


ROLE_CONTROLLER, ROLE_PROCESSOR = "controller", "processor"
ROLE_CHOICES = [
    (ROLE_CONTROLLER, _("Controller: we decide why and how the data is processed (Art. 4(7))")),
    (ROLE_PROCESSOR, _("Processor: we process the data on behalf of one or more controllers (Art. 4(8))")),
]


def _instant_field(label, help_text="", required=False):
    return NaiveDateTimeField(label=label, required=required, help_text=help_text, widget=LocalDateTimeInput())


def _fold_field():
    # Choices are filled in by clean() for a time that happens twice: their labels name the readings.
    return forms.ChoiceField(
        label=_("Which one did you mean?"),
        required=False,
        widget=forms.RadioSelect,
        choices=[(Fold.EARLIER.value, Fold.EARLIER.value), (Fold.LATER.value, Fold.LATER.value)],
    )


def _names(text: str) -> list[str]:
    """One party per line, blanks and repeats dropped (case-insensitively), order kept."""
    seen, names = set(), []
    for line in (text or "").splitlines():
        name = " ".join(line.split())
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    return names


@dataclass(frozen=True)
class IntakeFacts:
    """What the form cleaned to, ready for the services (instants in UTC)."""

    organisation: object
    zone: str
    incident: dict
    our_role: str
    other_controllers: list[str]
    processor_name: str
    authority: object | None
    awareness: dict
    notice: dict | None
    estimate: dict | None
    threat: dict | None
    countdown: dict | None
    reason: str


class IntakeForm(forms.Form):
    """Requires ``organisations`` (where the user is a privacy officer), ``user`` and ``now``."""

    # The instants on the page, in the order they are checked (stem → label for messages).
    INSTANTS = (
        "occurred_from",
        "occurred_until",
        "aware_at",
        "controllers_informed_at",
        "affected_known_at",
        "extortion_first_contact_at",
        "extortion_deadline_at",
    )

    MAY_BE_AHEAD = frozenset({"extortion_deadline_at"})

    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=None,
        empty_label=None,
        error_messages={
            "invalid_choice": _("You are not a privacy officer of this organisation, or it does not exist.")
        },
    )
    # 1. The breach
    title = forms.CharField(
        label=_("Title"), max_length=limits.NAME, help_text=_("A short name people will recognise.")
    )
    is_confidentiality_breach = forms.BooleanField(
        label=_("Confidentiality: data seen or taken by someone who should not have it"), required=False
    )
    is_integrity_breach = forms.BooleanField(label=_("Integrity: data changed or corrupted"), required=False)
    is_availability_breach = forms.BooleanField(
        label=_("Availability: data lost, encrypted or unreachable"), required=False
    )
    cause = forms.ChoiceField(label=_("Cause"), choices=[("", _("Not known yet"))] + Cause.choices, required=False)
    discovery_method = forms.ChoiceField(
        label=_("How it was discovered"),
        choices=[("", _("Not recorded yet"))] + DiscoveryMethod.choices,
        required=False,
    )
    description = forms.CharField(
        label=_("What happened"), max_length=limits.TEXT, widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    # 2. When it happened
    occurred_from = _instant_field(
        _("Started at"), _("Leave empty if unknown. If only roughly known, the earliest moment it could have started.")
    )
    occurred_from_fold = _fold_field()
    occurred_until = _instant_field(_("Ended at"), _("Leave empty if unknown or still going on."))
    occurred_until_fold = _fold_field()
    is_ongoing = forms.BooleanField(label=_("The breach is still going on"), required=False)
    # 3. Awareness: the clock starts here
    aware_at = _instant_field(
        _("We became aware at"),
        _(
            "When we had a reasonable degree of certainty that personal data was compromised (EDPB Guidelines 9/2022): "
            "the 72 hours of Art. 33(1) run from here."
        ),
        required=True,
    )
    aware_at_fold = _fold_field()
    awareness_source = forms.ChoiceField(label=_("How we learnt of it"), choices=AwarenessSource.choices)
    awareness_asserted_by = forms.CharField(
        label=_("Who knew"),
        max_length=limits.NAME,
        required=False,
        help_text=_("The person who had the knowledge, if not you."),
    )
    awareness_rationale = forms.CharField(
        label=_("Why this is the moment of awareness"),
        max_length=limits.TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    # 4. Roles and parties
    our_role = forms.ChoiceField(
        label=_("Our role in this breach"), choices=ROLE_CHOICES, initial=ROLE_CONTROLLER, widget=forms.RadioSelect
    )
    other_controllers = forms.CharField(
        label=_("Other controllers"),
        max_length=limits.TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_(
            "One per line. As processor: the controllers we work for (each has its own 72-hour clock). "
            "As controller: joint controllers, if any."
        ),
    )
    controllers_informed_at = _instant_field(
        _("We informed these controllers at"),
        _(
            "Only if we are the processor and have told them already (Art. 33(2)): each controller's own 72 hours start then."
        ),
    )
    controllers_informed_at_fold = _fold_field()
    controllers_informed_channel = forms.ChoiceField(
        label=_("How we informed them"), choices=[("", "—")] + Channel.choices, required=False
    )
    processor_name = forms.CharField(
        label=_("Processor where it happened"),
        max_length=limits.NAME,
        required=False,
        help_text=_("Only if we are the controller and the breach happened at a processor."),
    )
    authority = forms.ModelChoiceField(
        label=_("Lead supervisory authority"),
        queryset=Authority.objects.all(),
        required=False,
        empty_label=_("Not chosen yet"),
    )
    # 5. Data and people
    data_categories = forms.MultipleChoiceField(
        label=_("Categories of personal data"),
        choices=DataCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    data_subject_categories = forms.MultipleChoiceField(
        label=_("Categories of people"),
        choices=DataSubjectCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    affected_low = forms.IntegerField(
        label=_("People affected (or the lower bound)"),
        min_value=0,
        required=False,
        help_text=_("Leave empty if not known yet."),
    )
    affected_high = forms.IntegerField(
        label=_("Upper bound"), min_value=0, required=False, help_text=_("For a range only.")
    )
    affected_is_approximate = forms.BooleanField(label=_("Approximate"), required=False, initial=True)
    affected_is_at_least = forms.BooleanField(label=_("At least this many (no upper bound known)"), required=False)
    affected_known_at = _instant_field(
        _("This count was known at"),
        _(
            "When this number became known. Left empty, it is the moment we became aware (above): the latest "
            "known count is the current one, and a filing shows the counts known when it was submitted."
        ),
    )
    affected_known_at_fold = _fold_field()
    # 6. Extortion
    has_extortion = forms.BooleanField(label=_("Someone is demanding money or threatening to publish"), required=False)
    extortion_actor_name = forms.CharField(
        label=_("Threat actor"),
        max_length=limits.NAME,
        required=False,
        help_text=_("The name the group uses, or 'unknown'."),
    )
    extortion_channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", "—")] + ExtortionChannel.choices, required=False
    )
    extortion_first_contact_at = _instant_field(_("First contact at"))
    extortion_first_contact_at_fold = _fold_field()
    extortion_demand_amount = forms.DecimalField(
        label=_("Amount demanded"), min_value=0, max_digits=14, decimal_places=2, required=False
    )
    extortion_demand_currency = forms.CharField(
        label=_("Currency"), max_length=3, required=False, help_text=_("e.g. EUR, USD, BTC")
    )
    extortion_deadline_at = _instant_field(
        _("Their deadline"), _("When they threaten to publish, if they gave a moment.")
    )
    extortion_deadline_at_fold = _fold_field()
    # 7. Reason
    change_reason = forms.CharField(
        label=_("Reason for recording this — kept as evidence"),
        max_length=limits.REASON,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("e.g. 'call from the service desk, 09:12'."),
    )

    def __init__(self, *args, organisations, user, now: datetime, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now
        self.zone = default_zone_name(user)
        self.user_name = (user.get_full_name() or user.get_username())[:200]
        self.fields["organisation"].queryset = organisations
        self.instants: dict[str, datetime | None] = {}
        self.folds: dict = {}  # stem → its 'which one' radio, for each time that happens twice
        self.facts: IntakeFacts | None = None
        self.authority_deadline = None  # shown next to the awareness field once it is valid
        listed = list(organisations)
        self.is_multi_organisation = len(listed) > 1
        if len(listed) == 1:
            self.fields["organisation"].initial = listed[0].pk
            self.fields["organisation"].widget = forms.HiddenInput()
        dutch_ap = next((a for a in self.fields["authority"].queryset if a.code == "nl-ap"), None)
        if dutch_ap is not None and any(organisation.country == "NL" for organisation in listed):
            self.fields["authority"].initial = dutch_ap.pk

    # --- Instants -----------------------------------------------------------------------------
    def _label(self, name: str) -> str:
        return str(self.fields[name].label)

    def _to_utc(self, name: str, local: datetime) -> datetime | None:
        fold = self.cleaned_data.get(f"{name}_fold") or None
        params = {"field": self._label(name), "time": local.strftime("%Y-%m-%d %H:%M"), "zone": self.zone}
        try:
            first, second = readings(local, self.zone)
        except ValueError:
            pass
        else:
            self.folds[name] = self[f"{name}_fold"]
            self.fields[f"{name}_fold"].choices = [
                (
                    first.fold.value,
                    _("%(clock)s %(abbr)s (%(offset)s), the first")
                    % {"clock": local.strftime("%H:%M"), "abbr": first.abbreviation, "offset": first.offset},
                ),
                (
                    second.fold.value,
                    _("%(clock)s %(abbr)s (%(offset)s), the second")
                    % {"clock": local.strftime("%H:%M"), "abbr": second.abbreviation, "offset": second.offset},
                ),
            ]
        try:
            return local_to_utc(local, self.zone, fold)
        except NonExistentLocalTime:
            gap = gap_around(local, self.zone)
            params.update(
                starts=gap.starts.strftime("%H:%M"), ends=gap.ends.strftime("%H:%M"), before=gap.before, after=gap.after
            )
            self.add_error(
                name,
                ValidationError(
                    _(
                        "%(field)s: %(time)s does not exist in %(zone)s. The clocks jumped from %(starts)s %(before)s to "
                        "%(ends)s %(after)s, so no time from %(starts)s up to %(ends)s happened that day. Check the time you were given."
                    ),
                    code="nonexistent",
                    params=params,
                ),
            )
        except OutOfRangeLocalTime:
            message = LOCAL_TIME_MESSAGES["out_of_range"] % params
            self.add_error(name, ValidationError(f"{params['field']}: {message}", code="out_of_range"))
        except AmbiguousLocalTime:
            self.add_error(
                name,
                ValidationError(
                    _(
                        "%(field)s: %(time)s happened twice in %(zone)s, because the clocks went back that night. "
                        "Choose which one you meant below."
                    ),
                    code="ambiguous",
                    params=params,
                ),
            )
        return None

    def _check_order(self) -> None:
        limit = future_limit(self.now)
        for name, value in self.instants.items():
            too_early: dict[str, list[ValidationError]] = {}
            check_instant(too_early, name, value, self.now, may_be_ahead=True)  # the floor only: the future is below
            for error in too_early.get(name, []):
                message = error.message % error.params if error.params else error.message
                self.add_error(name, ValidationError(f"{self._label(name)}: {message}", code=error.code))
            # Facts lie in the past; the threat actor's deadline is a threat, usually still ahead.
            if value is not None and value > limit and name not in self.MAY_BE_AHEAD:
                self.add_error(
                    name,
                    ValidationError(
                        _("%(field)s lies in the future: it is now %(now)s in %(zone)s."),
                        code="future",
                        params={
                            "field": self._label(name),
                            "now": date_format(self.now.astimezone(zone(self.zone)), "Y-m-d H:i"),
                            "zone": self.zone,
                        },
                    ),
                )
        start, end, aware = (self.instants.get(k) for k in ("occurred_from", "occurred_until", "aware_at"))
        pairs = [
            (
                "controllers_informed_at",
                self.instants.get("controllers_informed_at"),
                aware,
                _("%(field)s cannot come before %(other)s: a processor informs its controllers after it became aware."),
            ),
            ("occurred_until", end, start, _("%(field)s cannot come before %(other)s.")),
            ("aware_at", aware, start, _("%(field)s cannot come before the breach started (%(other)s).")),
            (
                "extortion_deadline_at",
                self.instants.get("extortion_deadline_at"),
                self.instants.get("extortion_first_contact_at"),
                _("%(field)s must come after %(other)s."),
            ),
        ]
        for name, value, lower, message in pairs:
            if value is not None and lower is not None and value < lower and name not in self.errors:
                other = {
                    "occurred_until": "occurred_from",
                    "aware_at": "occurred_from",
                    "controllers_informed_at": "aware_at",
                    "extortion_deadline_at": "extortion_first_contact_at",
                }[name]
                self.add_error(
                    name,
                    ValidationError(
                        message, code="before", params={"field": self._label(name), "other": self._label(other)}
                    ),
                )

    # --- The whole form -----------------------------------------------------------------------
    def clean(self):
        data = super().clean()
        if not data.get("has_extortion"):
            for name in ("extortion_first_contact_at", "extortion_deadline_at"):
                data[name] = None
        for name in self.INSTANTS:
            local = data.get(name)
            self.instants[name] = self._to_utc(name, local) if local is not None else None
        self._check_order()
        self._check_facts(data)
        if self.instants.get("aware_at") is not None and "aware_at" not in self.errors:
            self.authority_deadline = authority_due_at(self.instants["aware_at"])
        return data

    def _require(self, data, name, message):
        if not data.get(name) and name not in self.errors:
            self.add_error(name, ValidationError(message, code="required", params={"field": self._label(name)}))

    def _check_facts(self, data) -> None:
        if data.get("is_ongoing") and data.get("occurred_until") is not None and "occurred_until" not in self.errors:
            self.add_error(
                "occurred_until",
                ValidationError(
                    _("%(field)s: an ongoing breach has no end yet. Clear the end or untick 'still going on'."),
                    code="ongoing",
                    params={"field": self._label("occurred_until")},
                ),
            )
        low, high = data.get("affected_low"), data.get("affected_high")
        if high is not None and low is None:
            self.add_error("affected_low", _("Give the lower bound too, or only one number."))
        elif high is not None and high < low:
            self.add_error("affected_high", _("The upper bound is below the lower bound."))
        if data.get("affected_known_at") is not None and low is None and "affected_known_at" not in self.errors:
            self.add_error("affected_low", _("Give the count that was known at that moment, or clear the moment."))
        if data.get("affected_is_at_least") and high is not None:
            self.add_error("affected_is_at_least", _("'At least' has no upper bound: clear one or the other."))
        names = _names(data.get("other_controllers", ""))
        too_long = [name for name in names if len(name) > limits.NAME]
        if too_long:
            self.add_error(
                "other_controllers",
                forms.ValidationError(
                    _("A name has at most %(limit)d characters; this one has %(length)d: %(name)s"),
                    code="max_length",
                    params={"limit": limits.NAME, "length": len(too_long[0]), "name": too_long[0][:40] + "…"},
                ),
            )
        elif len(names) > MAX_OTHER_PARTIES:
            self.add_error(
                "other_controllers",
                _("At most %(n)d controllers here; add more on the incident page.") % {"n": MAX_OTHER_PARTIES},
            )
        self._check_roles(data, names)
        if data.get("has_extortion"):
            self._require(data, "extortion_actor_name", _("%(field)s: give the name they use, or 'unknown'."))
            self._require(data, "extortion_channel", _("%(field)s: say how they contacted us."))
            self._require(data, "extortion_first_contact_at", _("%(field)s: say when they first made contact."))
            currency = (data.get("extortion_demand_currency") or "").strip().upper()
            if currency and not (len(currency) == 3 and currency.isalpha()):
                self.add_error("extortion_demand_currency", _("Use a three-letter currency code such as EUR."))
            data["extortion_demand_currency"] = currency
        if not self.errors:
            self.facts = self._facts(data, names)

    def _check_roles(self, data, names) -> None:
        if data.get("our_role") == ROLE_PROCESSOR:
            if not names:
                self._require(
                    data, "other_controllers", _("%(field)s: as processor, name at least one controller we work for.")
                )
            if data.get("processor_name"):
                self.add_error(
                    "processor_name",
                    _("We are the processor: leave this empty (a sub-processor can be added on the incident page)."),
                )
            if data.get("controllers_informed_at") is not None:
                self._require(
                    data, "controllers_informed_channel", _("%(field)s: say how the controllers were informed.")
                )
        else:
            if data.get("controllers_informed_at") is not None and "controllers_informed_at" not in self.errors:
                self.add_error(
                    "controllers_informed_at",
                    ValidationError(
                        _("%(field)s: only a processor informs controllers. Clear it, or choose the processor role."),
                        code="not_processor",
                        params={"field": self._label("controllers_informed_at")},
                    ),
                )
            if data.get("awareness_source") == AwarenessSource.PROCESSOR_NOTICE and not data.get("processor_name"):
                # Our awareness from a processor is that processor's notice: it is recorded with it.
                self._require(
                    data, "processor_name", _("%(field)s: we learnt of it from a processor, so name that processor.")
                )
            processor = " ".join((data.get("processor_name") or "").split()).casefold()
            if processor and processor in {name.casefold() for name in names}:
                self.add_error(
                    "processor_name",
                    _("This party is already named as a controller: a party has one role per incident."),
                )

    def _facts(self, data, names) -> IntakeFacts:
        at = self.instants
        zone_of = lambda name: self.zone if at.get(name) is not None else ""  # noqa: E731
        incident = {
            "title": data["title"].strip(),
            **{
                k: data[k]
                for k in (
                    "is_confidentiality_breach",
                    "is_integrity_breach",
                    "is_availability_breach",
                    "cause",
                    "discovery_method",
                    "is_ongoing",
                    "data_categories",
                    "data_subject_categories",
                )
            },
            "description": data["description"].strip(),
            "occurred_from_at": at["occurred_from"],
            "occurred_from_tz": zone_of("occurred_from"),
            "occurred_until_at": at["occurred_until"],
            "occurred_until_tz": zone_of("occurred_until"),
        }
        awareness = {
            "aware_at": at["aware_at"],
            "aware_tz": self.zone,
            "source": data["awareness_source"],
            "asserted_by": data["awareness_asserted_by"].strip(),
            "rationale": data["awareness_rationale"].strip(),
        }
        notice = None
        if at.get("controllers_informed_at") is not None:
            notice = {
                "informed_at": at["controllers_informed_at"],
                "informed_tz": self.zone,
                "channel": data["controllers_informed_channel"],
                "informed_by": self.user_name,
            }
        estimate = None
        if data.get("affected_low") is not None:
            estimate = {
                "measure": "data_subjects",
                "low": data["affected_low"],
                "high": data.get("affected_high"),
                "is_approximate": data["affected_is_approximate"],
                "is_at_least": data["affected_is_at_least"],
                # The moment the count became known, not when it is typed in: else the first count
                # ranks newer than every later one. Unknown: the awareness moment (the form says so).
                "known_at": at.get("affected_known_at") or at["aware_at"],
                "known_tz": self.zone,
                "source": str(_("First estimate, at intake")),
            }
        threat = countdown = None
        if data.get("has_extortion"):
            threat = {
                "actor_name": data["extortion_actor_name"].strip(),
                "channel": data["extortion_channel"],
                "first_contact_at": at["extortion_first_contact_at"],
                "first_contact_tz": self.zone,
                "demand_amount": data.get("extortion_demand_amount"),
                "demand_currency": data["extortion_demand_currency"],
            }
            if at.get("extortion_deadline_at") is not None:
                countdown = {
                    "announced_at": at["extortion_first_contact_at"],
                    "announced_tz": self.zone,
                    "deadline_at": at["extortion_deadline_at"],
                    "deadline_tz": self.zone,
                }
        return IntakeFacts(
            organisation=data["organisation"],
            zone=self.zone,
            incident=incident,
            our_role=data["our_role"],
            other_controllers=names,
            processor_name=" ".join(data.get("processor_name", "").split()),
            authority=data.get("authority"),
            awareness=awareness,
            notice=notice,
            estimate=estimate,
            threat=threat,
            countdown=countdown,
            reason=data["change_reason"].strip(),
        )

    # --- For the template ---------------------------------------------------------------------
    def error_summary(self) -> list[tuple[str, str]]:
        """(field name, message) for the box at the top; every message names its field once."""
        summary = []
        for name, errors in self.errors.items():
            if name == NON_FIELD_ERRORS:
                continue
            label = str(self.fields[name].label)
            for message in errors:
                summary.append((name, message if message.startswith(label) else f"{label}: {message}"))
        return summary
