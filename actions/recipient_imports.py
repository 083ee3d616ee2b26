"""Large ledger imports in the background: queue the upload, run it in a task, show progress.

**Progress while writing.** The rows are written in one transaction (all or nothing), so a
count written through the import's own connection would only appear at its commit. The
``ProgressChannel`` writes it where a polling page sees it at once:

- PostgreSQL: a second connection to the same database (``connection.copy()``), in
  autocommit, that updates only the job row; its commits do not depend on the import's
  transaction, which does not touch that row.
- SQLite: one writer at a time for the whole file (the import's transaction holds the write
  lock from BEGIN; a second connection's write waits for the 30 s busy timeout, then fails),
  so the count goes to a small side file next to the upload (``<upload>.progress``), replaced
  atomically. SQLite means one machine, so the web process can read it.

**Crashed tasks.** Each progress report renews the job's ``heartbeat_at``; ``fail_stale_jobs``
(a beat entry) marks a running job whose heartbeat is older than
``BREACHTRACK_LEDGER_JOB_STALE_SECONDS`` as failed, with a message, and deletes its upload.
"""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone
from django.utils.translation import gettext as _

from actions import ledger
from breachtrack.queue import enqueue
from communications.models import CommunicationWave, ImportJob
from organisations.models import User
from organisations.services import authorise, require_reason

PROGRESS_EVERY = 50_000


def stale_after() -> timedelta:
    return timedelta(seconds=settings.BREACHTRACK_LEDGER_JOB_STALE_SECONDS)


def _spool_dir() -> Path:
    path = Path(settings.VAR_DIR) / "ledger_uploads"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


class Upload(Protocol):
    """What an import reads of an uploaded file (a Django ``UploadedFile`` once its size is known)."""

    @property
    def name(self) -> str: ...
    @property
    def size(self) -> int: ...
    def seek(self, offset: int, /) -> object: ...
    def read(self, size: int = -1, /) -> bytes: ...


def queue_import(wave: CommunicationWave, upload: Upload, *, actor: User, reason: str) -> ImportJob:
    """Keep the uploaded file on the server (0600) and queue its import after commit.

    The size limit and the role are checked here already, so a refused upload queues nothing.
    """
    authorise(actor, wave.incident.organisation)
    reason = require_reason(reason)
    ledger.check_size(upload.size)
    path = _spool_dir() / f"{uuid.uuid4().hex}.csv"
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "wb") as target:
        upload.seek(0)
        shutil.copyfileobj(upload, target, 1 << 20)
    with transaction.atomic():
        job = ImportJob.objects.create(
            wave=wave, requested_by=actor, reason=reason, file_name=upload.name[:255], spool_path=str(path)
        )
        transaction.on_commit(lambda: enqueue("communications.run_import_job", job.pk))
    return job


def _set(job_id: int, **values: Any) -> int:
    return ImportJob.objects.filter(pk=job_id).update(**values)  # not-historied: ImportJob


def _side_file(job: ImportJob) -> Path:
    return Path(f"{job.spool_path}.progress")


class ProgressChannel:
    """Reports a job's progress so that others see it while the import's transaction is open.

    ``checked(rows)`` runs outside any transaction (the ordinary connection); ``written(0)``
    comes just before the writing transaction (the ordinary connection: state "writing");
    ``written(rows)`` comes inside it (the second connection, or the side file on SQLite).
    """

    def __init__(self, job: ImportJob):
        self.job = job
        self._side: BaseDatabaseWrapper | None = None

    def checked(self, rows: int) -> None:
        _set(self.job.pk, rows_checked=rows, heartbeat_at=timezone.now())

    def written(self, rows: int) -> None:
        now = timezone.now()
        if rows == 0:
            _set(self.job.pk, state=ImportJob.State.WRITING, rows_written=0, heartbeat_at=now)
        elif connection.vendor == "postgresql":
            self._update_through_second_connection(rows, now)
        else:
            path = _side_file(self.job)
            partial = path.with_suffix(".tmp")
            partial.write_text(str(rows))
            os.replace(partial, path)  # a reader sees the old count or the new one, never half

    def _update_through_second_connection(self, rows: int, now: datetime) -> None:
        if self._side is None:
            self._side = connection.copy()  # same settings, its own session, autocommit
        with self._side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {ImportJob._meta.db_table} SET rows_written = %s, heartbeat_at = %s WHERE id = %s",  # noqa: S608 (identifiers from our models' metadata, values as parameters)
                [rows, now, self.job.pk],
            )

    def close(self) -> None:
        if self._side is not None:
            self._side.close()
        _side_file(self.job).unlink(missing_ok=True)


