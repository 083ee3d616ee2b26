"""The recipient ledger: who was sent which wave, stored only as keyed hashes.

Scale decides the shape: the real case sent letters to 941,000 people. A person is kept as
``HMAC-SHA256(organisation key, kind:normalised identifier)`` (see ``actions.ledger``),
never as the identifier itself, so a database dump alone cannot be reversed by hashing all
10^9 nine-digit numbers: the key is derived from a server secret that is not in the database.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from breachtrack import limits
from breachtrack.limits import bounded_text
from communications.choices import ImportKind, ImportStatus
from incidents.models.base import RecordedFact
from organisations.tenancy import scoped_manager, tenant_manager


class LedgerSalt(models.Model):
    """The random salt of one organisation's ledger key, made once on first use.

    Not historied: it is written once and never changed (changing it would orphan every hash
    already stored); it is key material, not a fact a regulator asks about.
    """

    organisation = models.OneToOneField(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="ledger_salt",
        verbose_name=_("organisation"),
    )
    salt = models.CharField(_("salt"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ledger salt")
        verbose_name_plural = _("ledger salts")

    def __str__(self):
        return f"{self._meta.verbose_name} {self.pk}"


class ImportBatch(RecordedFact):
    """One accepted CSV file of recipients for one wave: the evidence for its ledger rows.

    Written once, after the whole file was validated, in the same transaction as its rows; a
    rejected file leaves no batch and no rows. ``file_sha256`` makes a re-import of the same
    file a no-op that returns this batch.
    """

    wave = models.ForeignKey(
        "communications.CommunicationWave",
        on_delete=models.PROTECT,
        related_name="import_batches",
        verbose_name=_("wave"),
    )
    kind = models.CharField(
        _("what the file lists"), max_length=16, choices=ImportKind.choices, default=ImportKind.RECIPIENTS
    )
    file_name = models.CharField(_("file name"), max_length=255)
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64)
    file_size = models.PositiveBigIntegerField(_("file size (bytes)"))
    status = models.CharField(_("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.DONE)
    rows_read = models.PositiveBigIntegerField(_("rows read"), default=0)
    rows_added = models.PositiveBigIntegerField(_("recipients added"), default=0)
    rows_already_present = models.PositiveBigIntegerField(_("already in the ledger"), default=0)

    history = HistoricalRecords()
    objects = tenant_manager("wave__incident__organisation")

    class Meta:
        base_manager_name = "objects"  # the history guard applies to Django's internal manager too
        verbose_name = _("recipient import")
        verbose_name_plural = _("recipient imports")
        ordering = ["-recorded_at"]
        constraints = [models.UniqueConstraint(fields=["wave", "file_sha256"], name="import_file_once_per_wave")]

    def __str__(self):
        return f"{self.file_name} ({self.rows_added:,})"


class Recipient(models.Model):
    """One data subject in one wave, as a keyed hash. **Insert-only, deliberately not historied.**

    A million rows per import: a historical twin of each would double the write and the table
    for no evidential gain, because the rows are never edited by a person. The evidence is the
    historied ``ImportBatch`` (who imported which file, by SHA-256, when, with what counts);
    the file hash ties every row back to the file. The one later change, a bounce, is a
    set-based update marked ``# not-historied: Recipient``, whose evidence is the historied
    ``ImportBatch`` of kind "bounces" (the returned-mail file, by SHA-256) and the wave's count.
    """

    # No single-column indexes: every index slows the million-row insert, and the one unique
    # index below serves the lookup (hash first). Counts are kept on the wave and the batch.
    wave = models.ForeignKey(
        "communications.CommunicationWave",
        on_delete=models.PROTECT,
        related_name="recipients",
        verbose_name=_("wave"),
        db_index=False,
    )
    batch = models.ForeignKey(
        ImportBatch, on_delete=models.PROTECT, related_name="recipients", verbose_name=_("import"), db_index=False
    )
    identifier_hash = models.BinaryField(_("identifier (keyed hash)"), max_length=32)
    bounced_at = models.DateTimeField(_("bounced at"), null=True, blank=True)

    objects = scoped_manager("wave__incident__organisation")

    class Meta:
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        # Hash first: also the index actions.ledger.lookup (the call centre) reads.
        constraints = [models.UniqueConstraint(fields=["identifier_hash", "wave"], name="recipient_once_per_wave")]

    def __str__(self):
        return f"{self._meta.verbose_name} {self.pk}"


class LedgerLookup(models.Model):
    """Who looked a person up in the ledger, when, and whether anything was found.

    Append-only log; the identifier looked up is never stored, not even hashed (a hash would
    let anyone holding the key confirm a guess). Not historied: rows are never changed.
    """

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    looked_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("looked up by")
    )
    looked_up_at = models.DateTimeField(_("looked up at"))
    matches = models.PositiveIntegerField(_("waves found"))

    objects = scoped_manager("organisation")

    class Meta:
        verbose_name = _("ledger lookup")
        verbose_name_plural = _("ledger lookups")
        ordering = ["-looked_up_at"]

    def __str__(self):
        return f"{self._meta.verbose_name} {self.pk}"


class ImportJob(models.Model):
    """A large CSV queued for import by a Celery task, and how far it got (the page polls it).

    **Derived, not historied.** It is a progress indicator: the task rewrites
    ``rows_checked`` many times (a set-based update marked ``# not-historied: ImportJob``).
    The evidence of an accepted file is its historied ``ImportBatch``; a rejected file
    writes nothing but this job's messages, shown to the person who uploaded it. The
    uploaded file itself holds plain identifiers and is deleted when the task ends.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        CHECKING = "checking", _("Checking the file")
        WRITING = "writing", _("Writing to the ledger")
        DONE = "done", _("Imported")
        REJECTED = "rejected", _("Rejected: nothing imported")
        FAILED = "failed", _("Failed: nothing imported")

    wave = models.ForeignKey(
        "communications.CommunicationWave", on_delete=models.PROTECT, related_name="import_jobs", verbose_name=_("wave")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    reason = bounded_text(_("reason"), limits.REASON)
    file_name = models.CharField(_("file name"), max_length=255)
    spool_path = models.CharField(_("uploaded file (server path)"), max_length=500, editable=False)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.QUEUED)
    rows_checked = models.PositiveBigIntegerField(_("rows checked"), default=0)
    # Written through a second connection while the import's own transaction is open (see
    # actions.recipient_imports.ProgressChannel); the rows only become part of the ledger at its commit.
    rows_written = models.PositiveBigIntegerField(_("rows written"), default=0)
    # The lease: renewed by each progress report; a running job whose heartbeat is older than
    # BREACHTRACK_LEDGER_JOB_STALE_SECONDS is taken for crashed (actions.recipient_imports.fail_stale_jobs).
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    messages = models.JSONField(_("messages"), default=list, blank=True)
    batch = models.ForeignKey(
        ImportBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("import")
    )
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = scoped_manager("wave__incident__organisation")

    class Meta:
        verbose_name = _("recipient import job")
        verbose_name_plural = _("recipient import jobs")

    RUNNING = (State.QUEUED, State.CHECKING, State.WRITING)

    def __str__(self):
        return f"{self._meta.verbose_name} {self.pk}"

    @property
    def is_running(self) -> bool:
        return self.state in self.RUNNING
