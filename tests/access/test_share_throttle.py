"""Share links are throttled: per address on refused guesses, per link on downloads; all logged.

The limits count rows of the access log stamped by the *database's* clock, and measure the
window with that clock too, so time-machine (which moves Python's clock only) cannot make a
window pass. The tests that need one to pass use a window of a few seconds and wait it out
(polling, at most the announced Retry-After), on SQLite and PostgreSQL alike; the arithmetic itself is tested as a pure function.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from access import throttle
from access.choices import AccessOutcome, ExportKind, RefusalReason
from access.log import token_hash
from access.models import AccessLog
from actions import sharing as services
from tests.e2e.stack import wait_until
from tests.test_settings import manage

GUESSER = "203.0.113.66"
REGULATOR = "198.51.100.7"
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def share_url(token):
    return reverse("access:share", args=[token])


def guess(client, n=0, ip=GUESSER):
    return client.get(share_url(f"guessed-token-{n:04d}-abcdefghijklmnopqrstuvwxyz0123"), REMOTE_ADDR=ip)


@pytest.fixture
def limits(db, settings):
    settings.BREACHTRACK_SHARE_MAX_REFUSALS_PER_ADDRESS = 3
    settings.BREACHTRACK_SHARE_REFUSAL_WINDOW_SECONDS = 900
    settings.BREACHTRACK_SHARE_MAX_DOWNLOADS_PER_LINK = 2
    settings.BREACHTRACK_SHARE_DOWNLOAD_WINDOW_SECONDS = 3600
    return settings


# --- the arithmetic, pure --------------------------------------------------------------


def test_fewer_events_than_the_limit_are_allowed():
    assert throttle.verdict([T0, T0], T0, limit=3, window=timedelta(minutes=15)) == throttle.ALLOWED
    assert throttle.verdict([], None, limit=1, window=timedelta(minutes=15)).is_allowed


def test_at_the_limit_the_wait_lasts_until_the_limit_th_newest_leaves_the_window():
    newest_first = [T0 - timedelta(minutes=1), T0 - timedelta(minutes=5), T0 - timedelta(minutes=10)]
    refused = throttle.verdict(newest_first, T0, limit=3, window=timedelta(minutes=15))
    assert refused == throttle.Verdict(False, 5 * 60)  # the one of 8:50 leaves at 9:05
    # More than the limit (two workers raced, or the limit was lowered): the limit-th newest decides.
    assert throttle.verdict(newest_first, T0, limit=2, window=timedelta(minutes=15)).retry_after_seconds == 10 * 60


def test_the_wait_is_rounded_up_to_whole_seconds_and_never_zero():
    window = timedelta(seconds=60)
    assert throttle.verdict([T0 - timedelta(seconds=30.2)], T0, limit=1, window=window).retry_after_seconds == 30
    assert throttle.verdict([T0 - timedelta(seconds=59.9999)], T0, limit=1, window=window).retry_after_seconds == 1


# --- per address: refused guesses ----------------------------------------------------------


def test_guesses_under_the_limit_are_answered_as_usual(client, limits):
    assert [guess(client, n).status_code for n in range(3)] == [404, 404, 404]
    assert AccessLog.objects.filter(refusal_reason=RefusalReason.UNKNOWN_TOKEN, ip_address=GUESSER).count() == 3


def test_over_the_limit_an_address_gets_429_with_retry_after_and_the_refusal_is_logged(client, limits):
    for n in range(3):
        guess(client, n)
    response = guess(client, 3)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 900
    assert "no-store" in response["Cache-Control"]
    assert b"Too many attempts" in response.content
    entry = AccessLog.objects.order_by("-pk").first()
    assert (entry.outcome, entry.refusal_reason, entry.ip_address) == (
        AccessOutcome.REFUSED,
        RefusalReason.RATE_LIMITED_ADDRESS,
        GUESSER,
    )
    assert entry.token_hash_prefix == token_hash("guessed-token-0003-abcdefghijklmnopqrstuvwxyz0123")[:12]
    assert entry.organisation is None


def test_a_blocked_address_is_refused_even_with_a_valid_token_and_the_link_names_the_attempt(
    client, limits, make_link, incident
):
    """Otherwise a guesser would still tell a hit (200) from a miss (429)."""
    created = make_link()
    for n in range(3):
        guess(client, n)
    response = client.get(share_url(created.token), REMOTE_ADDR=GUESSER)
    assert response.status_code == 429
    assert b"BEGIN:VCALENDAR" not in response.content
    entry = AccessLog.objects.get(share_link=created.link)
    assert (entry.incident, entry.refusal_reason) == (incident, RefusalReason.RATE_LIMITED_ADDRESS)


def test_expired_and_revoked_tokens_count_as_guesses(client, limits, make_link, officer, time_machine, now):
    revoked = make_link()
    services.revoke_share_link(revoked.link, actor=officer, reason="sent to the wrong address")
    expiring = make_link(days=1)
    assert client.get(share_url(revoked.token), REMOTE_ADDR=GUESSER).status_code == 410
    time_machine.move_to(now + timedelta(days=2), tick=False)
    assert client.get(share_url(expiring.token), REMOTE_ADDR=GUESSER).status_code == 410
    assert guess(client).status_code == 404
    assert guess(client, 1).status_code == 429


def test_a_wrong_export_name_with_a_valid_token_is_not_a_guess(client, limits, make_link):
    created = make_link(ExportKind.DEADLINES_ICS)
    wrong = reverse("access:share_kind", args=[created.token, ExportKind.TIMELINE_JSON])
    assert [client.get(wrong, REMOTE_ADDR=REGULATOR).status_code for _ in range(4)] == [404] * 4
    assert client.get(share_url(created.token), REMOTE_ADDR=REGULATOR).status_code == 200


def test_one_addresss_failures_do_not_block_another_address(client, limits):
    for n in range(4):
        guess(client, n)
    assert guess(client, 4).status_code == 429
    assert guess(client, 5, ip="192.0.2.200").status_code == 404


def test_requests_without_a_usable_address_share_one_allowance(client, limits):
    """No address (or a malformed one) cannot be told apart, so they count as one, not as none."""
    assert [guess(client, n, ip=ip).status_code for n, ip in enumerate(["", "not-an-ip", ""])] == [404] * 3
    assert guess(client, 3, ip="").status_code == 429
    assert AccessLog.objects.filter(ip_address=None).count() == 4
    assert guess(client, 4).status_code == 404


def test_a_valid_link_is_not_blocked_by_someone_else_guessing(client, limits, make_link):
    created = make_link()
    for n in range(10):
        guess(client, n)
    response = client.get(share_url(created.token), REMOTE_ADDR=REGULATOR)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    # The guesses touched neither the regulator's address nor the link's download count.
    assert AccessLog.objects.filter(share_link=created.link).get().outcome == AccessOutcome.ALLOWED


def test_the_429_is_explained_in_dutch_to_a_dutch_browser(client, limits):
    for n in range(3):
        guess(client, n)
    response = client.get(share_url("x" * 43), REMOTE_ADDR=GUESSER, HTTP_ACCEPT_LANGUAGE="nl")
    assert response.status_code == 429
    body = response.content.decode()
    assert "Te veel pogingen" in body
    assert "Probeer het over 15 minuten opnieuw." in body  # 900 s, or a few seconds less


# --- per link: downloads -------------------------------------------------------------------


def test_a_link_serves_up_to_its_cap_then_429_with_retry_after_logged_on_the_link(client, limits, make_link):
    created = make_link()
    statuses = [client.get(share_url(created.token), REMOTE_ADDR=ip).status_code for ip in (REGULATOR, "192.0.2.1")]
    assert statuses == [200, 200]
    response = client.get(share_url(created.token), REMOTE_ADDR="192.0.2.2")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 3600
    assert b"downloaded too often" in response.content
    entry = AccessLog.objects.filter(share_link=created.link).order_by("-pk").first()
    assert (entry.outcome, entry.refusal_reason, entry.ip_address) == (
        AccessOutcome.REFUSED,
        RefusalReason.RATE_LIMITED_LINK,
        "192.0.2.2",
    )


def test_the_cap_is_per_link_and_does_not_block_the_address(client, limits, make_link):
    first, second = make_link(), make_link(ExportKind.TIMELINE_JSON)
    for _ in range(5):
        client.get(share_url(first.token), REMOTE_ADDR=REGULATOR)
    assert client.get(share_url(first.token), REMOTE_ADDR=REGULATOR).status_code == 429
    assert client.get(share_url(second.token), REMOTE_ADDR=REGULATOR).status_code == 200
    assert guess(client, ip=REGULATOR).status_code == 404  # 429s for the link are no guesses


# --- the window passes (the database's clock: real seconds) --------------------------------


def _wait(response, verdict) -> None:
    """Poll until the throttle lets in again, which must happen within the Retry-After the 429
    promised (the 0.05 s covers the request's own time). ``verdict`` is the check the view makes,
    called directly: polling through the view would log requests and move the window."""
    wait_until(
        lambda: verdict().is_allowed,
        int(response["Retry-After"]) + 0.05,
        interval=0.05,
        what=f"the window the 429 announced (Retry-After: {response['Retry-After']})",
    )


def test_when_the_window_has_passed_the_address_is_let_in_again(client, limits):
    limits.BREACHTRACK_SHARE_REFUSAL_WINDOW_SECONDS = 3
    for n in range(3):
        guess(client, n)
    blocked = guess(client, 3)
    assert blocked.status_code == 429 and int(blocked["Retry-After"]) <= 3
    _wait(blocked, lambda: throttle.address_verdict(GUESSER))
    assert guess(client, 4).status_code == 404
    assert list(AccessLog.objects.order_by("pk").values_list("refusal_reason", flat=True)) == (
        [RefusalReason.UNKNOWN_TOKEN] * 3 + [RefusalReason.RATE_LIMITED_ADDRESS, RefusalReason.UNKNOWN_TOKEN]
    )


def test_when_the_window_has_passed_the_link_serves_again(client, limits, make_link):
    limits.BREACHTRACK_SHARE_DOWNLOAD_WINDOW_SECONDS = 3
    created = make_link()
    client.get(share_url(created.token), REMOTE_ADDR=REGULATOR)
    client.get(share_url(created.token), REMOTE_ADDR=REGULATOR)
    blocked = client.get(share_url(created.token), REMOTE_ADDR=REGULATOR)
    assert blocked.status_code == 429
    _wait(blocked, lambda: throttle.link_verdict(created.link))
    assert client.get(share_url(created.token), REMOTE_ADDR=REGULATOR).status_code == 200


# --- cost: one indexed query per check -----------------------------------------------------


def _log_selects(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith("SELECT") and "access_accesslog" in q["sql"]]


def test_a_served_link_costs_one_query_per_check_and_a_blocked_address_costs_three_in_all(client, limits, make_link):
    created = make_link()
    with CaptureQueriesContext(connection) as served:
        assert client.get(share_url(created.token), REMOTE_ADDR=REGULATOR).status_code == 200
    assert len(_log_selects(served.captured_queries)) == 2  # the address check, the link check
    for n in range(3):
        guess(client, n)
    with CaptureQueriesContext(connection) as blocked:
        assert guess(client, 3).status_code == 429
    # The link lookup, the address check, the log insert: nothing more, however many guesses.
    assert len(blocked.captured_queries) == 3
    assert len(_log_selects(blocked.captured_queries)) == 1


@pytest.mark.parametrize(
    "rows, index",
    [
        (lambda link: throttle.guesses_from(GUESSER), "accesslog_ip_newest"),
        (lambda link: throttle.downloads_of(link), "accesslog_link_newest"),
    ],
)
def test_each_check_is_served_by_its_index(make_link, rows, index):
    created = make_link()
    query = throttle.recent(rows(created.link), limit=10, seconds=900)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # A tiny test table would be read whole otherwise; and after a long run its
                # statistics can make "the foreign-key index, then sort" look as cheap. What
                # matters is that the index serves the filter *and* the order, so no sort.
                cursor.execute("SET LOCAL enable_seqscan = off")
                cursor.execute("SET LOCAL enable_sort = off")
        plan = query.explain()
    assert index in plan


# --- settings ---------------------------------------------------------------------------


def test_a_limit_of_zero_stops_the_process_at_start_up_naming_the_variable(tmp_path):
    result = manage(
        "check", env={"BREACHTRACK_VAR_DIR": str(tmp_path), "BREACHTRACK_SHARE_MAX_REFUSALS_PER_ADDRESS": "0"}
    )
    assert result.returncode != 0
    assert "BREACHTRACK_SHARE_MAX_REFUSALS_PER_ADDRESS=0 is below the minimum of 1" in result.stderr
