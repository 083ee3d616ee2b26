"""A crashed import does not stay "checking" forever: it is marked failed and its upload deleted."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from actions import recipient_imports as jobs
from communications.models import ImportJob, Recipient
from ops.tasks.communications import fail_stale_import_jobs
from tests.communications.conftest import valid_bsns

STALE = timedelta(minutes=10)


def _crashed_job(wave, officer, django_capture_on_commit_callbacks) -> ImportJob:
    """A job a worker claimed and reported on, then died (SIGKILL: no cleanup ran)."""
    text = ("kind,identifier\n" + "".join(f"bsn,{b}\n" for b in valid_bsns(3))).encode()
    with django_capture_on_commit_callbacks(execute=False):
        job = jobs.queue_import(wave, SimpleUploadedFile("all.csv", text), actor=officer, reason="all participants")
    jobs._set(job.pk, state=ImportJob.State.CHECKING)
    jobs.ProgressChannel(job).checked(2)  # the worker's last sign of life
    job.refresh_from_db()
    return job


def test_a_job_without_a_heartbeat_for_longer_than_the_setting_is_failed_and_its_upload_deleted(
    officer,
    plan,
    now,
    time_machine,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.BREACHTRACK_LEDGER_JOB_STALE_SECONDS = STALE.total_seconds()
    job = _crashed_job(plan(), officer, django_capture_on_commit_callbacks)
    assert job.heartbeat_at == now and Path(job.spool_path).exists()

    time_machine.move_to(now + STALE, tick=False)
    assert jobs.fail_stale_jobs(now=now + STALE) == 0  # exactly at the limit: still alive
    assert ImportJob.objects.get().state == "checking" and Path(job.spool_path).exists()

    time_machine.move_to(now + STALE + timedelta(seconds=1), tick=False)
    assert fail_stale_import_jobs() == 1  # what beat runs
    job.refresh_from_db()
    assert job.state == "failed" and job.finished_at == now + STALE + timedelta(seconds=1)
    assert job.messages == [
        "The import stopped without finishing (no progress since 2025-08-20 12:00 UTC); nothing was imported. Upload the file again."
    ]
    assert not Path(job.spool_path).exists() and not Recipient.objects.exists()
    assert fail_stale_import_jobs() == 0  # once


def test_the_page_shows_the_failure_stops_refreshing_and_the_officer_can_upload_again(
    client,
    officer,
    plan,
    now,
    time_machine,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.BREACHTRACK_LEDGER_SYNC_MAX_BYTES = 10
    wave = plan()
    job = _crashed_job(wave, officer, django_capture_on_commit_callbacks)
    time_machine.move_to(now + jobs.stale_after() + timedelta(minutes=1), tick=False)
    jobs.fail_stale_jobs(now=now + jobs.stale_after() + timedelta(minutes=1))
    client.force_login(officer)

    page = client.get(reverse("communications:job", args=[job.pk])).content.decode()
    assert (
        "Failed: nothing imported" in page and "Upload the file again." in page and 'http-equiv="refresh"' not in page
    )

    text = ("kind,identifier\n" + "".join(f"bsn,{b}\n" for b in valid_bsns(3))).encode()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(
            reverse("communications:upload", args=[wave.pk]),
            {"kind": "recipients", "file": SimpleUploadedFile("all.csv", text), "reason": "again"},
        )
    again = ImportJob.objects.exclude(pk=job.pk).get()
    assert response.status_code == 302 and len(queued) == 1
    assert jobs.run_job(again.pk) == "done" and Recipient.objects.count() == 3


def test_queued_finished_and_recently_reporting_jobs_are_left_alone(
    officer,
    plan,
    now,
    time_machine,
    django_capture_on_commit_callbacks,
):
    wave = plan()
    crashed = _crashed_job(wave, officer, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False):
        queued = jobs.queue_import(wave, SimpleUploadedFile("b.csv", b"kind,identifier\n"), actor=officer, reason="b")
    later = now + jobs.stale_after() + timedelta(minutes=5)
    time_machine.move_to(later - timedelta(minutes=1), tick=False)
    jobs._set(crashed.pk, state=ImportJob.State.WRITING)
    jobs.ProgressChannel(crashed).written(0)  # reported a minute ago: alive

    assert jobs.fail_stale_jobs(now=later) == 0
    assert (
        ImportJob.objects.get(pk=crashed.pk).state == "writing"
        and ImportJob.objects.get(pk=queued.pk).state == "queued"
    )
    assert Path(crashed.spool_path).exists() and Path(queued.spool_path).exists()


def test_a_worker_that_finishes_after_being_taken_for_stale_records_done(
    officer,
    plan,
    now,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    """A slow worker, not a dead one: its rows are committed, so the page must say imported."""
    text = ("kind,identifier\n" + "".join(f"bsn,{b}\n" for b in valid_bsns(3))).encode()
    with django_capture_on_commit_callbacks(execute=False):
        job = jobs.queue_import(plan(), SimpleUploadedFile("all.csv", text), actor=officer, reason="all")
    report, taken = jobs.ProgressChannel.written, []

    def written(channel, rows):
        report(channel, rows)
        if rows == 0:  # the check runs while the worker is about to write (its clock says much later)
            taken.append(jobs.fail_stale_jobs(now=now + jobs.stale_after() + timedelta(seconds=1)))

    monkeypatch.setattr(jobs.ProgressChannel, "written", written)
    assert jobs.run_job(job.pk) == "done"
    job.refresh_from_db()
    assert taken == [1] and job.state == "done" and job.messages == [] and Recipient.objects.count() == 3


def test_beat_runs_the_stale_check_every_minute_beside_the_unchanged_sweep():
    schedule = django_settings.CELERY_BEAT_SCHEDULE
    assert schedule["fail-stale-ledger-imports"] == {"task": "communications.fail_stale_import_jobs", "schedule": 60}
    assert schedule["sweep-deadlines"]["task"] == "actions.sweep"
