"""Share links to the timeline's PDF and CSV: the same files as the logged-in downloads, logged."""

from __future__ import annotations

import csv
import io

import pypdf
import pytest
from django.urls import reverse

from access.choices import ExportKind
from access.models import AccessLog
from actions import sharing as services
from evidence.chain import export_stamp


def share_url(token):
    return reverse("access:share", args=[token])


def test_a_link_to_the_timeline_pdf_serves_that_incidents_pdf_with_the_chain_head(client, make_link, incident):
    created = make_link(ExportKind.TIMELINE_PDF)
    stamp = export_stamp(incident.organisation)

    response = client.get(share_url(created.token), REMOTE_ADDR="198.51.100.7")

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.content)).pages)
    assert incident.reference in text and incident.title in text
    assert stamp["sha256"] in text
    assert "no-store" in response["Cache-Control"]
    log = AccessLog.objects.get()
    assert (log.share_link, log.incident, log.export_kind, log.outcome) == (
        created.link,
        incident,
        "timeline_pdf",
        "allowed",
    )


def test_a_link_to_the_timeline_csv_serves_that_incidents_csv_with_the_chain_head(client, make_link, incident):
    created = make_link(ExportKind.TIMELINE_CSV)

    response = client.get(share_url(created.token))

    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    records = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    metadata = dict(zip(records[0], records[1], strict=False))
    assert metadata["incident_reference"] == incident.reference
    assert metadata["chain_sha256"] == export_stamp(incident.organisation)["sha256"]
    kinds = [record[3] for record in records[4:]]
    assert [kind for kind in kinds if kind != "summary"][:1] == ["occurred"]
    log = AccessLog.objects.get()
    assert (log.share_link, log.export_kind, log.outcome) == (created.link, "timeline_csv", "allowed")


@pytest.mark.parametrize("kind", [ExportKind.TIMELINE_PDF, ExportKind.TIMELINE_CSV])
def test_a_revoked_timeline_link_serves_nothing(client, make_link, lawyer, kind):
    created = make_link(kind)
    services.revoke_share_link(created.link, actor=lawyer, reason="the AP confirmed receipt")

    response = client.get(share_url(created.token))

    assert response.status_code == 410
    assert not response.content.startswith(b"%PDF") and b"breachtrack.timeline-csv" not in response.content
    assert AccessLog.objects.get().refusal_reason == "revoked"


def test_a_pdf_link_does_not_serve_the_csv(client, make_link):
    created = make_link(ExportKind.TIMELINE_PDF)

    response = client.get(reverse("access:share_kind", args=[created.token, ExportKind.TIMELINE_CSV]))

    assert response.status_code == 404
    assert AccessLog.objects.get().refusal_reason == "wrong_export"
