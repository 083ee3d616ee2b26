"""Shared personas: two organisations, an officer, a lawyer, a viewer, an outsider.

Everything is created through the services, as in production, so the fixtures
themselves exercise the history guard.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
import time_machine
from django.conf import settings as django_settings
from django.db import transaction
from django.test import override_settings
from django.utils import translation
from hypothesis import settings as hypothesis_settings

from breachtrack.history import acting_as, system_actor
from organisations import services as org_services
from organisations.models import Authority, Role

UTC = UTC

# CI runs the property tests with a fixed seed: a red build must be reproducible from its log,
# and a gate must not turn red on an example no developer has seen. Locally they explore freely
# (and keep what they find in .hypothesis/).
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI") == "true":
    hypothesis_settings.load_profile("ci")


def pytest_collection_modifyitems(config, items):
    """In the SQLite run, leave out the tests that are about PostgreSQL or Redis; in the
    PostgreSQL run, the tests marked ``database_independent``.

    They are *deselected* (reported as such), not skipped: scripts/test runs the first in its
    PostgreSQL + Redis pass, where a missing server fails them, and the second in its SQLite pass.
    A ``database_independent`` test touches neither pytest-django's test database nor anything
    DATABASE_URL, CELERY_BROKER_URL or BREACHTRACK_TEST_REDIS_URL choose (mypy, import-linter,
    the message catalogue, the end-to-end tests on their own SQLite and filesystem broker), so a
    second run in the PostgreSQL pass would repeat the first exactly, minutes of CI for nothing.
    """
    on_postgresql = os.environ.get("DATABASE_URL", "").startswith("postgres")
    keep, drop = [], []
    for item in items:
        needs_service = item.get_closest_marker("postgres") or item.get_closest_marker("redis")
        ran_in_the_sqlite_pass = item.get_closest_marker("database_independent")
        leave_out = ran_in_the_sqlite_pass if on_postgresql else needs_service
        (drop if leave_out else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
    _group_modules_sharing_expensive_fixtures(items)
    _start_with_the_tests_outside_the_test_database(items)


# Module-scoped fixtures that are slow to set up: a Chromium (tests/ui), a migrated throw-away
# PostgreSQL database (tests/e2e).
EXPENSIVE_MODULE_FIXTURES = {"browser", "migrated_postgres"}


def _group_modules_sharing_expensive_fixtures(items):
    """Under ``--dist loadgroup`` (scripts/test) a module's tests that use one of them stay on one
    xdist worker, which sets the fixture up once; every other test is spread one by one."""
    for item in items:
        if EXPENSIVE_MODULE_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::", 1)[0]))


def _uses_the_test_database(item) -> bool:
    """What pytest-django's own ordering counts as a database test (a Django test case class, the
    django_db mark, or one of its database fixtures anywhere among the test's fixtures)."""
    from django.test import TransactionTestCase

    test_class = getattr(item, "cls", None)
    fixtures = getattr(item, "fixturenames", ())
    return bool(
        (test_class is not None and issubclass(test_class, TransactionTestCase))
        or item.get_closest_marker("django_db")
        or {"db", "transactional_db", "live_server"}.intersection(fixtures)
    )


def _start_with_the_tests_outside_the_test_database(items):
    """Run first the tests that never touch pytest-django's test database, the end-to-end tests
    (tests/e2e: their own processes, databases and Redis, minutes of waiting for beats and
    deadlines) leading; then the rest in pytest-django's order (transactional tests, which flush
    the tables, after the others).

    pytest-django (tryfirst, so before this hook) puts these tests last, after the transactional
    ones. That order matters only for tests that share the test database, which these do not. At
    the end, under ``--dist loadgroup`` (scripts/test), the e2e module groups ran on one worker
    while the other worker, out of work, stood idle; at the start they run beside the one-by-one
    tests. The sort is stable and the same in every xdist worker, so their collections agree."""
    items.sort(key=lambda item: (_uses_the_test_database(item), not item.nodeid.startswith("tests/e2e/")))


