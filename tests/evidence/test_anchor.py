"""The daily anchor: each chain's head time-stamped by a real (local) RFC 3161 TSA, once a day.

The TSA is a real HTTP server on 127.0.0.1 that parses each request and signs a real token
(tests/evidence/tsa.py); its ``mode`` makes it fail in one precise way per test.
"""

from __future__ import annotations

import io
import logging
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db import DatabaseError, transaction

from actions import incidents as services
from evidence import tsp
from evidence.anchor import ALREADY, ANCHORED, FAILED, NOT_TRIED, OFF_MESSAGE, UNCHANGED, anchor_chains
from evidence.chain import export_stamp, head
from evidence.models import AuditAnchor
from evidence.verify import verify
from ops.tasks.evidence import anchor_audit

from .conftest import execute
from .tsa import LocalTsa


def run_command(*args) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("anchor_audit", *args, stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue()
    return 0, out.getvalue()


def by_chain(outcomes) -> dict:
    return {outcome.chain: outcome for outcome in outcomes}


def test_an_anchor_is_made_for_the_organisations_chain_and_verifies(anchoring, incident, lab, now):
    seq, digest = head(lab)
    outcome = by_chain(anchor_chains(now=now))[f"org:{lab.pk}"]
    assert outcome.status == ANCHORED
    anchor = AuditAnchor.objects.get(chain=f"org:{lab.pk}")
    assert (anchor.organisation_id, anchor.seq, anchor.head_hash, anchor.day) == (lab.pk, seq, digest, now.date())
    assert (anchor.tsa_url, anchor.hash_algorithm, anchor.policy) == (anchoring.url, "sha256", "1.3.6.1.4.1.99999.1.1")
    assert anchor.gen_time == now and anchor.requested_at == now  # the TSA's clock is frozen too
    assert anchor.tsa_subject == "CN=BreachTrack test TSA"
    token = tsp.check_token(bytes(anchor.token), trusted=[anchoring.certificate])
    assert token.imprint == bytes.fromhex(digest) and str(token.serial) == anchor.serial
    # what the TSA was sent: our imprint, a nonce, and a request for its certificate
    [request] = [
        r for r in anchoring.requests if r["message_imprint"]["hashed_message"].native == bytes.fromhex(digest)
    ]
    assert request["cert_req"].native is True and request["nonce"].native > 2**32
    report = verify()
    assert report.ok and report.anchors == AuditAnchor.objects.count() >= 1


def test_the_global_chain_of_users_and_authorities_is_anchored_too(anchoring, officer, now):
    assert by_chain(anchor_chains(now=now))["global"].status == ANCHORED
    assert AuditAnchor.objects.get(chain="global").organisation_id is None


def test_running_twice_a_day_makes_one_anchor_per_chain(anchoring, incident, lab, officer, now):
    anchor_chains(now=now)
    asked = len(anchoring.requests)
    services.update_incident(incident, title="Ransomware (confirmed)", actor=officer, reason="new facts")
    second = by_chain(anchor_chains(now=now + timedelta(hours=5)))
    assert second[f"org:{lab.pk}"].status == ALREADY  # the chain moved, but today is anchored
    assert AuditAnchor.objects.filter(chain=f"org:{lab.pk}").count() == 1
    assert len(anchoring.requests) == asked  # and the TSA was not asked again


def test_the_next_day_only_chains_that_moved_are_anchored(anchoring, incident, lab, other_org, officer, now):
    anchor_chains(now=now)
    services.update_incident(incident, title="Ransomware (confirmed)", actor=officer, reason="new facts")
    next_day = by_chain(anchor_chains(now=now + timedelta(days=1)))
    assert next_day[f"org:{lab.pk}"].status == ANCHORED
    assert next_day[f"org:{other_org.pk}"].status == UNCHANGED
    assert AuditAnchor.objects.filter(chain=f"org:{lab.pk}").count() == 2
    assert AuditAnchor.objects.filter(chain=f"org:{other_org.pk}").count() == 1
    assert verify().ok


def test_one_organisations_anchor_covers_only_its_own_chain(anchoring, incident, lab, other_org, now):
    anchor_chains(now=now)
    mine = AuditAnchor.objects.get(chain=f"org:{lab.pk}")
    theirs = AuditAnchor.objects.get(chain=f"org:{other_org.pk}")
    assert (mine.organisation_id, theirs.organisation_id) == (lab.pk, other_org.pk)
    assert (mine.seq, mine.head_hash) == head(lab) and (theirs.seq, theirs.head_hash) == head(other_org)
    assert mine.head_hash != theirs.head_hash
    assert verify(organisation_id=other_org.pk, trusted=[anchoring.certificate]).anchors == 1
    assert export_stamp(other_org)["anchor"]["sha256"] == theirs.head_hash


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("http_500", "answered HTTP 500"),
        ("garbage", "is not a DER TimeStampResp"),
        ("rejection", "the TSA refused the request: status rejection unaccepted policy"),
        ("wrong_nonce", "nonce"),
        ("wrong_imprint", "is not the one requested"),
        ("bad_signature", "signature does not verify"),
        ("no_certificate", "carries no certificate of its signer"),
    ],
)
def test_a_bad_answer_from_the_tsa_writes_nothing_and_says_why(
    anchoring, incident, lab, now, mode, message, caplog, settings
):
    if mode == "no_certificate":
        settings.BREACHTRACK_TSA_CA_FILE = None  # with the certificate configured, the token need not carry it
    anchoring.mode = mode
    with caplog.at_level(logging.ERROR, logger="breachtrack.evidence.anchor"):
        outcomes = by_chain(anchor_chains(now=now))
    assert outcomes[f"org:{lab.pk}"].status in (FAILED, NOT_TRIED)
    assert message in next(o.detail for o in outcomes.values() if o.status == FAILED)
    assert not AuditAnchor.objects.exists()
    assert "NOT made, retried next run: " in caplog.text and message in caplog.text
    anchoring.mode = "ok"  # the TSA recovers: the next run anchors
    assert by_chain(anchor_chains(now=now + timedelta(hours=1)))[f"org:{lab.pk}"].status == ANCHORED


