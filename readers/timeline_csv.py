"""The timeline as CSV, for regulators who open it in a spreadsheet.

Format ``breachtrack.timeline-csv/1`` (documented with the JSON schema in :mod:`readers.timeline`):
UTF-8 with a byte-order mark (without it, Excel reads the file as Windows-1252 and garbles é, ë
and €), CRLF line ends and RFC 4180 quoting (``csv.writer``'s minimal quoting, which :func:`field`
writes for the entries; a cell with a comma, quote or line break is quoted, quotes doubled). Every
record has the same number of fields, so the whole file is one rectangular RFC 4180 table:

1. record 1: the names of the file's metadata (``METADATA_COLUMNS``), padded with empty fields;
2. record 2: their values: the schema, when the file was generated, the organisation, the
   incident and the chain head (:func:`evidence.chain.export_stamp`);
3. record 3: empty;
4. record 4: the names of the entry columns (``COLUMNS``);
5. the regulator's summary (:mod:`readers.regulator_summary`), one record of kind ``summary``
   per sentence, its heading in ``field``, no entry number and no instants;
6. then one record per entry, in timeline order (event time, then recorded time). A history change
   that changed several fields has one record per field, each repeating the entry's columns and
   its ``entry`` number, so every cell holds one value and a spreadsheet can filter by field.

Instants are UTC ISO 8601 (``2025-07-06T08:00:00Z``); ``summary`` is in the request's language,
the column names and ``kind`` are fixed. ``old`` and ``new`` are JSON values written as text: an
instant in UTC ISO 8601, ``true``/``false``, a list as a JSON array, nothing as an empty cell.

**Formula injection.** A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@``
(and some start a formula after a leading tab or carriage return) as a formula. Any cell starting
with one of those characters is written with a leading apostrophe (``'=1+1``), as OWASP
recommends: spreadsheets show the text, and a reader of the raw file sees that it was escaped.
Every cell is treated so, the organisation's name and the incident's title included.

Pure: the entries, the incident, the chain stamp and ``now`` come in; text goes out.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

from readers.timeline import json_value

SCHEMA = "breachtrack.timeline-csv/1"
METADATA_COLUMNS = (
    "schema",
    "generated_at",
    "organisation",
    "incident_id",
    "incident_reference",
    "incident_title",
    "chain",
    "chain_seq",
    "chain_sha256",
)
COLUMNS = (
    "entry",
    "event_at",
    "recorded_at",
    "kind",
    "summary",
    "actor",
    "reason",
    "model",
    "object_id",
    "field",
    "old",
    "new",
)
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


_TRIGGERS = frozenset(FORMULA_TRIGGERS)  # each one character: a set look-up of the first


def neutralise(cell) -> str:
    """A cell a spreadsheet cannot read as a formula."""
    text = cell if type(cell) is str else "" if cell is None else str(cell)
    return "'" + text if text[:1] in _TRIGGERS else text


def value_text(value) -> str:
    """A changed field's value, as JSON would carry it, written as text."""
    value = json_value(value)
    if value is None:
        return ""
    if isinstance(value, bool | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _padded(cells) -> list[str]:
    cells = [neutralise(cell) for cell in cells]
    return cells + [""] * (len(COLUMNS) - len(cells))


def field(text: str) -> str:
    """One cell as ``csv.writer`` writes it (the excel dialect, minimal quoting): quoted when it
    holds a comma, a quote or a line break, its quotes doubled."""
    if '"' in text:
        return '"' + text.replace('"', '""') + '"'
    if "," in text or "\n" in text or "\r" in text:
        return '"' + text + '"'
    return text


def lines(entries):
    """The entry records as CSV lines (CRLF), one per entry, or one per changed field of a history
    change: what ``csv.writer`` writes for them, to the byte, written here without it.

    ``csv.writer`` is the largest single cost of a 10,000-entry file when it quotes every cell of
    every record. Here a cell that repeats -- an instant, a kind, an actor, a reason, a model, a
    field, a summary, a changed value (a value changed from is usually the value the previous
    version changed to) -- is made safe and quoted once per file, and an entry's own cells once
    per entry, not once per changed field.
    """
    cells: dict = {}
    values: dict = {}

    def cell(value) -> str:
        text = cells.get(value)
        if text is None:
            text = cells[value] = field(neutralise(value))
        return text

    def instant(value) -> str:
        text = cells.get(value)
        if text is None:
            text = cells[value] = field(neutralise(json_value(value)))
        return text

    def changed(value) -> str:
        if type(value) not in _WRITTEN_ONCE:  # lists (unhashable), decimals ("1.0" is not "1.00")
            return field(neutralise(value_text(value)))
        key = (type(value), value)
        text = values.get(key)
        if text is None:
            text = values[key] = field(neutralise(value_text(value)))
        return text

    for number, entry in enumerate(entries, start=1):
        event_at = instant(entry.event_at)
        common = ",".join(
            [
                str(number),
                event_at,
                event_at if entry.recorded_at is entry.event_at else instant(entry.recorded_at),
                cell(entry.kind),
                cell(str(entry.summary)),
                cell(entry.actor),
                cell(entry.reason),
                cell(entry.model),
                cell(entry.object_id),
            ]
        )
        if not entry.changes:
            yield common + ",,,\r\n"
        for name, old, new in entry.changes:
            yield f"{common},{cell(name)},{changed(old)},{changed(new)}\r\n"


_WRITTEN_ONCE = frozenset({type(None), bool, int, str, datetime})


def summary_records(blocks):
    """The regulator's summary as records of kind ``summary`` before the entries: no entry number
    and no instants, ``summary`` holding one sentence, ``field`` its heading (the controller, the
    counts, the waves)."""
    for heading, lines in blocks:
        for line in lines:
            yield _padded(["", "", "", "summary", line, "", "", "", "", heading])


def render(incident, entries, *, stamp: dict, now: datetime, summary=None) -> str:
    """The CSV text of ``entries`` (already in timeline order), byte-order mark first; with
    ``summary`` (:func:`readers.regulator_summary.summary_lines`), its records come first."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(_padded(METADATA_COLUMNS))
    writer.writerow(
        _padded(
            [
                SCHEMA,
                json_value(now),
                str(incident.organisation),
                incident.pk,
                incident.reference,
                incident.title,
                stamp["chain"],
                stamp["seq"],
                stamp["sha256"],
            ]
        )
    )
    writer.writerow(_padded([]))
    writer.writerow(list(COLUMNS))
    if summary:
        writer.writerows(summary_records(summary))
    buffer.writelines(lines(entries))
    return buffer.getvalue()
