"""Recipient imports and the call-centre lookup over the API."""

from __future__ import annotations

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from actions import recipient_imports as jobs
from communications.models import ImportBatch, ImportJob, LedgerLookup, Recipient
from tests.api.conftest import REASON, recipients_csv, session_client, token_client, valid_bsns


def url(world) -> str:
    return f"/api/incidents/{world.incident.pk}/waves/{world.wave.pk}/imports/"


def upload(data: bytes, name="cohort.csv") -> dict:
    return {"file": SimpleUploadedFile(name, data, content_type="text/csv"), "reason": REASON}


def spooled() -> set[str]:
    return set(ImportJob.objects.values_list("spool_path", flat=True))


def test_an_upload_is_queued_202_with_the_jobs_location_and_the_job_then_imports(
    world, officer, django_capture_on_commit_callbacks
):
    client = session_client(officer)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(url(world), upload(recipients_csv(3, start=200_000_000)), format="multipart")
    assert response.status_code == 202 and len(queued) == 1
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert response["Location"] == f"{url(world)}{job.pk}/" and response.json()["state"] == "queued"
    assert Path(job.spool_path).exists() and not Recipient.objects.exists()

    assert jobs.run_job(job.pk) == "done"
    status = client.get(response["Location"])
    assert status.status_code == 200
    assert status.json()["state"] == "done" and status.json()["batch"]["rows_added"] == 3
    assert Recipient.objects.count() == 3


def test_a_replayed_upload_queues_nothing_twice_even_after_the_first_ran(
    world, officer, django_capture_on_commit_callbacks
):
    client = session_client(officer)
    data = recipients_csv(4, start=200_000_000)
    with django_capture_on_commit_callbacks(execute=False):
        first = client.post(url(world), upload(data), format="multipart", HTTP_IDEMPOTENCY_KEY="upload-1")
    jobs.run_job(first.json()["id"])
    before = (ImportJob.objects.count(), ImportBatch.objects.count(), ImportBatch.history.count(), spooled())
    with django_capture_on_commit_callbacks(execute=False) as queued:
        replay = client.post(url(world), upload(data), format="multipart", HTTP_IDEMPOTENCY_KEY="upload-1")
    assert replay.status_code == 202 and replay["Idempotent-Replayed"] == "true" and not queued
    assert replay.json()["id"] == first.json()["id"] and replay["Location"] == first["Location"]
    assert (ImportJob.objects.count(), ImportBatch.objects.count(), ImportBatch.history.count(), spooled()) == before
    other_file = client.post(
        url(world), upload(recipients_csv(1, start=400_000_000)), format="multipart", HTTP_IDEMPOTENCY_KEY="upload-1"
    )
    assert other_file.status_code == 422


def test_a_file_over_the_limit_is_a_413_and_nothing_is_queued(world, officer, settings):
    settings.BREACHTRACK_LEDGER_MAX_BYTES = 100
    before = spooled()
    response = session_client(officer).post(url(world), upload(recipients_csv(10)), format="multipart")
    assert response.status_code == 413 and response.json()["code"] == "too_large"
    assert response.json()["detail"].startswith("The file is ")
    assert spooled() == before and ImportJob.objects.count() == 1


def test_a_body_declared_far_over_the_limit_is_refused_before_it_is_read(world, officer, settings):
    settings.BREACHTRACK_LEDGER_MAX_BYTES = 1024
    client = session_client(officer)
    response = client.generic(
        "POST",
        url(world),
        b"x" * 10,
        content_type="multipart/form-data; boundary=b",
        CONTENT_LENGTH=str(10 * 1024 * 1024),
    )
    assert response.status_code == 413


def test_bad_uploads_are_a_400_naming_the_field(world, officer):
    client = session_client(officer)
    no_file = client.post(url(world), {"reason": REASON}, format="multipart")
    assert no_file.status_code == 400 and "file" in no_file.json()["fields"]
    no_reason = client.post(url(world), {"file": SimpleUploadedFile("a.csv", recipients_csv(1))}, format="multipart")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["fields"]
    as_json = client.post(url(world), {"reason": REASON}, format="json")
    assert as_json.status_code == 415
    assert ImportJob.objects.count() == 1


