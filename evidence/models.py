"""The hash chain over history records: one chain per organisation, one global chain.

Each history record (``HistoricalIncident``, ``HistoricalUser``, ...) gets one ``AuditChainLink``
in the transaction that wrote it. A link stores the SHA-256 of the record's canonical content and
a hash over the previous link's hash, so changing, removing or reordering any record breaks the
chain from that point on (``manage.py verify_audit``). Links are append-only (triggers);
``AuditChainHead`` is the mutable tip that writers lock to append in order.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from breachtrack import limits
from breachtrack.limits import bounded_text

GLOBAL_CHAIN = "global"


class AuditFieldSet(models.Model):
    """The fields of a history model that a link's content hash covers.

    Stored once per (model, field list): a field added to a historied model later is not part of
    the content of records chained before it existed, so adding fields never breaks old links.
    """

    history_model = models.CharField(_("history model"), max_length=100)
    fields = bounded_text(_("fields"), limits.SYSTEM_TEXT, help_text=_("Attribute names, comma-separated, sorted."))

    class Meta:
        verbose_name = _("audit field set")
        verbose_name_plural = _("audit field sets")
        constraints = [models.UniqueConstraint(fields=["history_model", "fields"], name="audit_field_set_once")]

    def __str__(self):
        return f"{self.history_model}: {self.fields}"


class AuditChainHead(models.Model):
    """The tip of one chain; writers lock it (select_for_update) to append in order."""

    chain = models.CharField(_("chain"), max_length=32, primary_key=True, help_text=_("'global' or 'org:<id>'."))
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    seq = models.BigIntegerField(_("last sequence number"), default=0)
    hash = models.CharField(_("last hash"), max_length=64)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain heads")

    def __str__(self):
        return f"{self.chain} #{self.seq} {self.hash[:12]}"


class AuditChainLink(models.Model):
    """One history record in its organisation's chain (append-only)."""

    chain = models.CharField(_("chain"), max_length=32)
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
        help_text=_("Empty for global records (users, authorities)."),
    )
    seq = models.BigIntegerField(_("sequence number"))
    history_model = models.CharField(
        _("history model"), max_length=100, help_text=_("e.g. incidents.historicalincident")
    )
    history_id = models.BigIntegerField(_("history id"))
    field_set = models.ForeignKey(AuditFieldSet, on_delete=models.PROTECT, related_name="+", verbose_name=_("fields"))
    content_sha256 = models.CharField(_("content SHA-256"), max_length=64)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        verbose_name = _("audit chain link")
        verbose_name_plural = _("audit chain links")
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_link_seq_once"),
            models.UniqueConstraint(fields=["history_model", "history_id"], name="audit_link_record_once"),
        ]

    def __str__(self):
        return f"{self.chain} #{self.seq} {self.history_model}:{self.history_id}"


class AuditAnchor(models.Model):
    """An RFC 3161 time-stamp over one chain's head: a TSA's signed word that the chain held this
    hash at ``gen_time`` (append-only; at most one per chain per UTC day; ``evidence.anchor``).

    Rewriting history after an anchor is then caught even if every later link is recomputed: the
    link at ``seq`` no longer has ``head_hash`` (``verify_audit``).
    """

    append_only = True  # evidence.append_only: the triggers refuse UPDATE and DELETE

    chain = models.CharField(_("chain"), max_length=32, help_text=_("'global' or 'org:<id>'."))
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
        help_text=_("Empty for the global chain (users, authorities)."),
    )
    day = models.DateField(_("day (UTC)"))
    seq = models.BigIntegerField(_("anchored sequence number"))
    head_hash = models.CharField(_("anchored hash"), max_length=64)
    hash_algorithm = models.CharField(_("imprint hash algorithm"), max_length=16)
    token = models.BinaryField(_("time-stamp token (DER)"))
    gen_time = models.DateTimeField(_("TSA time (genTime)"))
    serial = models.CharField(_("TSA serial number"), max_length=64, help_text=_("Decimal; up to 160 bits."))
    policy = models.CharField(_("TSA policy"), max_length=128)
    tsa_url = models.CharField(_("TSA URL"), max_length=500)
    tsa_subject = models.CharField(_("TSA certificate subject"), max_length=500)
    requested_at = models.DateTimeField(_("requested at"))

    class Meta:
        verbose_name = _("audit anchor")
        verbose_name_plural = _("audit anchors")
        constraints = [models.UniqueConstraint(fields=["chain", "day"], name="audit_anchor_once_a_day")]
        # The latest anchor of a chain: export_stamp and the "did the chain move" test.
        indexes = [models.Index(fields=["chain", "-gen_time"], name="audit_anchor_latest")]

    def __str__(self):
        return f"{self.chain} {self.day} #{self.seq} {self.head_hash[:12]}"


class AnchorRun(models.Model):
    """One row (id=1): how the last anchoring run went. Liveness for /healthz, not evidence
    (the anchors are the evidence); ``evidence.anchor.record_run`` writes it after every run."""

    last_run_at = models.DateTimeField(_("last run at"))
    last_clean_at = models.DateTimeField(
        _("last run with every chain anchored at"),
        null=True,
        blank=True,
        help_text=_("The last run after which no chain that moved was left without its anchor."),
    )
    failed_chains = models.PositiveIntegerField(_("chains left unanchored by the last run"), default=0)
    last_error = bounded_text(_("last error"), limits.SYSTEM_TEXT, blank=True)

    class Meta:
        verbose_name = _("anchoring run")
        verbose_name_plural = _("anchoring runs")

    def __str__(self):
        return f"anchoring run at {self.last_run_at.isoformat()}: {self.failed_chains} failed"
