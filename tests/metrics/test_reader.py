"""The metrics' definitions: on time is ``rules.clocks.evaluate``, bands are ``clock_states.band``,
percentiles by nearest rank, the worst named; the period, the filters and the organisation scope."""

from __future__ import annotations

from datetime import timedelta

import pytest

from notifications.models import DeadlineKind
from readers.clock_states import ClockState, read_clock
from readers.metrics import Filters, counted_incidents, metrics, nearest_rank
from rules import clocks

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)


def refs(queryset):
    return sorted(queryset.values_list("title", flat=True))


def test_filed_exactly_at_the_72_hours_is_on_time_and_a_second_later_is_late(lab, place, now):
    start = now - 200 * H
    at_due = place(lab, started_at=start, met_after=72 * H, title="at due")
    second_late = place(lab, started_at=start, met_after=72 * H + timedelta(seconds=1), title="a second late")
    early = place(lab, started_at=start, met_after=10 * H, title="early")
    place(lab, started_at=start, title="never filed")  # overdue
    place(lab, started_at=now - H, title="running")  # pending, not overdue

    reading = metrics(Filters(lab.pk), now=now)

    assert reading.counts["art33_on_time"] == 2
    assert reading.counts["art33_late"] == 1
    assert reading.counts["art33_overdue"] == 1
    assert reading.art33_share_on_time == pytest.approx(2 / 3)
    # The database's conditions say what rules.clocks.evaluate says, on the boundary too.
    for row, expected in ((at_due, "met_on_time"), (second_late, "met_late"), (early, "met_on_time")):
        assert clocks.evaluate(row.due_at, row.met_at, now).state.value == expected
    assert refs(counted_incidents(Filters(lab.pk), "art33_late", now=now)) == ["a second late"]
    assert refs(counted_incidents(Filters(lab.pk), "art33_on_time", now=now)) == ["at due", "early"]
    assert refs(counted_incidents(Filters(lab.pk), "art33_overdue", now=now)) == ["never filed"]


def test_a_late_filing_counts_with_reasons_when_the_filing_gave_them(
    incident, processor_and_controller, complete_register, submit, officer, now
):
    from actions import incidents as services

    _processor, controller, _relationship = processor_and_controller
    services.record_awareness(
        incident, party=controller, aware_at=now - 100 * H, source="third_party", actor=officer, reason="a journalist"
    )
    submit(controller, submitted_at=now - H, delay_reasons="The size of the breach took days to establish.")

    reading = metrics(Filters(incident.organisation_id), now=now)

    assert reading.counts["art33_late"] == 1
    assert reading.counts["art33_late_with_reasons"] == 1
    assert reading.counts["art33_late_without_reasons"] == 0
    figure = reading.durations["awareness_to_filing"]
    assert figure.worst.duration == 99 * H and figure.worst.title == incident.title


def test_median_p90_and_the_worst_are_by_nearest_rank_and_the_worst_is_named(lab, place, now):
    for hours in range(1, 11):
        place(lab, started_at=now - 500 * H, met_after=hours * H, title=f"took {hours:02d} h")

    figure = metrics(Filters(lab.pk), now=now).durations["awareness_to_filing"]

    assert figure.count == 10
    assert figure.median == 5 * H  # 5 of the 10 values are at or below it
    assert figure.p90 == 9 * H
    assert figure.worst.duration == 10 * H and figure.worst.title == "took 10 h"
    assert [nearest_rank(n, 0.5) for n in (1, 2, 3, 4)] == [0, 0, 1, 1]


def test_the_processor_lag_is_measured_against_each_relationships_target(lab, place, now):
    place(lab, kind=DeadlineKind.PROCESSOR_NOTICE, started_at=now - 50 * H, due=24 * H, met_after=24 * H)
    place(lab, kind=DeadlineKind.PROCESSOR_NOTICE, started_at=now - 900 * H, due=48 * H, met_after=749 * H, title="m")
    place(lab, kind=DeadlineKind.PROCESSOR_NOTICE, started_at=now - 2 * H, due=24 * H)

    reading = metrics(Filters(lab.pk), now=now)

    assert (reading.counts["processor_within_target"], reading.counts["processor_over_target"]) == (1, 1)
    assert reading.counts["processor_not_informed"] == 1
    worst = reading.durations["processor_lag"].worst
    assert (worst.title, worst.duration, worst.target) == ("m", 749 * H, 48 * H)