def rows_written(job: ImportJob) -> int:
    """The rows written so far by a running job, wherever its channel puts them."""
    try:
        return max(job.rows_written, int(_side_file(job).read_text()))
    except (OSError, ValueError):
        return job.rows_written


def run_job(job_id: int) -> str:
    """Run one queued import; record the outcome on the job; always delete the uploaded file.

    Steps: claim the job (queued → checking, heartbeat); import with a progress channel;
    record done / rejected / failed. "Done" is recorded even if the job was meanwhile taken
    for stale: the rows are committed, and the page must say so.
    """
    job = ImportJob.objects.select_related("wave__incident__organisation", "requested_by").get(pk=job_id)
    if job.state != ImportJob.State.QUEUED:
        return job.state  # a redelivered task: the first run owns it
    _set(job.pk, state=ImportJob.State.CHECKING, heartbeat_at=timezone.now())
    channel = ProgressChannel(job)
    try:
        with open(job.spool_path, "rb") as handle:
            report = ledger.import_recipients(
                job.wave,
                handle,
                file_name=job.file_name,
                actor=job.requested_by,
                reason=job.reason,
                progress=channel.checked,
                written=channel.written,
            )
    except ValidationError as error:
        _set(job.pk, state=ImportJob.State.REJECTED, messages=error.messages, finished_at=timezone.now())
        return ImportJob.State.REJECTED
    except PermissionDenied as refusal:
        _set(job.pk, state=ImportJob.State.REJECTED, messages=[str(refusal)], finished_at=timezone.now())
        return ImportJob.State.REJECTED
    except Exception:
        _set(job.pk, state=ImportJob.State.FAILED, finished_at=timezone.now())
        raise
    finally:
        channel.close()
        Path(job.spool_path).unlink(missing_ok=True)  # plain identifiers never linger on disk
    batch = report.batch
    _set(
        job.pk,
        state=ImportJob.State.DONE,
        batch=batch,
        rows_checked=batch.rows_read,
        rows_written=batch.rows_read,
        messages=[],
        finished_at=timezone.now(),
    )
    return ImportJob.State.DONE


def fail_stale_jobs(*, now: datetime) -> int:
    """Mark running jobs without a sign of life for too long as failed; delete their uploads.

    Steps: find checking/writing jobs whose heartbeat is older than ``stale_after()`` (a
    queued job has no heartbeat yet: Celery redelivers it, acks_late); for each, record the
    failure only if it is still running with that old heartbeat (a conditional update, so a
    job that just reported is left alone), then delete its upload and side file. Nothing was
    imported: the rows are written in one transaction that a crashed worker never committed.
    Returns the number of jobs marked failed.
    """
    cutoff = now - stale_after()
    stale = ImportJob.objects.filter(
        state__in=[ImportJob.State.CHECKING, ImportJob.State.WRITING], heartbeat_at__lt=cutoff
    )
    message = _(
        "The import stopped without finishing (no progress since %(since)s UTC); nothing was imported. Upload the file again."
    )
    failed = 0
    for job in stale:
        if _side_file_renewed_since(job, cutoff):
            continue  # SQLite: the writing transaction reports through the side file
        still = ImportJob.objects.filter(pk=job.pk, state=job.state, heartbeat_at=job.heartbeat_at)
        if job.heartbeat_at is None:
            continue  # never: the query above takes only jobs with a heartbeat
        since = job.heartbeat_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
        if still.update(  # not-historied: ImportJob
            state=ImportJob.State.FAILED, messages=[message % {"since": since}], finished_at=now
        ):
            failed += 1
            Path(job.spool_path).unlink(missing_ok=True)
            _side_file(job).unlink(missing_ok=True)
    return failed


def _side_file_renewed_since(job: ImportJob, cutoff: datetime) -> bool:
    try:
        return _side_file(job).stat().st_mtime > cutoff.timestamp()
    except OSError:
        return False
