"""Extortion: the threat, its countdown revisions and what was published (docs/domain.md#extortion).

What the register keeps of it: docs/domain.md#register.

A threat actor's countdown ("pay by T or we publish") is a hard *operational* deadline and never a
legal one: it does not delay or extend the 72 hours of Art. 33(1), nor the Art. 34 communication.
It changes (extended, shortened, renewed after a payment, withdrawn), so each change is its own
row: the chain of revisions is the record, and history sits on top of each row.
"""

from __future__ import annotations

from decimal import Decimal

import iso4217
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from breachtrack.limits import bounded_text
from incidents.choices import CountdownRevisionKind, ExtortionChannel, PaymentDecision
from incidents.fields import entry_zone_field
from incidents.models.base import RecordedFact
from incidents.models.incident import check_instant
from organisations.tenancy import tenant_manager


def currency_exponent(code: str) -> int | None:
    """The ISO 4217 minor-unit exponent of ``code`` (EUR: 2, JPY: 0), or None if not a currency.

    Codes without minor units (gold XAU, the test code XTS, "no currency" XXX) are not money
    a demand is stated in: they count as unknown.
    """
    try:
        return iso4217.Currency(code).exponent
    except ValueError:
        return None


def _add(errors: dict, field: str, message, code: str, params=None) -> None:
    errors.setdefault(field, []).append(ValidationError(message, code=code, params=params))


def _default_zone(obj, stem: str) -> None:
    if getattr(obj, f"{stem}_at") is not None and not getattr(obj, f"{stem}_tz"):
        setattr(obj, f"{stem}_tz", "UTC")


def _check_after(errors, field, value, lower, message, code) -> None:
    if value is not None and lower is not None and value < lower:
        _add(errors, field, message, code)


