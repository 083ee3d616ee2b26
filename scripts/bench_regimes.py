#!/usr/bin/env python3
"""Benchmark the regimes' clocks: incidents under five confirmed regimes, the sweep, recompute, pages.

    .venv/bin/python scripts/bench_regimes.py --incidents 200 --due 50 --repeat 2      # small (CI)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bt_bench \\
        .venv/bin/python scripts/bench_regimes.py --incidents 10000 --due 1000         # full size

It creates a throw-away database next to the configured one (``<name>_regimesbench``; your data is
never touched) and drops it at the end; the delivery tasks the sweep enqueues go to a queue of its
own, as ``scripts/bench_sweep.py`` does (whose sweep body, queue and counters it reuses). Steps:
  1. ``--orgs`` organisations, each with a privacy officer, a legal member and one webhook, its
     profile (NIS2 essential, DORA financial entity, SEC registrant) set through the action; in
     each one *template* incident built through the real actions (create, the organisation as
     controller, its awareness); the other incidents are copies of their organisation's template
     (bulk with history for the facts; Deadline rows are derived, un-historied state, copied as
     the template's rows);
  2. 0 regimes: the idle sweep (time, statements);
  3. 1 regime: the GDPR confirmed on the templates (``decide_regime``), the decision copied;
     recompute_deadlines of a copy (queries), the incident page and the dashboard (queries, time);
  4. 5 regimes: the determinations (significant, major, material), the anchors (detection,
     classification, determination) and the decisions for NIS2, DORA, SEC 8-K and LGPD on the
     templates through the actions, copied; a copy is checked against its template (every fact
     and Deadline row equal but for ids, and a recompute of the copy changes no row); the idle
     sweep again (its statements must equal step 2's), recompute_deadlines per incident (time;
     queries equal to step 3's), the incident page and the dashboard (queries equal to step 3's);
  5. ``--due`` rows of mixed kinds (GDPR's and the regimes' reports, spread over the table) made
     due: the busy sweep (the beat task's body), ``--repeat`` times, wall and CPU.
Targets (PostgreSQL, quiet 2-core machine): busy sweep <= 1.5 s per 1,000 due alerts with 2
members + 1 webhook per organisation; idle sweep <= 5 ms; statement and query counts equal at
0/1 and 5 regimes. Times are promises at full size only. The last line is benchkit's JSON.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "breachtrack.settings")
os.environ.setdefault("BREACHTRACK_VAR_DIR", "/tmp/breachtrack-bench")

import django

django.setup()

import bench_sweep  # noqa: E402  (scripts/ is on sys.path: the sweep's body, queue and counters)
from benchkit import Figure, backend_cpu_seconds, emit  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

BUSY_TARGET_S = 1.5  # per 1,000 due alerts
IDLE_TARGET_MS = 5
FULL_SIZE = {"incidents": 10_000, "due": 1000}
REGIMES = ("gdpr", "nis2", "dora", "sec_8k", "lgpd")
REASON = "benchmark"


# --- Data ----------------------------------------------------------------------------------------
class Org:
    def __init__(self, organisation, officer, template, share: int):
        self.organisation, self.officer, self.template, self.share = organisation, officer, template, share
        self.copies: dict[int, int] = {}  # copied incident id -> its IncidentParty id
        self.template_party = 0


def make_organisations(orgs: int, incidents: int, now) -> list[Org]:
    from actions import incidents as services
    from actions import regimes as regime_actions
    from actions.notifications import create_webhook_endpoint
    from breachtrack.history import system_actor
    from organisations import services as org_services
    from organisations.models import Role

    admin = system_actor("benchmark")
    made = []
    for n in range(orgs):
        lab = org_services.create_organisation(name=f"Regimes Bench Lab {n}", country="NL", actor=admin, reason=REASON)
        members = {}
        for role in (Role.PRIVACY_OFFICER, Role.LEGAL):
            user = org_services.create_user(
                username=f"{role}-{n}", email=f"{role}-{n}@lab{n}.example", password=None, actor=admin, reason=REASON
            )
            org_services.add_member(lab, user, role=role, actor=admin, reason=REASON)
            members[role] = user
        officer = members[Role.PRIVACY_OFFICER]
        create_webhook_endpoint(lab, url=f"https://siem{n}.example.com/alerts", actor=admin, reason=REASON)
        regime_actions.set_organisation_profile(
            lab,
            entity_tags=["controller", "nis2_essential", "financial_entity", "sec_registrant"],
            established="NL",
            actor=officer,
            reason=REASON,
        )
        template = services.create_incident(
            organisation=lab,
            title="Ransomware at the laboratory",
            occurred_from_at=now - timedelta(days=2),
            actor=officer,
            reason=REASON,
        )
        party = services.add_party(
            template, party=lab.parties.get(is_self=True), role="controller", actor=officer, reason=REASON
        )
        services.record_awareness(
            template,
            party=party,
            aware_at=now - timedelta(minutes=5),
            source="own_detection",
            actor=officer,
            reason=REASON,
        )
        org = Org(lab, officer, template, incidents // orgs + (n < incidents % orgs))
        org.template_party = party.pk
        made.append(org)
    return made


def _values(row, **overrides) -> dict:
    values = {f.attname: getattr(row, f.attname) for f in type(row)._meta.concrete_fields if not f.primary_key}
    values.update(overrides)
    return values


def copy_incidents(org: Org, n: int) -> None:
    """``share - 1`` copies of the template incident and its party (bulk, with history)."""
    from breachtrack.history import bulk_create_with_history
    from incidents.models import Incident, IncidentParty

    template = Incident.objects.get(pk=org.template.pk)
    rows = [
        Incident(**_values(template, reference=f"RB-{n}-{k:06d}", title=f"Incident {k}")) for k in range(org.share - 1)
    ]
    rows = bulk_create_with_history(rows, Incident, actor=org.officer, reason=REASON, batch_size=2000)
    party = IncidentParty.objects.get(pk=org.template_party)
    parties = [IncidentParty(**_values(party, incident_id=row.pk)) for row in rows]
    parties = bulk_create_with_history(parties, IncidentParty, actor=org.officer, reason=REASON, batch_size=2000)
    org.copies = {p.incident_id: p.pk for p in parties}


def copy_facts(orgs: list[Org], model, since: int) -> int:
    """The template's rows of ``model`` newer than ``since`` onto every copy (bulk, with history)."""
    from breachtrack.history import bulk_create_with_history

    made = 0
    for org in orgs:
        rows = list(model.objects.filter(incident_id=org.template.pk, pk__gt=since).order_by("pk"))
        new = []
        for incident_id, party_id in org.copies.items():
            for row in rows:
                extra = {"party_id": party_id} if hasattr(row, "party_id") else {}
                new.append(model(**_values(row, incident_id=incident_id, **extra)))
        bulk_create_with_history(new, model, actor=org.officer, reason=REASON, batch_size=2000)
        made += len(new)
    return made


