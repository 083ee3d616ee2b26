"""verify_audit checks every anchor: a tampered token, and history rewritten after an anchor even
when the whole chain was recomputed to hide it (raw SQL with the triggers off, as a database
administrator could)."""

from __future__ import annotations

import io
import json

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from evidence.anchor import OFF_MESSAGE, anchor_chains
from evidence.canonical import content_sha256, link_hash
from evidence.chain import head
from evidence.models import AuditAnchor, AuditChainHead, AuditChainLink
from evidence.verify import ANCHOR_FIELDS, ANCHOR_IMPRINT, ANCHOR_REWRITTEN, ANCHOR_TOKEN_INVALID, verify
from incidents.models import Incident

from .conftest import execute, trigger_disabled

HISTORY = Incident.history.model
LINKS = AuditChainLink._meta.db_table
ANCHORS = AuditAnchor._meta.db_table


def run(*args) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("verify_audit", *args, stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue()
    return 0, out.getvalue()


@pytest.fixture
def anchored(anchoring, incident, lab, other_org, now) -> AuditAnchor:
    """Both organisations anchored today; the lab's anchor."""
    anchor_chains(now=now)
    return AuditAnchor.objects.get(chain=f"org:{lab.pk}")


def recompute_chain(chain: str) -> None:
    """What a careful forger does after editing history: every link's content and hash, and the head."""
    prev = "0" * 64
    for link in AuditChainLink.objects.filter(chain=chain).order_by("seq").select_related("field_set"):
        model = apps.get_model(link.history_model)
        names = link.field_set.fields.split(",")
        row = model._default_manager.filter(pk=link.history_id).values_list(*names).get()
        content = content_sha256(link.history_model, names, row)
        digest = link_hash(chain, link.seq, link.history_model, link.history_id, content, prev)
        execute(
            f"UPDATE {LINKS} SET content_sha256 = %s, prev_hash = %s, hash = %s WHERE id = %s",
            [content, prev, digest, link.pk],
        )
        prev = digest
    AuditChainHead.objects.filter(chain=chain).update(hash=prev)  # not-historied: AuditChainHead


def test_intact_anchors_verify_and_are_counted(anchored):
    code, out = run()
    assert code == 0
    assert f"{AuditAnchor.objects.count()} anchors checked" in out
    assert f"anchoring on: {anchored.tsa_url}" in out
    assert "all chains intact, all anchors verified" in out


def test_a_tampered_token_is_named(anchored, lab):
    token = bytearray(anchored.token)
    token[-1] ^= 0x01
    with trigger_disabled(ANCHORS, "update"):
        execute(f"UPDATE {ANCHORS} SET token = %s WHERE id = %s", [bytes(token), anchored.pk])
    code, out = run()
    assert code == 1
    assert (
        f"BROKEN anchor {anchored.pk} of chain org:{lab.pk} ({anchored.day.isoformat()}, seq {anchored.seq}): "
        f"{ANCHOR_TOKEN_INVALID}: the token's signature does not verify" in out
    )
    assert out.count("BROKEN") == 1  # the chain itself and the other anchors are fine


def test_history_rewritten_after_an_anchor_is_caught_even_with_the_chain_recomputed(anchored, incident, lab):
    record = incident.history.earliest("history_date")
    with trigger_disabled(HISTORY._meta.db_table, "update"), trigger_disabled(LINKS, "update"):
        execute(
            f'UPDATE "{HISTORY._meta.db_table}" SET title = %s WHERE history_id = %s', ["nothing happened", record.pk]
        )
        recompute_chain(f"org:{lab.pk}")
    report = verify(organisation_id=lab.pk)
    assert report.breaks == []  # the forged chain is consistent in itself...
    [found] = report.anchor_breaks  # ...but not with what the TSA signed
    assert (found.anchor_id, found.problem, found.seq) == (anchored.pk, ANCHOR_REWRITTEN, anchored.seq)
    assert f"the TSA signed {anchored.head_hash}" in found.detail and head(lab)[1] in found.detail
    code, out = run("--organisation", str(lab.pk), "--format", "json")
    assert code == 1 and json.loads(out)["anchor_breaks"][0]["problem"] == ANCHOR_REWRITTEN


def test_moving_the_anchor_to_the_forged_hash_breaks_its_imprint(anchored, incident, lab):
    record = incident.history.earliest("history_date")
    with (
        trigger_disabled(HISTORY._meta.db_table, "update"),
        trigger_disabled(LINKS, "update"),
        trigger_disabled(ANCHORS, "update"),
    ):
        execute(
            f'UPDATE "{HISTORY._meta.db_table}" SET title = %s WHERE history_id = %s', ["nothing happened", record.pk]
        )
        recompute_chain(f"org:{lab.pk}")
        forged = AuditChainLink.objects.get(chain=f"org:{lab.pk}", seq=anchored.seq).hash
        execute(f"UPDATE {ANCHORS} SET head_hash = %s WHERE id = %s", [forged, anchored.pk])
    [found] = verify().anchor_breaks
    assert (found.anchor_id, found.problem) == (anchored.pk, ANCHOR_IMPRINT)


def test_an_anchor_whose_columns_disagree_with_its_token_is_named(anchored):
    with trigger_disabled(ANCHORS, "update"):
        execute(f"UPDATE {ANCHORS} SET serial = %s WHERE id = %s", ["1", anchored.pk])
    [found] = verify().anchor_breaks
    assert (found.anchor_id, found.problem) == (anchored.pk, ANCHOR_FIELDS)
    assert "serial 1 " in found.detail


def test_anchors_are_checked_against_the_configured_tsa_certificate(anchored, settings, tmp_path):
    from .tsa import make_certificate, pem

    _, stranger = make_certificate("Some other TSA")
    other_file = tmp_path / "other.pem"
    other_file.write_bytes(pem(stranger))
    settings.BREACHTRACK_TSA_CA_FILE = str(other_file)
    code, out = run()
    assert code == 1 and "is not the configured certificate nor issued by it" in out
    settings.BREACHTRACK_TSA_CA_FILE = None
    code, out = run()
    assert code == 0 and "checked against the certificate in each token" in out


def test_verify_audit_says_when_anchoring_is_off(anchored, settings):
    settings.BREACHTRACK_TSA_URL = None
    code, out = run()
    assert code == 0
    assert OFF_MESSAGE.replace("audit anchoring", "anchoring") in out  # old anchors are still checked
    assert f"{AuditAnchor.objects.count()} anchors checked" in out