def test_open_clocks_fall_in_the_dashboards_bands(lab, place, now):
    dues = {"overdue": -H, "under_6h": 6 * H, "under_24h": 24 * H, "on_track": 24 * H + timedelta(seconds=1)}
    for state, left in dues.items():
        row = place(lab, started_at=now + left - 72 * H, title=state)
        assert read_clock(row.due_at, None, now).state is ClockState(state)

    reading = metrics(Filters(lab.pk), now=now)

    for state in dues:
        assert reading.counts[f"open_authority_notification_{state}"] == 1, state
        assert refs(counted_incidents(Filters(lab.pk), f"open_authority_notification_{state}", now=now)) == [state]


def test_the_period_counts_clocks_started_from_its_start_until_before_its_end(lab, place, now):
    start, end = now - 1000 * H, now - 500 * H
    place(lab, started_at=start - timedelta(seconds=1), met_after=H, title="before")
    place(lab, started_at=start, met_after=H, title="at the start")
    place(lab, started_at=end - timedelta(seconds=1), met_after=H, title="last second")
    place(lab, started_at=end, met_after=H, title="at the end")

    filters = Filters(lab.pk, period_from=start, period_until=end)
    assert metrics(filters, now=now).counts["art33_on_time"] == 2
    assert refs(counted_incidents(filters, "art33_on_time", now=now)) == ["at the start", "last second"]


def test_another_organisations_incidents_are_never_counted(lab, other_org, outsider, place, now):
    place(lab, started_at=now - 100 * H, met_after=H, title="ours")
    place(other_org, started_at=now - 100 * H, met_after=100 * H, title="theirs", actor=outsider)

    reading = metrics(Filters(lab.pk), now=now)

    assert (reading.counts["art33_on_time"], reading.counts["art33_late"]) == (1, 0)
    assert reading.durations["awareness_to_filing"].worst.title == "ours"
    assert refs(counted_incidents(Filters(lab.pk), "art33_filed", now=now)) == ["ours"]


def test_an_inactive_clock_is_not_counted(lab, place, now):
    row = place(lab, started_at=now - 100 * H, met_after=H)
    row.is_active = False
    row.save()
    assert metrics(Filters(lab.pk), now=now).counts["art33_on_time"] == 0


def test_the_controller_and_authority_filters(lab, place, directory_party, dutch_ap, officer, now):
    from actions import incidents as services

    ours = place(lab, started_at=now - 100 * H, met_after=H, title="own")
    other = place(lab, started_at=now - 100 * H, met_after=H, title="hospital")
    hospital = services.add_party(other.incident, party=directory_party, role="controller", actor=officer, reason="t")
    other.party = hospital
    other.save()
    services.add_authority(ours.incident, authority=dutch_ap, role="lead", actor=officer, reason="lead SA")

    by_controller = Filters(lab.pk, controller_id=directory_party.pk)
    assert refs(counted_incidents(by_controller, "art33_on_time", now=now)) == ["hospital"]
    by_authority = Filters(lab.pk, authority_id=dutch_ap.pk)
    assert refs(counted_incidents(by_authority, "art33_on_time", now=now)) == ["own"]
    assert metrics(by_authority, now=now).counts["art33_on_time"] == 1


def test_the_detection_gaps_run_from_occurrence_to_detection_to_the_first_awareness(lab, place, now):
    occurred = now - 300 * H
    place(lab, started_at=occurred + 50 * H, occurred_from_at=occurred, detected_at=occurred + 20 * H, title="gap")

    reading = metrics(Filters(lab.pk), now=now)

    assert reading.durations["occurred_to_detected"].median == 20 * H
    assert reading.durations["detected_to_aware"].worst.duration == 30 * H
    assert reading.durations["detected_to_aware"].worst.title == "gap"


def test_the_number_of_queries_does_not_grow_with_the_incidents(lab, place, now, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    place(lab, started_at=now - 100 * H, met_after=H)
    place(lab, kind=DeadlineKind.PROCESSOR_NOTICE, started_at=now - 100 * H, due=24 * H, met_after=H)
    with CaptureQueriesContext(connection) as small:
        metrics(Filters(lab.pk), now=now)
    for k in range(12):
        place(lab, started_at=now - (100 + k) * H, met_after=(k + 1) * 10 * H)
        place(lab, kind=DeadlineKind.PROCESSOR_NOTICE, started_at=now - 100 * H, due=24 * H, met_after=k * H)
    with django_assert_num_queries(len(small)):
        metrics(Filters(lab.pk), now=now)