NOW = datetime(2025, 8, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def now(time_machine):
    """Freeze time at a moment in the real case (20 August 2025, 14:00 Amsterdam)."""
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture
def admin_actor(db):
    return system_actor("tests")


@pytest.fixture
def superuser(admin_actor):
    """An installation administrator. Superusers come from createsuperuser, never from a service."""
    from organisations.models import User

    with acting_as(admin_actor, "test persona"):
        return User.objects.create_superuser("root", "root@breachtrack.example", "correct horse battery staple")


def member(org, username, role, admin_actor):
    """A user of ``org`` with ``role``, made through the services (the personas below)."""
    user = org_services.create_user(
        username=username,
        email=username,
        password="correct horse battery staple",
        actor=admin_actor,
        reason="test persona",
    )
    org_services.add_member(org, user, role=role, actor=admin_actor, reason="test persona")
    return user


def make_lab(admin_actor):
    """The processor that suffered the breach (a tenant)."""
    return org_services.create_organisation(
        name="Example Diagnostics B.V.",
        country="NL",
        registration_number="12345678",
        dpo_email="dpo@lab.example",
        actor=admin_actor,
        reason="test persona",
    )


def make_other_org(admin_actor):
    """Another tenant that must never see the lab's data."""
    return org_services.create_organisation(
        name="Elsewhere Hospital", country="NL", actor=admin_actor, reason="test persona"
    )


@pytest.fixture
def lab(admin_actor):
    return make_lab(admin_actor)


@pytest.fixture
def other_org(admin_actor):
    return make_other_org(admin_actor)


@pytest.fixture
def officer(lab, admin_actor):
    return member(lab, "officer@lab.example", Role.PRIVACY_OFFICER, admin_actor)


@pytest.fixture
def lawyer(lab, admin_actor):
    return member(lab, "legal@lab.example", Role.LEGAL, admin_actor)


@pytest.fixture
def viewer(lab, admin_actor):
    return member(lab, "viewer@lab.example", Role.VIEWER, admin_actor)


@pytest.fixture
def outsider(other_org, admin_actor):
    """A privacy officer of another organisation."""
    return member(other_org, "officer@elsewhere.example", Role.PRIVACY_OFFICER, admin_actor)


@pytest.fixture
def dutch_ap(db):
    return seeded_dutch_ap()


def seeded_dutch_ap():
    """The seeded AP; re-seeded through the service when a transactional test flushed it
    (flush empties every table, the seed migration's rows included)."""
    authority = Authority.objects.filter(code="nl-ap").first()
    if authority is None:
        authority = org_services.save_authority(
            None,
            code="nl-ap",
            name="Autoriteit Persoonsgegevens",
            country="NL",
            notification_url="https://www.autoriteitpersoonsgegevens.nl/",
            actor=system_actor("tests"),
            reason="re-seed the reference data a transactional test flushed",
        )
    return authority


@pytest.fixture
def incident(lab, officer, now):
    return make_incident(lab, officer)


def make_incident(lab, officer):
    """The ransomware incident of the real case, reported by the lab's officer (time frozen at NOW)."""
    from actions import incidents as services

    return services.create_incident(
        organisation=lab,
        title="Ransomware at the laboratory",
        occurred_from_at=datetime(2025, 7, 3, 22, 0, tzinfo=UTC),
        actor=officer,
        reason="first report",
    )


@pytest.fixture
def processor_and_controller(incident, lab, officer):
    return link_processor_and_controller(incident, lab, officer)


def link_processor_and_controller(incident, lab, officer):
    """The lab as processor, a screening programme as controller, linked."""
    from actions import incidents as services

    programme_party = org_services.create_party(
        lab, name="National Screening Programme", country="NL", actor=officer, reason="directory"
    )
    processor = services.add_party(
        incident, party=lab.parties.get(is_self=True), role="processor", actor=officer, reason="parties"
    )
    controller = services.add_party(incident, party=programme_party, role="controller", actor=officer, reason="parties")
    relationship = services.link_processor(
        incident, processor=processor, controller=controller, actor=officer, reason="dpa"
    )
    return processor, controller, relationship


@pytest.fixture(autouse=True)
def _language_starts_as_configured():
    """Each test starts in the configured language and leaves none behind.

    A test-client request runs LocaleMiddleware in the test's own thread, and
    the middleware activates the requester's language without restoring it; a
    test that then reads a label would see Dutch or English depending on which
    test ran before it on the same worker.
    """
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2's cost protects real passwords; tests only need a hash that verifies."""
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS


def lab_personas(admin_actor):
    """``lab``, ``other_org`` and the four personas of the fixtures above, made the same way."""
    lab, other_org = make_lab(admin_actor), make_other_org(admin_actor)
    return {
        "lab": lab,
        "other_org": other_org,
        "officer": member(lab, "officer@lab.example", Role.PRIVACY_OFFICER, admin_actor),
        "legal": member(lab, "legal@lab.example", Role.LEGAL, admin_actor),
        "viewer": member(lab, "viewer@lab.example", Role.VIEWER, admin_actor),
        "outsider": member(other_org, "officer@elsewhere.example", Role.PRIVACY_OFFICER, admin_actor),
    }


def rolled_back_module_data(django_db_blocker, build):
    """For a module-scoped fixture (``yield from``): ``build()``'s data, made once for the module
    inside a transaction that is rolled back when the module is done, as Django's
    ``TestCase.setUpTestData`` does. Each test still runs in its own transaction (pytest-django's
    ``db``), a savepoint inside this one, rolled back after the test: every test starts from
    exactly this data and none sees another's writes. Give each test ``copy.deepcopy`` of the
    objects (as setUpTestData does), so what one test does to them never reaches the next.

    While ``build`` runs, time stands at NOW (the ``now`` fixture) and passwords use the tests'
    fast hasher (``_fast_password_hashing``): function-scoped fixtures a module fixture cannot use.
    The tests that use the data request ``db`` (and ``now``) as usual."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with time_machine.travel(NOW, tick=False), override_settings(PASSWORD_HASHERS=FAST_PASSWORD_HASHERS):
                data = build()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    try:
        yield data
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
