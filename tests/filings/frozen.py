"""Filings made of a frozen content alone, for the EDPB mapping tests of each content schema
(test_edpb_v4.py, test_edpb_v5.py): the export reads the content and a few of the filing's own
columns, so a namespace with those columns stands in for the model."""

from __future__ import annotations

from types import SimpleNamespace

from readers import edpb

# The filing's own columns the export reads, as a filing recorded without them holds them.
COLUMNS = {
    "filing_type": "initial",
    "is_phased": False,
    "submitted_by": "",
    "delay_reasons": "",
    "withdrawal_reason": "",
    "reporter_function": "",
    "reporter_function_detail": "",
    "reporter_contact": "",
    "police_report": "",
    "police_reported_on": None,
    "police_reference": "",
    "cross_border": "",
    "establishment_countries": "",
}


def filing(base: dict, content=None, **columns) -> SimpleNamespace:
    """A filing whose frozen content is ``base`` updated with ``content``."""
    return SimpleNamespace(content={**base, **(content or {})}, **{**COLUMNS, **columns})


def valid_export(base: dict, content=None, **columns):
    """The EDPB export of :func:`filing`, checked against the template's schema."""
    result = edpb.export(filing(base, content, **columns))
    assert edpb.validation_errors(result.payload) == []
    return result
