"""verify_audit names the first broken link when a record, a link or the order was tampered with."""

from __future__ import annotations

import io
import json

from django.core.management import CommandError, call_command

from evidence.models import AuditChainLink
from evidence.verify import CONTENT_CHANGED, LINK_MISSING, NOT_CHAINED, ORDER_BROKEN, ROW_MISSING, verify
from incidents.models import Incident

from .conftest import execute, trigger_disabled

HISTORY = Incident.history.model
LINKS = AuditChainLink._meta.db_table


def run(*args) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("verify_audit", *args, stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue()
    return 0, out.getvalue()


def link_of(record) -> AuditChainLink:
    return AuditChainLink.objects.get(history_model=HISTORY._meta.label_lower, history_id=record.pk)


def test_intact_chains_pass(incident, other_org):
    code, out = run()
    assert code == 0 and "all chains intact" in out


def test_a_history_row_changed_by_raw_sql_is_named(incident, lab):
    record = incident.history.get()
    with trigger_disabled(HISTORY._meta.db_table, "update"):
        execute(
            f'UPDATE "{HISTORY._meta.db_table}" SET title = %s WHERE history_id = %s', ["nothing happened", record.pk]
        )
    link = link_of(record)
    code, out = run()
    assert code == 1
    assert (
        f"BROKEN chain org:{lab.pk} at seq {link.seq}: {CONTENT_CHANGED} (incidents.historicalincident:{record.pk})"
        in out
    )


def test_a_changed_actor_is_caught_too(incident, other_org, admin_actor):
    record = incident.history.get()
    with trigger_disabled(HISTORY._meta.db_table, "update"):
        execute(
            f'UPDATE "{HISTORY._meta.db_table}" SET history_user_id = %s WHERE history_id = %s',
            [admin_actor.pk, record.pk],
        )
    report = verify()
    assert [(b.problem, b.history_id) for b in report.first_per_chain()] == [(CONTENT_CHANGED, record.pk)]


def test_a_deleted_link_is_named(incident, lab):
    first, second = AuditChainLink.objects.filter(chain=f"org:{lab.pk}").order_by("seq")[:2]
    with trigger_disabled(LINKS, "delete"):
        execute(f"DELETE FROM {LINKS} WHERE id = %s", [second.pk])
    report = verify(organisation_id=lab.pk)
    assert (report.first_per_chain()[0].problem, report.first_per_chain()[0].seq) == (LINK_MISSING, second.seq)
    problems = {(b.problem, b.history_id) for b in verify().breaks}
    assert (NOT_CHAINED, second.history_id) in problems  # the record it named is now unchained


def test_reordered_links_are_named(incident, lab):
    _first, second, third = AuditChainLink.objects.filter(chain=f"org:{lab.pk}").order_by("seq")[:3]
    with trigger_disabled(LINKS, "update"):
        execute(f"UPDATE {LINKS} SET seq = -1 WHERE id = %s", [second.pk])
        execute(f"UPDATE {LINKS} SET seq = %s WHERE id = %s", [second.seq, third.pk])
        execute(f"UPDATE {LINKS} SET seq = %s WHERE id = %s", [third.seq, second.pk])
    code, out = run("--organisation", str(lab.pk), "--format", "json")
    found = json.loads(out)
    assert code == 1 and not found["ok"]
    assert found["first_breaks"][0] | {"detail": ""} == {
        "chain": f"org:{lab.pk}",
        "seq": second.seq,
        "history_model": third.history_model,
        "history_id": third.history_id,
        "problem": ORDER_BROKEN,
        "detail": "",
    }


def test_a_deleted_history_row_is_named(incident, lab):
    record = incident.history.get()
    with trigger_disabled(HISTORY._meta.db_table, "delete"):
        execute(f'DELETE FROM "{HISTORY._meta.db_table}" WHERE history_id = %s', [record.pk])
    [found] = verify().first_per_chain()
    assert (found.chain, found.seq, found.problem, found.history_id) == (
        f"org:{lab.pk}",
        link_of(record).seq,
        ROW_MISSING,
        record.pk,
    )


def test_another_organisations_chain_is_checked_alone(incident, lab, other_org):
    record = incident.history.get()
    with trigger_disabled(HISTORY._meta.db_table, "update"):
        execute(f'UPDATE "{HISTORY._meta.db_table}" SET title = %s WHERE history_id = %s', ["x", record.pk])
    assert run("--organisation", str(other_org.pk))[0] == 0
    assert run("--organisation", str(lab.pk))[0] == 1


def test_a_link_names_the_fields_its_content_covers(incident):
    """Field sets: an old link covers the fields its record had when chained, not columns added later."""
    link = link_of(incident.history.get())
    assert "title" in link.field_set.fields.split(",")
    assert "history_change_reason" in link.field_set.fields and "history_user_id" in link.field_set.fields
