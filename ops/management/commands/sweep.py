"""Run one deadline sweep now (what the Celery beat task does every few seconds)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from actions.sweep import database_now, sweep
from notifications.delivery import dispatch_due_deliveries


class Command(BaseCommand):
    help = (
        "Record an alert for every deadline threshold that has passed, then re-queue deliveries "
        "that are due or whose worker stopped; prints how many of each."
    )

    def add_arguments(self, parser):
        parser.add_argument("--budget-seconds", type=float, default=60)

    def handle(self, *args, budget_seconds: float, **options):
        recorded = sweep(budget_seconds=budget_seconds)
        self.stdout.write(f"Recorded {recorded} alert(s).")
        requeued = dispatch_due_deliveries(database_now())
        self.stdout.write(f"Re-queued {len(requeued)} delivery(ies).")
