"""The recipient ledger: keyed hashes, a strict all-or-nothing CSV import, the lookup."""

from __future__ import annotations

import importlib
import io
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from actions import communications as services
from actions import ledger
from communications.models import ImportBatch, LedgerLookup, Recipient
from tests.communications.conftest import csv_file, valid_bsns


def _import(wave, handle, actor, name="cohort.csv"):
    return ledger.import_recipients(wave, handle, file_name=name, actor=actor, reason="letters to cohort 2017")


def _messages(error: ValidationError) -> list[str]:
    return [message for item in error.error_dict["file"] for message in item.messages]


def _nothing_written():
    return not Recipient.objects.exists() and not ImportBatch.objects.exists()


def test_the_eleven_test_accepts_real_shapes_and_refuses_others():
    assert ledger.is_valid_bsn("111222333")
    assert not ledger.is_valid_bsn("111222334")
    assert not ledger.is_valid_bsn("12345678")
    assert not ledger.is_valid_bsn("000000000")
    assert ledger.normalise("bsn", " 111 222 333 ") == "111222333"
    assert ledger.normalise("email", "  Anna@Example.NL ") == "anna@example.nl"


def test_an_import_stores_only_keyed_hashes_and_rolls_counts_up(plan, officer):
    wave = plan()
    bsns = valid_bsns(5)
    report = _import(wave, csv_file([f"bsn,{b}" for b in bsns] + ["email,Anna@Example.nl"]), officer)
    assert not report.is_repeat and report.batch.rows_added == 6 and report.batch.rows_read == 6
    wave.refresh_from_db()
    assert (wave.planned_count, wave.recipient_count, wave.sent_count, wave.has_ledger) == (0, 6, 0, True)
    for row in Recipient.objects.all():
        digest = bytes(row.identifier_hash)
        assert len(digest) == 32
        for plain in [*bsns, "anna@example.nl"]:
            assert plain.encode() not in digest and digest.hex() != plain and plain not in digest.hex()
    assert len(report.batch.file_sha256) == 64 and report.batch.history.count() == 2


def test_the_same_person_hashes_differently_in_another_organisation(lab, other_org):
    bsn = valid_bsns(1)[0]
    ours = ledger.identifier_hash(ledger.organisation_key(lab), "bsn", bsn)
    theirs = ledger.identifier_hash(ledger.organisation_key(other_org), "bsn", bsn)
    assert ours != theirs
    assert ledger.organisation_key(lab) == ledger.organisation_key(lab)  # stable: the salt is stored


def test_a_bom_is_tolerated(plan, officer):
    report = _import(plan(), csv_file([f"bsn,{valid_bsns(1)[0]}"], bom=True), officer)
    assert report.batch.rows_added == 1


def test_the_same_file_again_is_a_no_op(plan, officer):
    wave = plan()
    lines = [f"bsn,{b}" for b in valid_bsns(3)]
    first = _import(wave, csv_file(lines), officer)
    again = _import(wave, csv_file(lines), officer)
    assert again.is_repeat and again.batch == first.batch
    assert Recipient.objects.count() == 3 and ImportBatch.objects.count() == 1


def test_re_importing_the_same_people_in_another_file_does_not_duplicate(plan, officer):
    wave = plan()
    bsns = valid_bsns(4)
    _import(wave, csv_file([f"bsn,{b}" for b in bsns[:3]]), officer)
    second = _import(wave, csv_file([f"bsn,{b}" for b in bsns[1:]]), officer, name="cohort-v2.csv")
    assert (second.batch.rows_added, second.batch.rows_already_present) == (1, 2)
    wave.refresh_from_db()
    assert Recipient.objects.count() == 4 == wave.recipient_count


def test_wrong_columns_are_refused_on_line_1(plan, officer):
    with pytest.raises(ValidationError) as error:
        _import(plan(), csv_file(["111222333"], header="bsn"), officer)
    assert error.value.error_dict["file"][0].code == "header" and "Line 1" in _messages(error.value)[0]
    assert _nothing_written()


def test_a_bad_encoding_is_a_clear_error(plan, officer):
    handle = csv_file(["email,jos\u00e9@example.nl"], encoding="latin-1")
    with pytest.raises(ValidationError) as error:
        _import(plan(), handle, officer)
    assert error.value.error_dict["file"][0].code == "encoding" and "UTF-8" in _messages(error.value)[0]
    assert _nothing_written()


