"""Walking the chains: does every link follow its predecessor, and every record match its link?

Two streaming passes, so a million records need little memory:

1. **Links**, per chain in ``seq`` order: sequence numbers without gaps, each ``prev_hash`` the
   previous link's hash, each hash recomputed; the chain's head agrees with its last link.
2. **Records**, per history model in id order, merged with that model's links: each record's
   content recomputed from the *current* row over the link's field set; a link whose record is
   gone, a record without a link.

The first problem of each chain (lowest seq) is what a person needs: everything after it is
suspect anyway.

3. **Anchors** (RFC 3161 time-stamps over a chain's head, :mod:`evidence.anchor`): each token is
   well-formed and its signature verifies (against BREACHTRACK_TSA_CA_FILE when set), its imprint
   is the hash the anchor names, its genTime, serial and policy are the anchor's columns, and the
   link at the anchored seq still has that hash. The last check is what a recomputed chain cannot
   pass: rewriting history and every later link leaves the chain consistent but not the anchor.
   Every failing anchor is named (there are few: one per chain per day).

4. **Live rows**, per historied model in chunks by primary key: each row equals its latest history
   record (the highest history id) in every tracked field. A direct write to a live table (``UPDATE
   incidents_incident SET ...``) writes no history and leaves every chain intact; this finds it.
   A row without any history record, a row whose latest record says it was deleted, and a deleted
   row whose latest record does not say so are named too. One query per chunk each for the rows and
   their latest records, and one anti-join for the deleted rows: work in proportion to the rows,
   memory to the chunk. The first ``LIVE_BREAKS_KEPT`` findings are kept by name, all are counted.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from django.db.models import DateTimeField, Exists, IntegerField, Max, Min, OuterRef, Q, TextField
from django.db.models.functions import Cast

from evidence import tsp
from evidence.append_only import history_models
from evidence.canonical import GENESIS, content_hasher, link_hash, record_fields
from evidence.chain import chain_key, organisation_path
from evidence.models import AuditAnchor, AuditChainHead, AuditChainLink, AuditFieldSet
from evidence.parallel import one_snapshot, run_tasks

CHUNK = 10_000  # rows per fetch from a server-side cursor
SPAN = 250_000  # links, records or rows per task (evidence.parallel runs the tasks)
LINK_ALTERED = "link altered"
LINK_MISSING = "link missing"
ORDER_BROKEN = "order broken"
CONTENT_CHANGED = "content changed"
ROW_MISSING = "row missing"
NOT_CHAINED = "record not chained"
HEAD_MISMATCH = "head does not match the last link"
FIELD_GONE = "field removed"
ANCHOR_TOKEN_INVALID = "anchor token invalid"  # noqa: S105 (a status code, not a password)
ANCHOR_IMPRINT = "anchor imprint is not its hash"
ANCHOR_FIELDS = "anchor differs from its token"
ANCHOR_LINK_MISSING = "anchored link missing"
ANCHOR_REWRITTEN = "history rewritten after the anchor"
CHANGED_WITHOUT_HISTORY = "changed without history"
NO_HISTORY = "no history record"
ALIVE_AFTER_DELETE = "exists after its recorded deletion"
DELETED_WITHOUT_HISTORY = "deleted without history"
LIVE_BREAKS_KEPT = 10_000


@dataclass(order=True)
class Break:
    chain: str
    seq: int
    history_model: str
    history_id: int | None
    problem: str
    detail: str = ""


@dataclass(order=True)
class AnchorBreak:
    chain: str
    seq: int
    anchor_id: int
    day: str
    problem: str
    detail: str = ""


@dataclass
class LiveBreak:
    """A live row that does not match its history: ``model`` is the tracked model's label."""

    model: str
    pk: int | str
    problem: str
    fields: tuple[str, ...] = ()


