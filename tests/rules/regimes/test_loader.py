"""Loading regime files (rules.regimes.loader): every refusal names the file and the path.

Also: every shipped file loads, every shipped file has its pinned tests, and the engine holds no
branch for a particular regime (no regime code appears in rules/regimes/*.py).
"""

from __future__ import annotations

import io
import re
import tokenize
import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from rules.regimes import DATA_DIR, Facts, RegimeFileError, catalogue, load_file, report_applies, suggest

ENGINE_DIR = Path(DATA_DIR).parent
TESTS_DIR = Path(__file__).resolve().parent

BASE = """\
code = "demo"
title = { en = "Demo", nl = "Demo" }
jurisdiction = "NL"
source = "Demo Act art. 1"
certainty = "firm"
applicability = { place = "NL", at_least = 1 }

[[versions]]
version = "v1"
effective_from = 2024-01-01
enabled = true

[[versions.reports]]
code = "first"
title = { en = "First", nl = "Eerste" }
recipient = "authority"
recipient_title = { en = "Authority", nl = "Autoriteit" }
anchor = "awareness"
period = { hours = 24 }
legal = true
basis = { en = "Art. 1", nl = "Art. 1" }

[[versions.reports]]
code = "second"
title = { en = "Second", nl = "Tweede" }
recipient = "authority"
recipient_title = { en = "Authority", nl = "Autoriteit" }
anchor = "report:first"
period = { business_days = 3, calendar = "NL", ends = "end_of_day", zone = "Europe/Amsterdam" }
legal = false
basis = { en = "Art. 2", nl = "Art. 2" }
"""

SECOND_VERSION = """
[[versions]]
version = "v2"
effective_from = 2025-01-01
enabled = true

[[versions.reports]]
code = "first"
title = { en = "First", nl = "Eerste" }
recipient = "authority"
recipient_title = { en = "Authority", nl = "Autoriteit" }
anchor = "awareness"
period = { hours = 48 }
legal = true
basis = { en = "Art. 1", nl = "Art. 1" }
"""

PERIOD = "period = { hours = 24 }"
BD_PERIOD = 'period = { business_days = 3, calendar = "NL", ends = "end_of_day", zone = "Europe/Amsterdam" }'


def write(tmp_path: Path, text: str, name: str = "demo") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def load_text(tmp_path: Path, text: str, name: str = "demo"):
    return load_file(write(tmp_path, text, name))


def test_the_base_file_loads_with_its_values(tmp_path):
    regime = load_text(tmp_path, BASE)
    assert regime.code == "demo"
    assert regime.certainty == "firm"
    version = regime.versions[0]
    assert version.effective_from == date(2024, 1, 1)
    assert [r.code for r in version.reports] == ["first", "second"]
    assert version.report("second").period.calendar == "NL"
    assert (
        version.report("second")
        .explain("en")
        .startswith("3 business days (the Netherlands) after the submission of “First”")
    )


