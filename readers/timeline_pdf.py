"""The timeline as a printable A4 PDF, for regulators.

Every page has a header (organisation, incident reference and title, "Timeline", when the file
was generated, the display zone, the column headings) and a footer ("Page N of M" and the chain
head of :func:`evidence.chain.export_stamp`). Each entry is one row: when it happened, when it was
written down (local time with its zone), its kind and summary, for a history change each
``field: old → new``, and who recorded it and why. Long texts wrap; a row taller than a good part
of a page is split across pages, so no text is ever cut off.

Why not Platypus ``Paragraph``/``Table`` for the rows: they parse markup and measure every
fragment, which costs tens of seconds on a 10,000-entry timeline. A row here is plain text wrapped
once by word widths (cached) and drawn line by line; Platypus still does the page flow.

Font: Source Sans Pro (SIL OFL), shipped in ``readers/fonts/`` with its licence and embedded
(subset) in the file. The PDF standard fonts cover Latin-1 only; this one covers Dutch (ĳ, ë, é),
the rest of Latin Extended-A, €, ≈, ≥ and →. It is the same file on every machine, so an export
looks the same wherever it is made. A character outside it (CJK, emoji) shows as an empty box.

Pure: the entries, the incident, the chain stamp and ``now`` come in; bytes go out.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal
from pathlib import Path

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.rl_accel import fp_str
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as pdfcanvas
from reportlab.pdfgen.textobject import PDFTextObject
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate

from readers.review import KIND_LABELS
from readers.timeline import change_words

REGULAR, BOLD = "BreachTrackSans", "BreachTrackSans-Bold"
SIZE, LEADING = 8, 9.6  # entry text
PAD = 2.5  # above and below each row, in points
MARGIN = 15 * mm
HEADER_HEIGHT, FOOTER_HEIGHT = 24 * mm, 11 * mm
PAGE_WIDTH, PAGE_HEIGHT = A4
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
# Happened | Written down | What | Who and why (fractions of the content width).
COLUMNS = (0.15, 0.15, 0.45, 0.25)
GUTTER = 5
SPLIT_ABOVE = 0.3  # a row taller than this share of the frame is split rather than moved on
MUTED = (0.35, 0.35, 0.35)
FONTS = Path(__file__).resolve().parent / "fonts"  # next to this module, wherever it is installed


@functools.cache
def register_fonts() -> None:
    """Register the embedded TrueType faces once per process (parsing them takes ~50 ms)."""
    pdfmetrics.registerFont(TTFont(REGULAR, str(FONTS / "SourceSansPro-Regular.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(FONTS / "SourceSansPro-Semibold.ttf")))


# --- Text ---------------------------------------------------------------------------------------


class Wrapper:
    """Greedy word wrap by real glyph widths, with the widths of words cached (timelines repeat
    the same words thousands of times). A word wider than the column is broken by characters."""

    def __init__(self):
        self._widths: dict[tuple[str, str, float], float] = {}
        self._lines: dict[tuple[str, str, float, float], list[str]] = {}

    def width(self, text: str, font: str, size: float) -> float:
        key = (text, font, size)
        found = self._widths.get(key)
        if found is None:
            found = self._widths[key] = pdfmetrics.stringWidth(text, font, size)
        return found

    def lines(self, text: str, font: str, size: float, width: float) -> list[str]:
        """``text`` wrapped to ``width``; whole texts are cached too (kinds, actors, reasons, labels
        and times recur thousands of times). The list returned is shared: do not change it."""
        key = (text, font, size, width)
        found = self._lines.get(key)
        if found is None:
            found = self._lines[key] = self._wrap(text, font, size, width)
        return found

    def _wrap(self, text: str, font: str, size: float, width: float) -> list[str]:
        out: list[str] = []
        space = self.width(" ", font, size)
        for paragraph in text.splitlines() or [""]:
            line, used = "", 0.0
            for word in paragraph.split():
                word_width = self.width(word, font, size)
                if line and used + space + word_width <= width:
                    line, used = f"{line} {word}", used + space + word_width
                    continue
                if line:
                    out.append(line)
                line, used = word, word_width
                if word_width > width:
                    *full, line = self._break_word(word, font, size, width)
                    out += full
                    used = self.width(line, font, size)
            out.append(line)
        return out

    def _break_word(self, word: str, font: str, size: float, width: float) -> list[str]:
        pieces, piece = [], ""
        for char in word:
            if piece and pdfmetrics.stringWidth(piece + char, font, size) > width:
                pieces.append(piece)
                piece = ""
            piece += char
        return pieces + [piece]


def display_value(value, zone: tzinfo) -> str:
    """A changed field's value as a reader sees it: instants in the display zone, nothing as —."""
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        return local_time(value, zone)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return ", ".join(display_value(item, zone) for item in value) or "—"
    return str(value)


