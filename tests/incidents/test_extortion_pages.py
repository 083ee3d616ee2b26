"""The guided extortion pages (web/incidents/extortion_views.py): an officer records the threat, its
countdown's revisions, what was published and the Art. 34 reassessment without the admin.

Each page: GET and POST for a privacy officer; a 403 for a legal reviewer and a viewer (GET and
POST, nothing written); a 404 for another organisation's officer and for a threat or publication of
another incident; a refused form is a 400 with its message on the field and nothing written
(counts and history unchanged); history names the officer and the reason.

The time is frozen at 20 August 2025, 14:00 Amsterdam (12:00 UTC): the real case's calendar.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from actions import extortion
from actions import incidents as services
from incidents.models import ExtortionCountdown, ExtortionThreat, Publication

UTC = UTC
H = timedelta(hours=1)
DONE = "/#extortion-h"


def counts() -> tuple[int, ...]:
    return (
        ExtortionThreat.objects.count(),
        ExtortionThreat.history.count(),
        ExtortionCountdown.objects.count(),
        ExtortionCountdown.history.count(),
        Publication.objects.count(),
        Publication.history.count(),
    )


@pytest.fixture
def threat(incident, officer, now):
    return extortion.record_threat(
        incident,
        actor_name="Kraken Collective",
        first_contact_at=now - 72 * H,
        channel="leak_site",
        actor=officer,
        reason="listed on the leak site",
    )


@pytest.fixture
def countdown(threat, officer, now):
    return extortion.revise_countdown(
        threat,
        kind="set",
        announced_at=now - 72 * H,
        deadline_at=now + 48 * H,
        source="leak-site listing",
        actor=officer,
        reason="countdown on the leak site",
    )


@pytest.fixture
def publication(incident, threat, officer, now):
    return extortion.record_publication(
        incident,
        threat=threat,
        published_at=now - 2 * H,
        location="leak site",
        records_count=53_000,
        actor=officer,
        reason="seen on the leak site",
    )


def url(name, incident, *args):
    return reverse(f"incidents:{name}", args=[incident.pk, *args])


def instant(prefix: str, local: str, zone: str = "Europe/Amsterdam", fold: str = "") -> dict:
    return {f"{prefix}_0": local, f"{prefix}_1": zone, f"{prefix}_2": fold}


def threat_form(**overrides):
    data = {
        "actor_name": "Nova",
        "actor_aliases": "",
        **instant("first_contact_at", "2025-08-17T09:30"),
        "channel": "email",
        "channel_detail": "mail to the board",
        "demand_amount": "1,100,000",
        "demand_currency": "eur",
        "demand_payment_method": "bitcoin",
        "reason": "the board received the e-mail",
    }
    return {**data, **overrides}


def revision_form(**overrides):
    data = {
        "kind": "set",
        **instant("announced_at", "2025-08-18T10:00"),
        **instant("deadline_at", "2025-08-25T10:00"),
        "source": "leak site",
        "evidence": "",
        "note": "",
        "reason": "countdown posted",
    }
    return {**data, **overrides}


def publication_form(**overrides):
    data = {
        "threat": "",
        **instant("published_at", "2025-08-20T09:00"),
        "location": "leak site, /lab",
        "records_count": "53,000",
        "files_count": "",
        "size_bytes": "1.2 GB",
        "note": "",
        "reason": "seen on the leak site",
    }
    return {**data, **overrides}


# --- Happy paths ----------------------------------------------------------------------------------


def test_an_officer_records_a_threat_in_local_time_and_returns_to_the_incident(client, officer, incident):
    client.force_login(officer)
    page = client.get(url("threat_new", incident))
    assert page.status_code == 200 and b'name="first_contact_at_0"' in page.content

    response = client.post(url("threat_new", incident), threat_form())

    assert response.status_code == 302 and response["Location"] == url("detail", incident)[:-1] + DONE
    threat = ExtortionThreat.objects.get(incident=incident)
    assert (threat.actor_name, threat.channel, threat.demand_amount, threat.demand_currency) == (
        "Nova",
        "email",
        Decimal("1100000"),
        "EUR",
    )
    assert threat.first_contact_at == datetime(2025, 8, 17, 7, 30, tzinfo=UTC)
    assert threat.first_contact_tz == "Europe/Amsterdam"
    record = threat.history.get()
    assert (record.history_user, record.history_change_reason) == (officer, "the board received the e-mail")
    body = client.get(response["Location"]).content.decode()
    assert "Extortion threat recorded: Nova, first contact Sun 17 Aug 2025, 09:30 CEST." in body


def test_an_officer_corrects_the_threat_and_the_old_values_stay_in_its_history(client, officer, incident, threat):
    client.force_login(officer)
    page = client.get(url("threat_edit", incident, threat.pk)).content.decode()
    assert 'value="Kraken Collective"' in page and 'value="2025-08-17T14:00"' in page  # local, as stored

    response = client.post(
        url("threat_edit", incident, threat.pk),
        threat_form(actor_name="Kraken", **instant("first_contact_at", "2025-08-17T14:00"), reason="name corrected"),
    )

    assert response.status_code == 302
    threat.refresh_from_db()
    assert threat.actor_name == "Kraken" and threat.demand_amount == Decimal("1100000")
    latest, first = threat.history.order_by("-history_id")[:2]
    assert (latest.history_user, latest.history_change_reason, first.actor_name) == (
        officer,
        "name corrected",
        "Kraken Collective",
    )


def test_an_officer_records_the_payment_decision_and_the_police_report(client, officer, incident, threat):
    client.force_login(officer)
    assert client.get(url("threat_payment", incident, threat.pk)).status_code == 200
    response = client.post(
        url("threat_payment", incident, threat.pk),
        {
            "payment_decision": "will_not_pay",
            **instant("payment_decided_at", "2025-08-18T16:00"),
            "payment_reasoning": "Police advice; paying does not reduce the risk.",
            "reason": "board decision",
        },
    )
    assert response.status_code == 302
    assert "Payment decision recorded: Will not pay." in client.get(response["Location"]).content.decode()

    assert client.get(url("threat_police", incident, threat.pk)).status_code == 200
    response = client.post(
        url("threat_police", incident, threat.pk),
        {
            **instant("police_reported_at", "2025-08-18T17:15"),
            "police_reference": "PL0900-2025-123",
            "other_agencies_told": "Z-CERT",
            "reason": "report filed at the police station",
        },
    )
    assert response.status_code == 302
    threat.refresh_from_db()
    assert threat.payment_decision == "will_not_pay" and threat.payment_decided_at == datetime(
        2025, 8, 18, 14, 0, tzinfo=UTC
    )
    assert threat.police_reported_at == datetime(2025, 8, 18, 15, 15, tzinfo=UTC)
    assert threat.police_reference == "PL0900-2025-123"
    record = threat.history.order_by("-history_id").first()
    assert (record.history_user, record.history_change_reason) == (officer, "report filed at the police station")
    body = client.get(response["Location"]).content.decode()
    assert "Police report recorded: Mon 18 Aug 2025, 17:15 CEST." in body


def test_an_officer_sets_renews_and_withdraws_the_countdown_and_sees_the_chain(client, officer, incident, threat):
    client.force_login(officer)
    assert '<option value="set" selected>' in client.get(url("countdown_revise", incident, threat.pk)).content.decode()
    assert client.post(url("countdown_revise", incident, threat.pk), revision_form()).status_code == 302
    # A countdown runs: what the actor most likely did next is offered first.
    page = client.get(url("countdown_revise", incident, threat.pk)).content.decode()
    assert '<option value="extended" selected>' in page
    response = client.post(
        url("countdown_revise", incident, threat.pk),
        revision_form(
            kind="extended",
            **instant("announced_at", "2025-08-19T08:00"),
            **instant("deadline_at", "2025-08-28T10:00"),
            reason="countdown renewed",
        ),
    )
    assert response.status_code == 302
    body = client.get(response["Location"]).content.decode()
    assert (
        "Countdown revision recorded (Extended: a later deadline): the deadline is now Thu 28 Aug 2025, 10:00 CEST."
        in body
    )

    page = client.get(url("countdown_withdraw", incident, threat.pk)).content.decode()
    assert page.count('<tr class="revision-') == 2  # the chain so far, on the page
    assert "Countdown set" in page and "Extended: a later deadline" in page
    response = client.post(
        url("countdown_withdraw", incident, threat.pk),
        {**instant("announced_at", "2025-08-20T11:00"), "source": "leak site", "reason": "listing removed"},
    )
    assert response.status_code == 302
    assert (
        "Countdown withdrawn, as announced Wed 20 Aug 2025, 11:00 CEST."
        in client.get(response["Location"]).content.decode()
    )
    chain = list(threat.countdown_revisions.order_by("announced_at").values_list("kind", "deadline_at"))
    assert chain == [
        ("set", datetime(2025, 8, 25, 8, 0, tzinfo=UTC)),
        ("extended", datetime(2025, 8, 28, 8, 0, tzinfo=UTC)),
        ("withdrawn", None),
    ]
    withdrawal = threat.countdown_revisions.get(kind="withdrawn").history.get()
    assert (withdrawal.history_user, withdrawal.history_change_reason) == (officer, "listing removed")


def test_a_publication_is_entered_and_shown_in_human_units(client, officer, incident, threat):
    client.force_login(officer)
    page = client.get(url("publication_new", incident)).content.decode()
    assert f'<option value="{threat.pk}" selected>Kraken Collective</option>' in page  # the only threat

    response = client.post(url("publication_new", incident), publication_form(threat=str(threat.pk)))

    assert response.status_code == 302
    publication = Publication.objects.get(incident=incident)
    assert (publication.threat, publication.records_count, publication.size_bytes) == (threat, 53_000, 1_200_000_000)
    assert publication.published_at == datetime(2025, 8, 20, 7, 0, tzinfo=UTC)
    record = publication.history.get()
    assert (record.history_user, record.history_change_reason) == (officer, "seen on the leak site")
    body = client.get(response["Location"]).content.decode()
    assert "Publication recorded: Wed 20 Aug 2025, 09:00 CEST, 53,000 records, 1.2\u00a0GB." in body
    assert "53,000 records" in body and "1.2\u00a0GB" in body  # the table too


def test_the_dutch_interface_reads_and_shows_dutch_numbers(client, officer, incident):
    client.force_login(officer)
    response = client.post(
        url("publication_new", incident),
        publication_form(records_count="53.000", size_bytes="1,2 GB"),
        HTTP_ACCEPT_LANGUAGE="nl",
    )
    assert response.status_code == 302
    publication = Publication.objects.get(incident=incident)
    assert (publication.records_count, publication.size_bytes) == (53_000, 1_200_000_000)
    body = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Publicatie vastgelegd" in body
    assert "53.000 records" in body and "1,2\u00a0GB" in body


def test_an_officer_records_the_risk_reassessment_after_a_publication(client, officer, incident, publication):
    client.force_login(officer)
    detail = client.get(url("detail", incident)).content.decode()
    reassess = url("publication_reassess", incident, publication.pk)
    assert f'href="{reassess}"' in detail
    assert client.get(reassess).status_code == 200

    response = client.post(reassess, {"outcome": "High risk: tell the patients (Art. 34).", "reason": "DPO review"})

    assert response.status_code == 302
    publication.refresh_from_db()
    assert not publication.needs_risk_reassessment
    assert publication.risk_reassessed_by == officer
    record = publication.history.order_by("-history_id").first()
    assert (record.history_user, record.history_change_reason) == (officer, "DPO review")


def test_the_incident_page_links_to_these_pages_and_no_longer_to_the_admin(client, officer, incident, countdown):
    client.force_login(officer)
    body = client.get(url("detail", incident)).content.decode()
    for name in ("threat_new", "publication_new"):
        assert f'href="{url(name, incident)}"' in body
    for name in ("countdown_revise", "countdown_withdraw", "threat_payment", "threat_police", "threat_edit"):
        assert f'href="{url(name, incident, countdown.threat_id)}"' in body
    assert "/admin/incidents/extortioncountdown/" not in body and "/admin/incidents/publication/" not in body


# --- Refusals ---------------------------------------------------------------------------------------


def every_page(incident, threat, publication):
    return [
        (url("threat_new", incident), threat_form()),
        (url("threat_edit", incident, threat.pk), threat_form()),
        (url("threat_payment", incident, threat.pk), {"payment_decision": "undecided", "reason": "r"}),
        (url("threat_police", incident, threat.pk), {"police_reference": "", "reason": "r"}),
        (url("countdown_revise", incident, threat.pk), revision_form()),
        (
            url("countdown_withdraw", incident, threat.pk),
            {**instant("announced_at", "2025-08-20T11:00"), "reason": "r"},
        ),
        (url("publication_new", incident), publication_form()),
        (url("publication_reassess", incident, publication.pk), {"outcome": "low", "reason": "r"}),
    ]


@pytest.mark.parametrize("person", ["lawyer", "viewer"])
def test_only_officers_may_open_or_post_these_pages(client, request, person, incident, threat, publication):
    client.force_login(request.getfixturevalue(person))
    before = counts()
    for address, data in every_page(incident, threat, publication):
        assert client.get(address).status_code == 403, address
        assert client.post(address, data).status_code == 403, address
    assert counts() == before


def test_another_organisation_sees_none_of_these_pages(client, outsider, incident, threat, publication):
    client.force_login(outsider)
    before = counts()
    for address, data in every_page(incident, threat, publication):
        assert client.get(address).status_code == 404, address
        assert client.post(address, data).status_code == 404, address
    assert counts() == before


def test_a_threat_of_another_incident_is_not_found_here(client, officer, lab, incident, threat, now):
    other = services.create_incident(
        organisation=lab,
        title="Lost laptop",
        occurred_from_at=datetime(2025, 7, 3, 22, 0, tzinfo=UTC),
        actor=officer,
        reason="another breach",
    )
    client.force_login(officer)
    before = counts()
    assert client.get(url("countdown_revise", other, threat.pk)).status_code == 404
    assert client.post(url("countdown_revise", other, threat.pk), revision_form()).status_code == 404
    # Nor may another incident's threat be chosen as the publisher.
    response = client.post(url("publication_new", other), publication_form(threat=str(threat.pk)))
    assert response.status_code == 400 and "threat" in response.context["form"].errors
    assert counts() == before


@pytest.mark.parametrize(
    ("name", "data", "field", "message"),
    [
        (
            "threat_new",
            threat_form(**instant("first_contact_at", "2025-03-30T02:30")),
            "first_contact_at",
            "does not exist",
        ),
        (
            "threat_new",
            threat_form(**instant("first_contact_at", "2024-10-27T02:30")),
            "first_contact_at",
            "happens twice",
        ),
        ("threat_new", threat_form(**instant("first_contact_at", "1985-08-17T09:30")), "first_contact_at", "too early"),
        (
            "threat_new",
            threat_form(**instant("first_contact_at", "2025-06-01T09:30")),
            "first_contact_at",
            "before the breach",
        ),
        ("threat_new", threat_form(demand_currency="EUX"), "demand_currency", "not an ISO 4217"),
        ("threat_new", threat_form(demand_amount="lots"), "demand_amount", "Enter an amount"),
        ("threat_new", threat_form(reason=""), "reason", "required"),
        ("countdown_revise", revision_form(**instant("announced_at", "2025-08-21T10:00")), "announced_at", "future"),
        (
            "countdown_revise",
            revision_form(**instant("deadline_at", "2025-08-18T09:00")),
            "deadline_at",
            "after the moment",
        ),
        ("countdown_revise", revision_form(kind="extended"), "kind", "No countdown is running"),
        ("countdown_revise", revision_form(kind="withdrawn"), "kind", "valid choice"),
        (
            "countdown_withdraw",
            {**instant("announced_at", "2025-08-20T11:00"), "reason": "r"},
            None,
            "No countdown is running",
        ),
        ("publication_new", publication_form(size_bytes="1.2"), "size_bytes", "bare number"),
        ("publication_new", publication_form(size_bytes="1.2 GiG"), "size_bytes", "Unknown unit"),
        ("publication_new", publication_form(records_count="53,5"), "records_count", "whole number"),
        ("publication_new", publication_form(location=""), "location", "required"),
    ],
)
def test_a_refused_form_answers_400_on_its_field_and_writes_nothing(
    client, officer, incident, threat, name, data, field, message
):
    client.force_login(officer)
    address = url(name, incident) if name in ("threat_new", "publication_new") else url(name, incident, threat.pk)
    before = counts()

    response = client.post(address, data)

    assert response.status_code == 400
    errors = response.context["form"].errors
    key = field or "__all__"
    assert key in errors and message in " ".join(errors[key]), errors
    assert "Nothing was recorded" in response.content.decode()
    assert counts() == before


def test_an_ambiguous_time_is_accepted_once_its_fold_is_chosen(client, officer, incident, time_machine):
    time_machine.move_to(datetime(2025, 11, 1, 12, 0, tzinfo=UTC), tick=False)  # after the clocks went back
    client.force_login(officer)
    data = threat_form(**instant("first_contact_at", "2025-10-26T02:30", fold="later"))

    response = client.post(url("threat_new", incident), data)

    assert response.status_code == 302
    threat = ExtortionThreat.objects.get(incident=incident)
    assert threat.first_contact_at == datetime(2025, 10, 26, 1, 30, tzinfo=UTC)  # 02:30 CET, the second one


def test_a_second_reassessment_is_refused_on_its_field(client, officer, incident, publication):
    extortion.record_risk_reassessment(publication, outcome="high", actor=officer, reason="first look")
    client.force_login(officer)
    before = counts()
    response = client.post(url("publication_reassess", incident, publication.pk), {"outcome": "again", "reason": "r"})
    assert response.status_code == 400
    assert "already recorded" in " ".join(response.context["form"].errors["outcome"])
    assert counts() == before