def test_a_source_is_one_string_for_every_language_or_a_table_per_language(tmp_path):
    plain = load_text(tmp_path, BASE).source
    assert (plain.get("en"), plain.get("nl")) == ("Demo Act art. 1", "Demo Act art. 1")
    table = 'source = { en = "Demo Act art. 1 and 2", nl = "Demowet art. 1 en 2" }'
    cited = load_text(tmp_path, BASE.replace('source = "Demo Act art. 1"', table)).source
    assert (cited.get("en"), cited.get("nl")) == ("Demo Act art. 1 and 2", "Demowet art. 1 en 2")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        # the file as a whole
        ('code = "demo"', 'code = "other"', "demo.toml: code: 'other' must equal the file name 'demo'"),
        ('code = "demo"', 'code = "Demo"', "demo.toml: code: 'Demo' does not match"),
        ('source = "Demo Act art. 1"\n', "", "demo.toml: missing key 'source'"),
        ('certainty = "firm"', 'certainty = "firm"\ncolour = "red"', "demo.toml: unknown key 'colour' (allowed: "),
        ('certainty = "firm"', 'certainty = "maybe"', "demo.toml: certainty: 'maybe' is not one of firm, likely, open"),
        (
            'jurisdiction = "NL"',
            'jurisdiction = "Netherlands"',
            "demo.toml: jurisdiction: 'Netherlands' does not match",
        ),
        ('title = { en = "Demo", nl = "Demo" }', 'title = { en = "Demo" }', "demo.toml: title: missing key 'nl'"),
        ('title = { en = "Demo", nl = "Demo" }', 'title = "Demo"', "demo.toml: title: must be a table, got a string"),
        ('nl = "Demo" }', 'nl = "" }', "demo.toml: title.nl: must be a non-empty string"),
        # source: a plain string or a table in both languages, refused like the other texts
        (
            'source = "Demo Act art. 1"',
            'source = { en = "Demo Act art. 1" }',
            "demo.toml: source: missing key 'nl'",
        ),
        (
            'source = "Demo Act art. 1"',
            'source = { en = "Demo Act art. 1", nl = "" }',
            "demo.toml: source.nl: must be a non-empty string",
        ),
        (
            'source = "Demo Act art. 1"',
            'source = { en = "Act", nl = "Wet", de = "Gesetz" }',
            "demo.toml: source: unknown key 'de' (allowed: en, nl)",
        ),
        ('source = "Demo Act art. 1"', 'source = " "', "demo.toml: source: must be a non-empty string or a table"),
        ('source = "Demo Act art. 1"', "source = 1", "demo.toml: source: must be a non-empty string or a table"),
        # versions
        (
            "effective_from = 2024-01-01",
            'effective_from = "2024-01-01"',
            "demo.toml: versions[0].effective_from: must be a TOML date",
        ),
        (
            "effective_from = 2024-01-01",
            "effective_from = 2024-01-01T00:00:00Z",
            "demo.toml: versions[0].effective_from: must be a TOML date",
        ),
        ("enabled = true", 'enabled = "yes"', "demo.toml: versions[0].enabled: must be true or false, got a string"),
        ("enabled = true", "enabled = true\nnotes = 1", "demo.toml: versions[0]: unknown key 'notes'"),
        ('version = "v1"\n', "", "demo.toml: versions[0]: missing key 'version'"),
        # reports
        (
            'code = "second"',
            'code = "first"',
            "demo.toml: versions[0].reports[1].code: 'first' appears twice in this version",
        ),
        (
            'recipient = "authority"',
            'recipient = "The Authority"',
            "demo.toml: versions[0].reports[0].recipient: 'The Authority' does not match",
        ),
        ("legal = true", 'legal = "yes"', "demo.toml: versions[0].reports[0].legal: must be true or false"),
        ("legal = true", "legal = true\ndeadline = 3", "demo.toml: versions[0].reports[0]: unknown key 'deadline'"),
        ('basis = { en = "Art. 1", nl = "Art. 1" }\n', "", "demo.toml: versions[0].reports[0]: missing key 'basis'"),
        # anchors
        (
            'anchor = "awareness"',
            'anchor = "discovery"',
            "demo.toml: versions[0].reports[0].anchor: unknown anchor 'discovery' (fact anchors: awareness, ",
        ),
        (
            'anchor = "report:first"',
            'anchor = "report:second"',
            "demo.toml: versions[0].reports[1].anchor: 'report:second': a report cannot be due after its own submission",
        ),
        (
            'anchor = "report:first"',
            'anchor = "report:third"',
            "demo.toml: versions[0].reports[1].anchor: 'report:third': no report 'third' in this version (reports: first, second)",
        ),
        (
            'anchor = "awareness"',
            'anchor = "report:second"',
            "demo.toml: versions[0].reports[0].anchor: chained anchors go round in a circle through 'first'",
        ),
        (
            'anchor = "awareness"',
            'anchor = "year_end:awareness"',
            "demo.toml: versions[0].reports[0].anchor: 'year_end:awareness': a year-end anchor needs a period with a zone",
        ),
        (
            'anchor = "report:first"',
            'anchor = "year_end:discovery"',
            "demo.toml: versions[0].reports[1].anchor: 'year_end:discovery': year_end needs a fact anchor",
        ),
        # periods
        (
            PERIOD,
            "period = { }",
            "demo.toml: versions[0].reports[0].period: exactly one unit key (hours, calendar_days, business_days, months), got none",
        ),
        (
            PERIOD,
            "period = { hours = 24, months = 1 }",
            "demo.toml: versions[0].reports[0].period: exactly one unit key (hours, calendar_days, business_days, months), got hours, months",
        ),
        (
            PERIOD,
            'period = { hours = 24, zone = "Europe/Amsterdam" }',
            "demo.toml: versions[0].reports[0].period: unknown key 'zone' (allowed: hours)",
        ),
        (
            PERIOD,
            "period = { hours = -1 }",
            "demo.toml: versions[0].reports[0].period.hours: must be between 0 and 8784, got -1",
        ),
        (
            BD_PERIOD,
            BD_PERIOD.replace("= 3", "= 0"),
            "demo.toml: versions[0].reports[1].period.business_days: must be between 1 and 366, got 0",
        ),
        (
            PERIOD,
            "period = { hours = true }",
            "demo.toml: versions[0].reports[0].period.hours: must be a whole number, got a boolean",
        ),
        (
            PERIOD,
            "period = { hours = 2.5 }",
            "demo.toml: versions[0].reports[0].period.hours: must be a whole number, got float",
        ),
        (PERIOD, 'period = "24h"', "demo.toml: versions[0].reports[0].period: must be a table, got a string"),
        (
            PERIOD,
            'period = { hours = 4, roll = "next_working_day_noon" }',
            "demo.toml: versions[0].reports[0].period: missing key 'calendar'",
        ),
        (
            PERIOD,
            'period = { hours = 4, roll = "next_day", calendar = "NL", zone = "Europe/Amsterdam" }',
            "demo.toml: versions[0].reports[0].period.roll: 'next_day' is not one of next_working_day_noon",
        ),
        (
            PERIOD,
            'period = { calendar_days = 3, zone = "Europe/Amsterdam" }',
            "demo.toml: versions[0].reports[0].period: missing key 'ends'",
        ),
        (
            PERIOD,
            'period = { calendar_days = 3, end = "end_of_day", ends = "end_of_day", zone = "Europe/Amsterdam" }',
            "demo.toml: versions[0].reports[0].period: unknown key 'end'",
        ),
        (
            PERIOD,
            'period = { calendar_days = 3, ends = "midnight", zone = "Europe/Amsterdam" }',
            "demo.toml: versions[0].reports[0].period.ends: 'midnight' is neither 'end_of_day' nor a local time 'HH:MM'",
        ),
        (
            PERIOD,
            'period = { calendar_days = 3, ends = "24:00", zone = "Europe/Amsterdam" }',
            "demo.toml: versions[0].reports[0].period.ends: '24:00' is neither",
        ),
        (
            PERIOD,
            'period = { calendar_days = 3, ends = "end_of_day", zone = "Europe/Atlantis" }',
            "demo.toml: versions[0].reports[0].period.zone: 'Europe/Atlantis' is not an IANA time zone",
        ),
        (
            BD_PERIOD,
            'period = { business_days = 3, calendar = "XX", ends = "end_of_day", zone = "Europe/Amsterdam" }',
            "demo.toml: versions[0].reports[1].period.calendar: calendar 'XX': ",
        ),
        (
            BD_PERIOD,
            'period = { business_days = 3, calendar = "nl", ends = "end_of_day", zone = "Europe/Amsterdam" }',
            "demo.toml: versions[0].reports[1].period.calendar: calendar 'nl' is not a code like",
        ),
        (
            BD_PERIOD,
            'period = { business_days = 400, calendar = "NL", ends = "end_of_day", zone = "Europe/Amsterdam" }',
            "demo.toml: versions[0].reports[1].period.business_days: must be between 1 and 366, got 400",
        ),
        (BD_PERIOD, "period = { months = 1 }", "demo.toml: versions[0].reports[1].period: missing key 'zone'"),
        # backstop
        (
            "legal = false",
            'legal = false\nlatest = { anchor = "detection" }',
            "demo.toml: versions[0].reports[1].latest: missing key 'period'",
        ),
        (
            "legal = false",
            'legal = false\nlatest = { anchor = "detection", period = { hours = 24 }, note = "x" }',
            "demo.toml: versions[0].reports[1].latest: unknown key 'note'",
        ),
        (
            "legal = false",
            'legal = false\nlatest = { anchor = "discovery", period = { hours = 24 } }',
            "demo.toml: versions[0].reports[1].latest.anchor: unknown anchor 'discovery'",
        ),
        (
            "legal = false",
            'legal = false\nlatest = { anchor = "detection", period = { days = 1 } }',
            "demo.toml: versions[0].reports[1].latest.period: exactly one unit key",
        ),
        # conditions
        (
            'applicability = { place = "NL", at_least = 1 }',
            'applicability = { region = "NL" }',
            "demo.toml: applicability: a condition needs exactly one of all, any, not, place, any_place_at_least, total_at_least, total_below, entity, established, flag; got region",
        ),
        (
            'applicability = { place = "NL", at_least = 1 }',
            'applicability = { flag = "major", entity = "controller" }',
            "demo.toml: applicability: a condition needs exactly one of all, any, not, place, any_place_at_least, total_at_least, total_below, entity, established, flag; got entity, flag",
        ),
        (
            'applicability = { place = "NL", at_least = 1 }',
            'applicability = { place = "NL" }',
            "demo.toml: applicability: missing key 'at_least'",
        ),
        (
            'applicability = { place = "NL", at_least = 1 }',
            'applicability = { place = "NL", at_least = 1, within = "US" }',
            "demo.toml: applicability: unknown key 'within'",
        ),
        (
            'applicability = { place = "NL", at_least = 1 }',
            'applicability = { place = "Holland", at_least = 1 }',
            "demo.toml: applicability.place: 'Holland' does not match",
        ),
        (
            'applicability = { place = "NL", at_least = 1 }',
            "applicability = { all = [] }",
            "demo.toml: applicability.all: must be a non-empty array, got an empty one",
        ),
        (
            'applicability = { place = "NL", at_least = 1 }',
            'applicability = { any = [ { flag = "major" }, { flag = "Major" } ] }',
            "demo.toml: applicability.any[1].flag: 'Major' does not match",
        ),
        (
            'applicability = { place = "NL", at_least = 1 }',
            'applicability = { not = "major" }',
            "demo.toml: applicability.not: must be a table, got a string",
        ),
        (
            'applicability = { place = "NL", at_least = 1 }',
            'applicability = { any_place_at_least = 500, within = "USA" }',
            "demo.toml: applicability.within: 'USA' does not match",
        ),
        (
            "legal = false",
            "legal = false\ncondition = { total_below = 0 }",
            "demo.toml: versions[0].reports[1].condition.total_below: must be between 1 and",
        ),
    ],
)
def test_a_bad_file_is_refused_with_the_file_and_the_path(tmp_path, old, new, message):
    assert old in BASE
    with pytest.raises(RegimeFileError) as refused:
        load_text(tmp_path, BASE.replace(old, new, 1))
    assert str(refused.value).startswith(message), str(refused.value)


