"""List the derived deadlines and where each stands now."""

from __future__ import annotations

import json
from datetime import UTC

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from incidents.models import Incident
from notifications.models import Deadline
from rules import clocks


def iso_utc(value) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value is not None else None


def deadline_row(deadline: Deadline, now) -> dict:
    return {
        "incident": deadline.incident.reference,
        "kind": deadline.kind,
        "party": _party_label(deadline),
        "due_at": iso_utc(deadline.due_at),
        "outer_bound_at": iso_utc(clocks.outer_bound_at(deadline.kind, deadline.started_at)),
        "state": clocks.evaluate(deadline.due_at, deadline.met_at, now).state.value
        if deadline.is_active
        else "inactive",
        "met_at": iso_utc(deadline.met_at),
        "next_alert_at": iso_utc(deadline.next_alert_at),
        "next_alert": deadline.next_alert_label or None,
    }


def _party_label(deadline) -> str | None:
    """Whose clock this is; a processor's notice clock names both ends of the relationship."""
    if deadline.extortion_threat_id:
        return f"{deadline.extortion_threat.actor_name} (threat actor)"
    if deadline.relationship_id:
        relationship = deadline.relationship
        return f"{relationship.processor.party} → {relationship.controller.party}"
    return str(deadline.party.party) if deadline.party_id else None


class Command(BaseCommand):
    help = (
        "List deadlines (kind, party, due, the Reg. 1182/71 outer bound of the 72 hours, state, met, "
        "next alert); instants in ISO 8601 UTC."
    )

    def add_arguments(self, parser):
        parser.add_argument("--incident", type=int, help="Only this incident (database id).")
        parser.add_argument("--format", choices=("table", "json"), default="table")

    def handle(self, *args, incident=None, format="table", **options):
        deadlines = Deadline.objects.select_related(
            "incident",
            "party__party",
            "relationship__processor__party",
            "relationship__controller__party",
            "extortion_threat",
        ).order_by("incident_id", "due_at", "pk")
        if incident is not None:
            if not Incident.objects.filter(pk=incident).exists():
                raise CommandError(f"There is no incident {incident}.")
            deadlines = deadlines.filter(incident_id=incident)
        now = timezone.now()
        rows = [deadline_row(deadline, now) for deadline in deadlines]
        if format == "json":
            self.stdout.write(json.dumps(rows, indent=2))
            return
        if not rows:
            self.stdout.write("No deadlines.")
            return
        columns = list(rows[0])
        widths = {c: max(len(c), *(len(str(r[c] or "-")) for r in rows)) for c in columns}
        self.stdout.write("  ".join(c.ljust(widths[c]) for c in columns))
        for row in rows:
            self.stdout.write("  ".join(str(row[c] or "-").ljust(widths[c]) for c in columns))
