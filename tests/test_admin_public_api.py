"""A static guard: the admin builds on Django's public admin and form hooks only.

A private name (one starting with ``_``) of Django, or of simple_history, may
change or vanish in any release; code that overrides or calls one breaks on an
upgrade without a deprecation warning. This test walks the admin modules (every
module of ``web/admin/``, ``admin.py``, ``admin_*.py`` and ``*_admin.py``, and the form
mixins the admin forms are built on) with ``ast`` and reports, as file:line:

* an import of a private name from ``django`` or ``simple_history`` (or from a
  private module of theirs), and of the admin's undocumented request
  parameters ``TO_FIELD_VAR`` and ``IS_POPUP_VAR`` (or their values as string
  literals);
* ``super()._anything``: calling up into a private method;
* a method or class attribute defined with the name of a private attribute of
  Django's admin, form, model or request classes (overriding a private hook);
* reading or writing ``<anything>._name`` (also through ``getattr``/``setattr``/
  ``hasattr``) where ``_name`` is private to Django, or is no name the project
  itself defines.

Documented model API that merely starts with an underscore is allowed:
``_meta``, ``_state``, ``_default_manager``, ``_base_manager``. The scanner
itself is tested below, so a guard that silently finds nothing fails too.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

# Documented API of models (and ModelForm options) despite the underscore.
DOCUMENTED = frozenset({"_meta", "_state", "_default_manager", "_base_manager"})
FRAMEWORKS = ("django", "simple_history")
SKIPPED_DIRECTORIES = {"migrations", "tests", "__pycache__"}
# The admin forms are built on these project modules, which are not named after the admin.
ADMIN_FORM_MODULES = (Path("web/forms.py"),)


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__") and name != "_"


def _undocumented_admin_parameters() -> dict[str, str]:
    """The admin's request parameters that the docs do not name: constant name -> its value."""
    from django.contrib.admin import options

    return {name: getattr(options, name) for name in ("TO_FIELD_VAR", "IS_POPUP_VAR")}


def django_private_names() -> frozenset[str]:
    """Private attribute names of the Django (and simple_history) objects the admin works with."""
    from django import forms
    from django.contrib import admin
    from django.contrib.admin import helpers, options, utils
    from django.contrib.auth.models import Group
    from django.core.exceptions import ValidationError
    from django.db import models
    from django.forms import fields, widgets
    from django.forms import forms as forms_module
    from django.forms import models as form_models
    from django.http import HttpRequest, QueryDict
    from simple_history import admin as history_admin
    from simple_history.admin import SimpleHistoryAdmin

    site = admin.AdminSite(name="private-name-scan")
    form_class = forms.modelform_factory(Group, fields=["name"])
    objects = [
        admin.AdminSite,
        admin.ModelAdmin,
        SimpleHistoryAdmin,
        helpers.AdminForm,
        forms.Form,
        forms.ModelForm,
        forms.Field,
        forms.MultiValueField,
        forms.ModelChoiceField,
        forms.Widget,
        forms.MultiWidget,
        models.Model,
        models.Field,
        models.ForeignKey,
        models.QuerySet,
        models.Manager,
        HttpRequest,
        QueryDict,
        ValidationError,
        site,
        SimpleHistoryAdmin(Group, site),
        form_class(),
        form_class(data={"name": "x"}),
        Group(),
        HttpRequest(),
        ValidationError({"name": ["x"]}),
    ]
    names = {name for obj in objects for name in dir(obj) if _private(name)}
    for module in (options, utils, helpers, fields, forms_module, form_models, widgets, history_admin):
        names |= {name for name in vars(module) if _private(name)}
    return frozenset(names - DOCUMENTED)


def project_files() -> list[Path]:
    from django.apps import apps

    packages = {Path(config.path).name for config in apps.get_app_configs() if Path(config.path).parent == REPO_ROOT}
    found = []
    for package in sorted(packages | {"breachtrack", "rules", "readers", "actions"}):
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            if not SKIPPED_DIRECTORIES & set(path.relative_to(REPO_ROOT).parts):
                found.append(path.relative_to(REPO_ROOT))
    return found


def admin_modules(files) -> list[Path]:
    def is_admin(path: Path) -> bool:
        in_admin_package = path.parts[:2] == ("web", "admin")
        return (
            in_admin_package or path.stem == "admin" or path.stem.startswith("admin_") or path.stem.endswith("_admin")
        )

    return sorted({path for path in files if is_admin(path)} | set(ADMIN_FORM_MODULES))


