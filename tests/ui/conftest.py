"""Browser tests: Playwright for Python driving Debian's Chromium against pytest-django's live server.

* **The browser is the machine's Chromium** (``/usr/bin/chromium``, Debian's package, which
  scripts/test installs when it is missing), never one Playwright downloads: there is no
  ``playwright install`` anywhere. ``BREACHTRACK_CHROMIUM`` points elsewhere (a developer's own
  Chromium). Without it these tests FAIL with a message saying how to install it; they never skip,
  in CI or anywhere else.
* **The live server** (pytest-django's ``live_server``, one per session, threaded) makes every
  test that uses it transactional: its data is committed so the server's threads see it, and the
  tables are flushed afterwards. On SQLite the test database is in memory and Django hands the
  test thread's one connection to the server thread, so the test must not query while a page
  loads: each test builds its data first, then only drives the browser (base.html's empty icon
  link keeps Chromium from asking for /favicon.ico behind our back). On PostgreSQL each request
  thread opens and closes its own connection.
* **Playwright's sync API runs an event loop** in the test thread, where Django refuses ORM calls
  (SynchronousOnlyOperation); ``DJANGO_ALLOW_ASYNC_UNSAFE`` is set only while a browser is open,
  and the tests make no ORM call while one is.
* **Screenshots** go to ``test-artifacts/ui/<sqlite|postgresql>/`` (git-ignored), one per step,
  named after the test, and also when a test fails: CI keeps them as artefacts.
"""

from __future__ import annotations

import os
import re
import time
from datetime import timedelta
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("BREACHTRACK_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "ui"
PASSWORD = "demo password for the browser tests"


def _chromium_or_fail() -> str:
    if os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    pytest.fail(
        f"Chromium not found at {CHROMIUM}. The browser tests need Debian's Chromium: scripts/test installs it "
        "(apt-get install --no-install-recommends chromium, as root), or set BREACHTRACK_CHROMIUM to a Chromium "
        "binary. They are never skipped.",
        pytrace=False,
    )


@pytest.fixture(scope="module")
def browser():
    path = _chromium_or_fail()
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        # Playwright adds --no-sandbox by default (chromiumSandbox=False): CI runs as root.
        launched = playwright.chromium.launch(executable_path=path, headless=True)
        yield launched
        launched.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class Shots:
    """Numbered screenshots of one test under test-artifacts/ui/."""

    def __init__(self, page, name: str):
        from django.db import connection  # the vendor only: no query

        self.page, self.name, self.count = page, re.sub(r"[^A-Za-z0-9_.-]+", "-", name), 0
        self.folder = ARTIFACTS / connection.vendor  # the SQLite and PostgreSQL runs keep their own
        self.folder.mkdir(parents=True, exist_ok=True)

    def take(self, label: str, **options) -> Path:
        self.count += 1
        path = self.folder / f"{self.name}-{self.count:02d}-{label}.png"
        (options.pop("locator", None) or self.page).screenshot(path=str(path), **options)
        assert path.stat().st_size > 0
        return path


@pytest.fixture
def page(browser, request):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-GB", timezone_id="Europe/Amsterdam"
    )
    context.set_default_timeout(15_000)
    opened = context.new_page()
    errors = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.shots = Shots(opened, request.node.name)
    yield opened
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        opened.shots.take("failed", full_page=True)
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call = report  # the page fixture screenshots a failed test before closing
    return report


@pytest.fixture
def demo_officer(live_server):
    """Like the demo (ops/demo.py): the laboratory's privacy officer, with a password.

    Requesting ``live_server`` first makes the test transactional before anything is written.
    """
    from breachtrack.history import system_actor
    from organisations import services as org_services
    from organisations.models import Role

    admin = system_actor("browser tests")
    lab = org_services.create_organisation(
        name="Demo Diagnostics Laboratory B.V.", country="NL", actor=admin, reason="browser test persona"
    )
    officer = org_services.create_user(
        username="officer@demo.example",
        email="officer@demo.example",
        password=PASSWORD,
        first_name="Eva",
        last_name="Voorbeeld",
        actor=admin,
        reason="browser test persona",
    )
    org_services.add_member(lab, officer, role=Role.PRIVACY_OFFICER, actor=admin, reason="browser test persona")
    return officer


@pytest.fixture
def demo_board(demo_officer):
    """Three open incidents of the laboratory whose clocks stand in different places, and a healthy
    sweep. Times are real (the browser's clock is), so every instant is relative to now."""
    from django.utils import timezone

    from notifications.models import SweepHeartbeat
    from tests.dashboard.conftest import open_incident, set_countdown

    now = timezone.now().replace(microsecond=0)
    lab = demo_officer.memberships.get().organisation
    hours = timedelta(hours=1)
    ransomware = open_incident(
        lab, demo_officer, title="Ransomware at the laboratory", aware_ago=10 * hours, now=now, risk_level="high"
    )
    set_countdown(
        ransomware, demo_officer, announced_at=now - 20 * hours, deadline_at=now + 5 * hours, actor_name="Nova"
    )
    open_incident(
        lab,
        demo_officer,
        title="Results letter sent to the wrong address",
        aware_ago=80 * hours,
        now=now,
        risk_level="risk",
    )
    open_incident(lab, demo_officer, title="Stolen laptop", aware_ago=60 * hours, now=now)
    SweepHeartbeat.objects.create(pk=1, last_sweep_at=now + timedelta(minutes=10))  # no banner while the test runs
    return {"now": now, "ransomware_due": now + 62 * hours, "overdue_by": 8 * hours}


def next_text(locator, before: str, within: float = 1.1) -> str:
    """The locator's text once it is no longer ``before`` (a countdown's next tick), polled instead
    of waiting a fixed ``within`` seconds; after ``within`` s, whatever it says then."""
    end = time.monotonic() + within
    while (text := locator.inner_text()) == before and time.monotonic() < end:
        locator.page.wait_for_timeout(50)  # lets Playwright's event loop run, unlike time.sleep
    return text


def log_in(page, live_server, username: str, password: str = PASSWORD) -> None:
    """Through the login form, as a person does: the dashboard sends an anonymous visitor there."""
    page.goto(live_server.url + "/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(live_server.url + "/")
