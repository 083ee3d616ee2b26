"""A queued import shows how many rows it has written while its one transaction is still open."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from actions import ledger
from actions import recipient_imports as jobs
from communications.models import ImportJob, Recipient
from tests.communications.conftest import valid_bsns


def _queue(wave, officer, count: int, django_capture_on_commit_callbacks) -> ImportJob:
    text = ("kind,identifier\n" + "".join(f"bsn,{b}\n" for b in valid_bsns(count))).encode()
    with django_capture_on_commit_callbacks(execute=False):
        return jobs.queue_import(wave, SimpleUploadedFile("all.csv", text), actor=officer, reason="all participants")


def _observe_each_write(monkeypatch, observe):
    """Call ``observe(rows)`` right after each real progress report (the hook; nothing replaced)."""
    report = jobs.ProgressChannel.written

    def written(channel, rows):
        report(channel, rows)
        observe(rows)

    monkeypatch.setattr(jobs.ProgressChannel, "written", written)


@pytest.mark.django_db(transaction=True)
def test_the_job_page_counts_rows_written_during_the_write_and_the_side_channel_is_gone_after(
    client,
    officer,
    plan,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    monkeypatch.setattr(ledger, "INSERT_CHUNK", 2)
    wave = plan()
    job = _queue(wave, officer, 5, django_capture_on_commit_callbacks)
    client.force_login(officer)
    pages = []
    _observe_each_write(
        monkeypatch,
        lambda rows: pages.append(client.get(reverse("communications:job", args=[job.pk])).content.decode()),
    )

    assert jobs.run_job(job.pk) == "done"

    assert len(pages) == 4  # before the transaction, then after 2, 4 and 5 rows
    assert all("Writing to the ledger" in page and 'http-equiv="refresh"' in page for page in pages)
    for page, written in zip(pages, (0, 2, 4, 5), strict=False):
        assert f"{written} of 5 rows written" in page
    job.refresh_from_db()
    assert job.state == "done" and job.rows_written == 5 and Recipient.objects.count() == 5
    assert not Path(f"{job.spool_path}.progress").exists() and not Path(job.spool_path).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_another_connection_sees_the_progress_but_no_ledger_row_before_the_commit(
    officer,
    plan,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    monkeypatch.setattr(ledger, "INSERT_CHUNK", 3)
    wave = plan()
    job = _queue(wave, officer, 7, django_capture_on_commit_callbacks)
    observer = connection.copy()  # a separate session, like the web server's
    seen = []

    def observe(rows):
        with observer.cursor() as cursor:
            cursor.execute(
                f"SELECT state, rows_written, heartbeat_at IS NOT NULL FROM {ImportJob._meta.db_table} WHERE id = %s",
                [job.pk],
            )
            state, written, has_heartbeat = cursor.fetchone()
            cursor.execute(f"SELECT count(*) FROM {Recipient._meta.db_table} WHERE wave_id = %s", [wave.pk])
            seen.append((rows, state, written, has_heartbeat, cursor.fetchone()[0]))

    _observe_each_write(monkeypatch, observe)
    try:
        assert jobs.run_job(job.pk) == "done"
    finally:
        observer.close()

    assert seen == [
        (0, "writing", 0, True, 0),
        (3, "writing", 3, True, 0),
        (6, "writing", 6, True, 0),
        (7, "writing", 7, True, 0),
    ]
    assert Recipient.objects.filter(wave=wave).count() == 7


def test_a_rejected_file_never_reaches_the_writing_state(
    officer, plan, monkeypatch, django_capture_on_commit_callbacks
):
    wave = plan()
    with django_capture_on_commit_callbacks(execute=False):
        job = jobs.queue_import(
            wave, SimpleUploadedFile("bad.csv", b"kind,identifier\nbsn,123456789\n"), actor=officer, reason="all"
        )
    reports = []
    _observe_each_write(monkeypatch, reports.append)
    assert jobs.run_job(job.pk) == "rejected"
    assert reports == [] and ImportJob.objects.get().rows_written == 0
