"""A regulator's first page: per controller, who knew when, when the 72 hours ended, what was filed.

Every timeline export (PDF, JSON, CSV) opens with this summary, so a supervisory authority or a
court reads the answer before the log:

- per controller: when it became aware and from whom (its own detection, or its processor's
  notice), when its 72 hours ended (GDPR Art. 33(1)) and the later bound if Regulation 1182/71
  governs the period (information only, see :mod:`rules.clocks`), where the clock stands, each
  filing with the time it went in and whether that was on time or late by how much, the reasons
  given for a delay, a decision not to notify, and each processor's lag in telling it (Art. 33(2))
  against the target agreed with it;
- for the incident: the counts of people and records over time, and the Art. 34 waves.

Built from the register as recorded now (:func:`readers.asof.register_as_of` with ``at = now``),
so the summary and the as-of page can never disagree: one query per history table plus the
directory names, whatever the size of the incident.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.utils.translation import gettext as _

from incidents.models import AffectedEstimate
from organisations.models import Authority
from readers import asof, wording
from readers.regime_summary import RegimeSummary, regime_blocks, regime_json, regime_summary


@dataclass(frozen=True)
class FilingLine:
    kind: str  # the filing's type in words
    submitted_at: datetime
    authority: str
    late_by: timedelta | None  # None: on time (or no 72 h clock to be late against)
    delay_reasons: str


@dataclass(frozen=True)
class ProcessorLine:
    processor: str
    processor_aware_at: datetime | None
    informed_at: datetime | None
    target: timedelta
    lag: timedelta | None
    over_target_by: timedelta | None  # None: within its target (or not measurable)


@dataclass(frozen=True)
class ControllerSummary:
    name: str
    aware_at: datetime | None
    aware_source: str  # in words
    aware_from: str  # the processor whose notice made it aware, "" otherwise
    due_at: datetime | None
    outer_bound_at: datetime | None
    state: str  # the clock's state in words: "filed on time", "filed 31 d 4 h late", "overdue by …"
    filings: list[FilingLine]
    decisions: list[str]  # decisions not to notify, in words
    processors: list[ProcessorLine]


@dataclass(frozen=True)
class CountLine:
    measure: str
    value: str  # "≈485,000", in the reader's locale
    known_at: datetime


@dataclass(frozen=True)
class WaveLine:
    controller: str
    cohort: str
    channel: str
    planned_at: datetime
    sent_at: datetime | None
    planned_count: int
    sent_count: int


@dataclass(frozen=True)
class Summary:
    at: datetime
    controllers: list[ControllerSummary]
    counts: list[CountLine]
    waves: list[WaveLine]
    regimes: RegimeSummary | None = None  # other notification regimes decided on (readers.regime_summary)


def _name(party) -> str:
    directory = getattr(party, "party", None)
    return str(getattr(directory, "name", directory) or "")


def state_text(status, decided: bool) -> str:
    """Where a controller's 72 h clock stands, in words."""
    if decided:
        return _("decided not to notify")
    if status is None:
        return _("not aware yet")
    state = status.state.value
    if state == "met":
        return _("filed on time")
    if state == "met_late":
        return _("filed %(late)s late") % {"late": wording.duration_text(status.lateness)}
    if state == "overdue":
        return _("overdue by %(late)s") % {"late": wording.duration_text(status.lateness)}
    return _("%(left)s left") % {"left": wording.duration_text(status.remaining)}


