"""The permission matrix, generated from the URL conf: every /api/ route × persona × method.

``ROUTES`` says what each method of each route does. The routes are *found* by walking the URL
conf, so a new route without an entry (or an entry whose route is gone) fails
``test_every_api_route_has_an_entry_in_the_matrix`` — no route can escape the matrix. Each case
then asserts the exact status, and that an outsider's response never contains the incident.
"""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from api.preconditions import etag_of
from api.serializers import IncidentSerializer
from incidents.models import Incident
from tests.api.conftest import REASON, build_lab_world, recipients_csv, session_client, token_client, valid_bsns
from tests.conftest import (
    NOW,
    rolled_back_module_data,
)

# What each method of a route does; a method not named is a 405 for every authenticated caller.
READ_ANY = "read_any"  # any authenticated caller (the schema, the docs)
LIST = "list"  # any authenticated caller, scoped to what it may see
CREATE = "create"  # a privacy officer (of its own organisation)
READ = "read"  # any member of the incident's organisation
WRITE = "write"  # a privacy officer of the incident's organisation
CREATE_IN = "create_in"  # creates under the incident: a privacy officer of its organisation (201)
ACCEPT_IN = "accept_in"  # queues work under the incident: a privacy officer of its organisation (202)
LOOKUP = "lookup"  # any member, in its own organisation (the ledger lookup)
CREATE_PART = "create_part"  # a privacy officer of the incident's organisation adds a record: 201
SHARE_CREATE = "share_create"  # a privacy officer *or legal* of the incident's organisation: 201
SHARE = "share"  # a privacy officer or legal of the incident's organisation: 200
METRICS = "metrics"  # a privacy officer or legal, of its own organisation (an outsider reads its own): 200