def test_a_tsa_that_is_down_stops_the_run_and_writes_nothing(settings, incident, lab, other_org, now):
    down = LocalTsa()
    url = down.url
    down.stop()  # the port is closed: connection refused
    settings.BREACHTRACK_TSA_URL, settings.BREACHTRACK_TSA_CA_FILE = url, None
    outcomes = anchor_chains(now=now)
    statuses = [outcome.status for outcome in outcomes]
    assert statuses[0] == FAILED and "cannot be reached" in outcomes[0].detail
    assert set(statuses[1:]) == {NOT_TRIED} and len(statuses) >= 3  # no timeout per chain
    assert not AuditAnchor.objects.exists()


def test_a_token_signed_by_another_tsa_than_the_configured_one_is_refused(anchoring, settings, tmp_path, incident, now):
    impostor = LocalTsa().start()
    try:
        settings.BREACHTRACK_TSA_URL = impostor.url  # the configured certificate is still the first TSA's
        outcomes = anchor_chains(now=now)
    finally:
        impostor.stop()
    assert {o.status for o in outcomes} == {FAILED}
    assert "is not the configured certificate nor issued by it" in outcomes[0].detail
    assert not AuditAnchor.objects.exists()


def test_anchoring_is_off_and_says_so_when_no_tsa_is_configured(settings, incident, now, caplog):
    settings.BREACHTRACK_TSA_URL = None
    with caplog.at_level(logging.INFO, logger="breachtrack.evidence.anchor"):
        assert anchor_chains(now=now) == []
    assert OFF_MESSAGE in caplog.text
    code, out = run_command()
    assert (code, out.strip()) == (0, OFF_MESSAGE)
    assert anchor_audit.run() == {"anchored": 0, "failed": 0, "chains": 0}
    assert not AuditAnchor.objects.exists()
    assert export_stamp(incident.organisation)["anchor"] is None


def test_the_command_names_each_chain_and_fails_when_the_tsa_fails(
    anchoring, incident, lab, officer, now, time_machine
):
    code, out = run_command()
    assert code == 0
    assert f"TSA {anchoring.url} (sha256; signatures checked against BREACHTRACK_TSA_CA_FILE)" in out
    anchor = AuditAnchor.objects.get(chain=f"org:{lab.pk}")
    assert f"org:{lab.pk}: anchored seq {anchor.seq} {anchor.head_hash} at {anchor.gen_time.isoformat()}" in out
    assert run_command()[1].count(ALREADY) == AuditAnchor.objects.count()
    services.update_incident(incident, title="Ransomware (confirmed)", actor=officer, reason="new facts")
    time_machine.move_to(now + timedelta(days=1), tick=False)
    anchoring.mode = "rejection"
    code, out = run_command()
    assert code == 1 and f"org:{lab.pk}: FAILED: the TSA refused the request" in out


def test_the_beat_task_runs_the_anchor_hourly_and_counts_what_it_did(anchoring, incident, now):
    entry = django_settings.CELERY_BEAT_SCHEDULE["anchor-audit-chains"]
    assert entry == {"task": "evidence.anchor_audit", "schedule": 3600}
    assert anchor_audit.name == "evidence.anchor_audit"
    first = anchor_audit.run()
    assert first["anchored"] == first["chains"] == AuditAnchor.objects.count() >= 2 and first["failed"] == 0
    assert anchor_audit.run() == {"anchored": 0, "failed": 0, "chains": first["chains"]}


def test_exports_name_the_latest_anchor(anchoring, incident, lab, now):
    anchor_chains(now=now)
    anchor = AuditAnchor.objects.get(chain=f"org:{lab.pk}")
    stamp = export_stamp(lab)
    assert stamp["anchor"] == {
        "at": anchor.gen_time.isoformat(),
        "tsa": anchoring.url,
        "seq": anchor.seq,
        "sha256": anchor.head_hash,
        "serial": anchor.serial,
    }
    from readers.exports import render_deadlines_ics

    body = render_deadlines_ics(incident).content.decode()
    assert f"X-BREACHTRACK-ANCHOR-TSA:{anchoring.url}" in body
    assert "X-BREACHTRACK-ANCHOR-AT:" + anchor.gen_time.isoformat() in body.replace("\r\n ", "")


def test_an_anchor_can_be_neither_changed_nor_deleted(anchoring, incident, lab, now):
    anchor_chains(now=now)
    anchor = AuditAnchor.objects.get(chain=f"org:{lab.pk}")
    anchor.head_hash = "0" * 64
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        anchor.save()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        execute(f"DELETE FROM {AuditAnchor._meta.db_table}")
    assert AuditAnchor.objects.get(pk=anchor.pk).head_hash == head(lab)[1]


def test_a_run_whose_time_budget_is_spent_leaves_the_rest_for_the_next_run(anchoring, incident, lab, other_org, now):
    outcomes = anchor_chains(now=now, budget_seconds=0)
    assert outcomes[0].status == ANCHORED  # a run always starts one chain
    assert {o.status for o in outcomes[1:]} == {NOT_TRIED} and len(outcomes) >= 3
    assert "time budget of 0 s is spent" in outcomes[1].detail
    assert AuditAnchor.objects.count() == 1
    assert {o.status for o in anchor_chains(now=now)} == {ANCHORED, ALREADY}