def bound_names(tree: ast.AST) -> set[str]:
    """The private names a piece of project code defines (functions, classes, variables, attributes)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    return {name for name in names if _private(name)}


def _is_super_call(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"


def findings(source: str, filename: str, project_names, django_private, parameters) -> list[str]:
    """Every use of a private framework name in ``source``, as ``file:line: what``."""
    tree = ast.parse(source, filename)
    found = []

    def report(node, message):
        found.append(f"{filename}:{node.lineno}: {message}")

    def check_attribute(node, name):
        if not _private(name) or name in DOCUMENTED:
            return
        if name in django_private:
            report(node, f"uses Django's private attribute {name!r}")
        elif name not in project_names:
            report(node, f"uses {name!r}, which the project does not define (a framework's private name?)")

    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in FRAMEWORKS:
            if any(_private(part) for part in node.module.split(".")):
                report(node, f"imports from the private module {node.module}")
            for alias in node.names:
                if _private(alias.name) or alias.name in parameters:
                    report(node, f"imports the non-public {node.module}.{alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] in FRAMEWORKS and any(_private(part) for part in parts):
                    report(node, f"imports the private module {alias.name}")
        elif isinstance(node, ast.Attribute):
            if _is_super_call(node.value) and _private(node.attr):
                report(node, f"calls up into the private super().{node.attr}")
            elif node.attr in parameters:
                report(node, f"uses the non-public {node.attr}")
            else:
                check_attribute(node, node.attr)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in {"getattr", "setattr", "hasattr", "delattr"} and len(node.args) >= 2:
                name = node.args[1]
                if isinstance(name, ast.Constant) and isinstance(name.value, str):
                    check_attribute(node, name.value)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in parameters.values():
            report(node, f"spells out the admin's non-public request parameter {node.value!r}")
        elif isinstance(node, ast.ClassDef):
            for statement in node.body:
                if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                    defined = [statement.name]
                elif isinstance(statement, ast.Assign):
                    defined = [target.id for target in statement.targets if isinstance(target, ast.Name)]
                elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                    defined = [statement.target.id]
                else:
                    defined = []
                for name in defined:
                    if name in django_private:
                        report(statement, f"overrides Django's private {name!r} in {node.name}")
    return found


def test_the_admin_uses_no_private_django_name():
    files = project_files()
    project_names = set()
    for path in files:
        project_names |= bound_names(ast.parse((REPO_ROOT / path).read_text(), str(path)))
    django_private = django_private_names()
    parameters = _undocumented_admin_parameters()
    project_names -= django_private  # defining one does not make it the project's own

    scanned = admin_modules(files)
    assert Path("web/admin_base.py") in scanned and Path("web/admin/incidents.py") in scanned
    assert Path("web/admin/extortion.py") in scanned
    problems = []
    for path in scanned:
        problems += findings((REPO_ROOT / path).read_text(), str(path), project_names, django_private, parameters)
    assert not problems, "private Django names in the admin:\n" + "\n".join(problems)


# --- The scanner itself ---------------------------------------------------------


def _scan(source: str) -> list[str]:
    source = source.strip() + "\n"
    names = bound_names(ast.parse(source))
    django_private = django_private_names()
    return findings(source, "example.py", names - django_private, django_private, _undocumented_admin_parameters())


def test_the_scanner_knows_the_private_hooks_the_admin_once_used():
    private = django_private_names()
    assert {"_post_clean", "_update_errors", "_changeform_view", "_errors", "_registry"} <= private
    assert not private & DOCUMENTED
    assert "clean" not in private and "add_error" not in private


def test_the_scanner_reports_private_imports_overrides_and_calls():
    assert _scan("from django.contrib.admin.options import TO_FIELD_VAR") == [
        "example.py:1: imports the non-public django.contrib.admin.options.TO_FIELD_VAR"
    ]
    assert len(_scan("from django.contrib.admin.options import IS_POPUP_VAR, _something")) == 2
    assert _scan("import django.forms._private") == ["example.py:1: imports the private module django.forms._private"]
    assert _scan("""
class Form:
    def _post_clean(self):
        super()._post_clean()
""") == [
        "example.py:2: overrides Django's private '_post_clean' in Form",
        "example.py:3: calls up into the private super()._post_clean",
    ]
    assert _scan("class Form:\n    def _update_errors(self, errors):\n        pass") == [
        "example.py:2: overrides Django's private '_update_errors' in Form"
    ]
    assert _scan("def errors(form):\n    return form._errors") == [
        "example.py:2: uses Django's private attribute '_errors'"
    ]
    assert _scan("def errors(form):\n    return getattr(form, '_errors')") == [
        "example.py:2: uses Django's private attribute '_errors'"
    ]
    assert _scan("def to_field(request):\n    return request.GET.get('_to_field')") == [
        "example.py:2: spells out the admin's non-public request parameter '_to_field'"
    ]
    assert _scan("def view(admin, request):\n    return admin._changeform_view(request, None, '', None)") == [
        "example.py:2: uses Django's private attribute '_changeform_view'"
    ]
    assert _scan("def unknown(obj):\n    return obj._cache_of_something") == [
        "example.py:2: uses '_cache_of_something', which the project does not define (a framework's private name?)"
    ]


def test_the_scanner_accepts_public_hooks_documented_model_api_and_the_projects_own_helpers():
    assert (
        _scan("""
from django.utils.translation import gettext as _


class Form:
    def clean(self):
        data = super().clean()
        self._check(data)
        self.add_error(None, _("refused"))
        return data

    def _check(self, data):
        model = self._meta.model
        return model._default_manager.none(), self.instance._state.adding
""")
        == []
    )