def test_a_rejected_file_is_reported_on_the_job(world, officer, django_capture_on_commit_callbacks):
    client = session_client(officer)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(url(world), upload(b"kind,identifier\nbsn,123456789\n"), format="multipart")
    jobs.run_job(response.json()["id"])
    job = client.get(response["Location"]).json()
    assert job["state"] == "rejected" and job["messages"][0].startswith("Line 2:") and job["batch"] is None


def test_only_officers_upload_and_outsiders_see_no_job(world, lawyer, viewer, outsider):
    for person in (lawyer, viewer):
        assert session_client(person).post(url(world), upload(recipients_csv(1)), format="multipart").status_code == 403
    outsider_client = session_client(outsider)
    assert outsider_client.post(url(world), upload(recipients_csv(1)), format="multipart").status_code == 404
    assert outsider_client.get(f"{url(world)}{world.job.pk}/").status_code == 404
    assert session_client(lawyer).get(f"{url(world)}{world.job.pk}/").status_code == 200
    assert ImportJob.objects.count() == 1


def test_the_lookup_finds_the_wave_logs_the_lookup_and_never_echoes_the_identifier(
    world, officer, lawyer, lab, make_token
):
    jobs.run_job(world.job.pk)  # the world's queued file: two BSNs from 100000000 on
    bsn = valid_bsns(1)[0]
    client = token_client(make_token(officer, lab, "viewer").secret)
    response = client.post("/api/lookup/", {"kind": "bsn", "identifier": bsn}, format="json")
    assert response.status_code == 200
    contacts = response.json()["contacts"]
    assert [(c["wave"], c["status"], c["incident"]) for c in contacts] == [
        (world.wave.pk, "planned", world.incident.pk)
    ]
    assert bsn not in response.content.decode()
    log = LedgerLookup.objects.get()
    assert (log.organisation_id, log.looked_up_by, log.matches) == (lab.pk, officer, 1)
    unknown = session_client(lawyer).post(
        "/api/lookup/", {"kind": "bsn", "identifier": valid_bsns(1, 500_000_000)[0]}, format="json"
    )
    assert unknown.status_code == 200 and unknown.json() == {"contacts": []} and LedgerLookup.objects.count() == 2


def test_a_token_lookup_costs_the_token_and_the_ledger_statement_only(
    world, officer, lab, make_token, django_assert_num_queries
):
    """The token, its user, organisation and membership in one query; on PostgreSQL the ledger
    query and its log row in one statement (elsewhere two). The salt is read again only because
    a test runs inside a transaction (outside one the organisation's key is cached)."""
    from django.db import connection

    jobs.run_job(world.job.pk)
    client = token_client(make_token(officer, lab, "viewer").secret)
    bsn = valid_bsns(1)[0]
    client.post("/api/lookup/", {"kind": "bsn", "identifier": bsn}, format="json")  # records last_used_at
    with django_assert_num_queries(3 if connection.vendor == "postgresql" else 4):
        response = client.post("/api/lookup/", {"kind": "bsn", "identifier": bsn}, format="json")
    assert [c["wave"] for c in response.json()["contacts"]] == [world.wave.pk]
    assert list(LedgerLookup.objects.values_list("looked_up_by", "matches")) == [(officer.pk, 1)] * 2


def test_a_lookup_is_scoped_to_the_callers_organisation(world, outsider, other_org, lab):
    jobs.run_job(world.job.pk)
    client = session_client(outsider)
    found = client.post("/api/lookup/", {"kind": "bsn", "identifier": valid_bsns(1)[0]}, format="json")
    assert found.status_code == 200 and found.json() == {"contacts": []}
    named = client.post(
        "/api/lookup/", {"organisation": lab.pk, "kind": "bsn", "identifier": valid_bsns(1)[0]}, format="json"
    )
    assert named.status_code == 400 and named.json()["fields"]["organisation"] == ["Unknown organisation."]
    assert LedgerLookup.objects.filter(organisation=lab).count() == 0


def test_an_invalid_identifier_is_a_400_on_the_identifier(world, officer):
    response = session_client(officer).post("/api/lookup/", {"kind": "bsn", "identifier": "123456789"}, format="json")
    assert response.status_code == 400 and "identifier" in response.json()["fields"]
    assert "123456789" not in response.content.decode()