def copy_deadlines(orgs: list[Org]) -> int:
    """Every copy's Deadline rows replaced by its template's (derived state: plain bulk writes)."""
    from notifications.models import Deadline

    made = 0
    for org in orgs:
        Deadline.objects.filter(incident_id__in=list(org.copies)).delete()
        rows = list(Deadline.objects.filter(incident_id=org.template.pk).order_by("pk"))
        assert all(row.relationship_id is None and row.extortion_threat_id is None for row in rows)
        new = [
            Deadline(**_values(row, incident_id=incident_id, party_id=party_id if row.party_id else None))
            for incident_id, party_id in org.copies.items()
            for row in rows
        ]
        Deadline.objects.bulk_create(new, batch_size=5000)
        made += len(new)
    return made


def high_water() -> dict:
    from incidents.models import AwarenessRecord, IncidentAnchor, IncidentDetermination, RegimeDecision

    return {
        model: model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        for model in (AwarenessRecord, RegimeDecision, IncidentDetermination, IncidentAnchor)
    }


def confirm(orgs: list[Org], regimes: tuple[str, ...], now) -> None:
    """Through the actions, on each template: the flags and moments the regimes need, then the decisions."""
    from actions import regimes as regime_actions

    needs = {"nis2": (("significant",), ()), "dora": (("major",), ("detection", "classification"))}
    needs["sec_8k"] = (("material",), ("determination",))
    for org in orgs:
        for code in regimes:
            flags, anchors = needs.get(code, ((), ()))
            for name in flags:
                regime_actions.set_determination(
                    org.template, name=name, value=True, rationale="assessed", actor=org.officer, reason=REASON
                )
            for kind in anchors:
                regime_actions.record_anchor(
                    org.template, kind=kind, occurred_at=now - timedelta(minutes=4), actor=org.officer, reason=REASON
                )
            regime_actions.decide_regime(
                org.template, regime=code, applies=True, reasoning="our reading", actor=org.officer, reason=REASON
            )