def regulator_summary(incident, now: datetime, *, rows: dict | None = None) -> Summary:
    """The summary of ``incident`` as recorded by ``now``; ``rows``: its history rows, when the
    caller has read them already (:func:`readers.asof.register_as_of`)."""
    register = asof.register_as_of(incident, now, rows=rows)
    parties = {party.pk: party for party in register.parties}
    notices = {notice.pk: notice for notice in register.processor_notices}
    relationships = {relationship.pk: relationship for relationship in register.relationships}
    authorities = Authority.objects.in_bulk({filing.authority_id for filing in register.filings})
    controllers = []
    for clock in register.controller_clocks:
        party = clock.party
        awareness = clock.awareness
        aware_from = ""
        if awareness is not None and awareness.processor_notice_id in notices:
            relationship = relationships.get(notices[awareness.processor_notice_id].relationship_id)
            if relationship is not None:
                aware_from = _name(parties.get(relationship.processor_id))
        filings = [
            FilingLine(
                kind=filing.get_filing_type_display(),
                submitted_at=filing.submitted_at,
                authority=str(authorities.get(filing.authority_id, "")),
                late_by=(filing.submitted_at - clock.due_at)
                if clock.due_at is not None and filing.submitted_at > clock.due_at
                else None,
                delay_reasons=filing.delay_reasons,
            )
            for filing in register.filings
            if filing.controller_id == party.pk
        ]
        decisions = [
            _("%(when)s: %(basis)s. %(reasoning)s")
            % {
                "when": wording.instant_text(decision.decided_at),
                "basis": decision.get_risk_basis_display(),
                "reasoning": decision.reasoning,
            }
            for decision in register.decisions
            if decision.controller_id == party.pk
        ]
        processors = [
            ProcessorLine(
                processor=_name(parties.get(row.relationship.processor_id)),
                processor_aware_at=row.processor_aware_at,
                informed_at=row.informed_at,
                target=row.target,
                lag=row.lag.lag if row.lag else None,
                over_target_by=(row.lag.lag - row.target) if row.lag and row.lag.is_over_target else None,
            )
            for row in register.processor_lags
            if row.relationship.controller_id == party.pk
        ]
        controllers.append(
            ControllerSummary(
                name=_name(party),
                aware_at=awareness.aware_at if awareness else None,
                aware_source=awareness.get_source_display() if awareness else "",
                aware_from=aware_from,
                due_at=clock.due_at,
                outer_bound_at=clock.outer_bound_at,
                state=state_text(clock.status, clock.is_decided_not_to_notify),
                filings=filings,
                decisions=decisions,
                processors=processors,
            )
        )
    # The measures' labels translated once, not once per count (an incident can hold thousands).
    measures = {value: str(label) for value, label in AffectedEstimate._meta.get_field("measure").flatchoices}
    number = wording.NumberText()
    counts = [
        CountLine(
            measures.get(estimate.measure, estimate.measure), wording.count_text(estimate, number), estimate.known_at
        )
        for found in register.estimates.values()
        for estimate in found
    ]
    waves = [
        WaveLine(
            controller=_name(parties.get(wave.controller_id)),
            cohort=wave.cohort_label,
            channel=wave.get_channel_display(),
            planned_at=wave.planned_at,
            sent_at=wave.sent_at,
            planned_count=wave.planned_count,
            sent_count=wave.sent_count,
        )
        for wave in register.waves
    ]
    return Summary(now, controllers, counts, waves, regime_summary(incident, now))


