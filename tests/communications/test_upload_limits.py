"""Oversized recipient files are refused with 413 and a message, and nothing is written."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from communications.models import ImportJob, Recipient
from tests.communications.conftest import valid_bsns


def _post(client, wave, content: bytes):
    return client.post(
        reverse("communications:upload", args=[wave.pk]),
        {
            "kind": "recipients",
            "file": SimpleUploadedFile("cohort.csv", content, content_type="text/csv"),
            "reason": "cohort",
        },
    )


def _csv(count: int) -> bytes:
    return ("kind,identifier\n" + "".join(f"bsn,{bsn}\n" for bsn in valid_bsns(count))).encode()


def test_a_request_body_over_the_upload_limit_is_refused_before_its_file_is_stored(
    client, officer, plan, settings, tmp_path
):
    settings.BREACHTRACK_UPLOAD_MAX_BYTES = 2048
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024  # a stored file would go to disk, here:
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    wave = plan()
    client.force_login(officer)
    response = _post(client, wave, _csv(400))
    assert response.status_code == 413
    body = response.content.decode()
    assert "the limit is 2,048 bytes. Split it into several files." in body
    assert not Recipient.objects.exists() and not ImportJob.objects.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_file_over_the_ledger_limit_is_refused_with_413(client, officer, plan, settings):
    settings.BREACHTRACK_LEDGER_MAX_BYTES = 1024
    wave = plan()
    client.force_login(officer)
    content = _csv(200)
    response = _post(client, wave, content)
    assert response.status_code == 413
    assert f"The file is {len(content):,} bytes; the limit is 1,024 bytes." in response.content.decode()
    assert not Recipient.objects.exists() and not ImportJob.objects.exists()


def test_a_file_within_the_limits_is_imported(client, officer, plan, settings):
    settings.BREACHTRACK_UPLOAD_MAX_BYTES = 64 * 1024
    wave = plan()
    client.force_login(officer)
    response = _post(client, wave, _csv(5))
    assert response.status_code == 302
    assert Recipient.objects.filter(wave=wave).count() == 5


def test_the_sizes_in_the_refusal_are_grouped_in_the_readers_language(client, officer, plan, settings):
    """The Dutch refusal said "Het bestand is 4,890 bytes; de limiet is 1,024 bytes": English grouping."""
    settings.BREACHTRACK_LEDGER_MAX_BYTES = 1024
    wave = plan()
    client.force_login(officer)
    client.cookies["django_language"] = "nl"
    content = _csv(200)
    response = _post(client, wave, content)
    assert response.status_code == 413
    size = f"{len(content):,}".replace(",", ".")
    assert f"Het bestand is {size} bytes; de limiet is 1.024 bytes." in response.content.decode()
