"""Every free-text field has an upper bound (breachtrack.limits), wherever text comes in.

Walks every model of the project (historical models included), every request body of the API
as its OpenAPI schema describes it (so every serializer the API exposes, as the client sees it),
and every Django form defined in ``web``; a free-text field without a bound fails, so the next
field added cannot forget it.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from django import forms
from django.apps import apps
from django.core.validators import MaxLengthValidator
from django.db import models
from drf_spectacular.generators import SchemaGenerator

import web
from incidents.fields import ChoiceListField
from incidents.models import Incident

PROJECT_PACKAGES = {
    "breachtrack", "organisations", "incidents", "filings", "communications", "notifications",
    "evidence", "access", "rules", "readers", "actions", "ops", "api", "web",
}  # fmt: skip

# JSON columns no person types into: each one, and who writes it. A new JSON field must be added
# here (with its writer) or hold choices (ChoiceListField), so a free-text list cannot slip in.
SYSTEM_JSON_FIELDS = {
    ("communications", "importjob", "messages"): "the import task's own messages, a bounded count",
    ("filings", "authorityfiling", "content"): "the register's snapshot at submission, not editable",
    ("filings", "historicalauthorityfiling", "content"): "history of the snapshot above",
    ("api", "idempotencykey", "response_body"): "the stored answer to a replayed request",
    ("api", "idempotencykey", "response_headers"): "the stored answer's headers",
    ("organisations", "alertpolicy", "thresholds_before_minutes"): "whole numbers, checked by the service",
    ("organisations", "historicalalertpolicy", "thresholds_before_minutes"): "history of the above",
}

# The reason of a historical record is simple-history's own column; every reason reaches it
# through organisations.services.require_reason, which holds it to limits.REASON.
BOUNDED_ELSEWHERE = {"history_change_reason"}

# String formats that are not free text: the parser refuses anything else.
NOT_FREE_TEXT_FORMATS = {"date-time", "date", "time", "binary", "uuid", "email", "uri", "decimal"}


def project_models():
    return [model for model in apps.get_models() if model.__module__.split(".")[0] in PROJECT_PACKAGES]


def unbounded_model_fields() -> list[str]:
    found = []
    for model in project_models():
        for field in model._meta.concrete_fields:
            where = f"{model._meta.label}.{field.name}"
            if field.name in BOUNDED_ELSEWHERE:
                continue
            if isinstance(field, models.TextField):
                validators = [v for v in field.validators if isinstance(v, MaxLengthValidator)]
                if not field.max_length or not any(v.limit_value == field.max_length for v in validators):
                    found.append(f"{where}: TextField without bounded_text(...)")
            elif isinstance(field, models.CharField) and not field.max_length:
                found.append(f"{where}: CharField without max_length")
            elif isinstance(field, models.JSONField) and not isinstance(field, ChoiceListField):
                key = (model._meta.app_label, model._meta.model_name, field.name)
                if key not in SYSTEM_JSON_FIELDS:
                    found.append(f"{where}: JSONField neither of choices nor named in SYSTEM_JSON_FIELDS")
    return found


def test_every_model_text_field_has_a_bound_that_full_clean_enforces(db):
    assert project_models(), "no models found: the walk is broken"
    found = unbounded_model_fields()
    assert not found, "\n".join(found)


def test_historical_models_carry_the_bound_of_their_model():
    field = Incident.history.model._meta.get_field("description")
    assert field.max_length == Incident._meta.get_field("description").max_length > 0
    assert any(isinstance(v, MaxLengthValidator) for v in field.validators)


def resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = schema["components"]["schemas"][name]
    return node


def unbounded_strings(schema: dict, node: dict, where: str, seen: set) -> list[str]:
    node = resolve(schema, node)
    if id(node) in seen:
        return []
    seen = seen | {id(node)}
    found = []
    for key in ("allOf", "oneOf", "anyOf"):
        for index, part in enumerate(node.get(key, [])):
            found += unbounded_strings(schema, part, f"{where}[{index}]", seen)
    kind = node.get("type")
    if kind == "string" or (isinstance(kind, list) and "string" in kind):
        if "enum" not in node and node.get("format") not in NOT_FREE_TEXT_FORMATS and "maxLength" not in node:
            found.append(where)
    if kind == "array" and "items" in node:
        found += unbounded_strings(schema, node["items"], f"{where}[]", seen)
    if kind == "object" and "properties" not in node and "additionalProperties" not in node:
        found.append(f"{where}: an object of any shape")
    for name, prop in node.get("properties", {}).items():
        if prop.get("readOnly"):
            continue
        found += unbounded_strings(schema, prop, f"{where}.{name}", seen)
    return found


def request_bodies(schema: dict):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for media, content in operation.get("requestBody", {}).get("content", {}).items():
                yield f"{method.upper()} {path} ({media})", content["schema"]
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    yield f"{method.upper()} {path} ?{parameter['name']}", parameter.get("schema", {})


def test_every_text_the_api_accepts_has_a_max_length():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    bodies = list(request_bodies(schema))
    assert len(bodies) > 20, "too few request bodies found: the walk is broken"
    found = []
    for where, body in bodies:
        found += unbounded_strings(schema, body, where, set())
    assert not found, "\n".join(found)


def web_forms() -> list[type[forms.BaseForm]]:
    classes = {}
    for info in pkgutil.walk_packages(web.__path__, "web."):
        module = importlib.import_module(info.name)
        for _name, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, forms.BaseForm) and value.__module__.startswith("web."):
                classes[f"{value.__module__}.{value.__qualname__}"] = value
    return list(classes.values())


def unbounded_form_fields(form_class) -> list[str]:
    return [
        f"{form_class.__module__}.{form_class.__qualname__}.{name}"
        for name, field in form_class.base_fields.items()
        if isinstance(field, forms.CharField) and field.max_length is None
    ]


def test_every_web_form_text_field_has_a_max_length(db):
    classes = web_forms()
    assert len(classes) > 15, "too few forms found: the walk is broken"
    found = [name for form_class in classes for name in unbounded_form_fields(form_class)]
    assert not found, "\n".join(found)


def test_the_walk_notices_a_field_without_a_bound():
    class Careless(forms.Form):
        text = forms.CharField(widget=forms.Textarea)

    assert unbounded_form_fields(Careless) == [f"{__name__}.{Careless.__qualname__}.text"]
    schema = {"components": {"schemas": {"X": {"type": "object", "properties": {"text": {"type": "string"}}}}}}
    assert unbounded_strings(schema, {"$ref": "#/components/schemas/X"}, "body", set()) == ["body.text"]
