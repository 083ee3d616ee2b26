"""Two people filing at once: the incident row lock keeps each chain a line, never a fork."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connections

from filings.models import AuthorityFiling


def _race(submit, controller, facts: list[dict]) -> tuple[list, list]:
    barrier = threading.Barrier(len(facts))
    filed, refused = [], []

    def work(kwargs):
        try:
            barrier.wait(timeout=10)
            filed.append(submit(controller, **kwargs))
        except ValidationError as error:
            refused.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(kwargs,)) for kwargs in facts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return filed, refused


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # dutch_ap re-seeds the AP if an earlier one flushed it
def test_two_initial_filings_at_once_give_one_filing_and_one_refusal(submit, controller, complete_register, now):
    filed, refused = _race(submit, controller, [{}, {}])
    assert len(filed) == 1 and len(refused) == 1
    assert refused[0].error_dict["filing_type"][0].code == "already_notified"
    assert AuthorityFiling.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # dutch_ap re-seeds the AP if an earlier one flushed it
def test_two_follow_ups_at_once_chain_one_after_the_other(submit, controller, complete_register, now):
    initial = submit(controller, submitted_at=now - timedelta(hours=1))
    moment = {"filing_type": "follow_up", "submitted_at": now - timedelta(minutes=1)}
    filed, refused = _race(submit, controller, [moment, dict(moment)])
    assert refused == [] and len(filed) == 2
    follow_ups = {f.pk: f.previous_id for f in AuthorityFiling.objects.filter(filing_type="follow_up")}
    previous = set(follow_ups.values())
    assert len(previous) == 2 and initial.pk in previous  # a line: initial → one → the other
    assert (previous - {initial.pk}) <= set(follow_ups)
