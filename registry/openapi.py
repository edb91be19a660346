"""The OpenAPI 3.1 document of the JSON API, built from the code: each JSON view declares its
operation with `registry.contract.operation` (pydantic models for its parameters, body and answer),
and `build(app)` walks the URL map, so a route cannot be served without being described (a test
checks that every JSON route has a declaration) and the schemas are the ones that parse and answer.
"""

from __future__ import annotations

import re

from flask import Blueprint, Flask, jsonify

from registry.auth.permissions import PUBLIC, declared_permission, public
from registry.contract import LARGEST_INT, operation

bp = Blueprint("openapi", __name__)
API_PREFIX = "/api/v1"
DOCUMENTED_OUTSIDE_API = ("/checkpoint", "/healthz")

PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "description": "urn:serial-ledger:problem:<code>"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "code": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
        "field": {"type": "string", "description": "the input the problem is about"},
        "pointer": {
            "type": "string",
            "description": "that input's JSON pointer (RFC 6901) in the body or among the query parameters",
        },
        "errors": {
            "type": "array",
            "description": "every schema error found, when the body or the parameters break the declared schema",
            "items": {
                "type": "object",
                "required": ["pointer", "field", "reason", "detail"],
                "properties": {
                    "pointer": {"type": "string"},
                    "field": {"type": "string"},
                    "reason": {"type": "string"},
                    "detail": {"type": "string"},
                },
            },
        },
        "instance": {"type": "string"},
    },
}
ERROR_TEXT = {
    400: "Bad request: a body or parameter that breaks the declared schema (`invalid_body`, "
    "`invalid_parameter`), naming the field and its JSON pointer",
    401: "Not signed in, or the token is unknown or revoked",
    403: "The role lacks the permission",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Body too large",
    422: "A rule of the registry refuses it (the code says which, the field where)",
    429: "Too many requests",
    500: "Internal error",
    503: "Unavailable",
}
COMMON_ERRORS = (401, 403, 405, 413, 429, 500)
BINARY_MEDIA = ("application/pdf", "application/zip")


def documented_rules(app: Flask):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(API_PREFIX) or rule.rule in DOCUMENTED_OUTSIDE_API:
            yield rule, app.view_functions[rule.endpoint]


