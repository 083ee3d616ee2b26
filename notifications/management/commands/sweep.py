"""Run one deadline sweep now (what the Celery beat task does every few seconds)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from notifications.sweep import sweep


class Command(BaseCommand):
    help = "Record an alert for every deadline threshold that has passed; prints how many."

    def add_arguments(self, parser):
        parser.add_argument("--budget-seconds", type=float, default=60)

    def handle(self, *args, budget_seconds: float, **options):
        recorded = sweep(budget_seconds=budget_seconds)
        self.stdout.write(f"Recorded {recorded} alert(s).")
