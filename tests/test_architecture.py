"""The shape of the code (docs/architecture.md): layers, public seams, self-standing comments.

Static checks over the source, no database: the layers contract of import-linter holds, the
import graph between top-level packages has no cycle, no module imports another's private name,
no import hides inside a function except where Django's app loading requires it, and no comment
points at a document outside the repository.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

# The source and its imports, the same on any database: the SQLite pass runs it (tests/conftest.py).
pytestmark = pytest.mark.database_independent

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGES = [
    "breachtrack", "organisations", "incidents", "filings", "communications", "notifications",
    "evidence", "access", "rules", "readers", "actions", "ops", "api", "web",
]  # fmt: skip


def project_modules():
    for package in PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            yield path


def parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def module_name(path: Path) -> str:
    relative = path.relative_to(REPO_ROOT).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def test_the_layers_contract_holds():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_the_packages_import_each_other_without_a_cycle():
    sys.path.insert(0, str(REPO_ROOT))
    try:
        graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    finally:
        sys.path.remove(str(REPO_ROOT))
    edges = {
        (importer, imported)
        for importer in PACKAGES
        for imported in PACKAGES
        if importer != imported and graph.direct_import_exists(importer=importer, imported=imported, as_packages=True)
    }
    # Depth-first search for a cycle among the packages.
    state: dict[str, str] = {}

    def visit(package: str, path: list[str]) -> list[str] | None:
        state[package] = "open"
        for importer, imported in sorted(edges):
            if importer != package:
                continue
            if state.get(imported) == "open":
                return [*path, imported]
            if imported not in state:
                found = visit(imported, [*path, imported])
                if found:
                    return found
        state[package] = "done"
        return None

    for package in PACKAGES:
        if package not in state:
            cycle = visit(package, [package])
            assert cycle is None, "import cycle between packages: " + " → ".join(cycle)


def private_imports(tree: ast.Module, own_module: str) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] not in PACKAGES or node.module == own_module:
                continue
            found += [f"{node.module}.{alias.name}" for alias in node.names if alias.name.startswith("_")]
    return found


def test_no_module_imports_another_modules_private_name():
    found = {
        str(path.relative_to(REPO_ROOT)): names
        for path in project_modules()
        if (names := private_imports(parsed(path), module_name(path)))
    }
    assert found == {}, "make these public, named for what they do, in the module that owns them"


def imports_inside_functions(tree: ast.Module) -> list[tuple[int, str]]:
    """Imports of our own packages inside a function, except in an AppConfig's ``ready``."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or node.name == "ready":
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.Import | ast.ImportFrom):
                module = inner.module if isinstance(inner, ast.ImportFrom) else inner.names[0].name
                if module and module.split(".")[0] in PACKAGES:
                    found.append((inner.lineno, module))
    return found


def test_no_import_hides_inside_a_function():
    found = {
        str(path.relative_to(REPO_ROOT)): lines
        for path in project_modules()
        if (lines := imports_inside_functions(parsed(path)))
    }
    assert found == {}, "import at module level; a cycle this dodges is a layering error"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from actions.incidents import _lock\n", ["actions.incidents._lock"]),
        ("from actions.incidents import lock_open_incident\n", []),
        ("from django.utils.translation import gettext as _\n", []),
    ],
)
def test_the_private_import_check_sees_what_it_should(source, expected):
    assert private_imports(ast.parse(source), "readers.asof") == expected


def test_the_function_import_check_sees_what_it_should():
    source = "def f():\n    from rules import clocks\n\nclass C:\n    def ready(self):\n        from ops import tasks\n"
    assert imports_inside_functions(ast.parse(source)) == [(2, "rules")]


# A pointer a reader of the repository cannot follow: a document kept elsewhere, or a number in
# an issue tracker. The law's own references (Art. 33, Regulation 1182/71) are fine, and so is
# the repository's own docs/regimes.md (only a regimes.md kept elsewhere is an outside pointer).
OUTSIDE_REFERENCE = re.compile(
    r"REFERENCE(\.md|\s*§)|STYLE\.md|(?<!docs/)REGIMES\.md|\.\./shared|\bissue\s+#?\d|\bhabits?\s+\d", re.IGNORECASE
)


def text_files():
    suffixes = {".py", ".html", ".md", ".txt", ".ini", ".toml", ".js", ".css"}
    for path in sorted(REPO_ROOT.rglob("*")):
        relative = path.relative_to(REPO_ROOT)
        if relative.parts[0] in {".venv", ".git", "var", "test-artifacts", "locale"} or "migrations" in relative.parts:
            continue
        if path.is_file() and (path.suffix in suffixes or relative.parts[0] in {"scripts", ".ci"}):
            yield path


def test_comments_and_docs_cite_only_the_repository():
    this_file = Path(__file__).resolve()
    found = [
        f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()}"
        for path in text_files()
        if path != this_file
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
        if OUTSIDE_REFERENCE.search(line)
    ]
    assert found == [], "\n".join(found)


@pytest.mark.parametrize(
    ("line", "outside"),
    [
        ("the file format is in docs/regimes.md", False),
        ("see /elsewhere/shared/REGIMES.md", True),
        ("as REGIMES.md says", True),
    ],
)
def test_the_outside_reference_check_allows_the_repositorys_own_regimes_page(line, outside):
    assert bool(OUTSIDE_REFERENCE.search(line)) is outside
