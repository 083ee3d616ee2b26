"""Content-Security-Policy: the header on every page, and nothing inline for it to block.

Two nets: every template file is read for inline scripts, <style> blocks, style= and on…=
attributes (so a new template is held to it before any test visits it), and the pages
themselves are fetched and checked the same way, with their header.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted(
    path
    for pattern in ("templates/**/*.html", "*/templates/**/*.html")
    for path in REPO_ROOT.glob(pattern)
    if ".venv" not in path.parts
)

# A <script> without src= runs inline (a JSON data block, type="application/json", does not).
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)
STYLE_BLOCK = re.compile(r"<style[\s>]", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.IGNORECASE)
EVENT_ATTRIBUTE = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


def inline_content(html: str) -> list[str]:
    found = []
    for name, pattern in [
        ("inline <script>", INLINE_SCRIPT),
        ("<style> block", STYLE_BLOCK),
        ("style= attribute", STYLE_ATTRIBUTE),
        ("on…= event attribute", EVENT_ATTRIBUTE),
        ("javascript: URL", JAVASCRIPT_URL),
    ]:
        found += [f"{name}: {match.group(0)[:80]}" for match in pattern.finditer(html)]
    return found


def test_the_checks_catch_what_they_are_for():
    assert inline_content('<script>alert(1)</script><div style="color:red" onclick="x()"><style>p{}</style>')
    assert inline_content('<a href="javascript:void(0)">x</a>')
    assert not inline_content(
        '<script src="/static/a.js" defer></script><script id="d" type="application/json">{}</script>'
    )


def test_there_are_templates_to_check():
    assert len(TEMPLATES) > 20
    assert REPO_ROOT / "templates" / "base.html" in TEMPLATES


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: str(path.relative_to(REPO_ROOT)))
def test_no_template_has_inline_script_or_style(template):
    assert inline_content(template.read_text(encoding="utf-8")) == []


def assert_strict_policy(response):
    policy = response.headers.get("Content-Security-Policy", "")
    directives = dict((part.strip().split(" ", 1) + [""])[:2] for part in policy.split(";") if part.strip())
    assert directives.get("default-src") == "'self'", policy
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy, policy
    assert directives.get("frame-ancestors") == "'none'", policy
    assert directives.get("style-src") == "'self'", policy
    assert directives.get("script-src", "").startswith("'self'"), policy


@pytest.fixture
def pages(incident, processor_and_controller, plan, officer):
    wave = plan()
    pk = incident.pk
    return [
        reverse("dashboard:home"),
        reverse("incidents:list"),
        reverse("incidents:detail", args=[pk]),
        reverse("incidents:ap_answer_sheet", args=[pk]),
        reverse("incidents:notes", args=[pk]),
        reverse("notifications:inbox"),
        reverse("communications:incident", args=[pk]),
        reverse("communications:upload", args=[wave.pk]),
        reverse("communications:lookup"),
        reverse("evidence:timeline", args=[pk]),
        reverse("evidence:as_of", args=[pk]) + "?at=2025-08-20T11:00:00Z",
        reverse("evidence:as_of_diff", args=[pk]) + "?from=2025-08-20T10:00:00Z&to=2025-08-20T11:00:00Z",
        reverse("accounts:two_factor_enrol"),
        reverse("api:docs"),
    ]


from tests.communications.conftest import (  # noqa: E402,F401 (fixtures)
    assess,
    content,
    controller,
    plan,
)


def test_every_page_sends_the_policy_and_has_nothing_inline(client, officer, pages):
    client.force_login(officer)
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict_policy(response)
        assert inline_content(response.content.decode()) == [], url


def test_the_login_and_lockout_pages_send_the_policy_and_have_nothing_inline(client, officer, settings):
    response = client.get(reverse("accounts:login"))
    assert_strict_policy(response)
    assert inline_content(response.content.decode()) == []
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(reverse("accounts:login"), {"username": officer.username, "password": "wrong"})
    assert response.status_code == 429
    assert_strict_policy(response)
    assert inline_content(response.content.decode()) == []


def test_the_admin_sends_the_policy_too(client, officer):
    client.force_login(officer)
    response = client.get("/admin/")
    assert response.status_code == 200
    assert_strict_policy(response)