def fingerprint(incident_id: int) -> dict:
    """An incident's facts and Deadline rows without ids: equal for a template and its copies."""
    from incidents.models import AwarenessRecord, IncidentAnchor, IncidentDetermination, RegimeDecision
    from notifications.models import Deadline

    skip = {"id", "incident_id", "party_id", "updated_at", "recorded_at"}  # ids; when written
    found = {}
    for model in (AwarenessRecord, RegimeDecision, IncidentDetermination, IncidentAnchor, Deadline):
        rows = model.objects.filter(incident_id=incident_id).order_by("pk")
        found[model.__name__] = [{k: v for k, v in _values(row).items() if k not in skip} for row in rows]
    return found


def check_copy(org: Org, now) -> int:
    """A copy equals its template (facts and clocks), and recomputing it changes none of its rows."""
    from incidents.models import Incident
    from notifications.models import Deadline
    from rules.deadlines import recompute_deadlines

    copy_id = next(iter(org.copies))
    before, template = fingerprint(copy_id), fingerprint(org.template.pk)
    for name in template:
        for got, want in zip(before[name], template[name], strict=True):
            differ = {k: (got[k], want[k]) for k in want if got[k] != want[k]}
            assert not differ, f"a bulk-built copy's {name} differs from its template's: {differ}"
    rows_before = {row.pk: _values(row) for row in Deadline.objects.filter(incident_id=copy_id)}
    with transaction.atomic():
        recompute_deadlines(Incident.objects.get(pk=copy_id), now=now)
    rows_after = {row.pk: _values(row) for row in Deadline.objects.filter(incident_id=copy_id)}
    assert rows_after == rows_before, "recompute_deadlines changed a bulk-built copy's rows"
    return len(rows_before)


# --- Measurements --------------------------------------------------------------------------------
def recompute(incident_ids: list[int], now) -> dict:
    from incidents.models import Incident
    from rules.deadlines import recompute_deadlines

    walls, cpus, queries = [], [], set()
    for pk in incident_ids:
        incident = Incident.objects.get(pk=pk)
        cpu = time.process_time() + backend_cpu_seconds()
        with CaptureQueriesContext(connection) as captured, transaction.atomic():
            began = time.perf_counter()
            recompute_deadlines(incident, now=now)
            walls.append((time.perf_counter() - began) * 1000)
        cpus.append((time.process_time() + backend_cpu_seconds() - cpu) * 1000)
        queries.add(len(captured))
    return {"median_ms": statistics.median(walls), "cpu_ms": statistics.median(cpus), "queries": sorted(queries)}


