"""Who uses BreachTrack and on whose behalf.

* ``Organisation`` is a tenant: a legal entity whose privacy office keeps its
  breach register here. Nothing of one organisation is ever shown to another.
* ``Membership`` gives a user a role in one organisation.
* ``Party`` is an organisation's own directory of legal entities that appear in
  its incidents (itself, its processors, the controllers it serves). A party
  belongs to exactly one tenant, so one tenant's directory never leaks.
* ``Authority`` is shared reference data: supervisory authorities.
* ``AlertPolicy`` is one organisation's alert ladder (and target) for one kind of clock.
"""

from __future__ import annotations

import zoneinfo

from django.apps import apps
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from breachtrack import limits
from breachtrack.fields import ChoiceListField
from breachtrack.history import HistoriedManager, UserManager
from breachtrack.limits import bounded_text
from organisations.tenancy import tenant_manager


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class User(AbstractUser):
    time_zone = models.CharField(
        _("display time zone"),
        max_length=64,
        default="Europe/Amsterdam",
        validators=[validate_time_zone],
        help_text=_("Times are stored in UTC and shown in this zone."),
    )
    is_system_actor = models.BooleanField(
        _("system actor"),
        default=False,
        help_text=_("A named non-human actor (task, command) that changes are attributed to."),
    )

    # last_login is bookkeeping, not evidence: logins belong in an access log.
    history = HistoricalRecords(excluded_fields=["last_login", "password"])
    objects = UserManager()

    class Meta:
        base_manager_name = "objects"  # the history guard applies to Django's internal manager too
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        # Logins save last_login, and may re-hash the password (a hasher
        # upgrade) with no person acting: bookkeeping that history excludes
        # anyway. Deliberate password changes go through set_user_password().
        if update_fields is not None and set(update_fields) <= {"last_login", "password"}:
            self.skip_history_when_saving = True
            try:
                return super().save(*args, **kwargs)
            finally:
                del self.skip_history_when_saving
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Users are deactivated, never deleted: their changes are evidence."))


class Ownership(models.TextChoices):
    """Private or public sector, as the EDPB notification template asks it."""

    PRIVATE = "private", _("Private sector")
    PUBLIC = "public", _("Public sector")


class OrganisationSize(models.TextChoices):
    """The size of a private organisation, as the EDPB notification template asks it."""

    MICRO = "micro", _("Freelance or micro-enterprise")
    SME = "sme", _("Small or medium-sized enterprise")
    LARGE = "large", _("Large enterprise")
    OTHER = "other", _("Other")


class EntityType(models.TextChoices):
    """What kind of entity an organisation is, as notification regimes ask it (docs/obligations.md)."""

    CONTROLLER = "controller", _("Controller (GDPR Art. 4(7))")
    PROCESSOR = "processor", _("Processor (GDPR Art. 4(8))")
    NIS2_ESSENTIAL = "nis2_essential", _("Essential entity (NIS2 Art. 3(1))")
    NIS2_IMPORTANT = "nis2_important", _("Important entity (NIS2 Art. 3(2))")
    TRUST_SERVICE_PROVIDER = "trust_service_provider", _("Trust service provider (eIDAS)")
    FINANCIAL_ENTITY = "financial_entity", _("Financial entity (DORA Art. 2)")
    MANUFACTURER = "manufacturer", _("Manufacturer of products with digital elements (CRA)")
    TELECOM_PROVIDER = "telecom_provider", _("Provider of public electronic communications services (ePrivacy)")
    COVERED_ENTITY = "covered_entity", _("Covered entity (HIPAA)")
    BUSINESS_ASSOCIATE = "business_associate", _("Business associate (HIPAA)")
    SEC_REGISTRANT = "sec_registrant", _("SEC registrant (Form 8-K)")
    US_BANK = "us_bank", _("US banking organisation (computer-security incident rule)")
    NYDFS_COVERED = "nydfs_covered", _("Covered entity of NYDFS Part 500")
    SMALL_AGENT = "small_agent", _("Small processing agent (LGPD, ANPD Resolution 2/2022)")