def local_time(value: datetime, zone: tzinfo) -> str:
    """``2025-07-06 10:00:00 CEST (UTC+02:00)``: numeric, so it reads the same in every language."""
    local = value.astimezone(zone)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()} (UTC{offset[:3]}:{offset[3:]})"


# --- One row ------------------------------------------------------------------------------------


class RowText(PDFTextObject):
    """reportlab's text object, with the PDF operators of each line kept per document.

    Turning a line into PDF operators maps every character to the embedded subset's code, one
    Python step per character: with some 100,000 lines it was most of a 10,000-entry export's
    time. The operators depend only on the text, the font, its size and leading, and the subset
    in use before the line (the subset codes, once given, never change within a document), so
    a line already written is not written again: the same operators, the same bytes. The cache
    lives on the canvas (``line_codes``); a canvas without one works uncached.
    """

    def _formatText(self, text):
        cache = getattr(self._canvas, "line_codes", None)
        if cache is None:
            return super()._formatText(text)
        key = (self._fontname, self._fontsize, self._leading, self._curSubset, text)
        found = cache.get(key)
        if found is None:
            code = super()._formatText(text)
            cache[key] = (code, self._curSubset)
            return code
        code, self._curSubset = found
        return code

    def setFillColorRGB(self, r, g, b, alpha=None):
        """As reportlab's (a plain RGB tuple, no alpha: "r g b rg"), its operator formatted once."""
        if alpha is not None or self._enforceColorSpace:
            return super().setFillColorRGB(r, g, b, alpha)
        rgb = (r, g, b)
        code = _FILL_CODES.get(rgb)
        if code is None:
            code = _FILL_CODES[rgb] = f"{fp_str(rgb)} rg"
        self._fillColorObj = rgb
        self._code.append(code)
        return None


_FILL_CODES: dict[tuple, str] = {}


@dataclass
class Block:
    """Wrapped lines of one font in one cell."""

    font: str
    lines: list[str]
    muted: bool = False


