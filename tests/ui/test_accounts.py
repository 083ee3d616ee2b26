"""Our login page, two-factor enrolment and the API docs, in Chromium under the real CSP."""

from __future__ import annotations

from base64 import b32decode

from django_otp.oath import totp

from tests.ui.conftest import log_in


def csp_violations(page) -> list[str]:
    messages = []
    page.on(
        "console", lambda message: messages.append(message.text) if "Content Security Policy" in message.text else None
    )
    return messages


def test_the_api_docs_work_under_the_content_security_policy(page, live_server, demo_officer):
    violations = csp_violations(page)
    log_in(page, live_server, demo_officer.username)
    page.goto(live_server.url + "/api/docs/")
    page.locator(".swagger-ui .info .title").filter(has_text="BreachTrack API").wait_for()
    page.locator(".opblock-tag", has_text="incidents").first.wait_for()
    page.shots.take("api-docs")
    assert violations == []


def test_an_officer_whose_organisation_requires_two_factor_sets_it_up_on_first_login(page, live_server, demo_officer):
    from breachtrack.history import system_actor
    from organisations import services as org_services

    lab = demo_officer.memberships.get().organisation
    org_services.update_organisation(
        lab, requires_two_factor=True, actor=system_actor("browser tests"), reason="policy"
    )
    violations = csp_violations(page)

    page.goto(live_server.url + "/")
    page.get_by_label("Username").fill(demo_officer.username)
    page.get_by_label("Password").fill("demo password for the browser tests")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/accounts/two-factor/set-up/**")
    assert page.locator(".qr svg").is_visible()
    page.shots.take("enrolment")
    secret = page.locator(".otp-secret").inner_text().replace(" ", "")
    key = b32decode(secret + "=" * (-len(secret) % 8))
    page.get_by_label("Code from your authenticator app").fill(f"{totp(key, step=30, t0=0, digits=6):06d}")
    page.get_by_role("button", name="Confirm and turn on").click()
    page.wait_for_url(live_server.url + "/")
    page.get_by_role("heading", level=1).first.wait_for()
    page.shots.take("dashboard-after-enrolment")
    assert violations == []