ROUTES = {
    "api:schema": {"GET": READ_ANY, "HEAD": READ_ANY},
    "api:docs": {"GET": READ_ANY, "HEAD": READ_ANY},
    "api:incident-list": {"GET": LIST, "HEAD": LIST, "POST": CREATE},
    "api:incident-detail": {"GET": READ, "HEAD": READ, "PUT": WRITE, "PATCH": WRITE},
    "api:incident-deadlines": {"GET": READ, "HEAD": READ},
    "api:incident-parties": {"GET": READ, "HEAD": READ, "POST": CREATE_PART},
    "api:incident-awareness": {"GET": READ, "HEAD": READ, "POST": CREATE_PART},
    "api:incident-estimates": {"GET": READ, "HEAD": READ, "POST": CREATE_PART},
    "api:incident-filing-list": {"GET": READ, "HEAD": READ, "POST": CREATE_IN},
    "api:incident-filing-detail": {"GET": READ, "HEAD": READ},  # a submitted filing never changes
    "api:incident-filing-authority-reference": {"POST": WRITE},
    "api:incident-decision-list": {"GET": READ, "HEAD": READ, "POST": CREATE_IN},
    "api:incident-wave-list": {"GET": READ, "HEAD": READ, "POST": CREATE_IN},
    "api:incident-wave-detail": {"GET": READ, "HEAD": READ, "PATCH": WRITE},
    "api:incident-wave-sent": {"POST": WRITE},
    "api:incident-wave-counts": {"POST": WRITE},
    "api:incident-wave-imports": {"POST": ACCEPT_IN},
    "api:incident-wave-import-detail": {"GET": READ, "HEAD": READ},
    "api:lookup": {"POST": LOOKUP},
}
ROUTES |= {
    "api:incident-register-status": {"POST": WRITE},
    "api:awareness-record-detail": {"GET": READ, "HEAD": READ, "PATCH": WRITE},
    "api:awareness-record-withdraw": {"POST": WRITE},
    "api:incident-evidence-timeline": {"GET": READ, "HEAD": READ},
    "api:incident-evidence-timeline-json": {"GET": READ, "HEAD": READ},
    "api:incident-evidence-timeline-pdf": {"GET": READ, "HEAD": READ},
    "api:incident-evidence-timeline-csv": {"GET": READ, "HEAD": READ},
    "api:incident-evidence-deadlines-ics": {"GET": READ, "HEAD": READ},
    "api:incident-communication-assessments": {"GET": READ, "HEAD": READ, "POST": CREATE_PART},
    "api:incident-communication-content-versions": {"GET": READ, "HEAD": READ, "POST": CREATE_PART},
    "api:content-version-detail": {"GET": READ, "HEAD": READ, "PATCH": WRITE},
    "api:incident-sharing-share-links": {"GET": READ, "HEAD": READ, "POST": SHARE_CREATE},
    "api:share-link-detail": {"GET": READ, "HEAD": READ},
    "api:share-link-revoke": {"POST": SHARE},
}
ROUTES |= {
    "api:authority-list": {"GET": LIST, "HEAD": LIST},  # shared reference data
    "api:authority-detail": {"GET": READ_ANY, "HEAD": READ_ANY},
    "api:party-list": {"GET": LIST, "HEAD": LIST, "POST": CREATE},  # the caller's own directory
    "api:party-detail": {"GET": READ, "HEAD": READ, "PATCH": WRITE},
    "api:incident-evidence-answer-sheet-json": {"GET": READ, "HEAD": READ},
    "api:incident-authority-list": {"GET": READ, "HEAD": READ, "POST": CREATE_IN},
    "api:incident-authority-detail": {"GET": READ, "HEAD": READ},
    "api:incident-processor-relationship-list": {"GET": READ, "HEAD": READ, "POST": CREATE_IN},
    "api:incident-processor-relationship-detail": {"GET": READ, "HEAD": READ},
    "api:incident-processor-notice-list": {"GET": READ, "HEAD": READ, "POST": CREATE_IN},
    "api:incident-processor-notice-detail": {"GET": READ, "HEAD": READ, "PATCH": WRITE},
    "api:incident-threat-list": {"GET": READ, "HEAD": READ, "POST": CREATE_IN},
    "api:incident-threat-detail": {"GET": READ, "HEAD": READ},
    "api:incident-threat-countdown-revision-list": {"GET": READ, "HEAD": READ, "POST": CREATE_IN},
    "api:incident-threat-countdown-revision-detail": {"GET": READ, "HEAD": READ},
    "api:incident-publication-list": {"GET": READ, "HEAD": READ, "POST": CREATE_IN},
    "api:incident-publication-detail": {"GET": READ, "HEAD": READ},
    "api:incident-filing-edpb": {"GET": READ, "HEAD": READ},
    "api:incident-evidence-edpb-json": {"GET": READ, "HEAD": READ},
    "api:metrics": {"GET": METRICS, "HEAD": METRICS},
}
ROUTES |= {  # other notification regimes of an incident (api.regimes)
    "api:incident-regimes-list": {"GET": READ, "HEAD": READ},
    "api:incident-regimes-decisions": {"POST": CREATE_IN},
    "api:incident-regimes-anchors": {"POST": CREATE_IN},
    "api:incident-regimes-determinations": {"POST": CREATE_IN},
    "api:incident-regimes-places": {"POST": CREATE_IN},
    "api:incident-regimes-filings": {"POST": CREATE_IN},
}
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

OWN_WRITERS = {"officer", "officer_token"}
OWN_READERS = OWN_WRITERS | {"legal", "viewer", "viewer_token"}
OUTSIDERS = {"outsider", "outsider_token"}  # a privacy officer of another organisation, by session or token
PERSONAS = sorted(OWN_READERS | OUTSIDERS | {"anonymous"})


def expected_status(kind: str | None, persona: str) -> int:
    if persona == "anonymous":
        return 401
    if kind is None:
        return 405
    if kind in (READ_ANY, LIST, LOOKUP):
        return 200
    if kind == METRICS:
        return 200 if persona in OWN_WRITERS | OUTSIDERS | {"legal"} else 403
    if kind == CREATE:
        return 201 if persona in OWN_WRITERS | OUTSIDERS else 403  # an outsider creates in its own organisation
    if persona in OUTSIDERS:
        return 404  # another organisation's incident: indistinguishable from none
    if kind == READ:
        return 200
    if kind in (SHARE_CREATE, SHARE):
        return (201 if kind == SHARE_CREATE else 200) if persona in OWN_WRITERS | {"legal"} else 403
    success = {CREATE_IN: 201, ACCEPT_IN: 202, CREATE_PART: 201}.get(kind, 200)
    return success if persona in OWN_WRITERS else 403


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}".strip(":") if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}:{entry.name}", prefix + str(entry.pattern), entry