def page(client: Client, url: str, repeat: int) -> dict:
    client.get(url)  # warm
    walls, cpus, queries = [], [], set()
    for _ in range(repeat):
        cpu = time.process_time() + backend_cpu_seconds()
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            response = client.get(url)
            walls.append((time.perf_counter() - began) * 1000)
        cpus.append((time.process_time() + backend_cpu_seconds() - cpu) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries.add(len(captured))
    return {"median_ms": statistics.median(walls), "cpu_ms": statistics.median(cpus), "queries": sorted(queries)}


def pages(org: Org, incident_id: int, repeat: int) -> dict:
    client = Client()
    client.force_login(org.officer)
    found = {
        "incident": page(client, reverse("incidents:detail", args=[incident_id]), repeat),
        "dashboard": page(client, reverse("dashboard:home"), repeat),
    }
    return found


def mixed_due_rows(due: int) -> tuple[list[int], Counter]:
    """``due`` rows with a next alert, as many of each kind (GDPR's kinds, each regime report) as
    there are, each kind's share spread over the table (so over incidents and organisations)."""
    from notifications.models import Deadline

    buckets: dict[str, list[int]] = {}
    pending = Deadline.objects.exclude(next_alert_at=None).order_by("pk").values_list("pk", "kind", "regime", "report")
    for pk, kind, regime, report in pending:
        buckets.setdefault(f"{regime}.{report}" if kind == "regime_report" else kind, []).append(pk)
    chosen: list[int] = []
    kinds: Counter = Counter()
    left = sorted(buckets, key=lambda name: len(buckets[name]))
    while left and len(chosen) < due:
        name = left.pop(0)
        share = min(len(buckets[name]), -(-(due - len(chosen)) // (len(left) + 1)))
        rows = buckets[name]
        chosen += rows[:: max(1, len(rows) // share)][:share]
        kinds[name] = share
    return chosen, kinds


# --- Main ----------------------------------------------------------------------------------------
def run(incidents: int, due: int, repeat: int, orgs_wanted: int, samples: int) -> dict:
    from incidents.models import AwarenessRecord, IncidentAnchor, IncidentDetermination, RegimeDecision
    from notifications.models import Deadline

    began = time.perf_counter()
    bench_sweep.remember_backend_pid()
    bench_sweep.route_deliveries_to_own_queue()
    now = timezone.now()
    orgs = make_organisations(orgs_wanted, incidents, now)
    for n, org in enumerate(orgs):
        copy_incidents(org, n)
    copy_facts(orgs, AwarenessRecord, 0)
    copy_deadlines(orgs)
    first = orgs[0]
    probe = list(first.copies)[:samples]  # the incidents recompute and the page are measured on
    result: dict = {"database": connection.vendor, "incidents": incidents, "orgs": len(orgs)}

    # 0 regimes confirmed: the GDPR clocks from awareness alone.
    result["rows_0"] = Deadline.objects.count()
    result["idle_0"] = bench_sweep.idle_sweep(repeat)

    # 1 regime: the GDPR confirmed.
    mark = high_water()
    confirm(orgs, ("gdpr",), now)
    copy_facts(orgs, RegimeDecision, mark[RegimeDecision])
    copy_deadlines(orgs)
    check_copy(first, now)
    result["recompute_1"] = recompute(probe, now)
    result["pages_1"] = pages(first, probe[0], repeat)

    # 2 regimes: NIS2 (significant) besides; the regimes' facts are read from the first one on.
    mark = high_water()
    confirm(orgs, REGIMES[1:2], now)
    for model in (IncidentDetermination, IncidentAnchor, RegimeDecision):
        copy_facts(orgs, model, mark[model])
    copy_deadlines(orgs)
    check_copy(first, now)
    result["recompute_2"] = recompute(probe, now)

    # 5 regimes: GDPR + NIS2 + DORA + SEC 8-K + LGPD with their flags and moments.
    mark = high_water()
    confirm(orgs, REGIMES[2:], now)
    for model in (IncidentDetermination, IncidentAnchor, RegimeDecision):
        copy_facts(orgs, model, mark[model])
    copy_deadlines(orgs)
    result["rows_per_incident_5"] = check_copy(first, now)
    result["rows_5"] = Deadline.objects.count()
    result["regime_rows_5"] = Deadline.objects.filter(kind="regime_report").count()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    result["populate_s"] = time.perf_counter() - began
    result["idle_5"] = bench_sweep.idle_sweep(repeat)
    result["recompute_5"] = recompute(probe, now)
    result["pages_5"] = pages(first, probe[0], repeat)

    # The busy sweep over rows of mixed kinds.
    due_ids, kinds = mixed_due_rows(due)
    result["due_kinds"] = dict(sorted(kinds.items()))
    result["busy"] = bench_sweep.busy_sweep(due_ids, repeat, None)
    return result


def figures(result: dict) -> list[Figure]:
    busy, idle0, idle5 = result["busy"], result["idle_0"], result["idle_5"]
    rec1, rec2, rec5 = result["recompute_1"], result["recompute_2"], result["recompute_5"]
    p1, p5 = result["pages_1"], result["pages_5"]
    per_thousand = busy["median_s"] * 1000 / busy["recorded"]

    def spread(*counts: list[int]) -> int:
        every = [c for group in counts for c in group]
        return max(every) - min(every)

    found = [
        Figure(
            "regimes: busy sweep per 1,000 due alerts of mixed kinds, 2 members + 1 webhook each",
            per_thousand,
            "s",
            target=BUSY_TARGET_S,
            detail=f"{busy['recorded']:,} alerts in {busy['median_s']:.3f} s (median; max {busy['max_s']:.3f} s), "
            f"{busy['statements_per_alert']:.2f} statements per alert; kinds {result['due_kinds']}",
        ),
        Figure(
            "regimes: busy sweep CPU per alert (this process + its backend)",
            busy["cpu_s"] * 1000 / busy["recorded"],
            "ms",
            detail=f"{busy['cpu_s']:.3f} s for {busy['recorded']:,} alerts",
        ),
        Figure(
            f"regimes: idle sweep, {result['incidents']:,} incidents x 5 regimes",
            idle5["median_ms"],
            "ms",
            target=IDLE_TARGET_MS,
            detail=f"{result['rows_5']:,} rows ({result['regime_rows_5']:,} regime reports); CPU {idle5['cpu_ms']:.2f} ms;"
            f" at 0 regimes ({result['rows_0']:,} rows) {idle0['median_ms']:.2f} ms",
        ),
        Figure(
            "regimes: idle sweep statements, 5 regimes minus 0",
            spread(idle0["statements"], idle5["statements"]),
            "statements",
            target=0,
            detail=f"{idle0['statements']} at 0, {idle5['statements']} at 5",
        ),
        Figure(
            "regimes: recompute_deadlines per incident, 5 regimes",
            rec5["median_ms"],
            "ms",
            detail=f"CPU {rec5['cpu_ms']:.1f} ms; {rec5['queries']} queries; "
            f"{result['rows_per_incident_5']} rows per incident; at 1 regime {rec1['median_ms']:.1f} ms",
        ),
        Figure(
            "regimes: recompute_deadlines queries, 5 regimes minus 2",
            spread(rec2["queries"], rec5["queries"]),
            "queries",
            target=0,
            detail=f"{rec2['queries']} at 2, {rec5['queries']} at 5; at 1 (the GDPR alone, whose clocks are its "
            f"own kinds: the regimes' facts are not read) {rec1['queries']}",
        ),
    ]
    per_org = result["incidents"] // result["orgs"]
    for name, label in (("incident", "incident page"), ("dashboard", f"dashboard ({per_org:,} open incidents)")):
        found += [
            Figure(
                f"regimes: {label}, 5 regimes",
                p5[name]["median_ms"],
                "ms",
                detail=f"CPU {p5[name]['cpu_ms']:.1f} ms; {p5[name]['queries']} queries; "
                f"at 1 regime {p1[name]['median_ms']:.1f} ms",
            ),
            Figure(
                f"regimes: {label} queries, 5 regimes minus 1",
                spread(p1[name]["queries"], p5[name]["queries"]),
                "queries",
                target=0,
                detail=f"{p1[name]['queries']} at 1, {p5[name]['queries']} at 5",
            ),
        ]
    return found


def report(result: dict) -> None:
    print(
        f"database: {result['database']}; {result['incidents']:,} incidents over {result['orgs']} organisations, "
        f"5 confirmed regimes ({', '.join(REGIMES)}); {result['rows_5']:,} deadline rows "
        f"({result['regime_rows_5']:,} regime reports); built in {result['populate_s']:.1f} s"
    )
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (wall-clock timings)")
    for key in ("idle_0", "idle_5"):
        idle = result[key]
        print(
            f"  {key:14s} median {idle['median_ms']:7.2f} ms  cpu {idle['cpu_ms']:6.2f} ms  statements {idle['statements']}"
        )
    for key in ("recompute_1", "recompute_2", "recompute_5"):
        rec = result[key]
        print(f"  {key:14s} median {rec['median_ms']:7.2f} ms  cpu {rec['cpu_ms']:6.2f} ms  queries {rec['queries']}")
    for key in ("pages_1", "pages_5"):
        for name, p in result[key].items():
            print(
                f"  {key} {name:10s} median {p['median_ms']:7.1f} ms  cpu {p['cpu_ms']:6.1f} ms  queries {p['queries']}"
            )
    busy = result["busy"]
    print(
        f"  busy sweep     {busy['recorded']:,} alerts median {busy['median_s']:.3f} s (max {busy['max_s']:.3f} s), "
        f"cpu {busy['cpu_s']:.3f} s; kinds {result['due_kinds']}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=10_000, help="incidents, each under 5 regimes")
    parser.add_argument("--due", type=int, default=1000, help="rows made due for the busy sweep")
    parser.add_argument("--orgs", type=int, default=10, help="organisations (2 members + 1 webhook each)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--samples", type=int, default=20, help="incidents recompute_deadlines is timed on")
    args = parser.parse_args()
    if args.incidents < 2 * args.orgs:
        parser.error("--incidents must be at least twice --orgs")

    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["testserver"]
    database = settings.DATABASES["default"]
    database.setdefault("TEST", {})["NAME"] = f"{database['NAME']}_regimesbench"
    if connection.vendor == "sqlite":
        database["TEST"]["NAME"] = str(Path(os.environ["BREACHTRACK_VAR_DIR"]) / "regimesbench.sqlite3")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        result = run(args.incidents, args.due, args.repeat, args.orgs, max(1, args.samples))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        bench_sweep.empty_own_queue(delete=True)
    report(result)
    found = figures(result)
    full_size = result["incidents"] >= FULL_SIZE["incidents"] and result["busy"]["recorded"] >= FULL_SIZE["due"]
    ok = emit(
        "regimes",
        found,
        size={"incidents": result["incidents"], "regimes": len(REGIMES), "due": result["busy"]["recorded"]},
        full_size=full_size,
    )
    constant = all(f.met for f in found if f.unit in ("statements", "queries"))
    # A count that grows with the regimes is a defect at any size; the timings are promises at full size.
    return 0 if constant and (ok or not full_size) else 1


if __name__ == "__main__":
    sys.exit(main())
