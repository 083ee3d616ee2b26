"""The translation catalogues: complete, current, faithful to their placeholders, and compiled.

A Dutch privacy officer must never meet an English string in a Dutch page, nor a fuzzy guess
(gettext serves a fuzzy entry as *untranslated*, and a stale one can say the opposite of the
source). So the build fails when:

- a catalogue has an empty or fuzzy entry (every plural form counts);
- running ``makemessages`` over the whole project (every app, the project templates) would add
  a string the catalogue does not hold, or drop one it does: the catalogue is regenerated,
  not hand-collected, so a new string in any app is caught here and not by a reader;
- a translation loses or invents a ``%(name)s`` placeholder (a lost one hides a value, an
  invented one raises KeyError at run time);
- ``msgfmt --check`` refuses the catalogue, or the committed ``.mo`` (what the running app
  reads: it needs no gettext) differs from the ``.po``.

Needs GNU gettext (``msgfmt``, ``xgettext``, ``msgmerge``), as ``makemessages`` and
``compilemessages`` do; it is on the project's machines. Regenerate with
``manage.py makemessages -l nl`` (no other flags), translate, then
``msgfmt --check -o locale/nl/LC_MESSAGES/django.mo locale/nl/LC_MESSAGES/django.po``.
"""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

# The catalogue and the source, the same on any database: the SQLite pass runs it (tests/conftest.py).
pytestmark = pytest.mark.database_independent

REPO_ROOT = Path(__file__).resolve().parent.parent
SOURCE_LANGUAGE = "en"
# Directories makemessages must not see in the copy (Django itself skips names starting with ".").
NOT_SOURCE = shutil.ignore_patterns(".*", "var", "__pycache__", "test-artifacts", "staticfiles", "*.sqlite3", "*.mo")
NAMED_PLACEHOLDER = re.compile(r"%\((\w+)\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
POSITIONAL_PLACEHOLDER = re.compile(r"%[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")


def catalogue_languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES if code != SOURCE_LANGUAGE]


def po_path(language: str) -> Path:
    return REPO_ROOT / "locale" / language / "LC_MESSAGES" / "django.po"


def load(language: str) -> polib.POFile:
    path = po_path(language)
    assert path.is_file(), f"{path} is missing: run manage.py makemessages -l {language}"
    return polib.pofile(str(path))


def active(po: polib.POFile) -> list[polib.POEntry]:
    return [entry for entry in po if not entry.obsolete]


def gaps(po: polib.POFile) -> list[str]:
    """The msgids that a reader would see in English: empty (any plural form) or fuzzy."""
    found = []
    for entry in active(po):
        forms = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        if "fuzzy" in entry.flags or not forms or any(not form.strip() for form in forms):
            found.append(entry.msgid)
    return found


def require_tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} (GNU gettext) is needed to check the catalogues: apt-get install gettext"
    return path


def test_every_language_but_english_has_a_catalogue_in_the_project_locale_folder():
    assert catalogue_languages() == ["nl"]
    assert [Path(p) for p in settings.LOCALE_PATHS] == [REPO_ROOT / "locale"]
    stray = [p for p in REPO_ROOT.glob("*/locale/*/LC_MESSAGES/*.po") if not p.is_relative_to(REPO_ROOT / "locale")]
    assert stray == [], "one catalogue for the whole project: app catalogues would escape these checks"


@pytest.mark.parametrize("language", catalogue_languages())
def test_the_catalogue_has_no_empty_or_fuzzy_entry(language):
    po = load(language)
    assert len(active(po)) > 1000  # the real catalogue, not an empty file that passes trivially
    assert gaps(po) == []
    assert [entry.msgid for entry in po if entry.previous_msgid] == [], "remove the '#|' lines of fuzzy matches"


@pytest.mark.parametrize("language", catalogue_languages())
def test_the_catalogue_holds_exactly_the_strings_of_every_app(language, tmp_path):
    """makemessages over a copy of the project: no string added, none left fuzzy or untranslated."""
    for tool in ("xgettext", "msgmerge", "msguniq"):
        require_tool(tool)
    copy = tmp_path / "project"
    shutil.copytree(REPO_ROOT, copy, ignore=NOT_SOURCE)
    shutil.copy2(po_path(language), copy / "locale" / language / "LC_MESSAGES" / "django.po")
    env = {**os.environ, "BREACHTRACK_VAR_DIR": str(tmp_path / "var")}
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", language],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    regenerated = polib.pofile(str(copy / "locale" / language / "LC_MESSAGES" / "django.po"))
    committed = load(language)
    assert gaps(regenerated) == [], "new or changed source strings: run makemessages and translate them"
    assert sorted(e.msgid for e in active(regenerated)) == sorted(e.msgid for e in active(committed))
    # The copy really covered every app: each one that translates anything shows up in the references.
    apps_with_strings = {ref.split("/")[0] for entry in active(regenerated) for ref, _line in entry.occurrences}
    assert {
        "access",
        "communications",
        "evidence",
        "filings",
        "incidents",
        "notifications",
        "organisations",
        "templates",
        "breachtrack",
    } <= apps_with_strings


def _placeholders(text: str) -> set[str]:
    return set(NAMED_PLACEHOLDER.findall(text))


@pytest.mark.parametrize("language", catalogue_languages())
def test_every_translation_keeps_the_named_placeholders_of_its_source(language):
    """Singular: the same names. Plural: the plural form keeps all of msgid_plural's names; other
    forms may drop the count (Dutch "één uur") but never name something the source does not."""
    wrong = []
    for entry in active(load(language)):
        if not entry.msgid_plural:
            if _placeholders(entry.msgstr) != _placeholders(entry.msgid):
                wrong.append(entry.msgid)
            continue
        allowed = _placeholders(entry.msgid) | _placeholders(entry.msgid_plural)
        forms = entry.msgstr_plural
        if _placeholders(forms.get(1, "")) != _placeholders(entry.msgid_plural) or any(
            not _placeholders(form) <= allowed for form in forms.values()
        ):
            wrong.append(entry.msgid)
    assert wrong == []


@pytest.mark.parametrize("language", catalogue_languages())
def test_positional_placeholders_are_kept_in_python_format_entries(language):
    wrong = [
        entry.msgid
        for entry in active(load(language))
        if "python-format" in entry.flags
        and not entry.msgid_plural
        and sorted(POSITIONAL_PLACEHOLDER.findall(entry.msgid)) != sorted(POSITIONAL_PLACEHOLDER.findall(entry.msgstr))
    ]
    assert wrong == []


@pytest.mark.parametrize("language", catalogue_languages())
def test_the_catalogue_compiles_with_msgfmt_check(language, tmp_path):
    result = subprocess.run(
        [require_tool("msgfmt"), "--check", "-o", str(tmp_path / "django.mo"), str(po_path(language))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "django.mo").stat().st_size > 0


@pytest.mark.parametrize("language", catalogue_languages())
def test_the_committed_mo_says_what_the_po_says(language):
    """The app reads the committed .mo, so a .po edited without recompiling is a silent gap."""
    mo = po_path(language).with_suffix(".mo")
    assert mo.is_file(), f"{mo} is missing: compile it with msgfmt --check"
    with mo.open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)._catalog
    expected = {}
    for entry in active(load(language)):
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        if entry.msgid_plural:
            for index, form in entry.msgstr_plural.items():
                expected[(key, int(index))] = form
        else:
            expected[key] = entry.msgstr
    compiled = {key: value for key, value in catalog.items() if key != ""}
    assert compiled == {key: value for key, value in expected.items() if key != ""}