def test_a_zero_hour_backstop_means_at_the_latest_when_its_anchor_happens(tmp_path):
    text = BASE.replace("legal = false", 'legal = false\nlatest = { anchor = "detection", period = { hours = 0 } }')
    report = load_text(tmp_path, text).versions[0].report("second")
    detected = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)
    assert report.due_at({"detection": detected}) == detected
    assert report.due_at({"detection": detected, "report:first": detected - timedelta(days=1)}) == detected
    assert report.explain("en").endswith("; at the latest at detection itself")
    assert report.explain("nl").endswith("; uiterlijk op het moment van detectie")


def test_invalid_toml_is_refused_with_the_parsers_reason(tmp_path):
    with pytest.raises(RegimeFileError, match=r"^demo\.toml: not valid TOML: "):
        load_text(tmp_path, BASE + "\ncode = ")


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(RegimeFileError, match=r"^ghost\.toml: cannot be read: "):
        load_file(tmp_path / "ghost.toml")


def test_versions_must_be_ordered_by_effective_from_and_unique(tmp_path):
    earlier = SECOND_VERSION.replace("2025-01-01", "2023-06-01")
    with pytest.raises(RegimeFileError) as refused:
        load_text(tmp_path, BASE + earlier)
    assert str(refused.value) == (
        "demo.toml: versions[1].effective_from: 2023-06-01 is not after versions[0]'s 2024-01-01: "
        "versions must be ordered by effective_from"
    )
    with pytest.raises(RegimeFileError, match=r"^demo\.toml: versions\[1\]\.version: 'v1' appears twice$"):
        load_text(tmp_path, BASE + SECOND_VERSION.replace('"v2"', '"v1"'))