def _problem(status: int) -> dict:
    return {
        "description": ERROR_TEXT[status],
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def _ref(model) -> dict:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _media_schema(media_type: str) -> dict:
    if media_type == "application/json":
        return {"type": "object"}
    if media_type in BINARY_MEDIA:
        return {"type": "string", "format": "binary"}
    return {"type": "string"}


def _components(operations) -> dict:
    """The JSON schemas of every model the operations name, as OpenAPI components."""
    from pydantic.json_schema import models_json_schema

    pairs = {}
    for spec in operations:
        answers = [spec.response] + [model for model, _ in spec.other.values()]
        for model, mode in [(spec.body, "validation")] + [(answer, "serialization") for answer in answers]:
            if model is not None:
                pairs[(model, mode)] = None
    _, defs = models_json_schema(list(pairs), ref_template="#/components/schemas/{model}")
    components = dict(defs.get("$defs", {}))
    for schema in components.values():
        _mark_needed(schema)
        _edge_limits(schema)
    return components


NO_NUL = "^[^\\u0000]*$"


def _edge_limits(schema) -> None:
    """What the edge refuses before any schema (`contract.check_json`, `auth.guard`), said in the
    document: an integer beyond JSON's exact range (+/-2^53 - 1) and a NUL character in any text or
    member name."""
    if isinstance(schema, dict):
        kinds = schema.get("type")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if "integer" in kinds:
            schema.setdefault("minimum", -LARGEST_INT)
            schema.setdefault("maximum", LARGEST_INT)
        if "string" in kinds and not ({"enum", "const", "format", "pattern"} & schema.keys()):
            schema["pattern"] = NO_NUL
        if "object" in kinds and schema.get("additionalProperties", True) is not False:
            schema.setdefault("propertyNames", {}).setdefault("pattern", NO_NUL)
        for key, value in schema.items():
            if key not in ("propertyNames", "pattern"):
                _edge_limits(value)
    elif isinstance(schema, list):
        for value in schema:
            _edge_limits(value)


def _mark_needed(schema: dict) -> None:
    """Members declared with `contract.needed` are required in the document (the service names
    them when they are missing) and never null."""
    for name, member in (schema.get("properties") or {}).items():
        if member.pop("x-needed", False):
            schema.setdefault("required", [])
            if name not in schema["required"]:
                schema["required"].append(name)
            options = [o for o in member.pop("anyOf", []) if o.get("type") != "null"]
            if len(options) == 1:
                member.update(options[0])
            elif options:
                member["anyOf"] = options
            member.pop("default", None)


def _parameters(rule, spec) -> list[dict]:
    found = []
    for name in sorted(rule.arguments):
        declared = spec.paths.get(name, name)
        description, schema = declared if isinstance(declared, tuple) else (declared, {"type": "string"})
        schema = dict(schema)
        _edge_limits(schema)
        found.append({"name": name, "in": "path", "required": True, "description": description, "schema": schema})
    if spec.query is not None:
        schema = spec.query.model_json_schema(mode="validation")
        required = set(schema.get("required", []))
        for name, member in schema.get("properties", {}).items():
            member = dict(member)
            description = member.pop("description", None) or member.pop("title", name)
            member.pop("title", None)
            options = [o for o in member.pop("anyOf", []) if o.get("type") != "null"]
            if options:
                member.update(options[0])
            member.pop("default", None)
            _edge_limits(member)
            found.append(
                {
                    "name": name,
                    "in": "query",
                    "required": name in required,
                    "description": description,
                    "schema": member,
                }
            )
    return found


def build(app: Flask) -> dict:
    paths: dict[str, dict] = {}
    operations = []
    for rule, view in documented_rules(app):
        spec = getattr(view, "openapi", None)
        if spec is None:
            continue  # the completeness test names it
        operations.append(spec)
        permission = declared_permission(view)
        is_public = permission == PUBLIC
        ok: dict = {"description": spec.summary}
        if spec.response is not None:
            ok["content"] = {spec.media_type: {"schema": _ref(spec.response)}}
        else:
            ok["content"] = {spec.media_type: {"schema": _media_schema(spec.media_type)}}
        for media in spec.also:
            ok["content"][media] = {"schema": _media_schema(media)}
        if spec.headers:
            ok["headers"] = {
                name: {"description": text, "schema": {"type": "string"}} for name, text in spec.headers.items()
            }
        statuses = set(spec.errors) | (set(COMMON_ERRORS) - ({401, 403} if is_public else set()))
        if spec.body is not None or spec.body_media or spec.query is not None or rule.arguments:
            statuses.update((400, 422))  # the schema's refusal, and a rule's
        others = {
            str(status): {
                "description": text,
                "content": {"application/json": {"schema": _ref(model)}},
                **({"headers": ok["headers"]} if "headers" in ok else {}),
            }
            for status, (model, text) in spec.other.items()
        }
        op = {
            "operationId": rule.endpoint,
            "summary": spec.summary,
            "parameters": _parameters(rule, spec),
            "responses": {str(spec.status): ok, **others, **{str(s): _problem(s) for s in sorted(statuses)}},
            "x-permission": None if is_public else permission.value,
        }
        if is_public:
            op["security"] = []
        if spec.body is not None:
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(spec.body)}}}
        elif spec.body_media:
            op["requestBody"] = {
                "required": True,
                "content": {spec.body_media: {"schema": _media_schema(spec.body_media)}},
            }
        template = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(template, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Serial Ledger API",
            "version": "1",
            "description": "Errors are RFC 9457 application/problem+json with a stable `code`; "
            "authenticate with `Authorization: Bearer <token>` (see My tokens).",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerToken": []}, {"session": []}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": {"Problem": PROBLEM, **_components(operations)},
            "securitySchemes": {
                "bearerToken": {"type": "http", "scheme": "bearer", "description": "an API token from My tokens"},
                "session": {"type": "apiKey", "in": "cookie", "name": "serial_ledger_session"},
            },
        },
    }


@bp.get("/api/v1/openapi.json")
@public
@operation("This document", response=None)
def openapi_document():
    from flask import current_app

    return jsonify(build(current_app))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
