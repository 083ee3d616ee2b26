"""Large ledger imports in the background: queue the upload, run it in a task, show progress."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from communications import ledger
from communications.models import ImportJob
from organisations.services import authorise, require_reason

PROGRESS_EVERY = 50_000


def _spool_dir() -> Path:
    path = Path(settings.VAR_DIR) / "ledger_uploads"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def queue_import(wave, upload, *, actor, reason: str) -> ImportJob:
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
        from communications.tasks import run_import_job

        transaction.on_commit(lambda: run_import_job.delay(job.pk))
    return job


def _set(job_id: int, **values) -> None:
    ImportJob.objects.filter(pk=job_id).update(**values)  # not-historied: ImportJob


def run_job(job_id: int) -> str:
    """Run one queued import; record the outcome on the job; always delete the uploaded file."""
    job = ImportJob.objects.select_related("wave__incident__organisation", "requested_by").get(pk=job_id)
    if job.state != ImportJob.State.QUEUED:
        return job.state  # a redelivered task: the first run owns it
    _set(job.pk, state=ImportJob.State.CHECKING)
    try:
        with open(job.spool_path, "rb") as handle:
            report = ledger.import_recipients(
                job.wave, handle, file_name=job.file_name, actor=job.requested_by, reason=job.reason,
                progress=lambda rows: _set(job.pk, rows_checked=rows),
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
        Path(job.spool_path).unlink(missing_ok=True)  # plain identifiers never linger on disk
    batch = report.batch
    _set(job.pk, state=ImportJob.State.DONE, batch=batch, rows_checked=batch.rows_read, finished_at=timezone.now())
    return ImportJob.State.DONE
