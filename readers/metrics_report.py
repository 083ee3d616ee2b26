"""The metrics in words: the sections the page shows, the CSV rows and the API's JSON, from one reading.

Each section states its definition, lists its figures (each with the link to the incidents it
counts, or to the incident it names) and carries a bar chart (``readers.metrics_chart``). The page,
the CSV and the API say the same words in the active language; the machine columns (``number``,
``unit``, ``key``) stay the same in every language.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from notifications.models import DeadlineKind
from readers import wording
from readers.metrics import LABELS, OPEN_KINDS, DurationFigure, Metrics
from readers.metrics_chart import BarChart, bar_chart
from readers.metrics_regimes import (
    GDPR,
    STATES,
    RegimeMetrics,
    ReportReading,
    bucket,
    parse_bucket,
    regime_title,
    report_title,
)
from readers.metrics_regimes import LABELS as REPORT_LABELS

Link = Callable[[str], str]  # a bucket key → the drill-down URL
IncidentLink = Callable[[int], str]  # an incident id → its page


@dataclass(frozen=True)
class Figure:
    key: str  # machine name, the same in every language
    label: str
    value_text: str
    number: float | int | None  # a count, a share (0..1) or hours
    unit: str  # "incidents", "share", "hours"
    href: str = ""
    note: str = ""  # e.g. the incident the worst case is


@dataclass
class Section:
    key: str
    title: str
    definition: str
    figures: list[Figure] = field(default_factory=list)
    chart: BarChart | None = None


def share_text(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{number_format(round(value * 100, 1), decimal_pos=1, use_l10n=True)} %"


def hours(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / 3600, 2)


def count_figure(reading: Metrics, key: str, link: Link) -> Figure:
    count = reading.counts[key]
    return Figure(key, str(LABELS[key]), wording.number_text(count), count, "incidents", link(key))


def duration_figures(
    figure: DurationFigure, link: Link, incident_link: IncidentLink, *, target: bool = False, with_p90: bool = False
) -> list:
    rows = [
        Figure(
            f"{figure.key}_count",
            _("cases measured"),
            wording.number_text(figure.count),
            figure.count,
            "incidents",
            link(figure.bucket),
        ),
        Figure(
            f"{figure.key}_median",
            _("median"),
            wording.duration_text(figure.median) or "—",
            hours(figure.median),
            "hours",
            link(figure.bucket),
        ),
    ]
    if figure.p90 is not None or figure.key == "awareness_to_filing" or with_p90:
        rows.append(
            Figure(
                f"{figure.key}_p90",
                _("90th percentile"),
                wording.duration_text(figure.p90) or "—",
                hours(figure.p90),
                "hours",
                link(figure.bucket),
            )
        )
    worst = figure.worst
    note = ""
    if worst is not None:
        note = _("%(reference)s · %(title)s") % {"reference": worst.reference, "title": worst.title}
        if target and worst.target is not None:
            note += " " + _("(target %(target)s)") % {"target": wording.duration_text(worst.target)}
    rows.append(
        Figure(
            f"{figure.key}_worst",
            _("worst"),
            wording.duration_text(worst.duration) if worst else "—",
            hours(worst.duration) if worst else None,
            "hours",
            incident_link(worst.incident_id) if worst else "",
            note,
        )
    )
    return rows


TONES = {"on_time": "ok", "within_target": "ok", "late": "late", "over_target": "late", "overdue": "late"}


def tone_of(key: str) -> str:
    for suffix, tone in TONES.items():
        if key.endswith(suffix):
            return tone
    return "warn" if "without_reasons" in key or "not_informed" in key else "neutral"


def count_chart(title: str, figures: list[Figure]) -> BarChart:
    return bar_chart(title, [(f.label, float(f.number or 0), f.value_text, tone_of(f.key), f.href) for f in figures])


def duration_chart(title: str, figures: list[Figure]) -> BarChart:
    rows = [f for f in figures if f.unit == "hours" and f.number is not None]
    return bar_chart(title, [(f"{f.label}", float(f.number), f.value_text, "neutral", f.href) for f in rows])


def report_section(regime: str, report: ReportReading, link: Link, incident_link: IncidentLink) -> Section:
    """One report of a regime other than the GDPR: its counts, its share on time, its lag."""
    title = _("%(regime)s · %(report)s") % {"regime": regime, "report": report.title}
    if report.recipient:
        title += " " + _("(to %(recipient)s)") % {"recipient": report.recipient}
    definition = _(
        "Per incident whose regime an officer confirmed and whose facts make this report owed: its clock, "
        "from the moment the regime's rules count it from to the first report filed (%(period)s). On time: "
        "filed at or before its due moment; late: after. Not filed: overdue once the due moment passed, "
        "else time left. The share on time is on time among the filed ones. The lag runs from the moment "
        "the clock counts from to the first filing: median and 90th percentile by nearest rank, the worst "
        "names its incident. A report whose condition does not hold, and a regime not confirmed, count nowhere."
    ) % {"period": report.period or _("the period its rules set")}
    section = Section(f"report_{report.code}", title, definition)
    section.figures = [
        Figure(
            f"{report.code}_{state}",
            str(REPORT_LABELS[state]),
            wording.number_text(report.counts[state]),
            report.counts[state],
            "incidents",
            link(bucket(report.code, state)),
        )
        for state in STATES
    ]
    section.chart = count_chart(title, section.figures)
    section.figures.append(
        Figure(
            f"{report.code}_share_on_time",
            _("share on time"),
            share_text(report.share_on_time),
            report.share_on_time,
            "share",
            link(bucket(report.code, "filed")),
        )
    )
    lag = _("lag to the first filing")
    for figure in duration_figures(report.lag, link, incident_link, with_p90=True):
        section.figures.append(
            Figure(
                figure.key,
                f"{lag}: {figure.label}",
                figure.value_text,
                figure.number,
                figure.unit,
                figure.href,
                figure.note,
            )
        )
    return section


def sections(reading: Metrics | RegimeMetrics, link: Link, incident_link: IncidentLink) -> list[Section]:
    """The page's sections, in the active language: the GDPR's, or one per report of another regime."""
    if isinstance(reading, RegimeMetrics):
        name = reading.regime_title
        return [report_section(name, report, link, incident_link) for report in reading.reports]
    art33 = Section(
        "art33",
        _("Notifications to the authority (Art. 33(1))"),
        _(
            "Each controller's 72-hour clock, from its awareness to its first initial filing not withdrawn. "
            "On time: submitted at or before the 72 hours ended; late: after. Reasons: the late filing gave "
            "reasons for the delay. Overdue: not filed and the 72 hours have passed. The share on time is "
            "on time among the filed ones. A decision not to notify counts in neither."
        ),
    )
    keys = ("art33_on_time", "art33_late", "art33_late_with_reasons", "art33_late_without_reasons", "art33_overdue")
    art33.figures = [count_figure(reading, key, link) for key in keys]
    art33.chart = count_chart(art33.title, [art33.figures[0], *art33.figures[2:]])
    art33.figures.append(
        Figure(
            "art33_share_on_time",
            _("share on time"),
            share_text(reading.art33_share_on_time),
            reading.art33_share_on_time,
            "share",
            link("art33_filed"),
        )
    )

    filing = Section(
        "awareness_to_filing",
        _("From awareness to the first filing"),
        _(
            "Per filed controller clock: the time from the controller's awareness to its first initial filing. "
            "Median and 90th percentile by nearest rank (the value at or below which half, or nine in ten, "
            "of the cases fall); the worst names its incident."
        ),
        duration_figures(reading.durations["awareness_to_filing"], link, incident_link),
    )
    filing.chart = duration_chart(filing.title, filing.figures)

    processor = Section(
        "processor_lag",
        _("From the processor's awareness to informing the controller (Art. 33(2))"),
        _(
            "Per processing relationship: the time from the processor's awareness to its first notice to the "
            "controller, against the target agreed with that controller (24 hours unless the agreement says "
            "otherwise). Exactly at the target counts as within it."
        ),
    )
    processor.figures = [
        count_figure(reading, key, link)
        for key in ("processor_within_target", "processor_over_target", "processor_not_informed")
    ]
    processor.chart = count_chart(processor.title, processor.figures)
    processor.figures.append(
        Figure(
            "processor_share_within_target",
            _("share within target"),
            share_text(reading.processor_share_within_target),
            reading.processor_share_within_target,
            "share",
            link("processor_informed"),
        )
    )
    processor.figures += duration_figures(reading.durations["processor_lag"], link, incident_link, target=True)

    gaps = Section(
        "gaps",
        _("From occurrence to detection to awareness"),
        _(
            "From the start of the breach to its detection, per incident (in a period: the incidents detected "
            "in it); and from detection to each controller's awareness (the start of its 72-hour clock)."
        ),
    )
    for key, name in (
        ("occurred_to_detected", _("occurrence → detection")),
        ("detected_to_aware", _("detection → awareness")),
    ):
        for figure in duration_figures(reading.durations[key], link, incident_link):
            gaps.figures.append(
                Figure(
                    figure.key,
                    f"{name}: {figure.label}",
                    figure.value_text,
                    figure.number,
                    figure.unit,
                    figure.href,
                    figure.note,
                )
            )
    gaps.chart = duration_chart(gaps.title, gaps.figures)

    art34 = Section(
        "art34",
        _("Communication to data subjects (Art. 34)"),
        _(
            "Per controller whose current assessment finds a high risk (or whose authority ordered it): the "
            "target from that decision to the first communication sent (72 hours unless the organisation set "
            "another). Met on time: sent at or before the target."
        ),
    )
    art34.figures = [
        count_figure(reading, key, link) for key in ("art34_on_time", "art34_late", "art34_pending", "art34_overdue")
    ]
    art34.chart = count_chart(art34.title, art34.figures)
    art34.figures.append(
        Figure(
            "art34_share_on_time",
            _("share on time"),
            share_text(reading.art34_share_on_time),
            reading.art34_share_on_time,
            "share",
            link("art34_on_time"),
        )
    )

    open_clocks = Section(
        "open_clocks",
        _("Open clocks by state"),
        _(
            "Clocks not met yet, as the dashboard shows them now: more than 24 hours left, 24 hours or less, "
            "6 hours or less (at exactly 24 or 6 hours left a clock is already in the tighter band), overdue."
        ),
    )
    kind_labels = dict(DeadlineKind.choices)
    for kind in OPEN_KINDS:
        for state in ("on_track", "under_24h", "under_6h", "overdue"):
            key = f"open_{kind}_{state}"
            count = reading.counts[key]
            open_clocks.figures.append(
                Figure(
                    key,
                    f"{kind_labels[kind]}: {LABELS[state]}",
                    wording.number_text(count),
                    count,
                    "incidents",
                    link(key),
                )
            )
    totals = []
    for state in ("on_track", "under_24h", "under_6h", "overdue"):
        total = sum(reading.counts[f"open_{kind}_{state}"] for kind in OPEN_KINDS)
        totals.append(Figure(state, str(LABELS[state]), wording.number_text(total), total, "incidents"))
    open_clocks.chart = count_chart(open_clocks.title, totals)
    return [art33, filing, processor, gaps, art34, open_clocks]


def csv_text(reading: Metrics | RegimeMetrics, link: Link, incident_link: IncidentLink) -> str:
    """The figures as CSV: headers and words in the active language, ``number`` and ``unit`` for programs."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Measure"), _("Figure"), _("Value"), _("Number"), _("Unit"), _("Incident"), _("Key")])
    units = {"incidents": _("incidents"), "share": _("share (0 to 1)"), "hours": _("hours")}
    for section in sections(reading, link, incident_link):
        for figure in section.figures:
            number = "" if figure.number is None else repr(figure.number)
            writer.writerow(
                [section.title, figure.label, figure.value_text, number, units[figure.unit], figure.note, figure.key]
            )
    return out.getvalue()