def api_routes() -> dict[str, URLPattern]:
    """Every route under /api/ in the URL conf, by its namespaced name."""
    return {name: pattern for name, path, pattern in _walk(get_resolver().url_patterns) if path.startswith("api/")}


def test_every_api_route_has_an_entry_in_the_matrix():
    found = api_routes()
    assert found, "the walk found no API route: the guard itself is broken"
    assert set(found) == set(ROUTES)


# Routes on a record of the incident, not the incident itself: which record, and its ETag.
TARGETS = {
    "api:awareness-record-detail": lambda parts: parts.awareness,
    "api:awareness-record-withdraw": lambda parts: parts.awareness,
    "api:content-version-detail": lambda parts: parts.content,
    "api:share-link-detail": lambda parts: parts.link,
    "api:share-link-revoke": lambda parts: parts.link,
    "api:authority-detail": lambda parts: parts.second_authority,
    "api:party-detail": lambda parts: parts.directory_party,
}

# Routes on a record under the incident: the keyword arguments of their URL.
NESTED_TARGETS = {
    "api:incident-authority-detail": lambda world, parts: {"pk": parts.incident_authority.pk},
    "api:incident-processor-relationship-detail": lambda world, parts: {"pk": parts.relationship.pk},
    "api:incident-processor-notice-detail": lambda world, parts: {"pk": parts.notice.pk},
    "api:incident-threat-detail": lambda world, parts: {"pk": parts.threat.pk},
    "api:incident-threat-countdown-revision-list": lambda world, parts: {"threat_pk": parts.threat.pk},
    "api:incident-threat-countdown-revision-detail": lambda world, parts: {
        "threat_pk": parts.threat.pk,
        "pk": parts.revision.pk,
    },
    "api:incident-publication-detail": lambda world, parts: {"pk": parts.publication.pk},
}


WHEN = "2025-08-19T08:00:00Z"  # a day before the frozen now, weeks after the breach started


def _part_body(name: str, parts) -> dict | None:
    bodies = {
        "api:incident-parties": lambda: {"party": parts.directory_party.pk, "role": "controller"},
        "api:incident-awareness": lambda: {"party": parts.controller.pk, "aware_at": WHEN, "source": "third_party"},
        "api:incident-estimates": lambda: {
            "measure": "data_subjects",
            "low": 485000,
            "is_approximate": True,
            "known_at": WHEN,
            "source": "forensic report",
        },
        "api:incident-register-status": lambda: {"status": "contained"},
        "api:awareness-record-detail": lambda: {"evidence": "mail of 19 August, 10:02"},
        "api:awareness-record-withdraw": lambda: {"withdrawal_reason": "the mail was about another incident"},
        "api:incident-communication-assessments": lambda: {
            "controller": parts.controller.pk,
            "is_high_risk": True,
            "reasoning": "health data of 485,000 people",
            "decided_by_name": "A. de Vries",
            "decided_by_role": "DPO",
            "decided_at": WHEN,
        },
        "api:incident-communication-content-versions": lambda: {
            "language": "nl",
            "title": "Datalek",
            "text": "Beste deelnemer, ...",
        },
        "api:content-version-detail": lambda: {"title": "Corrected title"},
        "api:incident-sharing-share-links": lambda: {
            "export_kind": "timeline_pdf",
            "recipient": "AP case handler",
            "expires_at": "2025-08-27T12:00:00Z",
        },
        "api:share-link-revoke": lambda: {},
        "api:party-list": lambda: {"name": "Matrix Laboratory Network", "country": "NL"},
        "api:party-detail": lambda: {"contact_email": "privacy@hospital.example"},
        "api:incident-authority-list": lambda: {"authority": parts.second_authority.pk, "role": "concerned"},
        "api:incident-processor-relationship-list": lambda: {
            "processor": parts.processor.pk,
            "controller": parts.controller.pk,
        },
        "api:incident-processor-notice-list": lambda: {
            "relationship": parts.second_relationship.pk,
            "informed_at": WHEN,
            "channel": "email",
            "informed_by": "Lab DPO",
        },
        "api:incident-processor-notice-detail": lambda: {"evidence": "mail of 19 August, 10:02"},
        "api:incident-threat-list": lambda: {
            "actor_name": "Second group",
            "first_contact_at": WHEN,
            "channel": "email",
        },
        "api:incident-threat-countdown-revision-list": lambda: {
            "kind": "extended",
            "announced_at": WHEN,
            "deadline_at": "2025-09-30T10:00:00Z",
        },
        "api:incident-publication-list": lambda: {
            "threat": parts.threat.pk,
            "published_at": WHEN,
            "location": "leak site",
            "records_count": 53000,
        },
    }
    return {**bodies[name](), "reason": REASON} if name in bodies else None