def test_an_open_regime_must_ship_disabled(tmp_path):
    text = BASE.replace('certainty = "firm"', 'certainty = "open"')
    with pytest.raises(RegimeFileError, match=r"^demo\.toml: versions\[0\]\.enabled: a regime of certainty 'open'"):
        load_text(tmp_path, text)
    assert load_text(tmp_path, text.replace("enabled = true", "enabled = false")).versions[0].enabled is False


def test_the_version_in_force_is_the_latest_enabled_one_on_that_day(tmp_path):
    regime = load_text(tmp_path, BASE + SECOND_VERSION)
    assert regime.version_on(date(2023, 12, 31)) is None
    assert regime.version_on(date(2024, 1, 1)).version == "v1"
    assert regime.version_on(date(2025, 1, 1)).version == "v2"
    assert regime.version("v1").report("first").period.amount == 24  # an obligation keeps its version
    disabled = load_text(tmp_path, BASE + SECOND_VERSION.replace("enabled = true", "enabled = false"))
    assert disabled.version_on(date(2026, 1, 1)).version == "v1"
    with pytest.raises(KeyError, match="no version 'v3'"):
        regime.version("v3")
    with pytest.raises(KeyError, match="no report 'third'"):
        regime.version("v1").report("third")


def test_a_period_needs_a_date_not_a_datetime_to_pick_a_version(tmp_path):
    regime = load_text(tmp_path, BASE)
    with pytest.raises(TypeError):
        regime.version_on("2024-06-01")