@pytest.mark.parametrize("row", ['bsn,"{bsn}', 'bsn,"{bsn}"9'])
def test_a_row_with_broken_quotes_is_refused_not_guessed(plan, officer, row):
    handle = io.BytesIO(("kind,identifier\n" + row.format(bsn=valid_bsns(1)[0])).encode())
    with pytest.raises(ValidationError) as error:
        _import(plan(), handle, officer)
    assert error.value.error_dict["file"][0].code == "csv" and "Line 2" in _messages(error.value)[0]
    assert _nothing_written()


def test_invalid_and_duplicate_rows_are_all_reported_with_line_numbers_and_nothing_is_written(plan, officer):
    good = valid_bsns(2)
    lines = [f"bsn,{good[0]}", "bsn,123456789", f"bsn,{good[1]}", f"bsn,{good[0]}", "email,not-an-address", "fax,123"]
    with pytest.raises(ValidationError) as error:
        _import(plan(), csv_file(lines), officer)
    messages = _messages(error.value)
    assert any(m.startswith("Line 3:") and "BSN" in m for m in messages)
    assert any(m.startswith("Line 5:") and "line 2" in m for m in messages)
    assert any(m.startswith("Line 6:") and "e-mail" in m for m in messages)
    assert any(m.startswith("Line 7:") and "unknown kind" in m for m in messages)
    assert _nothing_written()


def test_a_file_over_the_size_limit_is_refused_before_reading(plan, officer, settings):
    settings.BREACHTRACK_LEDGER_MAX_BYTES = 1024
    lines = [f"bsn,{b}" for b in valid_bsns(120)]
    with pytest.raises(ValidationError) as error:
        _import(plan(), csv_file(lines), officer)
    assert error.value.error_dict["file"][0].code == "too_large" and "limit" in _messages(error.value)[0]
    assert _nothing_written()


def test_an_empty_file_is_refused(plan, officer):
    with pytest.raises(ValidationError) as error:
        _import(plan(), csv_file([]), officer)
    assert error.value.error_dict["file"][0].code == "empty"


@pytest.mark.parametrize("persona", ["lawyer", "viewer", "outsider"])
def test_only_a_privacy_officer_imports(persona, request, plan):
    wave = plan()
    with pytest.raises(PermissionDenied):
        _import(wave, csv_file([f"bsn,{valid_bsns(1)[0]}"]), request.getfixturevalue(persona))
    assert _nothing_written()


def test_lookup_says_when_and_how_a_person_was_informed_and_logs_no_identifier(lab, plan, officer, viewer, now):
    wave = plan()
    bsn = valid_bsns(1)[0]
    _import(wave, csv_file([f"bsn,{bsn}"]), officer)
    services.mark_wave_sent(wave, sent_at=now - timedelta(hours=1), actor=officer, reason="posted", now=now)
    found = ledger.lookup(lab, kind="bsn", identifier=f" {bsn} ", actor=viewer, now=now)
    assert [(c.wave, c.status, c.sent_at) for c in found] == [(wave, "sent", now - timedelta(hours=1))]
    assert ledger.lookup(lab, kind="bsn", identifier=valid_bsns(2)[1], actor=viewer, now=now) == []
    logs = list(LedgerLookup.objects.order_by("pk").values("looked_up_by", "matches", "looked_up_at"))
    assert logs == [
        {"looked_up_by": viewer.pk, "matches": 1, "looked_up_at": now},
        {"looked_up_by": viewer.pk, "matches": 0, "looked_up_at": now},
    ]
    assert all(bsn not in str(value) for row in LedgerLookup.objects.values() for value in row.values())


def test_lookup_is_scoped_to_the_organisation(lab, other_org, plan, officer, outsider, now):
    wave = plan()
    bsn = valid_bsns(1)[0]
    _import(wave, csv_file([f"bsn,{bsn}"]), officer)
    assert ledger.lookup(other_org, kind="bsn", identifier=bsn, actor=outsider, now=now) == []
    with pytest.raises(PermissionDenied):
        ledger.lookup(lab, kind="bsn", identifier=bsn, actor=outsider, now=now)