class Organisation(models.Model):
    """A tenant: the legal entity that keeps its breach register in BreachTrack.

    ``country`` is where it is established (the regimes' ``established`` condition reads it);
    ``entity_tags`` what kind of entity it is (``EntityType``), which the regimes' conditions read.
    """

    name = models.CharField(_("name"), max_length=200)
    country = CountryField(_("country"))
    registration_number = models.CharField(
        _("registration number"), max_length=64, blank=True, help_text=_("e.g. the Dutch KvK number")
    )
    address = bounded_text(_("address"), limits.ADDRESS, blank=True)
    sector = models.CharField(_("sector"), max_length=120, blank=True)
    ownership = models.CharField(_("private or public"), max_length=16, choices=Ownership.choices, blank=True)
    size = models.CharField(
        _("type of organisation"),
        max_length=16,
        choices=OrganisationSize.choices,
        blank=True,
        help_text=_("For a private organisation."),
    )
    entity_tags = ChoiceListField(
        _("kinds of entity"),
        choices_enum=EntityType,
        help_text=_("What the notification regimes ask: controller, essential entity (NIS2), financial entity …"),
    )
    dpo_name = models.CharField(_("DPO or contact point"), max_length=200, blank=True)
    dpo_email = models.EmailField(_("DPO e-mail"), blank=True)
    dpo_phone = models.CharField(_("DPO phone"), max_length=40, blank=True)
    # Read on every request by organisations.auth_backends.MemberBackend (one annotated query).
    requires_two_factor = models.BooleanField(
        _("require two-factor for privacy officers and legal"),
        default=False,
        help_text=_(
            "Privacy officers and legal of this organisation must confirm each login with a code from an "
            "authenticator app; until they have set one up they can reach nothing else."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()
    objects = HistoriedManager()

    class Meta:
        base_manager_name = "objects"  # the history guard applies to Django's internal manager too
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    PRIVACY_OFFICER = "privacy_officer", _("Privacy officer (records and edits)")
    LEGAL = "legal", _("Legal (reads everything including history, annotates)")
    VIEWER = "viewer", _("Viewer (reads)")


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("user"))
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("organisation")
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()
    objects = HistoriedManager()

    class Meta:
        base_manager_name = "objects"  # the history guard applies to Django's internal manager too
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["user", "organisation"], name="one_membership_per_org")]

    def __str__(self):
        return f"{self.user} @ {self.organisation} ({self.get_role_display()})"


class Party(models.Model):
    """A legal entity in one organisation's directory: itself, a processor, a controller."""

    owner = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="parties", verbose_name=_("directory of")
    )
    name = models.CharField(_("name"), max_length=200)
    country = CountryField(_("country"), blank=True)
    registration_number = models.CharField(_("registration number"), max_length=64, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    is_self = models.BooleanField(
        _("is the organisation itself"), default=False, help_text=_("This entry describes the owner itself.")
    )

    history = HistoricalRecords()
    objects = HistoriedManager()

    class Meta:
        base_manager_name = "objects"  # the history guard applies to Django's internal manager too
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["owner"], condition=Q(is_self=True), name="one_self_party_per_org"),
            models.UniqueConstraint(fields=["owner", "name"], name="party_name_unique_per_org"),
        ]

    def __str__(self):
        return self.name


class Authority(models.Model):
    """A supervisory authority (GDPR Art. 51). Shared reference data, not tenant data."""

    code = models.SlugField(_("code"), max_length=32, unique=True, help_text=_("e.g. nl-ap"))
    name = models.CharField(_("name"), max_length=200)
    country = CountryField(_("country"))
    notification_url = models.URLField(_("notification form"), blank=True)

    history = HistoricalRecords()
    objects = HistoriedManager()

    class Meta:
        base_manager_name = "objects"  # the history guard applies to Django's internal manager too
        verbose_name = _("supervisory authority")
        verbose_name_plural = _("supervisory authorities")
        ordering = ["country", "name"]

    def __str__(self):
        return self.name


def deadline_kinds():
    """The clock kinds a policy can be about (the choices of ``notifications.Deadline.kind``).

    A callable that asks Django's app registry, so this app, which every other app builds on,
    imports nothing from the notifications app, and a new clock kind needs no migration here.
    """
    return apps.get_model("notifications", "Deadline")._meta.get_field("kind").choices


class AlertPolicy(models.Model):
    """When one organisation wants to be alerted about one kind of clock, and its target.

    Without a policy the defaults of ``rules.clocks.DEFAULT_RULES`` apply (48, 24, 12, 6 and
    1 hours before, at due, then every 12 hours overdue). Written only through
    ``rules.policies``; historied because "why did nobody get a reminder?" is a
    question a regulator or lawyer can ask. Resolution into a clock rule:
    ``rules.policies.clock_rule``.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="alert_policies", verbose_name=_("organisation")
    )
    kind = models.CharField(_("kind of deadline"), max_length=32, choices=deadline_kinds)
    thresholds_before_minutes = models.JSONField(
        _("alerts before the deadline (minutes)"),
        default=list,
        blank=True,
        help_text=_("Minutes before the due moment, e.g. [240, 30] for 4 hours and 30 minutes before."),
    )
    overdue_repeat_minutes = models.PositiveIntegerField(
        _("repeat when overdue (minutes)"),
        null=True,
        blank=True,
        help_text=_("Empty: no reminders after the due moment."),
    )
    target_hours = models.PositiveIntegerField(
        _("target (hours)"),
        null=True,
        blank=True,
        help_text=_(
            "Only for deadlines the law gives no number for ('without undue delay'). Empty: the default target. "
            "A processing agreement's own notice target still wins for that relationship."
        ),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()
    objects = tenant_manager("organisation")

    class Meta:
        base_manager_name = "objects"  # the history guard applies to Django's internal manager too
        verbose_name = _("alert policy")
        verbose_name_plural = _("alert policies")
        ordering = ["organisation", "kind"]
        constraints = [models.UniqueConstraint(fields=["organisation", "kind"], name="one_alert_policy_per_kind")]

    def __str__(self):
        return f"{self.organisation}: {self.get_kind_display()}"
