"""A static guard: no write that bypasses history appears in the project's own code.

The runtime guard (breachtrack.history) refuses these writes when they run;
this test refuses them when they are written, including in code paths no test
executes. It walks the project's Python source with ``ast`` and reports, as
file:line:

* ``<receiver>.update(...)`` whose receiver chain looks like a queryset
  (mentions ``objects``, ``filter``, ``all``, ``exclude``, ``select_for_update``
  and similar), and any ``.bulk_create(...)`` / ``.bulk_update(...)`` (they have
  no meaning outside the ORM);
* ``F(...)`` / ``models.F(...)``, except inside model constraints
  (``Meta.constraints``, ``CheckConstraint``, ``UniqueConstraint``, ``Q``) in
  models modules.

Only ``breachtrack/history.py``, which implements the ``*_with_history``
helpers, may do these things. One narrow exception: a ``.update(...)`` whose
line ends with ``# not-historied: <Model>`` is accepted when ``<Model>`` appears
in the receiver chain *and* is a model without history (checked through
``django.apps`` when the test runs). That is for derived state such as
``notifications.Deadline``; naming a historied or unknown model is reported. The scanner itself is tested below, so a guard
that silently finds nothing fails too.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def _project_packages() -> tuple[str, ...]:
    """Every top-level Python package of this repository (apps and layers alike), so a new one is
    scanned without anyone remembering to list it. Tests and the virtualenv are not ours to scan."""
    return tuple(
        sorted(
            path.parent.name for path in REPO_ROOT.glob("*/__init__.py") if path.parent.name not in {"tests", ".venv"}
        )
    )


SCANNED_PACKAGES = _project_packages()
SKIPPED_DIRECTORIES = {"migrations", "tests", "__pycache__"}
ALLOWED_FILES = {Path("breachtrack/history.py")}
# Packages that only read (docs/architecture.md: readers never write; lint-imports keeps actions
# out of them): an F() there compares or subtracts columns in a query, it never becomes a value to
# save. update() and bulk writes are still checked everywhere.
READ_ONLY_PACKAGES = {"readers"}

# A receiver chain containing one of these names is treated as a queryset.
QUERYSET_NAMES = frozenset(
    {
        "objects",
        "_default_manager",
        "_base_manager",
        "filter",
        "all",
        "exclude",
        "select_for_update",
        "select_related",
        "prefetch_related",
        "order_by",
        "using",
        "none",
        "distinct",
        "annotate",
        "visible_to",
    }
)
BULK_METHODS = frozenset({"bulk_create", "bulk_update"})
CONSTRAINT_CALLS = frozenset({"CheckConstraint", "UniqueConstraint", "Q"})
NOT_HISTORIED_PRAGMA = re.compile(r"#\s*not-historied:\s*(?P<model>[A-Za-z_][A-Za-z0-9_]*)\s*$")


def model_without_history(name: str) -> bool:
    """True only when exactly one installed model has this class name and it keeps no history."""
    from django.apps import apps

    found = [model for model in apps.get_models() if model.__name__ == name]
    if len(found) != 1:
        return False
    model = found[0]
    is_historied = hasattr(model, "history") or getattr(model._meta, "simple_history_manager_attribute", None)
    # A historical-record table (HistoricalIncident) has no history of its own, but it IS the evidence.
    from simple_history.models import HistoricalChanges

    is_history_table = hasattr(model, "instance_type") or issubclass(model, HistoricalChanges)
    return not (is_historied or is_history_table)


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


def _callee_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _receiver_names(node: ast.expr) -> set[str]:
    """Every attribute, method and variable name along a chain such as ``A.objects.filter(x=1)``."""
    names: set[str] = set()
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
            node = node.value
        elif isinstance(node, ast.Subscript):
            node = node.value
        elif isinstance(node, ast.Name):
            names.add(node.id)
            return names
        else:
            return names


class _Scanner(ast.NodeVisitor):
    def __init__(self, path: str, is_models_module: bool, lines: list[str], is_not_historied: Callable[[str], bool]):
        self.path = path
        self.is_models_module = is_models_module
        self.lines = lines
        self.is_not_historied = is_not_historied
        self.findings: list[Finding] = []
        self._classes: list[str] = []
        self._constraint_depth = 0

    def _read_only(self) -> bool:
        return Path(self.path).parts[0] in READ_ONLY_PACKAGES

    def _report(self, node: ast.AST, what: str) -> None:
        self.findings.append(Finding(self.path, node.lineno, what))

    def _pragma_model(self, node: ast.Call) -> str | None:
        for line in self.lines[node.lineno - 1 : node.end_lineno]:
            match = NOT_HISTORIED_PRAGMA.search(line)
            if match:
                return match["model"]
        return None

    def _check_update(self, node: ast.Call, func: ast.Attribute, receiver: set[str]) -> None:
        """``update()`` and ``bulk_*()``: allowed only with a pragma naming a model without history."""
        model = self._pragma_model(node)
        if model is None:
            what = "QuerySet.update()" if func.attr == "update" else f"{func.attr}()"
            self._report(node, f"{what} writes no history ({ast.unparse(func)})")
        elif model not in receiver:
            self._report(
                node, f"not-historied pragma names {model}, which this update does not touch ({ast.unparse(func)})"
            )
        elif not self.is_not_historied(model):
            self._report(
                node, f"not-historied pragma names {model}, a historied or unknown model ({ast.unparse(func)})"
            )

    def _inside_constraint(self) -> bool:
        return self.is_models_module and self._constraint_depth > 0

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._classes.append(node.name)
        self.generic_visit(node)
        self._classes.pop()

    def _visit_meta_constraints(self, node: ast.Assign | ast.AnnAssign, targets: list[ast.expr]) -> None:
        is_constraints = self._classes[-1:] == ["Meta"] and any(
            isinstance(target, ast.Name) and target.id == "constraints" for target in targets
        )
        self._constraint_depth += is_constraints
        self.generic_visit(node)
        self._constraint_depth -= is_constraints

    def visit_Assign(self, node: ast.Assign) -> None:
        self._visit_meta_constraints(node, node.targets)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._visit_meta_constraints(node, [node.target])

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = _callee_name(func)
        if isinstance(func, ast.Attribute):
            receiver = _receiver_names(func.value)
            if func.attr == "update" and receiver & QUERYSET_NAMES:
                self._check_update(node, func, receiver)
            elif func.attr in BULK_METHODS:
                self._check_update(node, func, receiver)
        if name == "F" and not self._inside_constraint() and not self._read_only():
            self._report(node, f"F() expression ({ast.unparse(node)}): history cannot store it")
        entering = name in CONSTRAINT_CALLS
        self._constraint_depth += entering
        self.generic_visit(node)
        self._constraint_depth -= entering


def scan_source(
    source: str,
    path: str = "<snippet>",
    *,
    is_models_module: bool = False,
    is_not_historied: Callable[[str], bool] = model_without_history,
) -> list[Finding]:
    scanner = _Scanner(path, is_models_module, source.splitlines(), is_not_historied)
    scanner.visit(ast.parse(source, filename=path))
    return scanner.findings


def project_files() -> list[Path]:
    files = []
    for package in SCANNED_PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            relative = path.relative_to(REPO_ROOT)
            if SKIPPED_DIRECTORIES & set(relative.parts[:-1]):
                continue
            files.append(relative)
    return files


def _is_models_module(relative: Path) -> bool:
    return relative.name == "models.py" or "models" in relative.parts[:-1]


def scan_project() -> list[Finding]:
    findings = []
    for relative in project_files():
        if relative in ALLOWED_FILES:
            continue
        source = (REPO_ROOT / relative).read_text(encoding="utf-8")
        findings += scan_source(source, str(relative), is_models_module=_is_models_module(relative))
    return findings


# --- the guard -----------------------------------------------------------------------


def test_the_project_code_has_no_write_that_bypasses_history():
    findings = scan_project()
    assert findings == [], "writes that leave no history (use a service or breachtrack.history):\n" + "\n".join(
        map(str, findings)
    )


def test_the_guard_reads_the_code_it_protects():
    scanned = {str(path) for path in project_files()}
    assert {"actions/incidents.py", "organisations/services.py", "incidents/models/incident.py"} <= scanned
    assert not any("migrations" in path or path.startswith("tests") for path in scanned)


# --- the scanner itself ----------------------------------------------------------------

BYPASSING_SNIPPET = """\
from django.db.models import F
from incidents.models import Incident


