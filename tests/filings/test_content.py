"""The frozen content: snapshot of the register, display values and what changed between filings."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from readers.filing_content import content_sha256, diff, display_value, latest_estimates, rows, snapshot

UTC = UTC


def number(low, high=None, *, approx=True, at_least=False, display):
    return {"low": low, "high": high, "is_approximate": approx, "is_at_least": at_least, "display": display}


def test_the_diff_lists_changed_items_with_readable_labels_and_values():
    before = {
        "nature.description": "Copied.",
        "numbers.data_subjects": number(485_000, display="≈485,000"),
        "nature.data_categories": ["health"],
        "consequences.likely": "",
    }
    after = {
        "nature.description": "Copied.",
        "numbers.data_subjects": number(850_000, at_least=True, display="≥850,000"),
        "nature.data_categories": ["health", "national_id"],
        "consequences.likely": None,
    }

    changes = {change.key: change for change in diff(before, after)}

    assert set(changes) == {"numbers.data_subjects", "nature.data_categories"}  # "" and None both mean unrecorded
    count = changes["numbers.data_subjects"]
    assert (count.label, count.before, count.after) == (
        "Approximate number of data subjects (Art. 33(3)(a))",
        "≈485,000",
        "≥850,000",
    )
    assert changes["nature.data_categories"].after == (
        "Health data (Art. 9); Citizen service number (BSN) or other national identifier (Art. 87)"
    )


def test_a_changed_source_note_alone_is_no_change_of_the_number():
    before = {"numbers.records": {**number(10, display="≈10"), "source": "a"}}
    after = {"numbers.records": {**number(10, display="≈10"), "source": "b"}}
    assert diff(before, after) == []


def test_the_first_filing_shows_everything_it_said_as_new():
    changes = diff(None, {"nature.description": "Copied.", "times.is_ongoing": False, "measures.planned": ""})
    assert [(c.key, c.before, c.after) for c in changes] == [
        ("nature.description", "—", "Copied."),
        ("times.is_ongoing", "—", "no"),
    ]


def test_instants_show_in_the_zone_they_were_entered_in():
    value = {"at": "2025-08-06T12:00:00+00:00", "tz": "Europe/Amsterdam"}
    assert display_value("times.detected", value) == "Wed 6 Aug 2025, 14:00 CEST"


def test_every_labelled_item_is_listed_for_display():
    shown = rows({"nature.cause": "ransomware"})
    assert shown[0].label == "Type of breach (Art. 33(3)(a))"
    assert next(r.value for r in shown if r.key == "nature.cause") == "Cyber attack: ransomware or extortion"


def test_the_hash_does_not_depend_on_key_order():
    assert content_sha256({"a": 1, "b": "ë"}) == content_sha256({"b": "ë", "a": 1})


def test_a_controllers_own_count_wins_over_the_whole_incidents():
    def est(pk, low, party_id, day):
        return SimpleNamespace(
            pk=pk, low=low, party_id=party_id, measure="data_subjects", known_at=datetime(2025, 8, day, tzinfo=UTC)
        )

    whole_new, own_old = est(2, 941_000, None, 28), est(1, 485_000, 7, 11)
    assert latest_estimates([whole_new, own_old], 7)["data_subjects"] is own_old
    assert latest_estimates([whole_new, own_old], 8)["data_subjects"] is whole_new


def test_the_snapshot_reads_the_register_for_one_controller(complete_register, controller, count):
    count(715_000, known_at=datetime(2025, 8, 19, tzinfo=UTC), party=controller)
    content = snapshot(complete_register, controller, datetime(2025, 8, 20, 10, tzinfo=UTC), "Europe/Amsterdam")
    assert content["numbers.data_subjects"]["display"] == "≈715,000"
    assert content["numbers.records"]["display"] == "≈1,200,000"
    assert content["times.controller_aware"] == {"at": "2025-08-20T10:00:00+00:00", "tz": "Europe/Amsterdam"}
    assert {
        "name": "National Screening Programme",
        "role": "controller",
        "contact": "M. Jansen (privacy desk), privacy@programme.example",
    } in content["parties"]
    assert content["nature.data_categories"] == ["health", "identity", "national_id"]
