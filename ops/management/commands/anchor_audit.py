"""``manage.py anchor_audit``: what the daily beat task does, run by hand.

Prints one line per chain (anchored, skipped and why, or the TSA's error) and exits 1 when a
chain could not be anchored. With BREACHTRACK_TSA_URL unset it says that anchoring is off and
exits 0: off is a valid configuration, not an error.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from evidence.anchor import ANCHORED, FAILED, NOT_TRIED, OFF_MESSAGE, anchor_chains, tsa_config


class Command(BaseCommand):
    help = "Time-stamp (RFC 3161) the head of every audit chain that moved since its last anchor."

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default")

    def handle(self, *args, database="default", **options):
        config = tsa_config()
        if config is None:
            self.stdout.write(OFF_MESSAGE)
            return
        trust = (
            "signatures checked against BREACHTRACK_TSA_CA_FILE"
            if config.trusted is not None
            else "no BREACHTRACK_TSA_CA_FILE: signatures checked against the certificate in each token"
        )
        self.stdout.write(f"TSA {config.url} ({config.algorithm}; {trust})")
        outcomes = anchor_chains(now=timezone.now(), using=database)
        for outcome in outcomes:
            if outcome.status == ANCHORED:
                anchor = outcome.anchor
                self.stdout.write(
                    f"{outcome.chain}: anchored seq {anchor.seq} {anchor.head_hash} "
                    f"at {anchor.gen_time.isoformat()} (serial {anchor.serial})"
                )
            elif outcome.status == FAILED:
                self.stdout.write(f"{outcome.chain}: FAILED: {outcome.detail}")
            elif outcome.status == NOT_TRIED:
                self.stdout.write(f"{outcome.chain}: {outcome.status}: {outcome.detail}")
            else:
                self.stdout.write(f"{outcome.chain}: {outcome.status}")
        if not outcomes:
            self.stdout.write("no chain to anchor")
        failed = sum(outcome.status in (FAILED, NOT_TRIED) for outcome in outcomes)
        if failed:
            raise CommandError(f"{failed} chain(s) not anchored; the next run retries them", returncode=1)
