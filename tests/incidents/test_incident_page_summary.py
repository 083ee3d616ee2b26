"""The incident page opens on who is waiting for what, and lets a reader jump to each section."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from actions import incidents as services

pytestmark = pytest.mark.django_db


@pytest.fixture
def aware_programme(incident, processor_and_controller, officer, now):
    _processor, controller, _relationship = processor_and_controller
    services.record_awareness(
        incident,
        party=controller,
        aware_at=now - timedelta(hours=70),
        source="own_detection",
        actor=officer,
        reason="we found it",
    )
    return controller


def test_the_page_says_who_is_waiting_for_what_nearest_first(client, officer, incident, aware_programme):
    client.force_login(officer)

    response = client.get(reverse("incidents:detail", args=[incident.pk]))

    assert response.status_code == 200
    actions = response.context["page"].next_actions
    texts = [action.text for action in actions]
    assert texts[0] == "The supervisory authority is waiting for the notification for National Screening Programme."
    assert actions[0].due_at == datetime(2025, 8, 20, 14, 0, tzinfo=UTC)  # aware 70 h before 12:00 UTC
    assert [a.due_at for a in actions if a.due_at] == sorted(a.due_at for a in actions if a.due_at)
    body = response.content.decode()
    assert body.index("Who is waiting for what") < body.index('id="parties-h"')


def test_the_page_lists_its_sections_to_jump_to_and_each_exists(client, lawyer, incident, aware_programme):
    client.force_login(lawyer)

    body = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()

    for anchor in ("parties", "affected", "filings", "art34", "timeline", "register-facts"):
        assert f'href="#{anchor}"' in body and f'id="{anchor}"' in body


def test_legal_reads_the_history_in_the_product_not_the_admin(client, lawyer, incident):
    client.force_login(lawyer)

    body = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()

    assert "/admin/" not in body.split('id="actions-h"')[1].split("</nav>")[0]
    assert reverse("evidence:timeline", args=[incident.pk]) + "?kind=change" in body


def test_in_dutch_the_waiting_sentence_is_dutch(client, officer, incident, aware_programme):
    client.force_login(officer)
    client.cookies["django_language"] = "nl"

    response = client.get(reverse("incidents:detail", args=[incident.pk]), HTTP_ACCEPT_LANGUAGE="nl")

    assert "Wie wacht waarop" in response.content.decode()