def metrics_json(reading: Metrics | RegimeMetrics, link: Link, incident_link: IncidentLink) -> dict:
    """The API's answer: per section its words and figures; durations in hours, shares in 0..1."""
    return {
        "sections": [
            {
                "key": section.key,
                "heading": section.title,
                "text": section.definition,
                "figures": [
                    {
                        "key": figure.key,
                        "label": figure.label,
                        "text": figure.value_text,
                        "number": figure.number,
                        "unit": figure.unit,
                        "incidents_url": figure.href,
                        "summary": figure.note,
                    }
                    for figure in section.figures
                ],
            }
            for section in sections(reading, link, incident_link)
        ]
    }


def bucket_label(key: str, regime: str = GDPR) -> str:
    """What a drill-down lists, in words: the measure and the figure ("… (Art. 33(1)): filed late";
    "NIS2 · Early warning: filed late" for another regime's report)."""
    parsed = parse_bucket(key) if regime != GDPR else None
    if parsed is not None:
        state, report = parsed
        measure = _("%(regime)s · %(report)s") % {
            "regime": regime_title(regime),
            "report": report_title(regime, report),
        }
        return f"{measure}: {REPORT_LABELS[state]}"
    kind_labels = dict(DeadlineKind.choices)
    for kind in OPEN_KINDS:
        for state in ("on_track", "under_24h", "under_6h", "overdue"):
            if key == f"open_{kind}_{state}":
                return f"{_('Open clocks by state')}: {kind_labels[kind]}, {LABELS[state]}"
    measures = {
        "art33_": _("Notifications to the authority (Art. 33(1))"),
        "processor_": _("From the processor's awareness to informing the controller (Art. 33(2))"),
        "art34_": _("Communication to data subjects (Art. 34)"),
        "gap_": _("From occurrence to detection to awareness"),
    }
    measure = next(title for prefix, title in measures.items() if key.startswith(prefix))
    return f"{measure}: {LABELS[key]}"
