"""Walking the chains: does every link follow its predecessor, and every record match its link?

Two streaming passes, so a million records need little memory:

1. **Links**, per chain in ``seq`` order: sequence numbers without gaps, each ``prev_hash`` the
   previous link's hash, each hash recomputed; the chain's head agrees with its last link.
2. **Records**, per history model in id order, merged with that model's links: each record's
   content recomputed from the *current* row over the link's field set; a link whose record is
   gone, a record without a link.

The first problem of each chain (lowest seq) is what a person needs: everything after it is
suspect anyway.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from evidence.append_only import history_models
from evidence.canonical import GENESIS, content_sha256, link_hash, record_fields
from evidence.chain import chain_key
from evidence.models import AuditChainHead, AuditChainLink, AuditFieldSet

CHUNK = 10_000
LINK_ALTERED = "link altered"
LINK_MISSING = "link missing"
ORDER_BROKEN = "order broken"
CONTENT_CHANGED = "content changed"
ROW_MISSING = "row missing"
NOT_CHAINED = "record not chained"
HEAD_MISMATCH = "head does not match the last link"
FIELD_GONE = "field removed"


@dataclass(order=True)
class Break:
    chain: str
    seq: int
    history_model: str
    history_id: int | None
    problem: str
    detail: str = ""


@dataclass
class Report:
    links: int = 0
    records: int = 0
    breaks: list[Break] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks

    def first_per_chain(self) -> list[Break]:
        first: dict[str, Break] = {}
        for found in sorted(self.breaks):
            first.setdefault(found.chain, found)
        return list(first.values())

    def as_dict(self) -> dict:
        return {"ok": self.ok, "links": self.links, "records": self.records,
                "first_breaks": [asdict(found) for found in self.first_per_chain()]}


def verify(organisation_id=None, using: str = "default", chunk: int = CHUNK) -> Report:
    report = Report()
    chains = [chain_key(organisation_id)] if organisation_id is not None else None
    _walk_links(report, chains, using, chunk)
    for model in history_models():
        _check_records(report, model, chains, using, chunk)
    return report


def _walk_links(report: Report, chains, using, chunk) -> None:
    links = AuditChainLink.objects.using(using).order_by("chain", "seq")
    heads = AuditChainHead.objects.using(using)
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
    for head in heads:
        if head.chain not in broken and last.get(head.chain, (0, GENESIS)) != (head.seq, head.hash):
            seq = last.get(head.chain, (0, GENESIS))[0]
            report.breaks.append(Break(head.chain, seq + 1, "", None, HEAD_MISMATCH,
                                       f"head at seq {head.seq}, last link at seq {seq}"))


def _field_sets(label: str, fields: tuple[str, ...], using) -> dict[int, tuple[tuple[str, ...], tuple[int, ...] | None]]:
    """Field set id -> (its names, their positions in ``fields``; None when one no longer exists)."""
    position = {name: index for index, name in enumerate(fields)}
    found = {}
    for fs in AuditFieldSet.objects.using(using).filter(history_model=label):
        names = tuple(fs.fields.split(","))
        found[fs.pk] = (names, tuple(position[n] for n in names) if all(n in position for n in names) else None)
    return found


def _check_records(report: Report, model, chains, using, chunk) -> None:
    """Merge the model's links (by history id) with its rows (by id) and compare contents."""
    label = model._meta.label_lower
    fields = record_fields(model)
    pk_index = fields.index(model._meta.pk.attname)
    field_sets = _field_sets(label, fields, using)
    links = AuditChainLink.objects.using(using).filter(history_model=label).order_by("history_id")
    rows = model._default_manager.using(using).order_by("pk")
    if chains is not None:
        links = links.filter(chain__in=chains)
        rows = rows.filter(pk__in=links.values("history_id"))
    link_iter = links.values_list("history_id", "field_set_id", "content_sha256", "chain", "seq").iterator(chunk_size=chunk)
    row_iter = rows.values_list(*fields).iterator(chunk_size=chunk)
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


def _compare(report, label, link, row, field_sets) -> None:
    history_id, fs_id, expected, key, seq = link
    names, positions = field_sets[fs_id]
    if positions is None:
        report.breaks.append(Break(key, seq, label, history_id, FIELD_GONE, f"the record's fields were {','.join(names)}"))
    elif content_sha256(label, names, [row[i] for i in positions]) != expected:
        report.breaks.append(Break(key, seq, label, history_id, CONTENT_CHANGED, "the row differs from what was chained"))
