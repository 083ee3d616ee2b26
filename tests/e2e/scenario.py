"""Data for the end-to-end runs, created through the real services inside a subprocess.

Run by the harness as ``manage.py shell -c "from tests.e2e.scenario import main; main(...)"``
against the database the worker uses, so the rows, their history and their deadlines are made
exactly as the application makes them. The result is printed as one line starting with
``RESULT_MARK`` for the harness to read back (the shell may print other things).
"""

from __future__ import annotations

import json
from datetime import timedelta

from django.utils import timezone

RESULT_MARK = "E2E-RESULT: "


def incident_with_clocks_due_in(leads: list[float], *, tag: str) -> list[dict]:
    """One incident with one controller per lead, whose Art. 33(1) clock falls due ``lead`` s from now.

    Steps: a tenant and its privacy officer; an incident; per lead a controller party aware
    ``72h - lead`` ago (``record_awareness`` recomputes the deadline row in the same transaction).
    Each clock has passed its 'before:1h' threshold already, so its first alert is due at once
    and its 'due' alert falls ``lead`` seconds ahead. Returns ``[{deadline, due_at}]``.
    """
    from actions import incidents as services
    from breachtrack.history import system_actor
    from notifications.models import Deadline
    from organisations import services as org_services
    from organisations.models import Role

    admin = system_actor("e2e")
    organisation = org_services.create_organisation(name=f"E2E {tag}", country="NL", actor=admin, reason="e2e")
    officer = org_services.create_user(
        username=f"officer-{tag}@e2e.example",
        email=f"officer-{tag}@e2e.example",
        password=None,
        actor=admin,
        reason="e2e",
    )
    org_services.add_member(organisation, officer, role=Role.PRIVACY_OFFICER, actor=admin, reason="e2e")
    now = timezone.now()
    incident = services.create_incident(
        organisation=organisation,
        title=f"E2E {tag}",
        occurred_from_at=now - timedelta(hours=80),
        actor=officer,
        reason="e2e",
    )
    rows = []
    for n, lead in enumerate(leads):
        party = org_services.create_party(
            organisation, name=f"Controller {n}", country="NL", actor=officer, reason="e2e"
        )
        controller = services.add_party(incident, party=party, role="controller", actor=officer, reason="e2e")
        aware_at = timezone.now() - timedelta(hours=72) + timedelta(seconds=lead)
        services.record_awareness(
            incident, party=controller, aware_at=aware_at, source="own_detection", actor=officer, reason="e2e"
        )
        deadline = Deadline.objects.get(party=controller, kind="authority_notification")
        rows.append({"deadline": deadline.pk, "due_at": deadline.due_at.isoformat()})
    return rows


def api_officer(*, tag: str, organisations: int = 1) -> list[dict]:
    """``organisations`` tenants, each with a privacy officer holding an API token valid for a day.

    Returns ``[{"organisation": id, "token": secret, "own_party": id}]``: what an integration is
    given to talk to the API (``Authorization: Bearer <token>``), and the organisation's own entry
    in its party directory (to name it a party to an incident).
    """
    from api import tokens
    from breachtrack.history import system_actor
    from organisations import services as org_services
    from organisations.models import Role

    admin = system_actor("e2e")
    result = []
    for n in range(organisations):
        organisation = org_services.create_organisation(name=f"API {tag} {n}", country="NL", actor=admin, reason="e2e")
        officer = org_services.create_user(
            username=f"api-{tag}-{n}@e2e.example",
            email=f"api-{tag}-{n}@e2e.example",
            password=None,
            actor=admin,
            reason="e2e",
        )
        org_services.add_member(organisation, officer, role=Role.PRIVACY_OFFICER, actor=admin, reason="e2e")
        secret = tokens.create_api_token(
            organisation=organisation,
            user=officer,
            role=Role.PRIVACY_OFFICER,
            name=f"e2e {tag}",
            expires_at=timezone.now() + timedelta(days=1),
            actor=admin,
            reason="e2e",
        ).secret
        own = organisation.parties.get(is_self=True).pk
        result.append({"organisation": organisation.pk, "token": secret, "own_party": own})
    return result


def main(function: str, **kwargs) -> None:
    print(RESULT_MARK + json.dumps(globals()[function](**kwargs)))