def _pk_of(name: str, key: str, world) -> int:
    """What a URL's keyword names: the incident, or the filing, wave or import job of the route."""
    if key == "incident_pk" or (key == "pk" and name.startswith("api:incident-") and name.count("-") == 1):
        return world.incident.pk
    if key == "wave_pk" or (name.startswith("api:incident-wave-") and not name.startswith("api:incident-wave-import-")):
        return world.wave.pk
    if name.startswith("api:incident-wave-import-"):
        return world.job.pk
    if name.startswith("api:incident-filing-"):
        return world.filing.pk
    return world.incident.pk


def _url(name: str, world, parts) -> str:
    pattern = api_routes()[name]
    if name in NESTED_TARGETS:
        return reverse(name, kwargs={"incident_pk": world.incident.pk, **NESTED_TARGETS[name](world, parts)})
    if name in TARGETS:  # a route on a record of its own (its id), not on the incident
        return reverse(name, kwargs={key: TARGETS[name](parts).pk for key in pattern.pattern.regex.groupindex})
    return reverse(name, kwargs={key: _pk_of(name, key, world) for key in pattern.pattern.regex.groupindex})


def _if_match(name: str, world, parts) -> str:
    from api.art34 import ContentVersionSerializer
    from api.serializers import AwarenessSerializer

    if name.startswith("api:awareness-record-"):
        return etag_of(AwarenessSerializer(type(parts.awareness).objects.get(pk=parts.awareness.pk)).data)
    if name == "api:party-detail":
        from api.directory import DirectoryPartySerializer

        return etag_of(
            DirectoryPartySerializer(type(parts.directory_party).objects.get(pk=parts.directory_party.pk)).data
        )
    if name == "api:incident-processor-notice-detail":
        from api.processors import NoticeSerializer

        return etag_of(NoticeSerializer(type(parts.notice).objects.get(pk=parts.notice.pk)).data)
    if name.startswith("api:content-version-"):
        return etag_of(ContentVersionSerializer(type(parts.content).objects.get(pk=parts.content.pk)).data)
    if name.startswith("api:incident-wave-"):
        from api.communications import WaveSerializer
        from communications.models import CommunicationWave

        return etag_of(WaveSerializer(CommunicationWave.objects.get(pk=world.wave.pk)).data)
    return etag_of(IncidentSerializer(Incident.objects.get(pk=world.incident.pk)).data)


MULTIPART = {"api:incident-wave-imports"}