class EntryRow(Flowable):
    """One timeline entry: four cells of wrapped plain text, a hairline underneath."""

    def __init__(self, cells: list[list[Block]]):
        super().__init__()
        self.cells = cells
        self.heights = [sum(len(block.lines) for block in cell) for cell in cells]
        self.height = max(self.heights) * LEADING + 2 * PAD

    def wrap(self, available_width, available_height):
        return CONTENT_WIDTH, self.height

    def split(self, available_width, available_height):
        """Only a tall row is split (at a line); a short one moves to the next page whole."""
        frame_height = PAGE_HEIGHT - HEADER_HEIGHT - FOOTER_HEIGHT - 2 * MARGIN
        fitting = int((available_height - 2 * PAD) // LEADING)
        if self.height <= SPLIT_ABOVE * frame_height or fitting < 3:
            return []
        head, tail = [], []
        for cell in self.cells:
            first, rest, left = [], [], fitting
            for block in cell:
                taken = block.lines[: max(left, 0)]
                left -= len(taken)
                if taken:
                    first.append(Block(block.font, taken, block.muted))
                if len(taken) < len(block.lines):
                    rest.append(Block(block.font, block.lines[len(taken) :], block.muted))
            head.append(first)
            tail.append(rest)
        tail[0].insert(0, Block(REGULAR, [_("(continued)")], muted=True))  # which row it is: see the page before
        return [EntryRow(head), EntryRow(tail)]

    def draw(self):
        # One text object for the whole row: a line costs one "T*" and its glyphs, not a text
        # object of its own (half the drawing time of a 10,000-entry export).
        canvas = self.canv
        text = RowText(canvas)  # what canvas.beginText() makes, with its lines cached
        text.setLeading(LEADING)
        x = 0.0
        for cell, fraction in zip(self.cells, COLUMNS, strict=False):
            text.setTextOrigin(x, self.height - PAD - SIZE)
            for block in cell:
                text.setFont(block.font, SIZE, LEADING)
                text.setFillColorRGB(*(MUTED if block.muted else (0, 0, 0)))
                for line in block.lines:
                    text.textLine(line)
            x += fraction * CONTENT_WIDTH
        canvas.drawText(text)
        canvas.setStrokeColorRGB(0.8, 0.8, 0.8)
        canvas.setLineWidth(0.3)
        canvas.line(0, 0, CONTENT_WIDTH, 0)


def column_widths() -> list[float]:
    return [fraction * CONTENT_WIDTH - GUTTER for fraction in COLUMNS]


class RowTexts:
    """The words every row repeats, worked out once per export: the kinds' labels, "the system",
    and the local time of each instant (a history change happened when it was recorded, and a
    bulk change records thousands of rows at one instant)."""

    def __init__(self, zone: tzinfo):
        self.zone = zone
        self.kinds = {kind: str(label) for kind, label in KIND_LABELS.items()}
        self.system = _("the system")
        self._times: dict[datetime, str] = {}

    def time(self, value: datetime) -> str:
        found = self._times.get(value)
        if found is None:
            found = self._times[value] = local_time(value, self.zone)
        return found


def entry_row(
    entry,
    wrapper: Wrapper,
    zone: tzinfo,
    words: list[tuple[str, str, str]] | None = None,
    texts: RowTexts | None = None,
) -> EntryRow:
    """One entry: when it happened and was written down, what (its kind in words, its summary,
    each change as label: before → after, in words), who and why. ``texts``: the export's
    :class:`RowTexts` (made here when not given)."""
    happened, written, what, who = column_widths()
    texts = texts or RowTexts(zone)
    lines = wrapper.lines

    def block(text, width, font=REGULAR, muted=False):
        return Block(font, lines(text, font, SIZE, width), muted)

    what_cell = [block(texts.kinds.get(entry.kind, entry.kind), what, BOLD), block(str(entry.summary), what)]
    if words is None:
        words = [(name, display_value(old, zone), display_value(new, zone)) for name, old, new in entry.changes]
    for label, old, new in words:
        what_cell.append(block(f"{label}: {old} → {new}", what, muted=True))
    who_cell = [block(entry.actor or texts.system, who, BOLD)]
    if entry.reason:
        who_cell.append(block(entry.reason, who))
    return EntryRow(
        [
            [block(texts.time(entry.event_at), happened)],
            [block(texts.time(entry.recorded_at), written, muted=True)],
            what_cell,
            who_cell,
        ]
    )


# --- Pages --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Masthead:
    """What every page repeats: set once, drawn by the page template and the numbering canvas."""

    organisation: str
    reference: str
    title: str
    generated: str
    zone_name: str
    chain: str


def _fit(text: str, font: str, size: float, width: float) -> str:
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


@functools.lru_cache(maxsize=16)
def _header_texts(masthead: Masthead, language: str | None) -> tuple[str, str, str, tuple[str, ...]]:
    """The header's words, translated and fitted once per export (a 10,000-entry export has 650
    pages), not once per page: the heading, the organisation, the right-hand note, the columns."""
    heading = f"{_('Timeline')} · {masthead.reference} · {masthead.title}"
    organisation = f"{_('Organisation')}: {masthead.organisation}"
    # Outside an f-string, so makemessages sees it (the Dutch PDF said "times in" in English).
    zone_note = _("times in %(zone)s") % {"zone": masthead.zone_name}
    return (
        _fit(heading, BOLD, 12, CONTENT_WIDTH),
        _fit(organisation, REGULAR, 9, CONTENT_WIDTH / 2),
        f"{_('Generated at')} {masthead.generated} · {zone_note}",
        (_("Happened"), _("Written down"), _("What"), _("Who and why")),
    )


def draw_header(canvas, masthead: Masthead) -> None:
    heading, organisation, right, columns = _header_texts(masthead, get_language())
    top = PAGE_HEIGHT - MARGIN
    canvas.saveState()
    canvas.setFont(BOLD, 12)
    canvas.drawString(MARGIN, top - 12, heading)
    canvas.setFont(REGULAR, 9)
    canvas.drawString(MARGIN, top - 25, organisation)
    canvas.drawRightString(PAGE_WIDTH - MARGIN, top - 25, right)
    canvas.setFont(BOLD, SIZE)
    x, y = MARGIN, PAGE_HEIGHT - MARGIN - HEADER_HEIGHT + 6
    for label, fraction in zip(columns, COLUMNS, strict=False):
        canvas.drawString(x, y, label)
        x += fraction * CONTENT_WIDTH
    canvas.setLineWidth(0.8)
    canvas.line(MARGIN, y - 3, PAGE_WIDTH - MARGIN, y - 3)
    canvas.restoreState()


def draw_footer(canvas, masthead: Masthead, page: int, pages: int) -> None:
    canvas.saveState()
    canvas.setFont(REGULAR, 7)
    canvas.setFillColorRGB(*MUTED)
    y = MARGIN
    canvas.setLineWidth(0.3)
    canvas.line(MARGIN, y + 10, PAGE_WIDTH - MARGIN, y + 10)
    # Not _() inside an f-string: makemessages cannot see it there, and the Dutch PDF said "Chain head".
    canvas.drawString(MARGIN, y, _("Chain head: %(chain)s") % {"chain": masthead.chain})
    canvas.setFont(BOLD, 8)
    canvas.setFillColorRGB(0, 0, 0)
    canvas.drawRightString(PAGE_WIDTH - MARGIN, y, _("Page %(n)s of %(total)s") % {"n": page, "total": pages})
    canvas.restoreState()


def numbered_canvas(masthead: Masthead):
    """A canvas that holds each finished page until the last, so every footer can say "of M".

    The pages are kept as reportlab's own page state (the content stream built so far), which is
    small next to the entries themselves; the alternative, laying the document out twice, doubles
    the time of a 10,000-entry export.
    """

    class NumberedCanvas(pdfcanvas.Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []
            self.line_codes: dict = {}  # RowText's operators per line, for this document

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                draw_footer(self, masthead, number, total)
                super().showPage()
            super().save()

    return NumberedCanvas


def title_block(masthead: Masthead, count: int, wrapper: Wrapper) -> EntryRow:
    """The first row of the first page: the full title (the header may have to shorten it)."""
    width = CONTENT_WIDTH - GUTTER
    title = Block(BOLD, wrapper.lines(f"{masthead.reference} · {masthead.title}", BOLD, SIZE, width))
    facts = _("%(count)s entries, sorted by when they happened, then by when they were written down.") % {
        "count": count
    }
    return EntryRow([[title, Block(REGULAR, wrapper.lines(facts, REGULAR, SIZE, width), muted=True)], [], [], []])


def section_heading(text: str, wrapper: Wrapper) -> EntryRow:
    """A heading across the page: the summary, the timeline, the appendix."""
    width = CONTENT_WIDTH - GUTTER
    return EntryRow([[Block(BOLD, [""]), Block(BOLD, wrapper.lines(text.upper(), BOLD, SIZE, width))], [], [], []])


def summary_rows(blocks: list[tuple[str, list[str]]], wrapper: Wrapper) -> list[EntryRow]:
    """The regulator's summary (readers.regulator_summary.summary_lines): a row per heading,
    its sentences under it, across the page."""
    width = CONTENT_WIDTH - GUTTER
    rows = []
    for heading, lines in blocks:
        cell = [Block(BOLD, wrapper.lines(heading, BOLD, SIZE, width))]
        for line in lines:
            cell.append(Block(REGULAR, wrapper.lines(line, REGULAR, SIZE, width)))
        rows.append(EntryRow([cell, [], [], []]))
    return rows


def render(incident, entries, *, stamp: dict, now: datetime, zone: tzinfo, summary=None) -> bytes:
    """The PDF of ``entries`` (already in timeline order).

    With ``summary`` (:func:`readers.regulator_summary.summary_lines`' blocks), the first page
    opens on it; the system's own deadline alerts then go to an appendix after the timeline,
    so the register's facts read without them.
    """
    register_fonts()
    zone_name = getattr(zone, "key", str(zone))
    masthead = Masthead(
        organisation=str(incident.organisation),
        reference=incident.reference,
        title=incident.title,
        generated=local_time(now, zone),
        zone_name=zone_name,
        chain=f"{stamp['chain']} · seq {stamp['seq']} · sha256 {stamp['sha256']}",
    )
    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + HEADER_HEIGHT,
        bottomMargin=MARGIN + FOOTER_HEIGHT,
        title=f"{_('Timeline')} {incident.reference}",
        author=masthead.organisation,
        subject=incident.title,
        creator="BreachTrack",
        initialFontName=REGULAR,  # else every page declares Helvetica, a font it never uses
    )
    frame = Frame(
        doc.leftMargin,
        doc.bottomMargin,
        doc.width,
        doc.height,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="entries",
    )
    doc.addPageTemplates(
        [PageTemplate(id="page", frames=[frame], onPage=lambda canvas, _doc: draw_header(canvas, masthead))]
    )
    wrapper = Wrapper()
    story: list[Flowable] = [title_block(masthead, len(entries), wrapper)]
    with timezone.override(zone):
        words = change_words(entries)
    texts = RowTexts(zone)
    rows = [entry_row(entry, wrapper, zone, said, texts) for entry, said in zip(entries, words, strict=True)]
    if summary is None:
        story += rows
    else:
        story.append(section_heading(_("Summary for the supervisory authority"), wrapper))
        story += summary_rows(summary, wrapper)
        story.append(section_heading(_("Timeline"), wrapper))
        story += [row for row, entry in zip(rows, entries, strict=True) if entry.kind != "alert"]
        alerts = [row for row, entry in zip(rows, entries, strict=True) if entry.kind == "alert"]
        if alerts:
            story.append(section_heading(_("Appendix: the system's deadline alerts"), wrapper))
            story += alerts
    if not entries:
        story.append(EntryRow([[], [], [Block(REGULAR, [_("Nothing recorded yet.")])], []]))
    doc.build(story, canvasmaker=numbered_canvas(masthead))
    return buffer.getvalue()