# --- The shipped files ------------------------------------------------------------------------

SHIPPED = sorted(path.stem for path in DATA_DIR.glob("*.toml"))


@pytest.mark.parametrize("code", SHIPPED)
def test_every_shipped_file_loads_and_is_in_the_catalogue(code):
    regime = load_file(DATA_DIR / f"{code}.toml")
    assert catalogue()[code] == regime
    assert regime.versions
    _check_source(code, regime)
    for version in regime.versions:
        for report in version.reports:
            assert report.basis.en and report.basis.nl
            assert report.explain("en") and report.explain("nl")


# How English cites an EU instrument; Dutch says Richtlijn, Verordening, art.
ENGLISH_EU_CITATION = re.compile(r"\b(?:Directive|Regulation|Article|Art\.|arts\.)")


def _check_source(code: str, regime) -> None:
    """The citation in both languages: a table has both, differs between them (a citation that
    reads the same in every language is one string) and keeps every number of the English; an EU
    instrument is cited as Dutch cites it."""
    raw = tomllib.loads((DATA_DIR / f"{code}.toml").read_text(encoding="utf-8"))["source"]
    source = regime.source
    assert source.en.strip() and source.nl.strip()
    if isinstance(raw, dict):
        assert set(raw) == {"en", "nl"} and (source.en, source.nl) == (raw["en"], raw["nl"])
        assert source.nl != source.en, f"{code}.toml: source reads the same in both languages: give one string"
        assert sorted(re.findall(r"[0-9]+", source.nl)) == sorted(re.findall(r"[0-9]+", source.en)), code
    else:
        assert source.en == source.nl == raw
    if regime.jurisdiction == "EU":
        assert isinstance(raw, dict), f"{code}.toml: an EU instrument needs its Dutch citation"
        assert not ENGLISH_EU_CITATION.search(source.nl), f"{code}.toml: source.nl {source.nl!r}"