def _nested_body(name: str, world) -> dict | None:
    """A realistic, valid body for each POST and PATCH under an incident (None: not such a route)."""
    now = timezone.now()
    return {
        "api:incident-filing-list": {
            "controller": world.controller.pk,
            "authority": world.authority.pk,
            "filing_type": "follow_up",
            "submitted_at": (now - timedelta(minutes=5)).isoformat(),
            "channel": "ap_form",
            "reason": REASON,
        },
        "api:incident-filing-authority-reference": {"authority_reference": "AP-2025-0815", "reason": REASON},
        "api:incident-decision-list": {
            "controller": world.second_controller.pk,
            "decided_at": (now - timedelta(minutes=5)).isoformat(),
            "risk_basis": "unlikely_risk",
            "reasoning": "Only pseudonymised lab numbers of this hospital.",
            "reason": REASON,
        },
        "api:incident-wave-list": {
            "controller": world.controller.pk,
            "content_version": world.content.pk,
            "cohort_label": "participants 2018",
            "channel": "letter",
            "planned_at": now.isoformat(),
            "reason": REASON,
        },
        "api:incident-wave-detail": {"cohort_label": "participants 2017 (north)", "reason": REASON},
        "api:incident-wave-sent": {"sent_at": (now - timedelta(minutes=1)).isoformat(), "reason": REASON},
        "api:incident-wave-counts": {"planned_count": 1200, "reason": REASON},
        "api:incident-wave-imports": {
            "file": SimpleUploadedFile(
                "participants.csv", recipients_csv(3, start=200_000_000), content_type="text/csv"
            ),
            "reason": REASON,
        },
        "api:lookup": {"kind": "bsn", "identifier": valid_bsns(1)[0]},
        "api:incident-regimes-decisions": {
            "regime": "uk_gdpr",
            "applies": False,
            "reasoning": "EU only",
            "reason": REASON,
        },
        "api:incident-regimes-anchors": {"kind": "detection", "occurred_at": WHEN, "reason": REASON},
        "api:incident-regimes-determinations": {"name": "significant", "value": True, "reason": REASON},
        "api:incident-regimes-places": {"counts": {"NL": 485000}, "as_of": WHEN, "reason": REASON},
        "api:incident-regimes-filings": {  # NIS2 is confirmed in matrix_parts
            "regime": "nis2",
            "report": "early_warning",
            "submitted_at": (now - timedelta(minutes=5)).isoformat(),
            "reason": REASON,
        },
    }.get(name)


def _body(name: str, method: str, world, parts) -> dict:
    incident = world.incident
    nested = _nested_body(name, world)
    if nested is not None:
        return nested
    if (body := _part_body(name, parts)) is not None:
        return body
    if method == "POST":
        return {"title": "Made by the matrix", "reason": REASON}
    if method == "PUT":
        data = IncidentSerializer(Incident.objects.get(pk=incident.pk)).data
        writable = {key: value for key, value in data.items() if not IncidentSerializer().fields[key].read_only}
        return {**writable, "title": "Replaced by the matrix", "reason": REASON}
    return {"title": f"Changed by the matrix ({method})", "reason": REASON}


@pytest.fixture(scope="module")
def matrix_data(django_db_setup, django_db_blocker):
    """The personas, the world (tests/api/conftest.py) and one record of each kind, made through
    the services once for the module (tests/conftest.py, ``rolled_back_module_data``): the same
    ~40 service calls ran before each of the ~470 tests, some 70 % of the module's time."""

    def build():
        personas, world, _admin_actor = build_lab_world(NOW)
        lab, officer = personas["lab"], personas["officer"]
        return {
            "personas": personas,
            "world": world,
            "parts": build_matrix_parts(world.incident, lab, officer, NOW, world),
        }

    yield from rolled_back_module_data(django_db_blocker, build)


@pytest.fixture
def matrix(matrix_data, db, now):
    """This test's copy of the module's data (as ``setUpTestData`` gives each test its own copies):
    what one test does to these Python objects never reaches the next."""
    return copy.deepcopy(matrix_data)


