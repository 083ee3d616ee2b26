"""API tokens (the credential an integration calls the API with) and idempotency keys."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from breachtrack import limits
from breachtrack.limits import bounded_text
from incidents.fields import entry_zone_field
from organisations.models import Role
from organisations.tenancy import scoped_manager, tenant_manager


class ApiToken(models.Model):
    """Acts as ``user``, in ``organisation`` only, with ``role``, until it expires or is revoked.

    Only the SHA-256 of the secret is stored: the secret is shown once, at creation
    (``api.tokens.create_api_token``). Historied, like share links: who made a credential, for
    whom, why, and who revoked it is evidence. ``last_used_at`` is bookkeeping, kept out of
    history (like ``User.last_login``), and written at most once a minute.
    """

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="api_tokens",
        verbose_name=_("acts as"),
        help_text=_("The member the integration acts as: its changes are attributed to this user."),
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    name = models.CharField(_("name"), max_length=200, help_text=_("What uses it, e.g. 'SIEM connector'."))
    prefix = models.CharField(
        _("prefix"), max_length=16, editable=False, help_text=_("The secret's first characters, to tell tokens apart.")
    )
    secret_sha256 = models.CharField(_("secret SHA-256"), max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    expires_tz = entry_zone_field(_("expires, zone"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )
    revocation_reason = bounded_text(_("revocation reason"), limits.REASON, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["last_used_at"])
    objects = tenant_manager("organisation")

    class Meta:
        base_manager_name = "objects"  # the history guard applies to Django's internal manager too
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def is_usable_at(self, now) -> bool:
        return self.revoked_at is None and now < self.expires_at


class IdempotencyKey(models.Model):
    """A POST's ``Idempotency-Key``, claimed once per (organisation, caller, key), with its answer.

    **Not historied, deliberately.** It is a cache of an answer already given, not a fact a
    regulator asks about: the evidence of what the POST did is the historied row it created (a
    filing, a wave) or its import job. Rows are claimed with an INSERT (the unique constraint
    decides between two concurrent requests; on PostgreSQL the claiming request also holds an
    advisory lock on the key until it answers, so a claim whose request died is taken over at
    once), completed or released by compare-and-set on ``claim``, and deleted once expired
    (``api.idempotency``: lazily on reuse, and by the beat task ``api.purge_idempotency_keys``).
    """

    class State(models.TextChoices):
        IN_FLIGHT = "in_flight", _("In flight")
        DONE = "done", _("Answered")

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    # "token:<id>" or "user:<id>": a token and a session of the same user are different callers.
    caller = models.CharField(_("caller"), max_length=40)
    key = models.CharField(_("key"), max_length=255)
    fingerprint = models.CharField(_("request fingerprint (SHA-256)"), max_length=64)
    method = models.CharField(_("method"), max_length=8)
    path = models.CharField(_("path"), max_length=500)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.IN_FLIGHT)
    # Changes on every (re)claim: only the holder of the current claim may complete or release it.
    claim = models.CharField(_("claim"), max_length=32, editable=False)
    claimed_at = models.DateTimeField(_("claimed at"))
    expires_at = models.DateTimeField(_("expires at"))
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    response_body = models.JSONField(_("response body"), null=True, blank=True, encoder=DjangoJSONEncoder)
    response_headers = models.JSONField(_("response headers"), default=dict, blank=True)

    objects = scoped_manager("organisation")

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "caller", "key"], name="idempotency_key_once_per_caller"),
        ]
        # Read only by api.idempotency.purge_expired (the beat task).
        indexes = [models.Index(fields=["expires_at"], name="idempotency_key_expiry")]

    def __str__(self):
        return f"{self.caller} {self.method} {self.path} ({self.key[:20]})"