def rename():
    Incident.objects.filter(x=1).update(title="y")


def count_one_more(estimate):
    estimate.low = F("count") + 1
    estimate.save()
"""


def test_the_scanner_reports_a_queryset_update_and_an_f_expression():
    findings = scan_source(BYPASSING_SNIPPET)
    assert [(finding.line, finding.what.split(" (")[0]) for finding in findings] == [
        (6, "QuerySet.update() writes no history"),
        (10, "F() expression"),
    ]


def test_the_scanner_reports_every_bypassing_form():
    snippet = """\
Incident.objects.update(title="y")
Party.objects.all().update(name="y")
Party._base_manager.update(name="y")
qs.select_for_update().update(status="closed")
AwarenessRecord.objects.exclude(is_withdrawn=True).update(aware_tz="UTC")
Incident.objects.visible_to(user).filter(pk=1).update(title="y")
Party.objects.bulk_create([Party(name="a")])
queryset.bulk_update(parties, ["name"])
AffectedEstimate.objects.filter(pk=1).update(low=models.F("low") + 1)
"""
    lines = [finding.line for finding in scan_source(snippet)]
    assert lines == [1, 2, 3, 4, 5, 6, 7, 8, 9, 9]


def test_the_scanner_reports_nothing_in_clean_code():
    snippet = """\
