"""Every way history is written appends a link to the right chain, in the same transaction."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse

from breachtrack.history import (
    acting_as,
    bulk_create_with_history,
    bulk_update_with_history,
    update_with_history,
)
from evidence import chain
from evidence.append_only import history_models
from evidence.canonical import GENESIS
from evidence.models import AuditChainLink
from evidence.verify import verify
from organisations import services as org_services
from organisations.models import Organisation, Party, User


def history_count() -> int:
    return sum(model.objects.count() for model in history_models())


def assert_every_record_chained():
    report = verify()
    assert report.ok, report.first_per_chain()
    assert report.records == history_count() == AuditChainLink.objects.count() > 0


def links_of(obj):
    label = obj.history.model._meta.label_lower
    ids = obj.history.values_list("history_id", flat=True)
    return AuditChainLink.objects.filter(history_model=label, history_id__in=ids)


def test_a_service_write_is_chained_in_its_organisations_chain(lab, incident):
    assert set(links_of(incident).values_list("chain", "organisation")) == {(f"org:{lab.pk}", lab.pk)}
    assert set(links_of(lab).values_list("chain", flat=True)) == {f"org:{lab.pk}"}
    assert_every_record_chained()


def test_users_and_authorities_are_chained_in_the_global_chain(officer, dutch_ap):
    assert set(links_of(officer).values_list("chain", flat=True)) == {"global"}
    assert set(links_of(dutch_ap).values_list("chain", flat=True)) == {"global"}


def test_facts_reach_their_organisation_through_the_incident(processor_and_controller, lab):
    notices = AuditChainLink.objects.filter(history_model="incidents.historicalprocessingrelationship")
    assert set(notices.values_list("chain", flat=True)) == {f"org:{lab.pk}"}
    assert_every_record_chained()


def test_the_bulk_helpers_chain_every_record(lab, admin_actor):
    parties = [Party(owner=lab, name=f"Processor {n}") for n in range(3)]
    created = bulk_create_with_history(parties, Party, actor=admin_actor, reason="import of the processor list")
    for party in created:
        party.contact_email = "dpo@processor.example"
    bulk_update_with_history(created, Party, ["contact_email"], actor=admin_actor, reason="contacts")
    update_with_history(Party.objects.filter(pk=created[0].pk), actor=admin_actor, reason="renamed", name="P")
    assert links_of(created[0]).count() == 3
    assert links_of(created[1]).count() == 2
    assert_every_record_chained()


def test_a_rolled_back_write_leaves_no_link(lab, admin_actor):
    before = AuditChainLink.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        org_services.create_party(lab, name="Never", actor=admin_actor, reason="x")
        raise RuntimeError("the service failed after writing")
    assert AuditChainLink.objects.count() == before
    assert_every_record_chained()


def test_an_admin_change_is_chained(client, admin_actor):
    with acting_as(admin_actor, "test persona"):
        root = User.objects.create_superuser("root", "root@breachtrack.example", "correct horse battery staple")
    client.force_login(root)
    response = client.post(
        reverse("admin:organisations_organisation_add"),
        {
            "name": "Screening Foundation",
            "country": "NL",
            "change_reason": "new customer contract",
        },
    )
    assert response.status_code == 302
    organisation = Organisation.objects.get(name="Screening Foundation")
    assert links_of(organisation).get().chain == f"org:{organisation.pk}"
    assert_every_record_chained()


def test_a_management_command_is_chained(db, tmp_path: Path, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    password_file = tmp_path / "password"
    password_file.write_text("a demo password for tests")
    call_command("load_demo", password_file=password_file, stdout=io.StringIO())
    assert AuditChainLink.objects.values("chain").distinct().count() == 3  # global and the two tenants
    assert_every_record_chained()


def test_the_head_is_the_last_link_and_starts_at_genesis(lab, other_org, incident):
    seq, digest = chain.head(lab)
    last = AuditChainLink.objects.filter(chain=f"org:{lab.pk}").order_by("-seq").first()
    assert (seq, digest) == (last.seq, last.hash)
    assert AuditChainLink.objects.get(chain=f"org:{lab.pk}", seq=1).prev_hash == GENESIS
    assert chain.head(123456) == (0, GENESIS)
    assert chain.export_stamp(lab) == {"chain": f"org:{lab.pk}", "seq": seq, "sha256": digest, "anchor": None}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_make_one_unbroken_chain(admin_actor):
    lab = org_services.create_organisation(name="Lab", country="NL", actor=admin_actor, reason="test persona")
    errors = []

    def writer(n: int):
        try:
            for i in range(10):
                org_services.create_party(lab, name=f"P{n}-{i}", actor=admin_actor, reason="concurrent import")
        except Exception as error:  # reported below; a thread's exception is otherwise lost
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    seqs = list(AuditChainLink.objects.filter(chain=f"org:{lab.pk}").order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) >= 1 + 4 * 10
    assert_every_record_chained()


def test_history_written_before_the_app_existed_is_adopted_once(incident, admin_actor):
    from evidence.maintenance import maintenance
    from evidence.models import AuditChainHead

    with maintenance("test: an installation from before the evidence app"):
        AuditChainLink.objects.all().delete()
    AuditChainHead.objects.all().delete()
    assert chain.adopt_unchained_if_new() == history_count()
    assert_every_record_chained()
    assert chain.adopt_unchained_if_new() == 0  # links exist: a record slipped in later is never adopted


def test_a_data_migrations_records_are_chained_through_the_migration_states_chain_or_left_to_the_adoption(db):
    """A data migration's records come with the migration state's history model
    (breachtrack.history.write_migration_history): they are chained through that state's chain
    models, and left to ``adopt_unchained_if_new`` when the state has no chain yet (evidence is
    migrated later in the run) or no link exists at all (a link now would stop the adoption)."""
    from django.db.migrations.loader import MigrationLoader

    from evidence.maintenance import maintenance

    loader = MigrationLoader(connection)
    everything = loader.project_state(loader.graph.leaf_nodes()).apps
    alone = loader.project_state([("communications", "0003_wave_recipient_count")]).apps  # no evidence app
    waves = "HistoricalCommunicationWave"
    found = chain.chain_models_for(everything.get_model("communications", waves), "default")
    assert found.AuditChainLink is everything.get_model("evidence", "AuditChainLink")
    assert chain.chain_models_for(alone.get_model("communications", waves), "default") is None
    assert chain.organisation_path(everything.get_model("communications", waves)) == "incident__organisation"
    with maintenance("test: an installation whose history was never chained"):
        AuditChainLink.objects.all().delete()
    assert chain.chain_models_for(everything.get_model("communications", waves), "default") is None


def test_the_migration_actor_has_its_history_chained(db):
    """organisations' migration 0002 creates ``system:migration`` without history (the migration
    state writes none); evidence's post_migrate gives it its record, once."""
    actor = User.objects.get(username=chain.MIGRATION_ACTOR)
    [record] = actor.history.all()
    assert (record.history_type, record.history_user_id) == ("+", actor.pk)
    assert links_of(actor).get().chain == "global"
    assert chain.record_migration_actor() is False
    assert actor.history.count() == 1


def test_the_canonical_content_is_the_documented_json_whatever_the_value_types():
    """content_sha256 skips normalise() for plain values and reuses one encoder: the text it hashes
    is still json.dumps(sort_keys, no spaces, UTF-8) of normalise()d values (links written by
    earlier versions must keep verifying)."""
    import datetime as dt
    import hashlib
    import json
    import uuid
    from decimal import Decimal

    from evidence.canonical import content_sha256, normalise

    names = ["b", "a", "é", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o"]
    values = [
        1,
        'quote " and é, ë, €',
        None,
        True,
        dt.datetime(2025, 1, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        dt.date(2025, 1, 2),
        Decimal("1.50"),
        uuid.UUID(int=7),
        b"\x00\xff",
        [1, "x"],
        {"z": 1, "a": 2},
        dt.timedelta(days=1, seconds=5, microseconds=3),
        1.5,
        "+31 20",
        dt.datetime(2025, 1, 1, 12),
    ]
    document = {"model": "app.historicalthing", "fields": {n: normalise(v) for n, v in zip(names, values, strict=True)}}
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert content_sha256("app.historicalthing", names, values) == hashlib.sha256(text.encode()).hexdigest()
