"""Regimes for the tests of the regimes' facts and clocks, written as data files like the shipped ones.

The tests run on their own small catalogue (the shipped GDPR file, and a NIS2 and a DORA file
written here), so they pin the derivation, not the content of the shipped files.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from actions import incidents as services
from actions import regimes as regime_actions
from rules import obligations
from rules.regimes import DATA_DIR, load_file

NIS2 = """
code = "nis2"
title = { en = "EU: NIS2 Art. 23", nl = "EU: NIS2 art. 23" }
jurisdiction = "EU"
source = "Directive (EU) 2022/2555 art. 23"
certainty = "firm"
applicability = { all = [ { any = [ { entity = "nis2_essential" }, { entity = "nis2_important" } ] }, { flag = "significant" } ] }

[[versions]]
version = "2024-10-18"
effective_from = 2024-10-18
enabled = true

[[versions.reports]]
code = "early_warning"
title = { en = "Early warning", nl = "Vroegtijdige waarschuwing" }
recipient = "csirt"
recipient_title = { en = "CSIRT", nl = "CSIRT" }
anchor = "awareness"
period = { hours = 24 }
legal = true
condition = { flag = "significant" }
basis = { en = "NIS2 Art. 23(4)(a)", nl = "NIS2 art. 23(4)(a)" }

[[versions.reports]]
code = "notification"
title = { en = "Incident notification", nl = "Incidentmelding" }
recipient = "csirt"
recipient_title = { en = "CSIRT", nl = "CSIRT" }
anchor = "awareness"
period = { hours = 72 }
legal = true
condition = { flag = "significant" }
basis = { en = "NIS2 Art. 23(4)(b)", nl = "NIS2 art. 23(4)(b)" }

[[versions.reports]]
code = "final"
title = { en = "Final report", nl = "Eindverslag" }
recipient = "csirt"
recipient_title = { en = "CSIRT", nl = "CSIRT" }
anchor = "report:notification"
period = { months = 1, zone = "Europe/Brussels" }
legal = true
condition = { flag = "significant" }
basis = { en = "NIS2 Art. 23(4)(d)", nl = "NIS2 art. 23(4)(d)" }
"""

DORA_REPORTS = """
[[versions.reports]]
code = "initial"
title = {{ en = "Initial notification", nl = "Eerste melding" }}
recipient = "competent_authority"
recipient_title = {{ en = "Competent authority", nl = "Bevoegde autoriteit" }}
anchor = "classification"
period = {{ hours = 4 }}
latest = {{ anchor = "detection", period = {{ hours = 24 }} }}
legal = true
condition = {{ flag = "major" }}
basis = {{ en = "DORA RTS Art. 5(1)(a)", nl = "DORA RTS art. 5(1)(a)" }}

[[versions.reports]]
code = "intermediate"
title = {{ en = "Intermediate report", nl = "Tussentijds verslag" }}
recipient = "competent_authority"
recipient_title = {{ en = "Competent authority", nl = "Bevoegde autoriteit" }}
anchor = "report:initial"
period = {{ hours = {intermediate_hours} }}
legal = true
condition = {{ flag = "major" }}
basis = {{ en = "DORA RTS Art. 5(1)(b)", nl = "DORA RTS art. 5(1)(b)" }}
"""

DORA_HEAD = """
code = "dora"
title = { en = "EU: DORA", nl = "EU: DORA" }
jurisdiction = "EU"
source = "Regulation (EU) 2022/2554 art. 19; RTS (EU) 2025/301 art. 5"
certainty = "likely"
applicability = { entity = "financial_entity" }
"""

DORA_V1 = """
[[versions]]
version = "2025-01-17"
effective_from = 2025-01-17
enabled = true
""" + DORA_REPORTS.format(intermediate_hours=72)

# A later version of the file, in force from 1 August 2025: its intermediate report is due in 48 h.
DORA_V2 = """
[[versions]]
version = "2025-08-01"
effective_from = 2025-08-01
enabled = true
""" + DORA_REPORTS.format(intermediate_hours=48)

# A third regime that asks for one report, to show that adding regimes adds no queries.
EXTRA = """
code = "{code}"
title = {{ en = "Test regime {code}", nl = "Testregeling {code}" }}
jurisdiction = "NL"
source = "test"
certainty = "firm"

[[versions]]
version = "2020-01-01"
effective_from = 2020-01-01
enabled = true

[[versions.reports]]
code = "notice"
title = {{ en = "Notice", nl = "Kennisgeving" }}
recipient = "regulator"
recipient_title = {{ en = "Regulator", nl = "Toezichthouder" }}
anchor = "awareness"
period = {{ calendar_days = 3, ends = "end_of_day", zone = "Europe/Amsterdam" }}
legal = true
basis = {{ en = "Test", nl = "Test" }}
"""


def write(directory: Path, code: str, text: str):
    path = directory / f"{code}.toml"
    path.write_text(text, encoding="utf-8")
    return load_file(path)


def use_test_catalogue(monkeypatch, directory: Path) -> dict:
    """Make the derivation read the tests' catalogue: gdpr (shipped), nis2, dora (one version), extra_1, extra_2.

    A mutable dict: a test may swap a regime for a later version of its file.
    """
    regimes = {
        "gdpr": load_file(DATA_DIR / "gdpr.toml"),
        "nis2": write(directory, "nis2", NIS2),
        "dora": write(directory, "dora", DORA_HEAD + DORA_V1),
        "extra_1": write(directory, "extra_1", EXTRA.format(code="extra_1")),
        "extra_2": write(directory, "extra_2", EXTRA.format(code="extra_2")),
    }
    monkeypatch.setattr(obligations, "catalogue", lambda: regimes)
    return regimes


@pytest.fixture
def catalogue(tmp_path, monkeypatch):
    return use_test_catalogue(monkeypatch, tmp_path)


@pytest.fixture
def dora_v2(catalogue, tmp_path):
    """Swap DORA's file for one with a second version (in force from 1 August 2025)."""

    def swap():
        catalogue["dora"] = write(tmp_path, "dora", DORA_HEAD + DORA_V1 + DORA_V2)

    return swap


@pytest.fixture
def own_party(incident, lab, officer):
    """The organisation itself on the incident, as controller."""
    return services.add_party(
        incident, party=lab.parties.get(is_self=True), role="controller", actor=officer, reason="parties"
    )


@pytest.fixture
def aware(incident, own_party, officer, now):
    """The organisation aware two hours ago."""
    return services.record_awareness(
        incident,
        party=own_party,
        aware_at=now - timedelta(hours=2),
        source="own_detection",
        actor=officer,
        reason="aware",
    )


@pytest.fixture
def decide(incident, officer, catalogue):
    def run(regime, applies=True, **kwargs):
        return regime_actions.decide_regime(
            incident,
            regime=regime,
            applies=applies,
            reasoning=kwargs.pop("reasoning", "our reading of the rules"),
            actor=kwargs.pop("actor", officer),
            reason="decision",
            **kwargs,
        )

    return run


@pytest.fixture
def flag(incident, officer):
    def run(name, value=True):
        return regime_actions.set_determination(
            incident, name=name, value=value, rationale="assessed", actor=officer, reason="determined"
        )

    return run
