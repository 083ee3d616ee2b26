"""Content schema 4 in the EDPB export: the Art. 34 communication, the police report, cross-border
processing, the other parties' contacts and the integrity and availability sub-types, each frozen at
submission; and a filing frozen under schema 3 exports byte for byte as it did before."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from readers import edpb

GOLDEN = Path(__file__).parent / "data" / "edpb_v3_golden.json"


def test_a_filing_frozen_under_schema_3_exports_byte_identical_to_before_schema_4():
    """The golden file holds 42 schema-3 filings (the demo's two as frozen before schema 4, and 40
    generated) with their export as it was computed before schema 4 existed."""
    cases = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert len(cases) == 42 and {case["filing"]["content"]["schema"] for case in cases} == {3}
    for case in cases:
        result = edpb.export(SimpleNamespace(**case["filing"]))
        assert json.dumps(result.payload, ensure_ascii=False) == case["export"]
        assert sorted(result.filled) == case["filled"]
