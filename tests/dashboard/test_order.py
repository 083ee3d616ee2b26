"""The dashboard's order at a page's boundary: equal deadlines, a met clock and incidents with no
clock keep one total order, so paging neither repeats nor skips an incident.

The order (readers.dashboard.by_urgency): the nearest pending (unmet, active) deadline first; on
equal deadlines the newest incident first (``created_at``), then the highest id; incidents with
nothing pending after all the others, newest first. The expected lists below are written out from
that rule, not read from the code under test.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from readers.dashboard import PAGE_SIZE
from tests.dashboard.conftest import file_initial, open_incident
from tests.dashboard.test_views import page, titles

H = timedelta(hours=1)
TIED = PAGE_SIZE  # enough incidents on one deadline that the first page ends among them


def build(lab, officer, now, time_machine, authority) -> list[str]:
    """The incidents, and the titles in the order the dashboard must list them.

    Tied incidents are created at three different moments, and not in the order of their ids
    (each third one is created a minute *earlier* than the one before), so a page that ordered
    ties by id alone, or not at all, would show them in another order.
    """
    open_incident(lab, officer, title="nearest", aware_ago=71 * H, now=now)  # due in 1 h
    open_incident(lab, officer, title="next", aware_ago=70 * H, now=now)  # due in 2 h
    for k in range(TIED):  # all aware 10 h ago: due together, in 62 h
        time_machine.move_to(now - timedelta(minutes=k % 3), tick=False)
        open_incident(lab, officer, title=f"tie {k:02d}", aware_ago=10 * H, now=now)
    time_machine.move_to(now, tick=False)
    # Its Art. 33(1) clock (due in 42 h, before the ties) is met, so it does not count: the phased
    # filing started a follow-up clock (BREACHTRACK_FOLLOW_UP_TARGET_HOURS, 72 h: due in 71 h).
    met = open_incident(lab, officer, title="met", aware_ago=30 * H, now=now)
    file_initial(met, officer, authority, submitted_at=now - H)
    open_incident(lab, officer, title="no clock", aware_ago=None, now=now)
    time_machine.move_to(now - timedelta(minutes=5), tick=False)
    open_incident(lab, officer, title="older, no clock", aware_ago=None, now=now)
    time_machine.move_to(now, tick=False)
    # Ties: the newest creation moment first (k % 3 == 0, then 1, then 2), then the highest id.
    ties = [f"tie {k:02d}" for k in sorted(range(TIED), key=lambda k: (k % 3, -k))]
    # Nothing pending last, the newest first.
    return ["nearest", "next", *ties, "met", "no clock", "older, no clock"]


def test_equal_deadlines_keep_one_order_across_the_page_boundary(client, officer, lab, now, time_machine, dutch_ap):
    expected = build(lab, officer, now, time_machine, dutch_ap)
    client.force_login(officer)
    first, second = page(client), page(client, page=2)
    assert titles(first) == expected[:PAGE_SIZE]
    assert titles(second) == expected[PAGE_SIZE:]
    assert f"{len(expected)} open incidents" in first


def queries(client, **params) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("dashboard:home"), params)
    assert response.status_code == 200
    return len(captured)


def test_the_query_count_is_the_same_at_two_sizes_on_every_page_and_filter(
    client, officer, lab, now, time_machine, dutch_ap
):
    client.force_login(officer)
    open_incident(lab, officer, title="alone", aware_ago=H, now=now, risk_level="high")
    small = {queries(client), queries(client, risk="high"), queries(client, status="open")}
    build(lab, officer, now, time_machine, dutch_ap)
    large = {
        queries(client),
        queries(client, page=2),
        queries(client, risk="high"),
        queries(client, status="open", page=2),
    }
    assert small == large and len(large) == 1, (small, large)
    assert large.pop() <= 10