def build_matrix_parts(incident, lab, officer, now, world):
    """One record of each kind the routes act on, made through the services."""
    from datetime import timedelta
    from types import SimpleNamespace

    from actions import communications as communication_services
    from actions import extortion as extortion_services
    from actions import incidents as services
    from actions import regimes as regime_services
    from actions import sharing as access_services
    from organisations import services as org_services
    from organisations.models import Authority

    reason = "matrix set-up"
    processor = incident.parties.get(role="processor")
    relationship = incident.processing_relationships.get(controller=world.controller)
    services.record_awareness(
        incident,
        party=processor,
        aware_at=now - timedelta(days=3),
        source="own_detection",
        actor=officer,
        reason=reason,
    )
    second_relationship = services.link_processor(
        incident, processor=processor, controller=world.second_controller, actor=officer, reason=reason
    )
    threat = extortion_services.record_threat(
        incident,
        actor_name="Nova",
        first_contact_at=now - timedelta(days=3),
        channel="leak_site",
        actor=officer,
        reason=reason,
    )
    extra = SimpleNamespace(
        processor=processor,
        second_authority=Authority.objects.get(code="be-gba"),
        incident_authority=incident.authorities.get(),
        relationship=relationship,
        second_relationship=second_relationship,
        # The controller's awareness from its processor (the world) is this notice: one, never two.
        notice=relationship.notices.first()
        or services.record_processor_notice(
            relationship,
            informed_at=now - timedelta(days=2),
            channel="email",
            informed_by="Lab DPO",
            actor=officer,
            reason=reason,
        ),
        threat=threat,
        revision=extortion_services.revise_countdown(
            threat,
            kind="set",
            announced_at=now - timedelta(days=3),
            deadline_at=now + timedelta(days=7),
            actor=officer,
            reason=reason,
        ),
        publication=extortion_services.record_publication(
            incident, published_at=now - timedelta(days=1), location="leak site", actor=officer, reason=reason
        ),
    )
    services.update_incident(incident, contained_at=now - timedelta(days=1), actor=officer, reason=reason)
    regime_services.decide_regime(
        incident, regime="nis2", applies=True, reasoning="essential entity", actor=officer, reason=reason
    )
    controller = services.add_party(
        incident,
        party=org_services.create_party(lab, name="Matrix Programme", country="NL", actor=officer, reason=reason),
        role="controller",
        actor=officer,
        reason=reason,
    )
    return SimpleNamespace(
        **vars(extra),
        controller=controller,
        directory_party=org_services.create_party(
            lab, name="Matrix Hospital", country="NL", actor=officer, reason=reason
        ),
        awareness=services.record_awareness(
            incident,
            party=controller,
            aware_at=now - timedelta(days=2),
            source="own_detection",
            actor=officer,
            reason=reason,
        ),
        content=communication_services.create_content_version(
            incident,
            language="en",
            title="Data breach",
            text="Dear participant, ...",
            actor=officer,
            reason=reason,
        ),
        link=access_services.create_share_link(
            incident,
            export_kind="timeline_json",
            recipient="AP",
            expires_at=now + timedelta(days=7),
            actor=officer,
            reason=reason,
        ).link,
    )


@pytest.fixture
def client_for(matrix, make_token):
    personas = matrix["personas"]
    lab, other_org = personas["lab"], personas["other_org"]
    officer, outsider = personas["officer"], personas["outsider"]

    def make(persona):
        if persona == "anonymous":
            return APIClient()
        if persona.endswith("_token"):
            user, organisation, role = {
                "officer_token": (officer, lab, "privacy_officer"),
                "viewer_token": (officer, lab, "viewer"),  # an officer's read-only token: the token's role wins
                "outsider_token": (outsider, other_org, "privacy_officer"),
            }[persona]
            return token_client(make_token(user, organisation, role).secret)
        return session_client(personas[persona])

    return make


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", sorted(ROUTES))
def test_each_method_of_each_route_answers_each_persona_as_the_matrix_says(name, persona, client_for, matrix):
    world, parts = matrix["world"], matrix["parts"]
    client = client_for(persona)
    incident = world.incident
    url = _url(name, world, parts)
    wrong = []
    for method in METHODS:
        kind = ROUTES[name].get(method)
        fresh = Incident.objects.get(pk=incident.pk)
        headers = {"HTTP_IF_MATCH": _if_match(name, world, parts)}
        body = _body(name, method, world, parts) if method in ("POST", "PUT", "PATCH") else None
        body_format = "multipart" if name in MULTIPART else "json"
        response = (
            getattr(client, method.lower())(url, body, format=body_format, **headers)
            if body
            else (client.generic(method, url, **headers))
        )
        if response.status_code != expected_status(kind, persona):
            wrong.append(f"{method} {url}: {response.status_code}, expected {expected_status(kind, persona)}")
        if persona in OUTSIDERS:
            # (not the reference: numbering is per organisation, so an outsider's own incident may share it)
            assert fresh.title not in response.content.decode(), f"{method} {url} leaks the incident"
    assert not wrong, "\n".join(wrong)
