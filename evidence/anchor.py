"""The daily anchor: an RFC 3161 time-stamp over each chain's head, so a history rewritten later is caught.

``anchor_chains(now=...)`` is what the beat task (``evidence.anchor_audit``) and
``manage.py anchor_audit`` run. For each chain (every organisation's, and the global one), in
chain order:

1. skip it when it has no link yet, when it already has an anchor for ``now``'s UTC day, or when
   its head has not moved since its last anchor;
2. ask the TSA for a time-stamp over the head's hash, outside any transaction (a slow TSA holds
   no lock), and check the reply (:mod:`evidence.tsp`: status, imprint, nonce, signature);
3. insert the anchor in one transaction; the unique (chain, day) constraint makes a second run,
   or a second worker, a no-op.

A refused or unverifiable reply writes nothing and is logged; the next run tries again. When the
TSA cannot be reached at all, the run stops there instead of waiting out one timeout per chain;
so does a run whose time budget is spent (the beat task's is half its interval).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from evidence import tsp
from evidence.canonical import UTC
from evidence.models import AnchorRun, AuditAnchor, AuditChainHead

logger = logging.getLogger("breachtrack.evidence.anchor")

OFF_MESSAGE = "audit anchoring is off: BREACHTRACK_TSA_URL is not set"

ANCHORED = "anchored"
UNCHANGED = "unchanged since its last anchor"
ALREADY = "already anchored today"
EMPTY = "empty chain"
FAILED = "failed"
NOT_TRIED = "not tried in this run"


@dataclass(frozen=True)
class TsaConfig:
    url: str
    algorithm: str
    timeout: float
    trusted: tuple | None  # None: no certificate configured, the token's own is used


@dataclass
class Outcome:
    chain: str
    status: str
    detail: str = ""
    anchor: AuditAnchor | None = None
    is_tsa_unreachable: bool = False


def tsa_config() -> TsaConfig | None:
    """The configured TSA, or None when anchoring is off."""
    if not settings.BREACHTRACK_TSA_URL:
        return None
    return TsaConfig(
        url=settings.BREACHTRACK_TSA_URL,
        algorithm=settings.BREACHTRACK_TSA_HASH,
        timeout=settings.BREACHTRACK_TSA_TIMEOUT_SECONDS,
        trusted=trusted_certificates(),
    )


def trusted_certificates() -> tuple | None:
    """The certificates of BREACHTRACK_TSA_CA_FILE (None when unset)."""
    path = settings.BREACHTRACK_TSA_CA_FILE
    return load_trusted_file(path) if path else None


@lru_cache(maxsize=4)
def load_trusted_file(path: str) -> tuple:
    return tuple(tsp.load_trusted(Path(path).read_bytes()))


def anchor_chains(*, now: datetime, using: str = "default", budget_seconds: float | None = None) -> list[Outcome]:
    """Anchor every chain that moved since its last anchor and has none for ``now``'s UTC day.

    With ``budget_seconds``, no chain is started after that long (the next run goes on).
    """
    config = tsa_config()
    if config is None:
        logger.info(OFF_MESSAGE)
        return []
    outcomes: list[Outcome] = []
    stop_reason = None  # once set, the remaining chains wait for the next run
    started = time.monotonic()
    for head in AuditChainHead.objects.using(using).order_by("chain"):
        spent = outcomes and budget_seconds is not None and time.monotonic() - started > budget_seconds
        if stop_reason is None and spent:
            stop_reason = f"the run's time budget of {budget_seconds:g} s is spent"
        if stop_reason is not None:
            outcomes.append(Outcome(head.chain, NOT_TRIED, stop_reason))
            continue
        outcome = anchor_chain(head, config=config, now=now, using=using)
        outcomes.append(outcome)
        if outcome.is_tsa_unreachable:
            stop_reason = outcome.detail
    record_run(outcomes, now=now, using=using)
    return outcomes


def record_run(outcomes: list[Outcome], *, now: datetime, using: str = "default") -> None:
    """Write how this run went to ``AnchorRun`` (row 1), for ``evidence.health`` and /healthz.

    A run is clean when no chain was left waiting (failed, or not tried for lack of time).
    """
    left = [outcome for outcome in outcomes if outcome.status in (FAILED, NOT_TRIED)]
    values = {"last_run_at": now, "failed_chains": len(left), "last_error": left[0].detail[:2000] if left else ""}
    if not left:
        values["last_clean_at"] = now
    with transaction.atomic(using=using):
        if not AnchorRun.objects.using(using).filter(pk=1).update(**values):  # not-historied: AnchorRun
            AnchorRun.objects.using(using).update_or_create(pk=1, defaults=values)


def anchor_chain(head: AuditChainHead, *, config: TsaConfig, now: datetime, using: str = "default") -> Outcome:
    """One chain (steps 1-3 of the module docstring)."""
    day = now.astimezone(UTC).date()
    anchors = AuditAnchor.objects.using(using).filter(chain=head.chain)
    if head.seq == 0:
        return Outcome(head.chain, EMPTY)
    if anchors.filter(day=day).exists():
        return Outcome(head.chain, ALREADY)
    last = anchors.order_by("-gen_time", "-pk").values_list("seq", "head_hash").first()
    if last == (head.seq, head.hash):
        return Outcome(head.chain, UNCHANGED)
    requested_at = timezone.now()
    try:
        token = tsp.request_timestamp(
            config.url,
            imprint=tsp.imprint_of(head.hash, config.algorithm),
            algorithm=config.algorithm,
            timeout=config.timeout,
            trusted=config.trusted,
        )
    except tsp.TimestampError as error:
        logger.error("audit anchor for %s at seq %s NOT made, retried next run: %s", head.chain, head.seq, error)
        return Outcome(head.chain, FAILED, str(error), is_tsa_unreachable=isinstance(error, tsp.TsaUnreachable))
    try:
        with transaction.atomic(using=using):
            anchor = AuditAnchor.objects.using(using).create(
                chain=head.chain,
                organisation_id=head.organisation_id,
                day=day,
                seq=head.seq,
                head_hash=head.hash,
                hash_algorithm=token.hash_algorithm,
                token=token.der,
                gen_time=token.gen_time,
                serial=str(token.serial),
                policy=token.policy,
                tsa_url=config.url,
                tsa_subject=token.signer_subject[:500],
                requested_at=requested_at,
            )
    except IntegrityError:
        # Another run anchored this chain for today between our check and our insert.
        return Outcome(head.chain, ALREADY)
    logger.info(
        "audit anchor for %s: seq %s %s time-stamped at %s by %s (serial %s)",
        head.chain,
        head.seq,
        head.hash,
        token.gen_time.isoformat(),
        config.url,
        token.serial,
    )
    return Outcome(head.chain, ANCHORED, anchor=anchor)
