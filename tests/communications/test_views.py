"""The Art. 34 pages: scoped to the organisation, writes only for privacy officers."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import strip_tags

from actions import communications as services
from communications.models import LedgerLookup, Recipient
from tests.communications.conftest import valid_bsns


def _upload(client, wave, text: bytes, name="cohort.csv", kind="recipients"):
    return client.post(
        reverse("communications:upload", args=[wave.pk]),
        {
            "kind": kind,
            "file": SimpleUploadedFile(name, text, content_type="text/csv"),
            "reason": "letters to cohort 2017",
        },
    )


def test_the_incident_page_links_to_its_communications(client, officer, incident):
    client.force_login(officer)
    page = client.get(reverse("incidents:detail", args=[incident.pk]))
    assert reverse("communications:incident", args=[incident.pk]).encode() in page.content


def test_the_communications_page_shows_the_current_decision_and_waves(client, officer, incident, assess, plan):
    assess(reasoning="screening results and BSN")
    plan(cohort_label="participants 2017")
    client.force_login(officer)
    page = client.get(reverse("communications:incident", args=[incident.pk]))
    assert page.status_code == 200
    assert b"screening results and BSN" in page.content and b"participants 2017" in page.content


def test_an_officer_uploads_a_ledger_and_errors_come_back_with_line_numbers(client, officer, plan):
    wave = plan()
    client.force_login(officer)
    good, bad = valid_bsns(1)[0], "123456789"
    response = _upload(client, wave, f"kind,identifier\nbsn,{good}\nbsn,{bad}\n".encode())
    assert response.status_code == 400 and "Line 3:" in response.content.decode()
    assert not Recipient.objects.exists()
    response = _upload(client, wave, f"kind,identifier\nbsn,{good}\n".encode())
    assert response.status_code == 302 and Recipient.objects.count() == 1


def test_a_viewer_cannot_upload(client, viewer, plan):
    wave = plan()
    client.force_login(viewer)
    response = _upload(client, wave, f"kind,identifier\nbsn,{valid_bsns(1)[0]}\n".encode())
    assert response.status_code == 403 and not Recipient.objects.exists()


def test_another_organisations_wave_is_a_404(client, outsider, incident, plan):
    wave = plan()
    client.force_login(outsider)
    assert client.get(reverse("communications:upload", args=[wave.pk])).status_code == 404
    assert _upload(client, wave, f"kind,identifier\nbsn,{valid_bsns(1)[0]}\n".encode()).status_code == 404
    assert client.get(reverse("communications:incident", args=[incident.pk])).status_code == 404
    assert not Recipient.objects.exists()


def test_the_lookup_page_answers_found_and_not_found_and_never_echoes_the_identifier(
    client, officer, viewer, lab, plan, now
):
    wave = plan()
    bsn, stranger = valid_bsns(2)
    client.force_login(officer)
    _upload(client, wave, f"kind,identifier\nbsn,{bsn}\n".encode())
    services.mark_wave_sent(wave, sent_at=now - timedelta(hours=2), actor=officer, reason="posted", now=now)
    client.force_login(viewer)
    url = reverse("communications:lookup")
    found = client.post(url, {"organisation": lab.pk, "kind": "bsn", "identifier": bsn})
    assert found.status_code == 200 and [c.status for c in found.context["contacts"]] == ["sent"]
    assert bsn.encode() not in found.content
    missing = client.post(url, {"organisation": lab.pk, "kind": "bsn", "identifier": stranger})
    assert missing.context["contacts"] == []
    assert LedgerLookup.objects.filter(looked_up_by=viewer).count() == 2


def test_the_lookup_page_refuses_another_organisation(client, outsider, lab):
    client.force_login(outsider)
    response = client.post(
        reverse("communications:lookup"), {"organisation": lab.pk, "kind": "bsn", "identifier": valid_bsns(1)[0]}
    )
    assert response.status_code == 400 and response.context["contacts"] is None
    assert "organisation" in response.context["form"].errors
    assert not LedgerLookup.objects.exists()


def test_an_officer_uploads_returned_mail_for_a_sent_wave(client, officer, plan, now):
    wave = plan()
    bsns = valid_bsns(2)
    client.force_login(officer)
    _upload(client, wave, ("kind,identifier\n" + "".join(f"bsn,{b}\n" for b in bsns)).encode())
    refused = _upload(client, wave, f"kind,identifier\nbsn,{bsns[0]}\n".encode(), name="returns.csv", kind="bounces")
    assert refused.status_code == 400 and "sent wave" in refused.content.decode()
    services.mark_wave_sent(wave, sent_at=now - timedelta(days=1), actor=officer, reason="posted", now=now)
    response = _upload(client, wave, f"kind,identifier\nbsn,{bsns[0]}\n".encode(), name="returns.csv", kind="bounces")
    assert response.status_code == 302
    wave.refresh_from_db()
    assert wave.bounced_count == 1 and Recipient.objects.filter(bounced_at=now).count() == 1


def test_re_importing_the_same_recipients_keeps_the_planned_count_and_does_not_duplicate(client, officer, plan):
    """The defect: a wave planned for 5, the same 5 people imported twice, showed "10 / 0 / 0"."""
    wave = plan(planned_count=5)
    client.force_login(officer)
    people = valid_bsns(5)
    assert (
        _upload(client, wave, ("kind,identifier\n" + "".join(f"bsn,{b}\n" for b in people)).encode()).status_code == 302
    )
    # The same people again, in another file (another order, e-mail header case): nothing new.
    again = ("kind,identifier\n" + "".join(f"BSN, {b}\n" for b in reversed(people))).encode()
    assert _upload(client, wave, again, name="cohort-again.csv").status_code == 302
    wave.refresh_from_db()
    assert Recipient.objects.filter(wave=wave).count() == 5
    assert wave.planned_count == 5
    assert (wave.recipient_count, wave.sent_count) == (5, 0)
    page = client.get(reverse("communications:incident", args=[wave.incident_id])).content.decode()
    text = " ".join(strip_tags(page).split())
    assert "10 / 0 / 0" not in text
    assert "Planned: 5 Imported: 5 Sent: 0 Bounced: 0" in text
