"""How drf-spectacular documents the API: the token scheme, and every operation's error responses.

``ErrorDocumentingAutoSchema`` (settings.REST_FRAMEWORK's DEFAULT_SCHEMA_CLASS) adds to each
operation the errors it can answer, with the body ``api.errors`` sends, so no view has to list
them and a new view gets them by being routed:

- 401 and 403 where the operation needs authentication (403: a role or CSRF refusal);
- 400 where the operation takes a body or query parameters; 415 where it takes a body;
- 404 where the path names an object or the list is paginated (a page past the end);
- 412 and 428 where the operation takes an If-Match header;
- 429 where the view is throttled.

409, 422 or any other refusal a view chooses to raise is documented by that view
(``extend_schema(responses={409: OpenApiResponse(description=…)})``); the body is filled in
here, as for any error response a view declares without one.

``add_links`` (a postprocessing hook in SPECTACULAR_SETTINGS) adds OpenAPI links from each
create's success response to the operations on what it made.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent

ERROR = "Error"
VALIDATION_ERROR = "ValidationError"

ERROR_SCHEMA = {
    "type": "object",
    "description": "A refusal: a sentence for a person and a stable code for a program.",
    "properties": {
        "detail": {"type": "string", "description": "What went wrong, in the caller's language."},
        "code": {
            "type": "string",
            "description": (
                "Stable, never translated: not_authenticated, authentication_failed, permission_denied, "
                "not_found, method_not_allowed, unsupported_media_type, parse_error, precondition_failed, "
                "precondition_required, conflict, throttled."
            ),
        },
    },
    "required": ["detail", "code"],
}
# Field errors nest like the input: a list field names its bad element ({"1": [...]}).
FIELD_ERRORS_SCHEMA = {
    "type": "object",
    "additionalProperties": {"anyOf": [{"type": "array"}, {"type": "object"}]},
}
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "Invalid input, nothing written: code 'invalid' with the errors by field (an error about the "
        "whole input under non_field_errors), or code 'parse_error' when the body is not JSON."
    ),
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "invalid, or parse_error"},
        "fields": {**FIELD_ERRORS_SCHEMA, "description": "The messages, by field."},
        "field_codes": {**FIELD_ERRORS_SCHEMA, "description": "The codes of those messages, in the same shape."},
    },
    "required": ["detail", "code"],
}

NO_BODY = "No response body"  # drf-spectacular's description of a response declared without a body
DESCRIPTIONS = {
    "400": _("Invalid input: the errors by field; nothing was written."),
    "401": _("Not authenticated: no credentials, or an unknown, expired or revoked token."),
    "403": _("Your role does not allow this (or a session request without its CSRF token)."),
    "404": _("Not found, or not in your organisation (or a page past the end of a list)."),
    "409": _("Clashes with the current state of the record."),
    "412": _("Stale: the record changed since you read it (If-Match does not match its ETag)."),
    "415": _("The body is not JSON (send Content-Type: application/json)."),
    "422": _("Understood but cannot be processed in the record's current state."),
    "428": _("If-Match missing: send the ETag of the version you read."),
    "429": _("Too many requests: wait and try again."),
}


class ErrorDocumentingAutoSchema(AutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        for code in self._error_statuses(operation):
            responses.setdefault(code, {})
        for code, response in responses.items():
            if str(code).startswith(("4", "5")) and not response.get("content"):
                if response.get("description", "") in ("", NO_BODY):
                    response["description"] = str(DESCRIPTIONS.get(str(code), ""))
                response["content"] = {"application/json": {"schema": self._error_component(str(code)).ref}}
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _error_statuses(self, operation) -> list[str]:
        parameters = operation.get("parameters", [])
        located = {(parameter["in"], parameter["name"].lower()) for parameter in parameters}
        codes = []
        security = operation.get("security", [])
        if security and {} not in security:
            codes += ["401", "403"]
        if "requestBody" in operation:
            codes += ["400", "415"]
        elif any(place == "query" for place, _name in located):
            codes.append("400")
        if any(place == "path" for place, _name in located) or ("query", "page") in located:
            codes.append("404")
        if ("header", "if-match") in located:
            codes += ["412", "428"]
        if self.view.get_throttles():
            codes.append("429")
        return codes

    def _error_component(self, code: str) -> ResolvedComponent:
        name, schema = (VALIDATION_ERROR, VALIDATION_ERROR_SCHEMA) if code == "400" else (ERROR, ERROR_SCHEMA)
        component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema)
        self.registry.register_on_missing(component)
        return component


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token (btk_…), made by an administrator: `Authorization: Bearer btk_…`.",
        }


# --- OpenAPI links -------------------------------------------------------------------------------
# What an object made by a POST is reached by afterwards, where its URL is not the POST's own
# collection: an awareness record is created under its incident and changed at /api/awareness-records/{id}/.
DETAIL_COLLECTIONS = {
    "/api/incidents/{id}/awareness/": "/api/awareness-records/",
    "/api/incidents/{id}/content-versions/": "/api/content-versions/",
    "/api/incidents/{id}/share-links/": "/api/share-links/",
}


def add_links(result, generator, request, public):
    """drf-spectacular postprocessing hook: an OpenAPI link from each creating POST's success to
    every operation on what it created (``POST /api/incidents/`` → ``PATCH /api/incidents/{id}/``,
    ``POST …/waves/`` → ``…/waves/{id}/counts/``, ``POST …/awareness/`` → ``/api/awareness-records/{id}/``).

    The new object's ``id`` comes from the response body, the parameters it shares with the POST
    (``incident_pk``) from the POST's path, and ``If-Match``, where the target takes one on the
    object itself, from the response's ``ETag``. A client (and Schemathesis' stateful tests) can so
    follow a create to the reads and changes of what it made.
    """
    paths = result.get("paths", {})
    schemas = result.get("components", {}).get("schemas", {})
    for source_path, operations in paths.items():
        create = operations.get("post")
        if create is None:
            continue
        for code, response in create.get("responses", {}).items():
            if code not in ("201", "202") or not _has_id(response, schemas):
                continue
            links = {}
            for target_path, target_operations in paths.items():
                bound = _bind(source_path, target_path)
                if bound is None:
                    continue
                for method, target in target_operations.items():
                    parameters = dict(bound)
                    headers = {p["name"] for p in target.get("parameters", []) if p.get("in") == "header"}
                    if "If-Match" in headers and "ETag" in response.get("headers", {}):
                        # Every If-Match target here is the new object or one of its actions.
                        parameters["header.If-Match"] = "$response.header.ETag"
                    links[target["operationId"]] = {
                        "operationId": target["operationId"],
                        "parameters": parameters,
                        "description": f"{method.upper()} {target_path} on the object this request created.",
                    }
            if links:
                response["links"] = links
    return result


def _has_id(response: dict, schemas: dict) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        schema = schemas.get(schema["$ref"].rsplit("/", 1)[-1], {})
    return "id" in schema.get("properties", {})


def _bind(source_path: str, target_path: str) -> dict | None:
    """How a target's path parameters are filled after a POST on ``source_path``, or None when
    the target is not about the object that POST created.

    The target must start with the created object's collection (the POST's own path, or its
    ``DETAIL_COLLECTIONS`` entry) followed by a parameter, which names the new object; the
    parameters before it are the POST's own, in the same places (``{id}`` of
    ``…/waves/{id}/imports/`` is ``{wave_pk}`` of ``…/waves/{wave_pk}/imports/{id}/``).
    """
    collection = DETAIL_COLLECTIONS.get(source_path, source_path)
    prefix, target = collection.strip("/").split("/"), target_path.strip("/").split("/")
    if len(target) <= len(prefix) or not _is_parameter(target[len(prefix)]):
        return None
    bound = {}
    for mine, theirs in zip(prefix, target, strict=False):
        if _is_parameter(mine) != _is_parameter(theirs) or (not _is_parameter(mine) and mine != theirs):
            return None
        if _is_parameter(mine):
            bound[f"path.{theirs[1:-1]}"] = f"$request.path.{mine[1:-1]}"
    rest = target[len(prefix) + 1 :]
    if any(_is_parameter(segment) for segment in rest):
        return None  # an object below the new one (…/waves/{id}/imports/{id}/): not known yet
    bound[f"path.{target[len(prefix)][1:-1]}"] = "$response.body#/id"
    return bound


def _is_parameter(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")
