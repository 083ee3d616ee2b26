"""verify_audit names the first broken link when a record, a link or the order was tampered with."""

from __future__ import annotations

import io
import json

from django.core.management import CommandError, call_command

from breachtrack.history import acting_as
from evidence.append_only import history_models
from evidence.models import AuditChainLink
from evidence.verify import (
    ALIVE_AFTER_DELETE,
    CHANGED_WITHOUT_HISTORY,
    CONTENT_CHANGED,
    DELETED_WITHOUT_HISTORY,
    LINK_MISSING,
    NO_HISTORY,
    NOT_CHAINED,
    ORDER_BROKEN,
    ROW_MISSING,
    verify,
)
from incidents.models import Incident
from organisations import services as org_services
from organisations.models import Party

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
    assert "every live row matches its latest history record" in out


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


def live_problems(**kwargs) -> list[tuple[str, object, str, tuple[str, ...]]]:
    return [(b.model, b.pk, b.problem, b.fields) for b in verify(**kwargs).live_breaks]


def test_a_live_row_changed_by_raw_sql_is_named(incident, lab, other_org):
    execute(
        "UPDATE incidents_incident SET title = %s, description = %s WHERE id = %s",
        ["nothing happened", "rewritten", incident.pk],
    )
    code, out = run()
    assert code == 1
    assert f"UNRECORDED incidents.incident:{incident.pk}: {CHANGED_WITHOUT_HISTORY}: title, description" in out
    assert "BROKEN chain" not in out  # the chains are intact: no history was written at all
    assert live_problems() == [("incidents.incident", incident.pk, CHANGED_WITHOUT_HISTORY, ("title", "description"))]
    assert live_problems(organisation_id=lab.pk) == live_problems()
    assert verify(organisation_id=other_org.pk).ok

    code, out = run("--format", "json")
    found = json.loads(out)
    assert code == 1 and not found["ok"] and found["live_breaks_total"] == 1
    assert found["live_breaks"] == [
        {
            "model": "incidents.incident",
            "pk": incident.pk,
            "problem": CHANGED_WITHOUT_HISTORY,
            "fields": ["title", "description"],
        }
    ]


def test_a_row_without_history_is_named(lab, officer):
    party = Party(owner=lab, name="Written past history", country="NL")
    party.skip_history_when_saving = True
    party.save()
    assert not party.history.exists()
    assert live_problems() == [("organisations.party", party.pk, NO_HISTORY, ())]
    code, out = run()
    assert code == 1 and f"UNRECORDED organisations.party:{party.pk}: {NO_HISTORY}" in out


def test_a_row_deleted_without_history_is_named(lab, officer):
    party = org_services.create_party(lab, name="Deleted by hand", country="NL", actor=officer, reason="directory")
    execute("DELETE FROM organisations_party WHERE id = %s", [party.pk])
    assert live_problems() == [("organisations.party", party.pk, DELETED_WITHOUT_HISTORY, ())]


def test_a_row_that_outlived_its_recorded_deletion_is_named(lab, officer):
    party = org_services.create_party(lab, name="Back from the dead", country="NL", actor=officer, reason="directory")
    row = Party.objects.filter(pk=party.pk).values().get()
    with acting_as(officer, "test: remove the party"):
        Party.objects.get(pk=party.pk).delete()
    assert party.history.latest("history_id").history_type == "-"
    execute(
        f"INSERT INTO organisations_party ({', '.join(row)}) VALUES ({', '.join(['%s'] * len(row))})",
        list(row.values()),
    )
    assert live_problems() == [("organisations.party", row["id"], ALIVE_AFTER_DELETE, ())]


def test_the_demo_verifies_clean(demo_incident):
    code, out = run()
    assert code == 0, out
    assert "every live row matches its latest history record" in out
    report = verify()
    live_rows = sum(model.instance_type._base_manager.count() for model in history_models())
    assert report.ok and report.rows == live_rows > 50 and not report.live_breaks