def test_lookup_refuses_an_invalid_identifier(lab, viewer, now):
    with pytest.raises(ValidationError) as error:
        ledger.lookup(lab, kind="bsn", identifier="123", actor=viewer, now=now)
    assert error.value.error_dict["identifier"][0].code == "invalid"
    assert not LedgerLookup.objects.exists()


def test_bounces_mark_recipients_once_and_show_in_the_lookup_and_the_wave(lab, plan, officer, viewer, now):
    wave = plan()
    bsns = valid_bsns(3)
    _import(wave, csv_file([f"bsn,{b}" for b in bsns]), officer)
    with pytest.raises(ValidationError) as error:
        ledger.import_bounces(
            wave, csv_file([f"bsn,{bsns[0]}"]), file_name="returns.csv", bounced_at=now, actor=officer, reason="r"
        )
    assert error.value.error_dict["file"][0].code == "not_sent"
    services.mark_wave_sent(wave, sent_at=now - timedelta(days=2), actor=officer, reason="posted", now=now)
    stranger = valid_bsns(4)[3]
    report = ledger.import_bounces(
        wave,
        csv_file([f"bsn,{bsns[0]}", f"bsn,{stranger}"]),
        file_name="returns.csv",
        bounced_at=now - timedelta(days=1),
        actor=officer,
        reason="returned mail",
    )
    assert (report.batch.kind, report.batch.rows_added, report.batch.rows_already_present) == ("bounces", 1, 1)
    wave.refresh_from_db()
    assert (wave.recipient_count, wave.sent_count, wave.bounced_count) == (3, 3, 1)
    [contact] = ledger.lookup(lab, kind="bsn", identifier=bsns[0], actor=viewer, now=now)
    assert contact.status == "bounced"
    assert Recipient.objects.filter(bounced_at=now - timedelta(days=1)).count() == 1


def test_a_lookup_is_one_query_with_the_role_check_folded_in_plus_the_log_row(
    lab,
    plan,
    officer,
    viewer,
    now,
    django_assert_num_queries,
):
    """On PostgreSQL the query and its log row are one statement; elsewhere two."""
    wave = plan()
    bsn = valid_bsns(1)[0]
    _import(wave, csv_file([f"bsn,{bsn}"]), officer)
    together = connection.vendor == "postgresql"
    with django_assert_num_queries(2 if together else 3) as queries:
        assert len(ledger.lookup(lab, kind="bsn", identifier=bsn, actor=viewer, now=now)) == 1
    # The salt is read here only because a test runs inside a transaction (the key is cached outside one).
    sql = [query["sql"] for query in queries.captured_queries]
    assert "ledgersalt" in sql[0] and "membership" in sql[1] and "ledgerlookup" in sql[-1]
    logged = LedgerLookup.objects.get()
    assert (logged.organisation, logged.looked_up_by, logged.looked_up_at, logged.matches) == (lab, viewer, now, 1)


def test_a_lookup_that_finds_nobody_is_logged_with_no_matches(lab, plan, officer, viewer, now):
    wave = plan()
    _import(wave, csv_file([f"bsn,{valid_bsns(1)[0]}"]), officer)
    assert ledger.lookup(lab, kind="bsn", identifier=valid_bsns(1, 500_000_000)[0], actor=viewer, now=now) == []
    logged = LedgerLookup.objects.get()
    assert (logged.looked_up_by, logged.looked_up_at, logged.matches) == (viewer, now, 0)


def test_a_deactivated_reader_finds_nothing_and_is_refused_although_the_person_is_in_the_ledger(
    lab,
    plan,
    officer,
    viewer,
    admin_actor,
    now,
):
    from organisations.services import deactivate_user

    wave = plan()
    bsn = valid_bsns(1)[0]
    _import(wave, csv_file([f"bsn,{bsn}"]), officer)
    deactivate_user(viewer, actor=admin_actor, reason="left the call centre")
    viewer.refresh_from_db()
    with pytest.raises(PermissionDenied):
        ledger.lookup(lab, kind="bsn", identifier=bsn, actor=viewer, now=now)
    assert not LedgerLookup.objects.exists()


