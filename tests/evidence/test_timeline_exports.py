"""The timeline as PDF and CSV: the demo case read back, the header and footer on every page, the
request's language, CSV parsed with the csv module and safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pypdf
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from access.models import AccessLog
from actions import incidents as services
from evidence.chain import export_stamp
from readers import timeline_csv, timeline_pdf
from readers.review import KIND_LABELS
from readers.timeline import Audience, Entry, incident_timeline

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
EXPORTS = ["evidence:timeline_pdf", "evidence:timeline_csv"]


def flat(text: str) -> str:
    return " ".join(text.split())


def pdf_pages(content: bytes) -> list[str]:
    return [flat(page.extract_text()) for page in pypdf.PdfReader(io.BytesIO(content)).pages]


def amsterdam(value: datetime) -> str:
    """The local time as the PDF should print it, worked out here with zoneinfo and strftime."""
    local = value.astimezone(AMSTERDAM)
    return local.strftime("%Y-%m-%d %H:%M:%S %Z")


def csv_records(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # the byte-order mark Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


@pytest.fixture(autouse=True)
def english():
    """Pure renders run in English: a request in Dutch leaves Dutch active in the thread after it."""
    with translation.override("en"):
        yield


@pytest.fixture
def legal_client(client, demo_incident):
    from organisations.models import User

    client.force_login(User.objects.get(username="legal@demo.example"))  # the laboratory's legal member
    return client


def _download(client, name, incident, **extra):
    response = client.get(reverse(name, args=[incident.pk]), **extra)
    assert response.status_code == 200
    return response


# --- PDF ----------------------------------------------------------------------------------------


def words_in_order(text: str, phrase: str, start: int) -> int:
    """Where ``phrase`` ends in ``text`` after ``start``, its words in order, or -1.

    A row that reaches the foot of a page continues on the next one: its cells are split, so
    the next page's header and the row's other cells may stand between two of its words.
    """
    position = start
    for word in phrase.split():
        found = text.find(word, position)
        if found < 0:
            return -1
        position = found + len(word)
    return position


def test_the_demo_pdf_lists_every_entry_in_timeline_order_with_both_instants(legal_client, demo_incident):
    entries = incident_timeline(demo_incident, audience=Audience.REGULATOR)
    response = _download(legal_client, "evidence:timeline_pdf", demo_incident)
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(pdf_pages(response.content))

    position = 0
    for entry in entries:
        kind = str(KIND_LABELS[entry.kind])  # the kind in words, never its code
        kind_at = text.find(kind, position)
        assert kind_at >= 0, f"{kind!r} missing or out of order"
        end = words_in_order(text, flat(entry.summary), kind_at + len(kind))
        assert end >= 0, f"{entry.summary!r} missing or out of order"
        row_start = text[position:kind_at]  # the row's first cells: when it happened, when written down
        assert amsterdam(entry.event_at) in row_start and amsterdam(entry.recorded_at) in row_start
        position = end
    assert len(entries) >= 25


def test_the_demo_pdf_shows_actor_reason_and_each_change_as_old_to_new(legal_client, demo_incident):
    text = " ".join(pdf_pages(_download(legal_client, "evidence:timeline_pdf", demo_incident).content))

    assert "2025-07-06 10:00:00 CEST (UTC+02:00) " in text  # the laboratory's awareness, Amsterdam summer time
    assert "officer@demo.example our own awareness: leak-site listing verified" in text
    # Each change in words: the field's label, the values as a reader reads them, no column name.
    assert "Still ongoing: yes → no" in text
    assert "Contained: — → Tue 8 Jul 2025, 18:00 CEST" in text
    assert "is_ongoing" not in text and "contained_at" not in text
    assert "≈485,000" in text and "≥850,000" in text


def test_every_page_has_the_header_and_a_footer_with_page_n_of_m_and_the_chain_head(
    legal_client, demo_incident, time_machine
):
    generated = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=5)
    time_machine.move_to(generated, tick=False)
    stamp = export_stamp(demo_incident.organisation)

    pages = pdf_pages(_download(legal_client, "evidence:timeline_pdf", demo_incident).content)

    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert f"Timeline · {demo_incident.reference} · {demo_incident.title}" in page
        assert f"Organisation: {demo_incident.organisation}" in page
        assert f"Generated at {amsterdam(generated)}" in page and "Europe/Amsterdam" in page
        assert f"Page {number} of {len(pages)}" in page
        assert f"{stamp['chain']} · seq {stamp['seq']} · sha256 {stamp['sha256']}" in page


def test_the_pdf_is_in_dutch_when_the_request_asks_for_dutch(client, legal_client, demo_incident):
    english = pdf_pages(_download(legal_client, "evidence:timeline_pdf", demo_incident).content)
    dutch = pdf_pages(
        _download(legal_client, "evidence:timeline_pdf", demo_incident, HTTP_ACCEPT_LANGUAGE="nl").content
    )

    with translation.override("nl"):
        labels = [
            gettext(label)
            for label in ("Timeline", "Organisation", "Generated at", "Happened", "Written down", "Who and why")
        ]
        page_one = gettext("Page %(n)s of %(total)s") % {"n": 1, "total": len(dutch)}
        chain_head = gettext("Chain head: %(chain)s") % {"chain": ""}
        summaries = [
            flat(e.summary)
            for e in incident_timeline(demo_incident, audience=Audience.REGULATOR)
            if e.kind == "awareness"
        ]
    assert "Tijdlijn" in labels  # the catalogue really has them: the test would pass on English otherwise
    assert all(label in dutch[0] for label in labels) and page_one in dutch[0]
    # Every page's footer: the chain head in Dutch too (it was English: _() inside an f-string).
    assert chain_head == "Kop van de bewijsketen: " and all(chain_head in page for page in dutch)
    assert not any("Chain head" in page for page in dutch)
    assert all(summary in " ".join(dutch) for summary in summaries)
    assert "Timeline ·" in english[0] and "Tijdlijn" not in " ".join(english)


def test_accented_names_and_the_euro_sign_are_embedded_and_extract_as_written(incident):
    summary = "Ziekenhuis Sint-Ĳsselland informeerde Zoë en René: losgeld € 1.100.000, ≈485,000 → ≥850,000"
    entry = Entry(
        datetime(2025, 8, 6, 13, 0, tzinfo=UTC),
        datetime(2025, 8, 6, 13, 5, tzinfo=UTC),
        "processor_notice",
        summary,
        "functionaris@ĳmuiden.example",
        "brief van de AP",
        "incidents.processornotice",
        1,
    )
    body = timeline_pdf.render(
        incident, [entry], stamp=export_stamp(incident.organisation), now=datetime.now(UTC), zone=AMSTERDAM
    )

    reader = pypdf.PdfReader(io.BytesIO(body))
    assert summary in flat(reader.pages[0].extract_text())
    assert "functionaris@ĳmuiden.example" in reader.pages[0].extract_text()
    fonts = {str(font.get_object()["/BaseFont"]) for font in reader.pages[0]["/Resources"]["/Font"].values()}
    assert fonts and all("SourceSansPro" in name for name in fonts)  # embedded, no standard (Latin-1) font
    assert all(
        "/FontFile2" in font.get_object()["/FontDescriptor"] for font in reader.pages[0]["/Resources"]["/Font"].values()
    )


def test_long_texts_wrap_and_a_row_taller_than_a_page_continues_on_the_next(incident, officer):
    words = [f"finding{k}" for k in range(1500)] + ["a-hash-without-spaces-" + "0123456789abcdef" * 12]
    services.update_incident(incident, description=" ".join(words), actor=officer, reason="forensic report received")

    body = timeline_pdf.render(
        incident,
        incident_timeline(incident, audience=Audience.REGULATOR),
        stamp=export_stamp(incident.organisation),
        now=datetime.now(UTC),
        zone=AMSTERDAM,
    )

    pages = pdf_pages(body)
    assert len(pages) >= 2
    text = " ".join(pages)
    assert all(word in text for word in words[:-1])
    assert "0123456789abcdef" * 3 in text.replace(" ", "")  # the unbreakable word, broken to fit, nothing lost


def test_the_wrapper_keeps_every_line_within_the_column_and_every_word():
    timeline_pdf.register_fonts()
    wrapper = timeline_pdf.Wrapper()
    text = "Betrokkenen (art. 33 lid 3 sub a AVG): ≈485,000 " * 20 + "x" * 400

    lines = wrapper.lines(text, timeline_pdf.REGULAR, 8, 120)

    assert len(lines) > 10
    assert all(wrapper.width(line, timeline_pdf.REGULAR, 8) <= 120 for line in lines)
    assert "".join(text.split()) == "".join("".join(lines).split())


def test_ten_thousand_entries_render(incident):
    start = datetime(2025, 7, 3, 20, 0, tzinfo=UTC)
    entries = [
        Entry(
            start + timedelta(minutes=k),
            start + timedelta(minutes=k, seconds=30),
            "change",
            f"Estimate changed: low, note (revision {k})",
            "officer@lab.example",
            f"count revised {k}",
            "incidents.affectedestimate",
            k,
            [("low", 1000 + k, 1001 + k), ("note", "", f"revision {k}")],
        )
        for k in range(10_000)
    ]
    body = timeline_pdf.render(
        incident, entries, stamp=export_stamp(incident.organisation), now=datetime.now(UTC), zone=AMSTERDAM
    )

    reader = pypdf.PdfReader(io.BytesIO(body))
    last = flat(reader.pages[-1].extract_text())
    assert "count revised 9999" in last
    assert f"Page {len(reader.pages)} of {len(reader.pages)}" in last
    assert len(reader.pages) > 200


# --- CSV ----------------------------------------------------------------------------------------


def test_the_demo_csv_parses_back_to_the_timeline_in_order(legal_client, demo_incident):
    entries = incident_timeline(demo_incident, audience=Audience.REGULATOR)
    response = _download(legal_client, "evidence:timeline_csv", demo_incident)
    assert response["Content-Type"] == "text/csv; charset=utf-8"

    records = csv_records(response.content)
    assert records[3] == list(timeline_csv.COLUMNS)
    rows = [dict(zip(records[3], record, strict=False)) for record in records[4:]]
    # The regulator's summary first, one sentence per record, then the entries.
    summary = [row for row in rows if row["kind"] == "summary"]
    assert summary and rows[: len(summary)] == summary
    assert all(row["entry"] == "" and row["event_at"] == "" for row in summary)
    assert any(row["summary"].startswith("Aware at ") for row in summary)
    rows = rows[len(summary) :]
    by_entry: dict[int, list[dict]] = {}
    for row in rows:
        by_entry.setdefault(int(row["entry"]), []).append(row)
    assert list(by_entry) == list(range(1, len(entries) + 1))
    for entry, found in zip(entries, by_entry.values(), strict=False):
        first = found[0]
        assert first["event_at"] == entry.event_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ").replace(
            ".000000Z", "Z"
        )
        assert (first["kind"], first["summary"], first["actor"], first["reason"]) == (
            entry.kind,
            entry.summary,
            entry.actor,
            entry.reason,
        )
        assert (first["model"], int(first["object_id"])) == (entry.model, entry.object_id)
        assert [row["field"] for row in found] == ([name for name, _old, _new in entry.changes] or [""])
    containment = next(
        found
        for found in by_entry.values()
        if found[0]["reason"] == "breach contained" and found[0]["kind"] == "change"
    )
    assert {"field": "is_ongoing", "old": "true", "new": "false"}.items() <= next(
        r for r in containment if r["field"] == "is_ongoing"
    ).items()
    assert next(r for r in containment if r["field"] == "contained_at")["new"] == "2025-07-08T16:00:00Z"


def test_the_csv_carries_organisation_incident_and_chain_head_in_its_first_records_and_headers(
    legal_client, demo_incident
):
    stamp = export_stamp(demo_incident.organisation)
    response = _download(legal_client, "evidence:timeline_csv", demo_incident)

    records = csv_records(response.content)
    metadata = dict(zip(records[0], records[1], strict=False))
    assert metadata["schema"] == "breachtrack.timeline-csv/1"
    assert metadata["generated_at"].endswith("Z")
    assert (metadata["organisation"], metadata["incident_reference"], metadata["incident_title"]) == (
        str(demo_incident.organisation),
        demo_incident.reference,
        demo_incident.title,
    )
    assert (metadata["chain"], int(metadata["chain_seq"]), metadata["chain_sha256"]) == (
        stamp["chain"],
        stamp["seq"],
        stamp["sha256"],
    )
    assert records[2] == [""] * len(timeline_csv.COLUMNS)
    assert {len(record) for record in records} == {len(timeline_csv.COLUMNS)}  # one rectangular RFC 4180 table
    assert response["X-BreachTrack-Chain"] == f"{stamp['chain']}; seq={stamp['seq']}; sha256={stamp['sha256']}"
    assert response["Content-Disposition"] == f'attachment; filename="{demo_incident.reference}-timeline.csv"'


def test_the_csv_is_rfc_4180_crlf_with_quotes_doubled(incident, officer):
    services.update_incident(
        incident, description='He said "pay", then: 1,100,000\nsecond line', actor=officer, reason="notes, quoted"
    )
    text = timeline_csv.render(
        incident,
        incident_timeline(incident, audience=Audience.REGULATOR),
        stamp=export_stamp(incident.organisation),
        now=datetime.now(UTC),
    )

    assert text.count("\r\n") >= 6 and "\n" not in text.replace("\r\n", "").replace("\nsecond line", "")
    assert '"He said ""pay"", then: 1,100,000\nsecond line"' in text
    assert '"notes, quoted"' in text


@pytest.mark.parametrize("trigger", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_neutralised(trigger):
    assert (
        timeline_csv.neutralise(f'{trigger}HYPERLINK("https://evil.example")')
        == f'\'{trigger}HYPERLINK("https://evil.example")'
    )
    assert timeline_csv.neutralise("2025-07-06T08:00:00Z") == "2025-07-06T08:00:00Z"


def test_formulas_in_the_title_reason_and_values_come_back_as_text(client, officer, incident):
    services.update_incident(
        incident,
        title='=HYPERLINK("https://evil.example","Open")',
        description="-2+3",
        actor=officer,
        reason="@SUM(1+1)",
    )
    client.force_login(officer)

    records = csv_records(_download(client, "evidence:timeline_csv", incident).content)

    cells = [cell for record in records for cell in record]
    assert '\'=HYPERLINK("https://evil.example","Open")' in cells  # the title, in the metadata and the change
    assert "'@SUM(1+1)" in cells and "'-2+3" in cells
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]


# --- Access: roles, tenancy, the log, query counts ----------------------------------------------


@pytest.mark.parametrize("name", EXPORTS)
@pytest.mark.parametrize("persona", ["officer", "lawyer", "viewer"])
def test_every_member_may_download_the_exports_and_each_download_is_logged(client, request, incident, persona, name):
    user = request.getfixturevalue(persona)
    client.force_login(user)

    _download(client, name, incident, REMOTE_ADDR="192.0.2.10")

    entry = AccessLog.objects.get()
    kind = name.split(":")[1]
    assert (entry.user, entry.incident, entry.action, entry.export_kind, entry.outcome) == (
        user,
        incident,
        "export_download",
        kind,
        "allowed",
    )
    assert entry.ip_address == "192.0.2.10"


@pytest.mark.parametrize("name", EXPORTS)
def test_another_organisations_export_is_a_404_and_nothing_is_logged(client, outsider, incident, name):
    client.force_login(outsider)

    assert client.get(reverse(name, args=[incident.pk])).status_code == 404
    assert not AccessLog.objects.exists()


@pytest.mark.parametrize("name", EXPORTS)
def test_an_anonymous_request_is_sent_to_the_login_page(client, incident, name):
    response = client.get(reverse(name, args=[incident.pk]))

    assert response.status_code == 302 and "login" in response["Location"]
    assert not AccessLog.objects.exists()


@pytest.mark.parametrize("name", EXPORTS)
def test_the_exports_read_a_fixed_number_of_queries_at_two_history_sizes(client, lawyer, incident, officer, now, name):
    client.force_login(lawyer)
    url = reverse(name, args=[incident.pk])

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    small = count()
    for k in range(30):
        services.update_incident(incident, title=f"Ransomware, wording {k}", actor=officer, reason="wording")
        services.record_estimate(
            incident, measure="records", low=1000 + k, known_at=now, source="count", actor=officer, reason="count"
        )
    assert count() == small


def test_the_timeline_page_links_the_pdf_and_csv_exports(client, lawyer, incident):
    client.force_login(lawyer)

    page = client.get(reverse("evidence:timeline", args=[incident.pk])).content.decode()

    assert all(reverse(name, args=[incident.pk]) in page for name in EXPORTS)


def test_a_rows_cached_pdf_operators_are_the_ones_reportlab_writes(settings):
    """RowText keeps each line's PDF operators per document: the page it draws is byte for byte
    the page reportlab's own text object draws (a canvas without the cache)."""
    from reportlab import rl_config
    from reportlab.pdfgen import canvas as pdfcanvas

    timeline_pdf.register_fonts()
    wrapper = timeline_pdf.Wrapper()
    texts = ["Change", "Affected estimate changed: low, note", "Ĳsselmeer € ≈ → ë", "Change", "benchmark"]
    rows = [
        timeline_pdf.EntryRow(
            [
                [timeline_pdf.Block(timeline_pdf.REGULAR, wrapper.lines(text, timeline_pdf.REGULAR, 8, 80))],
                [timeline_pdf.Block(timeline_pdf.REGULAR, [text], muted=True)],
                [timeline_pdf.Block(timeline_pdf.BOLD, [text]), timeline_pdf.Block(timeline_pdf.REGULAR, [text])],
                [],
            ]
        )
        for text in texts * 3
    ]

    def page(cached: bool) -> bytes:
        buffer = io.BytesIO()
        canvas = pdfcanvas.Canvas(buffer, invariant=1)
        if cached:
            canvas.line_codes = {}
        for number, row in enumerate(rows):
            row.drawOn(canvas, 40, 800 - 40 * number)
        canvas.save()
        return buffer.getvalue()

    invariant = rl_config.invariant
    try:
        assert page(cached=True) == page(cached=False)
    finally:
        rl_config.invariant = invariant