class ExtortionThreat(RecordedFact):
    """A threat actor's demand: who, how they made contact, what they want, what we decided."""

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="extortion_threats", verbose_name=_("incident")
    )
    actor_name = models.CharField(_("threat actor"), max_length=200, help_text=_("The name the group uses."))
    actor_aliases = models.CharField(_("also known as"), max_length=500, blank=True)
    first_contact_at = models.DateTimeField(_("first contact at"))
    first_contact_tz = entry_zone_field(_("first contact at, zone"))
    channel = models.CharField(_("channel"), max_length=16, choices=ExtortionChannel.choices)
    channel_detail = bounded_text(_("channel, details"), blank=True, help_text=_("Leak-site address, e-mail, chat id."))

    demand_amount = models.DecimalField(
        _("amount demanded"),
        max_digits=20,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("Leave empty while no amount was named."),
    )
    demand_currency = models.CharField(_("currency (ISO 4217)"), max_length=3, blank=True, help_text=_("e.g. EUR, USD"))
    demand_payment_method = models.CharField(
        _("to be paid in"),
        max_length=100,
        blank=True,
        help_text=_("e.g. bitcoin: the amount is its value in the currency."),
    )

    payment_decision = models.CharField(
        _("payment decision"),
        max_length=16,
        choices=PaymentDecision.choices,
        default=PaymentDecision.UNDECIDED,
        help_text=_(
            "Paying does not reduce the risk to the people affected and delays no notification (AP, police, UK ICO/NCSC)."
        ),
    )
    payment_decided_at = models.DateTimeField(_("decided (or paid) at"), null=True, blank=True)
    payment_decided_tz = entry_zone_field(_("decided (or paid) at, zone"))
    payment_reasoning = bounded_text(_("reasoning for the payment decision"), blank=True)

    police_reported_at = models.DateTimeField(_("reported to the police at"), null=True, blank=True)
    police_reported_tz = entry_zone_field(_("reported to the police at, zone"))
    police_reference = models.CharField(_("police report reference"), max_length=100, blank=True)
    other_agencies_told = bounded_text(
        _("other agencies told"),
        blank=True,
        help_text=_("e.g. the national CSIRT, a sector CERT, the insurer: who, when."),
    )

    history = HistoricalRecords()
    objects = tenant_manager("incident__organisation")

    class Meta:
        base_manager_name = "objects"  # the history guard applies to Django's internal manager too
        verbose_name = _("extortion threat")
        verbose_name_plural = _("extortion threats")
        ordering = ["first_contact_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(demand_amount__isnull=True) | models.Q(demand_amount__gte=0),
                name="extortion_demand_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.incident.reference} · {self.actor_name}"

    @property
    def is_paid_without_police_report(self) -> bool:
        """Police advice (NL): if you pay anyway, tell the police."""
        return self.payment_decision == PaymentDecision.PAID and self.police_reported_at is None

    def clean(self):
        errors: dict[str, list] = {}
        self._clean_times(errors)
        self._clean_demand(errors)
        self._clean_decision(errors)
        if self.police_reference.strip() and self.police_reported_at is None:
            _add(errors, "police_reported_at", _("Say when the report with this reference was made."), "required")
        for stem in ("first_contact", "payment_decided", "police_reported"):
            _default_zone(self, stem)
        if errors:
            raise ValidationError(errors)

    def _clean_times(self, errors):
        start = self.incident.occurred_from_at if self.incident_id else None
        for field in ("first_contact_at", "payment_decided_at", "police_reported_at"):
            check_instant(errors, field, getattr(self, field))
        _check_after(
            errors,
            "first_contact_at",
            self.first_contact_at,
            start,
            _("The threat actor cannot make contact before the breach started."),
            "before_start",
        )
        for field in ("payment_decided_at", "police_reported_at"):
            _check_after(
                errors,
                field,
                getattr(self, field),
                self.first_contact_at,
                _("This cannot come before the first contact."),
                "before_first_contact",
            )

    def _clean_demand(self, errors):
        self.demand_currency = (self.demand_currency or "").strip().upper()
        amount, currency = self.demand_amount, self.demand_currency
        if amount is not None and amount < 0:
            _add(errors, "demand_amount", _("An amount cannot be negative."), "negative")
        if currency and currency_exponent(currency) is None:
            _add(
                errors,
                "demand_currency",
                _("%(code)s is not an ISO 4217 currency."),
                "unknown_currency",
                {"code": currency},
            )
        elif amount is not None and not currency:
            _add(errors, "demand_currency", _("Give the currency of the amount."), "required")
        elif currency and amount is None:
            _add(errors, "demand_amount", _("Give the amount in this currency, or clear the currency."), "required")
        elif amount is not None and _decimals(amount) > currency_exponent(currency):
            _add(
                errors,
                "demand_amount",
                _("%(code)s has %(n)s decimals at most."),
                "too_precise",
                {"code": currency, "n": currency_exponent(currency)},
            )

    def _clean_decision(self, errors):
        self.payment_reasoning = (self.payment_reasoning or "").strip()
        if self.payment_decision == PaymentDecision.UNDECIDED:
            if self.payment_decided_at is not None:
                _add(errors, "payment_decided_at", _("Nothing was decided yet: clear the time."), "undecided")
            return
        if self.payment_decided_at is None:
            _add(errors, "payment_decided_at", _("Say when this was decided (or paid)."), "required")
        if not self.payment_reasoning:
            _add(errors, "payment_reasoning", _("Record the reasoning for the decision."), "required")


def _decimals(amount: Decimal) -> int:
    exponent = amount.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


class ExtortionCountdown(RecordedFact):
    """One revision of a threat actor's countdown; the revisions in order are the countdown.

    **When a revision may name a moment already past.** ``announced_at`` is when the actor made
    this revision (a leak-site post, a message): it is required, never in the future, never before
    the first contact nor before the previous revision, and ``deadline_at`` must lie after it.
    ``deadline_at`` itself may lie in the past: the revision is then a *historical record* — kept
    in the chain and shown, with the time it was made — but it starts no clock
    (:attr:`starts_clock`), so the sweep never announces a moment nobody could still act on.
    Whether a revision is historical is fixed when it is recorded (``deadline_at <=
    recorded_at``), so the answer never changes later.
    """

    threat = models.ForeignKey(
        ExtortionThreat, on_delete=models.PROTECT, related_name="countdown_revisions", verbose_name=_("threat")
    )
    kind = models.CharField(_("revision"), max_length=24, choices=CountdownRevisionKind.choices)
    announced_at = models.DateTimeField(_("announced at"), help_text=_("When the threat actor made this change."))
    announced_tz = entry_zone_field(_("announced at, zone"))
    deadline_at = models.DateTimeField(
        _("deadline"), null=True, blank=True, help_text=_("The actor's deadline; empty for a withdrawal.")
    )
    deadline_tz = entry_zone_field(_("deadline, zone"))
    source = models.CharField(_("source"), max_length=300, blank=True, help_text=_("Where we saw it."))
    evidence = bounded_text(_("evidence"), blank=True)
    note = bounded_text(_("note"), blank=True)

    history = HistoricalRecords()
    objects = tenant_manager("threat__incident__organisation")

    class Meta:
        base_manager_name = "objects"  # the history guard applies to Django's internal manager too
        verbose_name = _("countdown revision")
        verbose_name_plural = _("countdown revisions")
        ordering = ["announced_at", "pk"]
        indexes = [models.Index(fields=["threat", "announced_at"], name="countdown_threat_time")]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind=CountdownRevisionKind.WITHDRAWN) & models.Q(deadline_at__isnull=True))
                | (
                    ~models.Q(kind=CountdownRevisionKind.WITHDRAWN) & models.Q(deadline_at__gt=models.F("announced_at"))
                ),
                name="countdown_deadline_after_announcement",
            ),
        ]

    def __str__(self):
        if self.deadline_at is None:
            return str(self.get_kind_display())
        return f"{self.get_kind_display()}: {self.deadline_at.isoformat()}"

    @property
    def is_withdrawal(self) -> bool:
        return self.kind == CountdownRevisionKind.WITHDRAWN

    @property
    def is_historical(self) -> bool:
        """Its deadline had passed when it was recorded: history, no clock."""
        return self.deadline_at is not None and self.recorded_at is not None and self.deadline_at <= self.recorded_at

    @property
    def starts_clock(self) -> bool:
        return self.deadline_at is not None and not self.is_historical

    def clean(self):
        """Checks of the row alone; the checks against the chain are in the service."""
        errors: dict[str, list] = {}
        check_instant(errors, "announced_at", self.announced_at)
        if self.is_withdrawal and self.deadline_at is not None:
            _add(errors, "deadline_at", _("A withdrawal has no deadline: clear it."), "withdrawn_with_deadline")
        elif not self.is_withdrawal and self.deadline_at is None:
            _add(errors, "deadline_at", _("Give the threat actor's deadline."), "required")
        elif self.deadline_at is not None and self.announced_at is not None and self.deadline_at <= self.announced_at:
            _add(
                errors,
                "deadline_at",
                _("The deadline must come after the moment it was announced."),
                "not_after_announced",
            )
        if self.threat_id and self.announced_at is not None:
            _check_after(
                errors,
                "announced_at",
                self.announced_at,
                self.threat.first_contact_at,
                _("A countdown cannot be announced before the first contact."),
                "before_first_contact",
            )
        for stem in ("announced", "deadline"):
            _default_zone(self, stem)
        if errors:
            raise ValidationError(errors)


