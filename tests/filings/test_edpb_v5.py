"""Content schema 5 in the EDPB export: the reports made under other regimes (field_110/111), the
data subjects per country (field_117), whether a DPO is designated (field_29), each frozen at
submission; and filings frozen under schemas 3 and 4 export byte for byte as they did before."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from types import SimpleNamespace

from readers import edpb

GOLDEN_V4 = Path(__file__).parent / "data" / "edpb_v4_golden.json"


def _golden_filing(columns: dict) -> SimpleNamespace:
    on = columns.get("police_reported_on")
    return SimpleNamespace(**{**columns, "police_reported_on": date.fromisoformat(on) if on else None})


def test_a_filing_frozen_under_schema_4_exports_byte_identical_to_before_schema_5():
    """The golden file holds 42 schema-4 filings (the demo's two as frozen before schema 5, and 40
    generated with a fixed seed) with their export as it was computed before schema 5 existed."""
    cases = json.loads(GOLDEN_V4.read_text(encoding="utf-8"))
    assert len(cases) == 42 and {case["filing"]["content"]["schema"] for case in cases} == {4}
    for case in cases:
        result = edpb.export(_golden_filing(case["filing"]))
        assert json.dumps(result.payload, ensure_ascii=False) == case["export"]
        assert sorted(result.filled) == case["filled"]