@pytest.mark.parametrize("code", SHIPPED)
def test_every_shipped_file_has_its_pinned_tests(code):
    assert (TESTS_DIR / f"test_{code}.py").is_file(), f"add tests/rules/regimes/test_{code}.py"


def test_the_catalogue_is_loaded_once():
    assert catalogue() is catalogue()
    with pytest.raises(TypeError):
        catalogue()["x"] = None  # read-only


def test_suggest_lists_every_regime_in_force_with_reasons():
    facts = Facts(places={"NL": 940_000}, total=940_000, established="NL", flags={"personal_data": True})
    suggestions = {s.regime.code: s for s in suggest(facts, date(2026, 6, 1))}
    assert "gdpr_omnibus" not in suggestions  # disabled
    assert "cra" not in suggestions  # not yet in force on that day
    assert "cra" in {s.regime.code for s in suggest(facts, date(2026, 9, 11))}
    assert suggestions["gdpr"].applies
    assert [r.en for r in suggestions["gdpr"].reasons][:2] == [
        "the incident involves personal data",
        "940,000 data subjects live in the EU or EEA (threshold 1)",
    ]
    assert not suggestions["sec_8k"].applies


def test_report_applies_reads_the_reports_condition():
    version = catalogue()["gdpr"].versions[0]
    assert report_applies(version.report("authority_notification"), Facts()) == (True, ())
    applies, reasons = report_applies(version.report("data_subject_communication"), Facts(flags={"high_risk": False}))
    assert not applies
    assert reasons[0].en == "the breach is not likely to result in a high risk to people's rights and freedoms"


# --- No regime-specific branch in the engine ------------------------------------------------------


def regime_words_in(source: str, codes: list[str]) -> list[str]:
    """Regime codes appearing as words in the names, strings and comments of ``source``."""
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, codes)) + r")\b", re.IGNORECASE)
    found = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in (tokenize.NAME, tokenize.STRING, tokenize.COMMENT) and pattern.search(token.string):
            found.append(f"{token.start[0]}: {token.string.strip()[:60]}")
    return found


def test_the_engine_has_no_branch_for_any_regime():
    codes = sorted(catalogue())
    found = {
        path.name: words
        for path in sorted(ENGINE_DIR.glob("*.py"))
        if (words := regime_words_in(path.read_text(encoding="utf-8"), codes))
    }
    assert found == {}, "put what a regime needs in its data file, not in the engine"


def test_the_branch_check_sees_a_branch_and_ignores_longer_words():
    assert regime_words_in('if code == "dora":\n    pass\n', ["dora"]) == ['1: "dora"']
    assert regime_words_in("# DORA weekends\n", ["dora"]) == ["1: # DORA weekends"]
    assert regime_words_in('tag = "nis2_essential"\n', ["nis2"]) == []
