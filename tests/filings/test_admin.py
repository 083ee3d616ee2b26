"""The admin onto filings: created through the service with a reason and a checklist, then read-only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from actions import filings as filing_services
from filings.models import AuthorityFiling, NotificationDecisionRecord
from tests.incidents.test_admin import admin_url, form_errors

UTC = UTC
REASON = "filed through the AP form, confirmation e-mail kept"


def filing_post(incident, controller, authority, **overrides) -> dict:
    data = {
        "incident": incident.pk,
        "controller": controller.pk,
        "authority": authority.pk,
        "filing_type": "initial",
        "submitted_at_0": "2025-08-20T13:30",
        "submitted_at_1": "Europe/Amsterdam",
        "submitted_at_2": "",
        "channel": "ap_form",
        "submitted_by": "J. de Vries",
        "authority_reference": "",
        "delay_reasons": "",
        "withdrawal_reason": "",
        "change_reason": REASON,
    }
    data.update(overrides)
    return data


def test_the_add_page_shows_what_the_register_still_lacks(client, officer, incident, controller, lead_ap):
    client.force_login(officer)
    page = client.get(admin_url(AuthorityFiling, "add"), {"incident": incident.pk, "controller": controller.pk})
    assert page.status_code == 200
    body = page.content.decode()
    assert "(a) Nature of the breach: what happened" in body
    # The programme files: its own contact point is missing, not the lab's DPO (which is set).
    assert "(b) Name and contact details of the contact point of the controller National Screening Programme" in body
    assert "controller.party.contact_email" in body
    assert "file it as phased (Art. 33(4))" in body
    # Before a controller is chosen the preview counts the whole incident's figures only.
    assert client.get(admin_url(AuthorityFiling, "add"), {"incident": incident.pk}).status_code == 200
    assert "Choose the incident" in client.get(admin_url(AuthorityFiling, "add")).content.decode()


def test_an_outsider_gets_no_preview_of_the_labs_register(client, outsider, incident, controller):
    client.force_login(outsider)
    body = client.get(admin_url(AuthorityFiling, "add"), {"incident": incident.pk}).content.decode()
    assert "Choose the incident" in body and "(a) Nature of the breach" not in body


def test_an_officer_files_through_the_admin_with_a_reason(
    client, officer, incident, controller, lead_ap, complete_register
):
    client.force_login(officer)
    response = client.post(admin_url(AuthorityFiling, "add"), filing_post(incident, controller, lead_ap))
    assert response.status_code == 302, form_errors(response)

    filing = AuthorityFiling.objects.get()
    assert filing.submitted_at == datetime(2025, 8, 20, 11, 30, tzinfo=UTC)
    assert filing.submitted_tz == "Europe/Amsterdam"
    assert filing.content["nature.description"] == "Criminal group copied screening results."
    record = filing.history.get()
    assert (record.history_user, record.history_change_reason) == (officer, REASON)


def test_an_incomplete_filing_is_refused_in_the_admin_with_the_missing_items(
    client, officer, incident, controller, lead_ap
):
    client.force_login(officer)
    response = client.post(admin_url(AuthorityFiling, "add"), filing_post(incident, controller, lead_ap))
    assert response.status_code == 200
    errors = str(response.context["adminform"].form.errors)
    assert "Missing (Art. 33(3)): (c) Likely consequences of the breach" in errors
    assert "file in phases (Art. 33(4))" in errors
    assert not AuthorityFiling.objects.exists() and not AuthorityFiling.history.exists()


def test_a_submitted_filing_cannot_be_edited_in_the_admin(client, officer, submit, controller, complete_register):
    filing = submit(controller)
    before = AuthorityFiling.objects.values().get(pk=filing.pk)
    client.force_login(officer)
    url = admin_url(AuthorityFiling, "change", filing.pk)

    page = client.get(url)
    assert set(page.context["adminform"].form.fields) == {"authority_reference", "change_reason"}
    response = client.post(url, {"delay_reasons": "rewritten", "channel": "letter", "change_reason": "tidy up"})
    assert response.status_code == 302  # only the report number is a field: the rest is ignored
    assert AuthorityFiling.objects.values().get(pk=filing.pk) == before
    assert filing.history.count() == 1

    response = client.post(url, {"authority_reference": "AP-2025-0815", "change_reason": "AP confirmation"})
    assert response.status_code == 302, form_errors(response)
    assert AuthorityFiling.objects.get(pk=filing.pk).authority_reference == "AP-2025-0815"

    # Once the number is there, the filing is read-only altogether.
    assert b'name="_save"' not in client.get(url).content
    response = client.post(url, {"authority_reference": "AP-other", "change_reason": "typo"})
    assert response.status_code == 403
    assert AuthorityFiling.objects.get(pk=filing.pk).authority_reference == "AP-2025-0815"
    assert filing.history.count() == 2


def test_the_change_page_shows_the_changes_since_the_previous_filing(
    client, officer, submit, controller, complete_register, count, now
):
    submit(controller, submitted_at=datetime(2025, 8, 20, 11, 0, tzinfo=UTC))
    count(715_000, known_at=datetime(2025, 8, 20, 11, 15, tzinfo=UTC))
    follow_up = submit(controller, filing_type="follow_up", submitted_at=datetime(2025, 8, 20, 11, 30, tzinfo=UTC))
    client.force_login(officer)
    body = client.get(admin_url(AuthorityFiling, "change", follow_up.pk)).content.decode()
    assert "Approximate number of data subjects (Art. 33(3)(a))</strong>: ≈485,000 → ≈715,000" in body


@pytest.mark.parametrize("persona", ["lawyer", "viewer"])
def test_readers_cannot_file_in_the_admin(client, request, persona, incident, controller, lead_ap, complete_register):
    client.force_login(request.getfixturevalue(persona))
    assert client.post(admin_url(AuthorityFiling, "add"), filing_post(incident, controller, lead_ap)).status_code == 403
    assert not AuthorityFiling.objects.exists()


def test_an_outsider_cannot_file_on_the_labs_incident(
    client, outsider, incident, controller, lead_ap, complete_register
):
    client.force_login(outsider)
    response = client.post(admin_url(AuthorityFiling, "add"), filing_post(incident, controller, lead_ap))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "incident" in errors and "controller" in errors
    assert not AuthorityFiling.objects.exists()


def test_an_officer_records_a_decision_not_to_notify_in_the_admin(client, officer, incident, controller):
    client.force_login(officer)
    response = client.post(
        admin_url(NotificationDecisionRecord, "add"),
        {
            "incident": incident.pk,
            "controller": controller.pk,
            "decided_at_0": "2025-08-20T13:55",
            "decided_at_1": "Europe/Amsterdam",
            "decided_at_2": "",
            "decided_by": "J. de Vries (DPO)",
            "risk_basis": "unintelligible",
            "reasoning": "Encrypted, key safe.",
            "change_reason": "DPO decision",
        },
    )
    assert response.status_code == 302, form_errors(response)
    decision = NotificationDecisionRecord.objects.get()
    assert decision.history.get().history_user == officer
    assert (
        client.post(admin_url(NotificationDecisionRecord, "change", decision.pk), {"change_reason": "x"}).status_code
        == 403
    )


def test_the_report_number_is_refused_twice_by_the_service_behind_the_admin(
    submit, controller, complete_register, officer
):
    filing = filing_services.add_authority_reference(
        submit(controller), authority_reference="A-1", actor=officer, reason="AP"
    )
    assert filing.authority_reference == "A-1"