def summary_lines(summary: Summary) -> list[tuple[str, list[str]]]:
    """The summary as headed blocks of sentences, in the active language and zone: what the PDF
    prints and the CSV carries, so both say the same words."""
    # Cached per instant for this summary: an incident can have a thousand counts, and formatting
    # an instant (zone, language) costs more than the rest of a line.
    when, duration = functools.cache(wording.instant_text), wording.duration_text
    blocks = []
    for controller in summary.controllers:
        lines = []
        if controller.aware_at is None:
            lines.append(_("Not aware yet."))
        else:
            source = controller.aware_source
            if controller.aware_from:
                source = _("%(source)s from %(processor)s") % {"source": source, "processor": controller.aware_from}
            lines.append(_("Aware at %(when)s (%(source)s).") % {"when": when(controller.aware_at), "source": source})
            lines.append(
                _("72 hours ended at %(due)s (if Regulation 1182/71 governs the period: %(bound)s).")
                % {"due": when(controller.due_at), "bound": when(controller.outer_bound_at)}
            )
        lines.append(_("State: %(state)s.") % {"state": controller.state})
        for filing in controller.filings:
            timing = _("late by %(late)s") % {"late": duration(filing.late_by)} if filing.late_by else _("on time")
            line = _("%(kind)s filed at %(when)s, %(timing)s.") % {
                "kind": filing.kind,
                "when": when(filing.submitted_at),
                "timing": timing,
            }
            if filing.delay_reasons:
                line += " " + _("Reasons given for the delay: %(reasons)s") % {"reasons": filing.delay_reasons}
            lines.append(line)
        for decision in controller.decisions:
            lines.append(_("Decided not to notify: %(decision)s") % {"decision": decision})
        for processor in controller.processors:
            if processor.informed_at is None:
                lines.append(
                    _("Processor %(processor)s has not informed it yet (target %(target)s).")
                    % {"processor": processor.processor, "target": duration(processor.target)}
                )
                continue
            over = (
                _("over its target of %(target)s by %(over)s")
                % {"target": duration(processor.target), "over": duration(processor.over_target_by)}
                if processor.over_target_by
                else _("within its target of %(target)s") % {"target": duration(processor.target)}
            )
            lines.append(
                _("Processor %(processor)s informed it at %(when)s, %(lag)s after becoming aware: %(over)s.")
                % {
                    "processor": processor.processor,
                    "when": when(processor.informed_at),
                    "lag": duration(processor.lag) if processor.lag is not None else "—",
                    "over": over,
                }
            )
        blocks.append((_("Controller: %(name)s") % {"name": controller.name}, lines))
    if summary.counts:
        sentence = _("%(measure)s: %(value)s, known at %(when)s.")  # translated once, not once per count
        blocks.append(
            (
                _("Counts over time"),
                [
                    sentence % {"measure": count.measure, "value": count.value, "when": when(count.known_at)}
                    for count in summary.counts
                ],
            )
        )
    if summary.waves:
        wave_lines = []
        for wave in summary.waves:
            if wave.sent_at is not None:
                wave_lines.append(
                    _("%(controller)s, %(cohort)s by %(channel)s: sent at %(when)s, %(sent)s of %(planned)s.")
                    % {
                        "controller": wave.controller,
                        "cohort": wave.cohort,
                        "channel": wave.channel,
                        "when": when(wave.sent_at),
                        "sent": wording.number_text(wave.sent_count),
                        "planned": wording.number_text(wave.planned_count),
                    }
                )
            else:
                wave_lines.append(
                    _("%(controller)s, %(cohort)s by %(channel)s: planned for %(when)s, %(planned)s recipients.")
                    % {
                        "controller": wave.controller,
                        "cohort": wave.cohort,
                        "channel": wave.channel,
                        "when": when(wave.planned_at),
                        "planned": wording.number_text(wave.planned_count),
                    }
                )
        blocks.append((_("Communication to data subjects (Art. 34)"), wave_lines))
    if summary.regimes is not None:
        blocks += regime_blocks(summary.regimes)
    return blocks


def summary_json(summary: Summary) -> dict:
    """The summary as JSON: instants in UTC ISO 8601, durations in minutes, words beside them."""

    def instant(value):
        return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")

    def minutes(value):
        return None if value is None else int(value.total_seconds() // 60)

    return {
        "controllers": [
            {
                "name": c.name,
                "aware_at": instant(c.aware_at),
                "aware_source": c.aware_source,
                "aware_from": c.aware_from,
                "due_at": instant(c.due_at),
                "outer_bound_at": instant(c.outer_bound_at),
                "state_text": c.state,
                "filings": [
                    {
                        "kind": f.kind,
                        "submitted_at": instant(f.submitted_at),
                        "authority": f.authority,
                        "late_by_minutes": minutes(f.late_by),
                        "delay_reasons": f.delay_reasons,
                    }
                    for f in c.filings
                ],
                "decisions_not_to_notify": c.decisions,
                "processors": [
                    {
                        "processor": p.processor,
                        "processor_aware_at": instant(p.processor_aware_at),
                        "informed_at": instant(p.informed_at),
                        "target_minutes": minutes(p.target),
                        "lag_minutes": minutes(p.lag),
                        "over_target_by_minutes": minutes(p.over_target_by),
                    }
                    for p in c.processors
                ],
            }
            for c in summary.controllers
        ],
        "counts": [
            {"measure": count.measure, "value": count.value, "known_at": instant(count.known_at)}
            for count in summary.counts
        ],
        "waves": [
            {
                "controller": w.controller,
                "cohort": w.cohort,
                "channel": w.channel,
                "planned_at": instant(w.planned_at),
                "sent_at": instant(w.sent_at),
                "planned_count": w.planned_count,
                "sent_count": w.sent_count,
            }
            for w in summary.waves
        ],
        "regimes": regime_json(summary.regimes) if summary.regimes is not None else [],
        "text": [{"heading": heading, "lines": lines} for heading, lines in summary_lines(summary)],
    }