@dataclass
class Report:
    links: int = 0
    records: int = 0
    anchors: int = 0
    rows: int = 0
    breaks: list[Break] = field(default_factory=list)
    anchor_breaks: list[AnchorBreak] = field(default_factory=list)
    live_breaks: list[LiveBreak] = field(default_factory=list)
    live_breaks_total: int = 0

    @property
    def ok(self) -> bool:
        return not self.breaks and not self.anchor_breaks and not self.live_breaks_total

    def add_live_break(self, found: LiveBreak) -> None:
        self.live_breaks_total += 1
        if len(self.live_breaks) < LIVE_BREAKS_KEPT:
            self.live_breaks.append(found)

    def first_per_chain(self) -> list[Break]:
        first: dict[str, Break] = {}
        for found in sorted(self.breaks):
            first.setdefault(found.chain, found)
        return list(first.values())

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "links": self.links,
            "records": self.records,
            "anchors": self.anchors,
            "rows": self.rows,
            "first_breaks": [asdict(found) for found in self.first_per_chain()],
            "anchor_breaks": [asdict(found) for found in sorted(self.anchor_breaks)],
            "live_breaks": [asdict(found) for found in self.live_breaks],
            "live_breaks_total": self.live_breaks_total,
        }


def verify(
    organisation_id=None, using: str = "default", chunk: int = CHUNK, trusted=None, jobs: int = 1, span: int = SPAN
) -> Report:
    """Walk the chains and check the anchors; ``trusted``: the TSA certificates, None for the token's own.

    Steps 1, 2 and 4 are cut into independent tasks (:func:`_tasks`) run in ``jobs`` processes on
    PostgreSQL, all reading one snapshot (:mod:`evidence.parallel`); the report is the same as
    one process's, finding for finding, in the same order. Step 3 (few anchors) runs here.
    """
    report = Report()
    chains = [chain_key(organisation_id)] if organisation_id is not None else None
    with one_snapshot(using) as snapshot:
        tasks = _tasks(chains, organisation_id, using, span)
        parts = run_tasks(
            _run_task,
            [(task, chains, organisation_id, using, chunk) for task in tasks],
            using=using,
            jobs=jobs,
            snapshot=snapshot,
            cost=lambda job: job[0][-1],
        )
        _gather(report, tasks, parts)
        _check_anchors(report, chains, using, trusted)
    return report


@dataclass
class _Part(Report):
    """One task's findings; the deleted rows of a live range apart, as they come after the model's rows."""

    gone: list[LiveBreak] = field(default_factory=list)
    gone_total: int = 0


def _tasks(chains, organisation_id, using, span) -> list[tuple]:
    """Every task, in the order their findings are reported; each ends with its estimated rows.

    ``("links", lo, hi, n)``: the chains from ``lo`` to before ``hi`` (None: no bound);
    ``("records", label, lo, hi, n)``: one history model's records with ids in [lo, hi);
    ``("live", label, lo, hi, n)``: one tracked model's live rows with keys in [lo, hi).
    """
    tasks: list[tuple] = [("links", lo, hi, n) for lo, hi, n in _chain_ranges(chains, using, span)]
    for model in history_models():
        label = model._meta.label_lower
        tasks += [("records", label, lo, hi, n) for lo, hi, n in _id_ranges(model._default_manager, using, span)]
    for model in history_models():
        label, tracked = model._meta.label_lower, model.instance_type
        if organisation_id is None and isinstance(tracked._meta.pk, IntegerField):
            ranges = _id_ranges(tracked._base_manager, using, span)
        else:
            ranges = [(None, None, 1)]
        tasks += [("live", label, lo, hi, n) for lo, hi, n in ranges]
    return tasks


def _chain_ranges(chains, using, span) -> list[tuple]:
    """Consecutive ranges of chain keys (in the database's order) of about ``span`` links each."""
    if chains is not None:
        return [(None, None, span)]
    heads = list(AuditChainHead.objects.using(using).order_by("chain").values_list("chain", "seq"))
    ranges, lo, size = [], None, 0
    for key, seq in heads:
        if size >= span:
            ranges.append((lo, key, size))
            lo, size = key, 0
        size += seq
    ranges.append((lo, None, size))
    return ranges