errors = {}
errors.update({"title": ["required"]})
context.update(incident=incident)
incident = Incident.objects.filter(pk=1).first()
incident.save(update_fields=["title", "updated_at"])
update_incident(incident, actor=actor, reason="typo", title="Ransomware")
update_with_history(Party.objects.filter(owner=lab), actor=actor, reason="move", contact_name="x")
bulk_create_with_history(parties, Party, actor=actor, reason="import")
q = Q(title__icontains="ransom")
"""
    assert scan_source(snippet) == []


MODEL_CONSTRAINTS = """\
from django.db import models


class AffectedEstimate(models.Model):
    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(high__isnull=True) | models.Q(high__gte=models.F("low")), name="estimate_low_le_high"
            ),
        ]
"""


def test_the_scanner_allows_f_in_the_constraints_of_a_models_module_only():
    assert scan_source(MODEL_CONSTRAINTS, "incidents/models/facts.py", is_models_module=True) == []
    outside_models = scan_source(MODEL_CONSTRAINTS, "actions/incidents.py", is_models_module=False)
    assert [finding.line for finding in outside_models] == [8]


def test_the_scanner_reports_f_in_a_models_module_outside_constraints():
    snippet = """\
class Incident(models.Model):
    def bump(self):
        self.revision = models.F("revision") + 1
"""
    assert [finding.line for finding in scan_source(snippet, is_models_module=True)] == [3]


# --- the not-historied allowance -----------------------------------------------------


def test_the_scanner_accepts_a_pragma_naming_a_model_without_history():
    snippet = """\
Deadline.objects.filter(pk=1, next_alert_at=old).update(next_alert_at=new)  # not-historied: Deadline
Deadline.objects.filter(pk=1).update(  # not-historied: Deadline
    next_alert_at=None,
)
"""
    assert scan_source(snippet) == []


def test_the_scanner_accepts_a_bulk_insert_of_a_model_without_history_only_with_the_pragma():
    snippet = """\
AlertEvent.objects.bulk_create(new)  # not-historied: AlertEvent
AlertEvent.objects.bulk_create(new)
Incident.objects.bulk_create(new)  # not-historied: Incident
"""
    findings = scan_source(snippet)
    assert [finding.line for finding in findings] == [2, 3]
    assert "bulk_create() writes no history" in findings[0].what
    assert "historied or unknown" in findings[1].what


def test_every_installed_app_of_the_project_is_scanned():
    assert {"breachtrack", "incidents", "notifications", "organisations"} <= set(SCANNED_PACKAGES)
    assert "simple_history" not in SCANNED_PACKAGES and "django" not in SCANNED_PACKAGES


def test_the_pragma_cannot_excuse_an_update_of_a_historied_model():
    snippet = """\
Incident.objects.filter(pk=1).update(title="y")  # not-historied: Incident
AwarenessRecord.objects.filter(pk=1).update(aware_at=x)  # not-historied: AwarenessRecord
Incident.objects.filter(pk=1).update(title="y")  # not-historied: Deadline
Party.objects.filter(pk=1).update(name="y")  # not-historied: NoSuchModel
Incident.objects.filter(pk=1).update(title="y")  # not-historied:
HistoricalIncident.objects.filter(pk=1).update(title="y")  # not-historied: HistoricalIncident
"""
    findings = scan_source(snippet)
    assert [finding.line for finding in findings] == [1, 2, 3, 4, 5, 6]
    assert "historied or unknown" in findings[0].what
    assert "does not touch" in findings[2].what


def test_the_pragma_check_asks_django_which_models_keep_history():
    assert model_without_history("Deadline")
    assert model_without_history("AlertEvent")
    for historied in ("Incident", "AwarenessRecord", "ProcessorNotice", "IncidentParty", "User", "HistoricalIncident"):
        assert not model_without_history(historied), historied
    assert not model_without_history("NoSuchModel")