class Publication(RecordedFact):
    """A leak: data the threat actor published (partial leaks often come before a deadline).

    Each publication raises the Art. 34 risk, so it carries a flag — *reassess the risk to the
    people affected* — until someone records that reassessment (:attr:`needs_risk_reassessment`).
    """

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="publications", verbose_name=_("incident")
    )
    threat = models.ForeignKey(
        ExtortionThreat,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="publications",
        verbose_name=_("published by"),
        help_text=_("Leave empty if it is not known who published it."),
    )
    published_at = models.DateTimeField(_("published at"))
    published_tz = entry_zone_field(_("published at, zone"))
    location = models.CharField(_("where"), max_length=500, help_text=_("Leak site, forum, paste site; the address."))
    records_count = models.PositiveBigIntegerField(_("records"), null=True, blank=True)
    files_count = models.PositiveBigIntegerField(_("files"), null=True, blank=True)
    size_bytes = models.PositiveBigIntegerField(_("size in bytes"), null=True, blank=True)
    note = bounded_text(_("note"), blank=True)

    risk_reassessed_at = models.DateTimeField(_("Art. 34 risk reassessed at"), null=True, blank=True, editable=False)
    risk_reassessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Art. 34 risk reassessed by"),
        editable=False,
    )
    risk_reassessment_note = bounded_text(_("outcome of the Art. 34 reassessment"), blank=True, editable=False)

    history = HistoricalRecords()
    objects = tenant_manager("incident__organisation")

    class Meta:
        base_manager_name = "objects"  # the history guard applies to Django's internal manager too
        verbose_name = _("publication")
        verbose_name_plural = _("publications")
        ordering = ["published_at", "pk"]

    def __str__(self):
        return _("Published at %(at)s: %(where)s") % {"at": self.published_at.isoformat(), "where": self.location}

    @property
    def needs_risk_reassessment(self) -> bool:
        """A publication raises the Art. 34 risk: flagged until the reassessment is recorded."""
        return self.risk_reassessed_at is None

    def clean(self):
        errors: dict[str, list] = {}
        check_instant(errors, "published_at", self.published_at)
        start = self.incident.occurred_from_at if self.incident_id else None
        _check_after(
            errors,
            "published_at",
            self.published_at,
            start,
            _("Data cannot be published before the breach started."),
            "before_start",
        )
        if self.threat_id and self.incident_id and self.threat.incident_id != self.incident_id:
            _add(errors, "threat", _("Unknown threat."), "other_incident")
        elif self.threat_id and self.published_at is not None:
            _check_after(
                errors,
                "published_at",
                self.published_at,
                self.threat.first_contact_at,
                _("This threat actor made contact only later."),
                "before_first_contact",
            )
        self.location = (self.location or "").strip()
        _default_zone(self, "published")
        if errors:
            raise ValidationError(errors)
