"""The Art. 33(3)(a)-(d) checklist, on plain content dicts."""

from __future__ import annotations

from rules.completeness import is_complete, missing_items

COMPLETE = {
    "nature.breach_types": ["confidentiality"],
    "nature.description": "Screening results copied.",
    "nature.data_categories": ["health"],
    "nature.data_subject_categories": ["patients"],
    "numbers.data_subjects": {"low": 485_000, "high": None, "display": "≈485,000"},
    "numbers.records": {"low": 1_200_000, "high": None, "display": "≈1,200,000"},
    "contact.name": "J. de Vries",
    "contact.email": "dpo@lab.example",
    "contact.phone": "",
    "consequences.likely": "Identity fraud.",
    "measures.containment": "",
    "measures.mitigation": "",
    "measures.planned": "Letters to participants.",
}


def test_a_content_with_every_item_is_complete():
    assert missing_items(COMPLETE) == [] and is_complete(COMPLETE)


def test_an_empty_content_misses_every_item_in_the_order_of_the_article():
    missing = missing_items({})
    assert [item.letter for item in missing] == ["a"] * 6 + ["b", "c", "d"]
    assert [item.code for item in missing][-3:] == ["contact_point", "likely_consequences", "measures"]
    assert all(str(item.label).startswith(f"({item.letter})") for item in missing)


def test_each_missing_item_names_the_register_field_that_fills_it():
    fields = {item.code: item.field for item in missing_items({})}
    assert fields["nature_description"] == "description"
    assert fields["data_subjects_number"] == "estimates"
    assert fields["contact_point"] == "organisation.dpo_email"
    assert fields["measures"] == "measures_containment"


def test_a_contact_point_needs_a_name_and_a_way_to_reach_it():
    assert [i.code for i in missing_items({**COMPLETE, "contact.email": ""})] == ["contact_point"]
    assert [i.code for i in missing_items({**COMPLETE, "contact.name": ""})] == ["contact_point"]
    assert is_complete({**COMPLETE, "contact.email": "", "contact.phone": "+31 20 000 0000"})


def test_a_missing_contact_of_a_controller_in_the_directory_names_that_controller_and_its_field():
    content = {**COMPLETE, "contact.source": "controller", "controller.name": "National Screening Programme"}
    assert is_complete(content)

    (missing,) = missing_items({**content, "contact.name": "", "contact.email": ""})
    assert (missing.code, missing.letter, missing.field) == ("contact_point", "b", "controller.party.contact_email")
    assert "National Screening Programme" in str(missing.label) and str(missing.label).startswith("(b)")


def test_a_count_of_zero_is_a_count():
    zero = {"low": 0, "high": None, "display": "≈0"}
    assert is_complete({**COMPLETE, "numbers.records": zero})
    assert [i.code for i in missing_items({**COMPLETE, "numbers.records": None})] == ["records_number"]
