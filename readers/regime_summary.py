"""The regimes in the regulator's summary: what every timeline export (PDF, CSV, JSON) opens with.

Per regime an officer decided on: the decision and its reasoning; for a confirmed one, each report
with its recipient, what it counts from, its due moment, where it stands and the filings made,
with the rule version. Built from ``readers.regimes.regimes_section`` (the same words as the page).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils.translation import gettext as _

from readers import wording
from readers.regimes import RegimeRow, regimes_section


@dataclass(frozen=True)
class RegimeSummary:
    rows: list[RegimeRow]


def regime_summary(incident, now: datetime) -> RegimeSummary:
    section = regimes_section(incident, now=now)
    return RegimeSummary([row for row in section.rows if row.decision is not None])


def _who(decision) -> str:
    user = decision.recorded_by
    return user.get_full_name() or user.get_username()


def regime_blocks(summary: RegimeSummary) -> list[tuple[str, list[str]]]:
    """Headed blocks of sentences in the active language and zone, as ``summary_lines`` gives them."""
    when = functools.cache(wording.instant_text)
    blocks = []
    for row in summary.rows:
        decision = row.decision
        verdict = _("applies") if row.is_confirmed else _("does not apply")
        lines = [
            _("Decided at %(when)s by %(who)s: %(verdict)s. %(reasoning)s")
            % {
                "when": when(decision.decided_at),
                "who": _who(decision),
                "verdict": verdict,
                "reasoning": decision.reasoning,
            }
        ]
        for report in row.reports:
            line = _("%(report)s (to %(recipient)s), counted from %(anchor)s: %(period)s.") % {
                "report": report.title,
                "recipient": report.recipient,
                "anchor": report.anchor,
                "period": report.period,
            }
            if report.due_at is not None:
                line += " " + _("Due at %(when)s.") % {"when": when(report.due_at)}
            line += " " + _("State: %(state)s.") % {"state": report.state_text}
            for filing in report.filings:
                line += " " + _("Submitted at %(when)s%(reference)s.") % {
                    "when": when(filing.submitted_at),
                    "reference": f" ({filing.reference})" if filing.reference else "",
                }
            line += " " + _("Rule version %(version)s.") % {"version": report.version}
            lines.append(line)
        blocks.append((_("Regime: %(name)s — %(title)s") % {"name": row.name, "title": row.title}, lines))
    return blocks


def regime_json(summary: RegimeSummary) -> list[dict]:
    """The same as data: codes and UTC instants beside the words."""

    def instant(value):
        return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")

    return [
        {
            "regime": row.code,
            "name": row.name,
            "title": row.title,
            "applies": row.is_confirmed,
            "decided_at": instant(row.decision.decided_at),
            "reasoning": row.decision.reasoning,
            "rule_version": row.version,
            "reports": [
                {
                    "report": report.code,
                    "title": report.title,
                    "recipient": report.recipient,
                    "anchor": report.anchor,
                    "period": report.period,
                    "is_legal_deadline": report.is_legal,
                    "due_at": instant(report.due_at),
                    "state": report.state,
                    "state_text": report.state_text,
                    "rule_version": report.version,
                    "filings": [
                        {"submitted_at": instant(filing.submitted_at), "reference": filing.reference}
                        for filing in report.filings
                    ],
                }
                for report in row.reports
            ],
        }
        for row in summary.rows
    ]
