"""The incident page's "Regimes" section: which notification regimes apply, and where each report stands.

Per regime of the catalogue (``rules.regimes``) that the engine suggests or an officer decided on:
the suggestion and its reasons, the latest decision (confirm or reject, with its reason), and, for a
confirmed regime, each report of its rule version: what its clock counts from, the period in words
(``Report.explain``), the due moment, the state (waiting for its anchor, running, met, overdue,
not required) and the rule version the obligation was computed with.

The due moments are the ``notifications.Deadline`` rows of kind ``regime_report`` that the
derivation (``rules.deadlines.recompute_deadlines``) keeps in step with the facts: this module
never computes a deadline itself, so the page, the dashboard, the sweep and the exports cannot
disagree. A report without a row is waiting for its anchor (or its condition does not hold).

A fixed number of queries, whatever the number of regimes, reports or facts:
  1. the regime decisions; 2. the anchors; 3. the determinations; 4. the places; 5. the latest
  count of data subjects (none when the caller hands the estimates in); and, once any regime
  was decided, 6. the regime report filings and 7. the ``regime_report`` deadline rows (met
  ones included). The organisation (its entity types and establishment) comes with the incident.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from readers import regime_facts
from readers.clock_states import ClockReading, read_clock
from readers.regime_labels import anchor_label, language, regime_name, text
from rules import regimes

# The GDPR's clocks are the register's own (the Deadline kinds of Art. 33 and 34, per controller,
# shown in the page's header and parties): the catalogue's gdpr file states them, this section
# does not repeat them.
OWN_CLOCKS = frozenset({"gdpr"})
STATE_WAITING = "waiting"
STATE_NOT_REQUIRED = "not_required"
STATE_WORDS = {
    "on_track": gettext_lazy("running"),
    "under_24h": gettext_lazy("running, under 24 hours left"),
    "under_6h": gettext_lazy("running, under 6 hours left"),
    "overdue": gettext_lazy("overdue"),
    "met": gettext_lazy("met"),
    "met_late": gettext_lazy("met late"),
    STATE_NOT_REQUIRED: gettext_lazy("not required"),
}
CERTAINTY_WORDS = {
    "firm": gettext_lazy("firm: read in the legal text"),
    "likely": gettext_lazy("likely: from secondary sources"),
    "open": gettext_lazy("open: not settled"),
}


@dataclass(frozen=True)
class ReportRow:
    """One report of a confirmed regime, as it stands at ``now``."""

    code: str
    title: str
    recipient: str
    anchor: str  # what its clock counts from, in words
    period: str  # Report.explain, in the reader's language
    is_legal: bool
    basis: str
    version: str  # the rule version (the row's own once it exists)
    state: str  # a ClockState value, STATE_WAITING or STATE_NOT_REQUIRED
    state_text: str
    due_at: datetime | None
    reading: ClockReading | None
    reasons: tuple[str, ...] = ()  # why its condition does (not) hold
    filings: tuple = ()  # the RegimeReportFilings for it

    @property
    def is_pending(self) -> bool:
        return self.reading is not None and self.reading.state.is_pending

    @property
    def is_overdue(self) -> bool:
        return self.state == "overdue"


@dataclass(frozen=True)
class RegimeRow:
    code: str
    name: str  # "NIS2"
    title: str  # "EU: NIS2 Directive (Art. 23)"
    jurisdiction: str
    source: str  # the legal citation, in the reader's language
    certainty: str  # in words
    is_suggested: bool
    reasons: tuple[str, ...]  # the engine's reasons, in the reader's language
    decision: object | None  # the latest RegimeDecision
    version: str
    reports: list[ReportRow] = field(default_factory=list)

    @property
    def is_confirmed(self) -> bool:
        return self.decision is not None and self.decision.applies

    @property
    def is_rejected(self) -> bool:
        return self.decision is not None and not self.decision.applies


@dataclass
class RegimesSection:
    now: datetime
    rows: list[RegimeRow]
    facts: regime_facts.LoadedFacts

    @property
    def confirmed(self) -> list[RegimeRow]:
        return [row for row in self.rows if row.is_confirmed]

    @property
    def report_choices(self) -> list[tuple[str, str]]:
        """``("nis2:early_warning", "NIS2 · Early warning to the CSIRT")`` for each report of a confirmed regime."""
        return [
            (f"{row.code}:{report.code}", f"{row.name} · {report.title}")
            for row in self.confirmed
            for report in row.reports
        ]

    @property
    def regime_choices(self) -> list[tuple[str, str]]:
        """Every regime of the catalogue, the suggested and decided ones first."""
        shown = [(row.code, f"{row.name} — {row.title}") for row in self.rows]
        known = {code for code, _label in shown}
        others = sorted(
            (code, f"{regime_name(regime)} — {text(regime.title)}")
            for code, regime in regimes.catalogue().items()
            if code not in known and code not in OWN_CLOCKS
        )
        return shown + others


def _report_row(regime_code: str, version: str, report, facts, deadline, filings, now) -> ReportRow:
    applies, reasons = regimes.report_applies(report, facts)
    reading = None
    if deadline is not None:
        reading = read_clock(deadline.due_at, deadline.met_at, now)
        state = reading.state.value
    elif report.condition is not None and not applies:
        state = STATE_NOT_REQUIRED
    else:
        state = STATE_WAITING
    anchor = anchor_label(report.anchor, regime_code, version)
    if state == STATE_WAITING:
        words = _("waiting for %(anchor)s") % {"anchor": anchor}
    else:
        words = str(STATE_WORDS[state])
    lang = language()
    return ReportRow(
        code=report.code,
        title=text(report.title),
        recipient=text(report.recipient_title),
        anchor=anchor,
        period=report.explain(lang),
        is_legal=report.legal,
        basis=text(report.basis),
        version=deadline.rule_version if deadline is not None else version,
        state=state,
        state_text=words,
        due_at=deadline.due_at if deadline is not None else None,
        reading=reading,
        reasons=tuple(reason.get(lang) for reason in reasons),
        filings=tuple(filings),
    )


def _version_of(regime, deadlines: list, now: datetime):
    """The rule version a regime's reports are read in: the one its rows were computed with, else
    the one in force today (an obligation keeps its version, a later change never rewrites it)."""
    for deadline in deadlines:
        try:
            return regime.version(deadline.rule_version)
        except (KeyError, LookupError, ValueError):
            continue
    return regime.version_on(now.date())


def regimes_section(incident, *, now: datetime, estimates=None) -> RegimesSection:
    """The section of ``incident`` read at ``now`` (a fixed number of queries, see the module);
    ``estimates``: its data-subject estimates, when the caller has read them (``regime_facts.load``)."""
    loaded = regime_facts.load(incident, estimates=estimates)
    facts = loaded.facts
    suggestions = {s.regime.code: s for s in regimes.suggest(facts, now.date())}
    catalogue = regimes.catalogue()
    codes = [code for code, s in suggestions.items() if s.applies and code not in OWN_CLOCKS]
    codes += [code for code in loaded.decisions if code not in codes and code in catalogue and code not in OWN_CLOCKS]
    lang = language()
    rows = []
    for code in codes:
        regime = catalogue[code]
        suggestion = suggestions.get(code)
        decision = loaded.decisions.get(code)
        deadlines = loaded.deadlines.get(code, [])
        version = _version_of(regime, deadlines, now)
        row = RegimeRow(
            code=code,
            name=regime_name(regime),
            title=text(regime.title),
            jurisdiction=regime.jurisdiction,
            source=text(regime.source),
            certainty=str(CERTAINTY_WORDS.get(regime.certainty, regime.certainty)),
            is_suggested=bool(suggestion and suggestion.applies),
            reasons=tuple(reason.get(lang) for reason in suggestion.reasons) if suggestion else (),
            decision=decision,
            version=version.version if version is not None else "",
        )
        if row.is_confirmed and version is not None:
            by_report = {deadline.report: deadline for deadline in deadlines}
            for report in version.reports:
                row.reports.append(
                    _report_row(
                        code,
                        version.version,
                        report,
                        facts,
                        by_report.get(report.code),
                        loaded.filings.get((code, report.code), []),
                        now,
                    )
                )
        rows.append(row)
    # Confirmed first, then suggested, then rejected; in the catalogue's order within each.
    rows.sort(key=lambda row: (not row.is_confirmed, row.is_rejected, row.code))
    return RegimesSection(now=now, rows=rows, facts=loaded)
