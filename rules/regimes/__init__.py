"""Notification regimes as data: one TOML file per regime, one engine for all (docs/regimes.md).

The public API. Pure: no models, no database, no clock; instants are passed in and must be aware.
The engine holds no branch for any particular regime: everything a regime needs is in its file
(a test holds this).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import cache
from pathlib import Path
from types import MappingProxyType

from rules.regimes import calendars
from rules.regimes.conditions import Condition, Facts, evaluate
from rules.regimes.durations import Period
from rules.regimes.loader import RegimeFileError, load_file
from rules.regimes.model import STANDARD_ALERTS, Alerts, Backstop, Regime, Report, RuleVersion, Suggestion
from rules.regimes.text import Text

DATA_DIR = Path(__file__).resolve().parent / "data"

__all__ = [
    "DATA_DIR",
    "STANDARD_ALERTS",
    "Alerts",
    "Backstop",
    "Condition",
    "Facts",
    "Period",
    "Regime",
    "RegimeFileError",
    "Report",
    "RuleVersion",
    "Suggestion",
    "Text",
    "calendars",
    "catalogue",
    "load_file",
    "report_applies",
    "suggest",
]

_NOT_SUGGESTED = Text(
    "this regime has no applicability rule: it applies only when an officer chooses it",
    "deze regeling heeft geen toepasselijkheidsregel: ze geldt alleen als een functionaris haar kiest",
)


@cache
def catalogue() -> Mapping[str, Regime]:
    """Every shipped regime by code, loaded and validated once per process."""
    regimes = {}
    for path in sorted(DATA_DIR.glob("*.toml")):
        regime = load_file(path)
        regimes[regime.code] = regime
    return MappingProxyType(regimes)


def suggest(facts: Facts, on: date) -> list[Suggestion]:
    """The engine's suggestion for every regime with an enabled version on ``on``, by code.

    The suggestion is advice with its reasons; an officer confirms or rejects each regime.
    """
    suggestions = []
    for regime in catalogue().values():
        if regime.version_on(on) is None:
            continue
        if regime.applicability is None:
            suggestions.append(Suggestion(regime, False, (_NOT_SUGGESTED,)))
            continue
        applies, reasons = evaluate(regime.applicability, facts)
        suggestions.append(Suggestion(regime, applies, reasons))
    return suggestions


def report_applies(report: Report, facts: Facts) -> tuple[bool, tuple[Text, ...]]:
    """Whether one report of a confirmed regime is owed for ``facts`` (no condition: always), with reasons."""
    return evaluate(report.condition, facts)
