"""``manage.py verify_audit``: walk the hash chains and name the first broken link of each."""

import json
import time

from django.core.management.base import BaseCommand, CommandError

from evidence.verify import verify


class Command(BaseCommand):
    help = "Verify the audit hash chains; exit 1 and name the first broken link if one is broken."

    def add_arguments(self, parser):
        parser.add_argument("--organisation", type=int, help="Only this organisation's chain (its id).")
        parser.add_argument("--format", choices=("text", "json"), default="text")
        parser.add_argument("--database", default="default")

    def handle(self, *args, organisation=None, format="text", database="default", **options):
        started = time.monotonic()
        report = verify(organisation_id=organisation, using=database)
        seconds = time.monotonic() - started
        if format == "json":
            self.stdout.write(json.dumps({**report.as_dict(), "seconds": round(seconds, 3)}, indent=2))
        else:
            self.stdout.write(f"{report.links} links, {report.records} records checked in {seconds:.1f} s")
            for found in report.first_per_chain():
                record = f"{found.history_model}:{found.history_id}" if found.history_model else "-"
                self.stdout.write(
                    f"BROKEN chain {found.chain} at seq {found.seq}: {found.problem} ({record}) {found.detail}"
                )
            if report.ok:
                self.stdout.write("all chains intact")
        if not report.ok:
            raise CommandError("audit chain broken", returncode=1)
