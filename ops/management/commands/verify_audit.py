"""``manage.py verify_audit``: walk the hash chains and name the first broken link of each, then
check every RFC 3161 anchor and name each one that fails, then compare every live row of a
historied model with its latest history record and name each one changed without history."""

import json
import os
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from evidence.anchor import OFF_MESSAGE, trusted_certificates
from evidence.verify import verify


class Command(BaseCommand):
    help = "Verify the audit hash chains and their anchors; exit 1 and name what is broken if anything is."

    def add_arguments(self, parser):
        parser.add_argument("--organisation", type=int, help="Only this organisation's chain (its id).")
        parser.add_argument("--format", choices=("text", "json"), default="text")
        parser.add_argument("--database", default="default")
        parser.add_argument(
            "--jobs",
            type=int,
            default=os.cpu_count() or 1,
            help="Worker processes on PostgreSQL, all reading one snapshot (default: the CPU count); "
            "other databases, and a call inside a transaction, use this process alone.",
        )

    def handle(self, *args, organisation=None, format="text", database="default", jobs=None, **options):
        if jobs is not None and jobs < 1:
            raise CommandError("--jobs must be at least 1", returncode=2)
        started = time.monotonic()
        trusted = trusted_certificates()
        report = verify(organisation_id=organisation, using=database, trusted=trusted, jobs=jobs or os.cpu_count() or 1)
        seconds = time.monotonic() - started
        anchoring = {
            "on": bool(settings.BREACHTRACK_TSA_URL),
            "tsa_url": settings.BREACHTRACK_TSA_URL or None,
            "tsa_certificate_checked": trusted is not None,
        }
        if format == "json":
            self.stdout.write(
                json.dumps({**report.as_dict(), "anchoring": anchoring, "seconds": round(seconds, 3)}, indent=2)
            )
        else:
            self._write_text(report, anchoring, seconds)
        if not report.ok:
            raise CommandError("audit chain, anchor or live rows broken", returncode=1)

    def _write_text(self, report, anchoring, seconds):
        self.stdout.write(
            f"{report.links} links, {report.records} records, {report.anchors} anchors checked in {seconds:.1f} s"
        )
        self.stdout.write(
            f"anchoring on: {anchoring['tsa_url']}"
            if anchoring["on"]
            else OFF_MESSAGE.replace("audit anchoring", "anchoring")
        )
        self.stdout.write(f"{report.rows} live rows compared with their latest history record")
        if report.anchors and not anchoring["tsa_certificate_checked"]:
            self.stdout.write(
                "anchor signatures checked against the certificate in each token (set BREACHTRACK_TSA_CA_FILE "
                "to check the TSA's identity too)"
            )
        for found in report.first_per_chain():
            record = f"{found.history_model}:{found.history_id}" if found.history_model else "-"
            self.stdout.write(
                f"BROKEN chain {found.chain} at seq {found.seq}: {found.problem} ({record}) {found.detail}"
            )
        for found in sorted(report.anchor_breaks):
            self.stdout.write(
                f"BROKEN anchor {found.anchor_id} of chain {found.chain} ({found.day}, seq {found.seq}): "
                f"{found.problem}: {found.detail}"
            )
        for found in report.live_breaks:
            fields = f": {', '.join(found.fields)}" if found.fields else ""
            self.stdout.write(f"UNRECORDED {found.model}:{found.pk}: {found.problem}{fields}")
        if report.live_breaks_total > len(report.live_breaks):
            self.stdout.write(f"... and {report.live_breaks_total - len(report.live_breaks)} more rows like these")
        if report.ok:
            self.stdout.write(
                "all chains intact"
                + (", all anchors verified" if report.anchors else "")
                + ", every live row matches its latest history record"
            )