def test_live_rows_are_compared_a_chunk_at_a_time(incident, lab, officer):
    parties = [
        org_services.create_party(lab, name=f"Party {n}", country="NL", actor=officer, reason="directory")
        for n in range(5)
    ]
    execute(
        "UPDATE organisations_party SET contact_phone = %s WHERE id IN (%s, %s)", ["112", parties[1].pk, parties[4].pk]
    )
    whole, chunked = verify(), verify(chunk=2)
    assert chunked.rows == whole.rows
    assert (
        [(b.model, b.pk) for b in chunked.live_breaks]
        == [(b.model, b.pk) for b in whole.live_breaks]
        == [
            ("organisations.party", parties[1].pk),
            ("organisations.party", parties[4].pk),
        ]
    )


def test_the_streamed_merge_names_what_the_chunked_comparison_names_in_the_same_order(lab, officer):
    """The whole installation is checked by one merge of rows and latest records; one organisation
    a chunk at a time: every kind of unrecorded change comes out the same from both."""
    made = [
        org_services.create_party(lab, name=f"Party {n}", country="NL", actor=officer, reason="directory")
        for n in range(6)
    ]
    execute("UPDATE organisations_party SET contact_phone = %s WHERE id = %s", ["112", made[1].pk])
    execute("DELETE FROM organisations_party WHERE id = %s", [made[2].pk])
    revived = Party.objects.filter(pk=made[4].pk).values().get()
    with acting_as(officer, "test: remove the party"):
        Party.objects.get(pk=made[4].pk).delete()
    execute(
        f"INSERT INTO organisations_party ({', '.join(revived)}) VALUES ({', '.join(['%s'] * len(revived))})",
        list(revived.values()),
    )
    unrecorded = Party(owner=lab, name="Written past history", country="NL")
    unrecorded.skip_history_when_saving = True
    unrecorded.save()

    def findings(report):
        return [(b.model, b.pk, b.problem, b.fields) for b in report.live_breaks if b.model == "organisations.party"]

    merged, chunked = verify(), verify(organisation_id=lab.pk, chunk=2)
    assert (
        findings(merged)
        == findings(chunked)
        == [
            ("organisations.party", made[1].pk, CHANGED_WITHOUT_HISTORY, ("contact_phone",)),
            ("organisations.party", made[4].pk, ALIVE_AFTER_DELETE, ()),
            ("organisations.party", unrecorded.pk, NO_HISTORY, ()),
            ("organisations.party", made[2].pk, DELETED_WITHOUT_HISTORY, ()),
        ]
    )
    assert merged.live_breaks_total == 4


def test_a_chain_across_fetch_chunks_and_task_ranges_is_whole_and_its_tampered_record_named(lab, officer):
    """Fetched two rows at a time and cut into ranges of three ids, a chain of many links verifies
    as one; a record changed past the first boundaries is named as the whole walk names it."""
    parties = [
        org_services.create_party(lab, name=f"Party {n}", country="NL", actor=officer, reason="directory")
        for n in range(7)
    ]
    assert verify(chunk=2, span=3).ok
    assert verify(organisation_id=lab.pk, chunk=2, span=3).ok
    record = parties[5].history.get()
    table = Party.history.model._meta.db_table
    with trigger_disabled(table, "update"):
        execute(f'UPDATE "{table}" SET name = %s WHERE history_id = %s', ["forged", record.pk])
    link = AuditChainLink.objects.get(history_model=Party.history.model._meta.label_lower, history_id=record.pk)
    small, whole = verify(chunk=2, span=3), verify()
    assert [(b.chain, b.seq, b.problem, b.history_id) for b in small.first_per_chain()] == [
        (f"org:{lab.pk}", link.seq, CONTENT_CHANGED, record.pk)
    ]
    assert small.as_dict() == whole.as_dict()
