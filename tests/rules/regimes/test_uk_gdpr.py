"""uk_gdpr.toml: 72 elapsed hours to the ICO (UK GDPR Art. 33(1))."""

from __future__ import annotations

from datetime import date

from rules.regimes import Facts, catalogue
from tests.rules.regimes.support import at, shipped_report

LONDON = "Europe/London"


def test_the_ico_gets_72_elapsed_hours_across_the_uk_dst_change():
    # 28 March 2026 09:00 GMT; British Summer Time starts on the 29th.
    due = shipped_report("uk_gdpr", "ico").due_at({"awareness": at("2026-03-28 09:00", LONDON)})
    assert due == at("2026-03-31 10:00", LONDON)


def test_a_saturday_deadline_stays_on_saturday():
    due = shipped_report("uk_gdpr", "ico").due_at({"awareness": at("2026-12-23 18:00", LONDON)})
    assert due == at("2026-12-26 18:00", LONDON)  # Boxing Day, a Saturday: hours never shift


def test_it_is_in_force_from_2021_and_suggested_for_uk_residents():
    regime = catalogue()["uk_gdpr"]
    assert regime.version_on(date(2020, 12, 31)) is None
    assert regime.version_on(date(2021, 1, 1)) is not None
    assert regime.applicability.evaluate(Facts(places={"GB": 3}, flags={"personal_data": True}))[0]
    assert not regime.applicability.evaluate(Facts(places={"NL": 3}, established="NL", flags={"personal_data": True}))[
        0
    ]