def test_the_system_actor_finds_the_person_without_a_membership(lab, plan, officer, admin_actor, now):
    wave = plan()
    bsn = valid_bsns(1)[0]
    _import(wave, csv_file([f"bsn,{bsn}"]), officer)
    assert [contact.wave for contact in ledger.lookup(lab, kind="bsn", identifier=bsn, actor=admin_actor, now=now)] == [
        wave
    ]


def test_a_reader_whose_membership_was_ended_is_refused_although_the_user_is_active(
    lab, plan, officer, viewer, admin_actor, now
):
    from organisations.models import Membership
    from organisations.services import update_membership

    wave = plan()
    bsn = valid_bsns(1)[0]
    _import(wave, csv_file([f"bsn,{bsn}"]), officer)
    membership = Membership.objects.get(user=viewer, organisation=lab)
    update_membership(membership, is_active=False, actor=admin_actor, reason="moved to another team")
    with pytest.raises(PermissionDenied):
        ledger.lookup(lab, kind="bsn", identifier=bsn, actor=viewer, now=now)
    assert not LedgerLookup.objects.exists()


def test_the_lookup_rows_are_model_instances_with_aware_times_and_a_lazy_remainder(lab, plan, officer, viewer, now):
    wave = plan()
    bsn = valid_bsns(1)[0]
    _import(wave, csv_file([f"bsn,{bsn}"]), officer)
    services.mark_wave_sent(wave, sent_at=now - timedelta(hours=2), actor=officer, reason="posted", now=now)
    [contact] = ledger.lookup(lab, kind="bsn", identifier=bsn, actor=viewer, now=now)
    assert contact.sent_at == now - timedelta(hours=2) and contact.sent_at.utcoffset() == timedelta(0)
    assert contact.wave.planned_at == wave.planned_at and contact.wave.incident.reference == wave.incident.reference
    assert contact.wave.get_channel_display() == wave.get_channel_display()
    assert contact.wave.content_version_id == wave.content_version_id  # not selected: loaded on demand


def test_the_plan_stays_the_officers_and_a_sent_ledger_wave_counts_its_ledger(plan, officer, now):
    """Planned and imported are separate figures; the ledger says how many were sent."""
    wave = plan(planned_count=5)
    bsns = valid_bsns(3)
    _import(wave, csv_file([f"bsn,{b}" for b in bsns]), officer)
    _import(wave, csv_file([f"bsn,{b}" for b in reversed(bsns)]), officer, name="again.csv")
    wave.refresh_from_db()
    assert (wave.planned_count, wave.recipient_count, Recipient.objects.count()) == (5, 3, 3)
    wave = services.update_wave(wave, planned_count=4, actor=officer, reason="two people moved abroad")
    assert (wave.planned_count, wave.recipient_count) == (4, 3)
    services.mark_wave_sent(wave, sent_at=now - timedelta(hours=1), actor=officer, reason="posted", now=now)
    wave.refresh_from_db()
    assert (wave.planned_count, wave.recipient_count, wave.sent_count) == (4, 3, 3)


def test_the_migration_splits_a_ledger_waves_inflated_plan_back_into_plan_and_ledger(plan, officer):
    """Migration 0003: before it, each import added its rows to planned_count (5 planned + 3 → 8)."""
    migration = importlib.import_module("communications.migrations.0003_wave_recipient_count")
    wave = plan(planned_count=5)
    _import(wave, csv_file([f"bsn,{b}" for b in valid_bsns(3)]), officer)
    state = MigrationLoader(connection).project_state(("communications", "0003_wave_recipient_count")).apps
    # The figures as the old import left them, written as the migration writes (models of its state, no history).
    state.get_model("communications", "CommunicationWave").objects.filter(pk=wave.pk).update(
        planned_count=8, recipient_count=0
    )
    migration.separate_the_ledger_from_the_plan(state, SimpleNamespace(connection=connection))
    wave.refresh_from_db()
    assert (wave.planned_count, wave.recipient_count, wave.sent_count) == (5, 3, 0)
    latest = wave.history.latest("history_id")  # the change is evidence (test_wave_counts_migration.py)
    assert (latest.history_user.username, latest.history_change_reason) == ("system:migration", migration.REASON)
