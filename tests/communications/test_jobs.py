"""Large imports run in a task; the page polls its progress; the uploaded file never lingers."""

from __future__ import annotations

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from actions import recipient_imports as jobs
from communications.models import ImportJob, Recipient
from tests.communications.conftest import valid_bsns


def _post(client, wave, text: bytes):
    return client.post(
        reverse("communications:upload", args=[wave.pk]),
        {
            "kind": "recipients",
            "file": SimpleUploadedFile("all.csv", text, content_type="text/csv"),
            "reason": "all participants",
        },
    )


def test_a_large_upload_is_queued_then_imported_by_the_task_and_its_file_deleted(
    client,
    officer,
    plan,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.BREACHTRACK_LEDGER_SYNC_MAX_BYTES = 10
    wave = plan()
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = _post(client, wave, ("kind,identifier\n" + "".join(f"bsn,{b}\n" for b in valid_bsns(3))).encode())
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("communications:job", args=[job.pk])
    assert len(queued) == 1 and job.state == "queued" and not Recipient.objects.exists()
    spooled = Path(job.spool_path)
    assert spooled.exists() and oct(spooled.stat().st_mode & 0o777) == "0o600"
    assert b"rows checked" in client.get(response.url).content

    assert jobs.run_job(job.pk) == "done"
    job.refresh_from_db()
    assert job.batch.rows_added == 3 and job.rows_checked == 3 and Recipient.objects.count() == 3
    assert not spooled.exists()
    assert jobs.run_job(job.pk) == "done"  # a redelivered task does nothing
    assert Recipient.objects.count() == 3


def test_a_rejected_queued_file_keeps_its_messages_and_writes_nothing(
    officer, plan, django_capture_on_commit_callbacks
):
    wave = plan()
    upload = SimpleUploadedFile("bad.csv", b"kind,identifier\nbsn,123456789\n")
    with django_capture_on_commit_callbacks(execute=False):
        job = jobs.queue_import(wave, upload, actor=officer, reason="all")
    assert jobs.run_job(job.pk) == "rejected"
    job.refresh_from_db()
    assert job.messages and job.messages[0].startswith("Line 2:")
    assert not Recipient.objects.exists() and not Path(job.spool_path).exists()


def test_another_organisations_job_is_a_404(client, outsider, officer, plan, django_capture_on_commit_callbacks):
    wave = plan()
    with django_capture_on_commit_callbacks(execute=False):
        job = jobs.queue_import(wave, SimpleUploadedFile("a.csv", b"kind,identifier\n"), actor=officer, reason="all")
    client.force_login(outsider)
    assert client.get(reverse("communications:job", args=[job.pk])).status_code == 404