def _id_ranges(manager, using, span) -> list[tuple]:
    """Ranges of primary keys of about ``span`` keys each; the first and the last open-ended."""
    bounds = manager.using(using).aggregate(low=Min("pk"), high=Max("pk"))
    low, high = bounds["low"], bounds["high"]
    if low is None or high - low < span:
        return [(None, None, 0 if low is None else high - low + 1)]
    pieces = -(-(high - low + 1) // span)
    cuts = [low + (high - low + 1) * n // pieces for n in range(1, pieces)]
    edges = [None, *cuts, None]
    return [(edges[n], edges[n + 1], span) for n in range(pieces)]


def _run_task(job) -> _Part:
    (kind, *args), chains, organisation_id, using, chunk = job
    part = _Part()
    if kind == "links":
        _walk_links(part, chains, using, chunk, args[0], args[1])
        return part
    model = _HISTORY_MODELS()[args[0]]
    if kind == "records":
        _check_records(part, model, chains, using, chunk, args[1], args[2])
    else:
        _check_live_rows(part, model, organisation_id, using, chunk, args[1], args[2])
    return part


def _HISTORY_MODELS() -> dict:
    return {model._meta.label_lower: model for model in history_models()}


def _gather(report: Report, tasks, parts) -> None:
    """The tasks' findings into the report, in task order; a live model's deleted rows after all its rows."""
    gone: list[_Part] = []
    for n, (task, part) in enumerate(zip(tasks, parts, strict=True)):
        report.links += part.links
        report.records += part.records
        report.rows += part.rows
        report.breaks += part.breaks
        _absorb(report, part.live_breaks, part.live_breaks_total)
        gone.append(part)
        following = tasks[n + 1] if n + 1 < len(tasks) else None
        if following is None or following[:2] != task[:2]:
            for done in gone:
                _absorb(report, done.gone, done.gone_total)
            gone = []


def _absorb(report: Report, found: list[LiveBreak], total: int) -> None:
    for one in found:
        report.add_live_break(one)
    report.live_breaks_total += total - len(found)


def _in_range(queryset, name: str, lo, hi):
    if lo is not None:
        queryset = queryset.filter(**{f"{name}__gte": lo})
    if hi is not None:
        queryset = queryset.filter(**{f"{name}__lt": hi})
    return queryset


def _walk_links(report: Report, chains, using, chunk, lo=None, hi=None) -> None:
    links = _in_range(AuditChainLink.objects.using(using).order_by("chain", "seq"), "chain", lo, hi)
    heads = _in_range(AuditChainHead.objects.using(using), "chain", lo, hi)
    if chains is not None:
        links, heads = links.filter(chain__in=chains), heads.filter(chain__in=chains)
    last: dict[str, tuple[int, str]] = {}
    broken: set[str] = set()
    columns = ("chain", "seq", "history_model", "history_id", "content_sha256", "prev_hash", "hash")
    for key, seq, model, history_id, content, prev, digest in links.values_list(*columns).iterator(chunk_size=chunk):
        report.links += 1
        if key in broken:
            continue
        expected_seq, expected_prev = last.get(key, (0, GENESIS))
        expected_seq += 1
        problem = None
        if seq != expected_seq:
            problem = (LINK_MISSING, f"expected seq {expected_seq}, found {seq}")
        elif prev != expected_prev:
            problem = (ORDER_BROKEN, "prev_hash is not the previous link's hash")
        elif link_hash(key, seq, model, history_id, content, prev) != digest:
            problem = (LINK_ALTERED, "the link's hash does not match its fields")
        if problem:
            broken.add(key)
            report.breaks.append(Break(key, expected_seq, model, history_id, *problem))
        last[key] = (seq, digest)
    for chain, head_seq, head_hash in heads.values_list("chain", "seq", "hash"):
        if chain not in broken and last.get(chain, (0, GENESIS)) != (head_seq, head_hash):
            seq = last.get(chain, (0, GENESIS))[0]
            report.breaks.append(
                Break(chain, seq + 1, "", None, HEAD_MISMATCH, f"head at seq {head_seq}, last link at seq {seq}")
            )


def _field_sets(
    label: str, fields: tuple[str, ...], instants: tuple[int, ...], using
) -> dict[int, tuple[tuple[str, ...], Callable | None]]:
    """Field set id -> (its names, the content hash of a row of ``fields`` over them, the instants
    at ``instants`` read as text; None when one no longer exists)."""
    position = {name: index for index, name in enumerate(fields)}
    found = {}
    for fs in AuditFieldSet.objects.using(using).filter(history_model=label):
        names = tuple(fs.fields.split(","))
        found[fs.pk] = (
            names,
            content_hasher(label, names, [position[n] for n in names], instants)
            if all(n in position for n in names)
            else None,
        )
    return found


def _check_records(report: Report, model, chains, using, chunk, lo=None, hi=None) -> None:
    """Merge the model's links (by history id) with its rows (by id, in [lo, hi)) and compare contents."""
    label = model._meta.label_lower
    fields = record_fields(model)
    pk_index = fields.index(model._meta.pk.attname)
    links = _in_range(
        AuditChainLink.objects.using(using).filter(history_model=label).order_by("history_id"), "history_id", lo, hi
    )
    rows = _in_range(model._default_manager.using(using).order_by("pk"), "pk", lo, hi)
    if chains is not None:
        links = links.filter(chain__in=chains)
        rows = rows.filter(pk__in=links.values("history_id"))
    link_iter = links.values_list("history_id", "field_set_id", "content_sha256", "chain", "seq").iterator(
        chunk_size=chunk
    )
    columns, instants = _instants_as_text(model, fields)
    field_sets = _field_sets(label, fields, instants, using)
    row_iter = rows.values_list(*columns).iterator(chunk_size=chunk)
    link, row = next(link_iter, None), next(row_iter, None)
    while link is not None or row is not None:
        row_id = row[pk_index] if row is not None else None
        if row is None or (link is not None and link[0] < row_id):
            report.breaks.append(Break(link[3], link[4], label, link[0], ROW_MISSING, "the history row is gone"))
            link = next(link_iter, None)
        elif link is None or row_id < link[0]:
            report.records += 1
            report.breaks.append(Break("(none)", 0, label, row_id, NOT_CHAINED, "no link names this record"))
            row = next(row_iter, None)
        else:
            report.records += 1
            _compare(report, label, link, row, field_sets)
            link, row = next(link_iter, None), next(row_iter, None)


def _instants_as_text(model, fields: tuple[str, ...]) -> tuple[list, tuple[int, ...]]:
    """The columns to read: instants cast to text (and their positions), the rest as they are.

    Every record has at least one instant (``history_date``), and the database driver's loader
    for it (psycopg's, wrapped by Django to apply the connection's zone) was a sixth of hashing
    a record; ``datetime.fromisoformat`` on the text the database writes itself (``2025-01-01
    00:00:01+00`` on PostgreSQL, whose session Django keeps in UTC; naive UTC on SQLite) gives
    the same instant for a tenth of the cost, so the canonical content is the same. The content
    hasher parses it (``canonical.content_hasher``, its ``instants``).
    """
    by_attname = {field.attname: field for field in model._meta.concrete_fields}
    columns, instants = [], []
    for position, name in enumerate(fields):
        if isinstance(by_attname.get(name), DateTimeField):
            columns.append(Cast(name, output_field=TextField()))
            instants.append(position)
        else:
            columns.append(name)
    return columns, tuple(instants)


def _compare(report, label, link, row, field_sets) -> None:
    history_id, fs_id, expected, key, seq = link
    names, content_of = field_sets[fs_id]
    if content_of is None:
        report.breaks.append(
            Break(key, seq, label, history_id, FIELD_GONE, f"the record's fields were {','.join(names)}")
        )
    elif content_of(row) != expected:
        report.breaks.append(
            Break(key, seq, label, history_id, CONTENT_CHANGED, "the row differs from what was chained")
        )


def _check_anchors(report: Report, chains, using, trusted, chunk: int = 500) -> None:
    """Every anchor, a chunk at a time; the anchored links' hashes in one query per chunk."""
    anchors = AuditAnchor.objects.using(using).order_by("chain", "day", "pk")
    if chains is not None:
        anchors = anchors.filter(chain__in=chains)
    batch: list[AuditAnchor] = []
    for anchor in anchors.iterator(chunk_size=chunk):
        batch.append(anchor)
        if len(batch) == chunk:
            _check_anchor_batch(report, batch, trusted, using)
            batch = []
    _check_anchor_batch(report, batch, trusted, using)


def _check_anchor_batch(report: Report, batch: list[AuditAnchor], trusted, using) -> None:
    wanted = Q()
    for chain in {anchor.chain for anchor in batch}:
        wanted |= Q(chain=chain, seq__in=[anchor.seq for anchor in batch if anchor.chain == chain])
    links = (
        dict(
            ((chain, seq), digest)
            for chain, seq, digest in AuditChainLink.objects.using(using)
            .filter(wanted)
            .values_list("chain", "seq", "hash")
        )
        if batch
        else {}
    )
    for anchor in batch:
        report.anchors += 1
        problem = _anchor_problem(anchor, trusted, links.get((anchor.chain, anchor.seq)))
        if problem:
            report.anchor_breaks.append(
                AnchorBreak(anchor.chain, anchor.seq, anchor.pk, anchor.day.isoformat(), *problem)
            )


def _anchor_problem(anchor: AuditAnchor, trusted, found: str | None) -> tuple[str, str] | None:
    """The first thing wrong with one anchor, or None (step 3 of the module docstring)."""
    try:
        token = tsp.check_token(bytes(anchor.token), trusted=trusted)
        expected = tsp.imprint_of(anchor.head_hash, token.hash_algorithm)
    except (tsp.TimestampError, ValueError) as error:
        return ANCHOR_TOKEN_INVALID, str(error)
    if token.imprint != expected:
        return ANCHOR_IMPRINT, f"the token signs {token.imprint.hex()}, the anchor names {anchor.head_hash}"
    if (token.gen_time, str(token.serial), token.policy) != (anchor.gen_time, anchor.serial, anchor.policy):
        return ANCHOR_FIELDS, (
            f"token: {token.gen_time.isoformat()} serial {token.serial} policy {token.policy}; "
            f"anchor: {anchor.gen_time.isoformat()} serial {anchor.serial} policy {anchor.policy}"
        )
    if found is None:
        return ANCHOR_LINK_MISSING, f"no link at seq {anchor.seq}"
    if found != anchor.head_hash:
        return ANCHOR_REWRITTEN, (
            f"the TSA signed {anchor.head_hash} at {token.gen_time.isoformat()}; the link at seq {anchor.seq} "
            f"now has {found}"
        )
    return None


def _scoped(queryset, history_model, organisation_id):
    """``queryset`` (of the tracked model or its history) limited to one organisation; None when
    the model's rows belong to no organisation (the global chain)."""
    if organisation_id is None:
        return queryset
    path = organisation_path(history_model)
    if path is None:
        return None
    if path == "self":
        return queryset.filter(**{history_model.instance_type._meta.pk.attname: organisation_id})
    return queryset.filter(**{path: organisation_id})


def _check_live_rows(part: _Part, history_model, organisation_id, using, chunk, lo=None, hi=None) -> None:
    """Step 4 of the module docstring for one historied model: the whole installation in one
    streamed merge per range of keys [lo, hi) (:func:`_merge_live_rows`), one organisation by
    chunks of its rows."""
    # The merge compares keys in Python as the database orders them: integers order alike.
    if organisation_id is None and isinstance(history_model.instance_type._meta.pk, IntegerField):
        _merge_live_rows(part, history_model, using, chunk, lo, hi)
    else:
        _check_live_rows_by_chunk(part, history_model, organisation_id, using, chunk)


def _merge_live_rows(part: _Part, history_model, using, chunk, lo=None, hi=None) -> None:
    """Every live row against its latest history record, as two streams in primary-key order.

    The rows (server-side cursor, ``chunk`` at a time) are merged with the latest record of each
    object (the records no later record of the same object follows: one anti-join, streamed).
    A latest record without a row is a row deleted without history, unless it records the
    deletion. Two statements per model whatever its size, memory in proportion to ``chunk``:
    the chunked comparison costs three statements per chunk, each an ``IN`` of ``chunk`` ids.
    The findings come out as the chunked comparison's do: the rows' in key order, then the
    deleted ones (``part.gone``: :func:`_gather` adds them after every range's rows).
    """
    tracked = history_model.instance_type
    label = tracked._meta.label_lower
    pk = tracked._meta.pk.attname
    history_id = history_model._meta.pk.attname
    names = tuple(field.name for field in history_model.tracked_fields)
    live_columns = tuple(tracked._meta.get_field(name).attname for name in names)
    history_columns = tuple(history_model._meta.get_field(name).attname for name in names)
    pk_index = live_columns.index(pk)
    records = history_model._default_manager.using(using)
    later = records.filter(**{pk: OuterRef(pk), f"{history_id}__gt": OuterRef(history_id)})
    latest = (
        _in_range(records.filter(~Exists(later)), pk, lo, hi)
        .order_by(pk)
        .values_list(pk, "history_type", *history_columns)
        .iterator(chunk)
    )
    rows = _in_range(tracked._base_manager.using(using), pk, lo, hi).order_by(pk).values_list(*live_columns)
    gone = part.gone
    record = next(latest, None)
    for row in rows.iterator(chunk):
        key = row[pk_index]
        while record is not None and record[0] < key:  # an object with history and no row
            if record[1] != "-":
                part.gone_total += 1
                if len(gone) < LIVE_BREAKS_KEPT:
                    gone.append(LiveBreak(label, _plain(record[0]), DELETED_WITHOUT_HISTORY))
            record = next(latest, None)
        part.rows += 1
        if record is not None and record[0] == key:
            if record[1] == "-" or row != record[2:]:  # tuples compare in C: most rows are equal
                _compare_live(part, label, names, key, row, record)
            record = next(latest, None)
        else:
            _compare_live(part, label, names, key, row, None)
    for rest in itertools.chain([record] if record is not None else [], latest):
        if rest[1] != "-":
            part.gone_total += 1
            if len(gone) < LIVE_BREAKS_KEPT:
                gone.append(LiveBreak(label, _plain(rest[0]), DELETED_WITHOUT_HISTORY))


def _check_live_rows_by_chunk(report: Report, history_model, organisation_id, using, chunk) -> None:
    """Step 4 for one organisation: its rows a chunk at a time, each chunk's latest records by id."""
    tracked = history_model.instance_type
    label = tracked._meta.label_lower
    pk = tracked._meta.pk.attname
    history_id = history_model._meta.pk.attname
    names = tuple(field.name for field in history_model.tracked_fields)
    live_columns = tuple(tracked._meta.get_field(name).attname for name in names)
    history_columns = tuple(history_model._meta.get_field(name).attname for name in names)
    rows = _scoped(tracked._base_manager.using(using).order_by(pk), history_model, organisation_id)
    records = _scoped(history_model._default_manager.using(using), history_model, organisation_id)
    if rows is None or records is None:
        return
    last = None
    while True:
        page = rows.filter(**{f"{pk}__gt": last}) if last is not None else rows
        batch = list(page.values_list(*live_columns)[:chunk])
        if not batch:
            break
        pk_index = live_columns.index(pk)
        ids = [row[pk_index] for row in batch]
        last = ids[-1]
        latest_ids = (
            history_model._default_manager.using(using)
            .filter(**{f"{pk}__in": ids})
            .values(pk)
            .annotate(latest=Max(history_id))
            .values("latest")
        )
        latest = {
            record[0]: record
            for record in history_model._default_manager.using(using)
            .filter(**{f"{history_id}__in": latest_ids})
            .values_list(pk, "history_type", *history_columns)
        }
        for row in batch:
            report.rows += 1
            _compare_live(report, label, names, row[pk_index], row, latest.get(row[pk_index]))
    # Rows gone while their latest record still says they exist: one anti-join, streamed.
    later = history_model._default_manager.using(using).filter(
        **{pk: OuterRef(pk), f"{history_id}__gt": OuterRef(history_id)}
    )
    live = tracked._base_manager.using(using).filter(pk=OuterRef(pk))
    gone = (
        records.exclude(history_type="-").filter(~Exists(later), ~Exists(live)).order_by(pk).values_list(pk, flat=True)
    )
    for missing in gone.iterator(chunk_size=chunk):
        report.add_live_break(LiveBreak(label, _plain(missing), DELETED_WITHOUT_HISTORY))


def _compare_live(report: Report, label, names, pk, row, record) -> None:
    if record is None:
        report.add_live_break(LiveBreak(label, _plain(pk), NO_HISTORY))
    elif record[1] == "-":
        report.add_live_break(LiveBreak(label, _plain(pk), ALIVE_AFTER_DELETE))
    else:
        changed = tuple(name for name, now, then in zip(names, row, record[2:], strict=True) if now != then)
        if changed:
            report.add_live_break(LiveBreak(label, _plain(pk), CHANGED_WITHOUT_HISTORY, changed))


def _plain(pk) -> int | str:
    return pk if isinstance(pk, int) else str(pk)
