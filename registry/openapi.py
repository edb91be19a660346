"""The OpenAPI 3.1 document of the JSON API, built from the code: each JSON view declares its
operation with `@operation(...)`, and `build(app)` walks the URL map, so a route cannot be served
without being described (a test checks that every JSON route has a declaration).
"""
from __future__ import annotations

import re
from typing import Callable

from flask import Blueprint, Flask, jsonify

from registry.auth.permissions import PUBLIC, declared_permission, public

bp = Blueprint("openapi", __name__)
API_PREFIX = "/api/v1"
DOCUMENTED_OUTSIDE_API = ("/checkpoint", "/healthz")

PROBLEM = {
    "type": "object", "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "description": "urn:serial-ledger:problem:<code>"},
        "title": {"type": "string"}, "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"}, "code": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
        "field": {"type": "string", "description": "the input the problem is about"},
        "instance": {"type": "string"},
    },
}
HASH = {"type": "string", "contentEncoding": "base64", "description": "32 bytes, standard base64"}
SCHEMAS = {
    "Problem": PROBLEM,
    "Checkpoint": {"type": "object", "required": ["size", "root", "note", "signed_at"], "properties": {
        "size": {"type": "integer"}, "root": HASH, "note": {"type": "string", "description": "C2SP signed note"},
        "signed_at": {"type": "string", "format": "date-time"}}},
    "LedgerSummary": {"type": "object", "required": ["size", "checkpoint"], "properties": {
        "size": {"type": "integer"}, "checkpoint": {"oneOf": [{"$ref": "#/components/schemas/Checkpoint"},
                                                             {"type": "null"}]}}},
    "Entry": {"type": "object", "required": ["index", "leaf_hash", "body_base64", "event"], "properties": {
        "index": {"type": "integer"}, "leaf_hash": HASH,
        "body_base64": {"type": "string", "description": "the exact RFC 8785 bytes that were hashed"},
        "event": {"type": "object"}}},
    "EntryPage": {"type": "object", "required": ["entries", "next_cursor"], "properties": {
        "entries": {"type": "array", "items": {"$ref": "#/components/schemas/Entry"}},
        "next_cursor": {"type": ["string", "null"], "description": "pass as `cursor` for the next page; null at the end"}}},
    "InclusionProof": {"type": "object", "required": ["index", "size", "leaf_hash", "proof", "root"], "properties": {
        "index": {"type": "integer"}, "size": {"type": "integer"}, "leaf_hash": HASH,
        "proof": {"type": "array", "items": HASH}, "root": HASH, "checkpoint": {"type": ["string", "null"]}}},
    "ConsistencyProof": {"type": "object", "required": ["from", "to", "proof", "root_from", "root_to"], "properties": {
        "from": {"type": "integer"}, "to": {"type": "integer"}, "proof": {"type": "array", "items": HASH},
        "root_from": HASH, "root_to": HASH}},
    "SerialRequest": {"type": "object", "required": ["scheme", "value"], "additionalProperties": False, "properties": {
        "scheme": {"type": "string"}, "value": {"type": "string", "maxLength": 1000},
        "options": {"type": "object", "additionalProperties": {"type": "string"}}}},
    "SerialProblem": {"type": "object", "required": ["code", "message", "position"], "properties": {
        "code": {"type": "string"}, "message": {"type": "string"}, "position": {"type": ["integer", "null"]}}},
    "SerialResult": {"type": "object", "required": ["scheme", "valid", "normalized", "errors", "warnings", "info"],
                     "properties": {
        "scheme": {"type": "string"}, "valid": {"type": "boolean"}, "normalized": {"type": "string"},
        "errors": {"type": "array", "items": {"$ref": "#/components/schemas/SerialProblem"}},
        "warnings": {"type": "array", "items": {"$ref": "#/components/schemas/SerialProblem"}},
        "info": {"type": "object"}, "value": {"type": "string"}, "options": {"type": "object"}}},
    "SchemeList": {"type": "object", "required": ["schemes"], "properties": {"schemes": {"type": "array"}}},
    "Health": {"type": "object", "required": ["status"], "properties": {"status": {"const": "ok"}}},
}
ERROR_TEXT = {400: "Bad request", 401: "Not signed in, or the token is unknown or revoked", 403: "The role lacks the permission",
              404: "Not found", 405: "Method not allowed", 409: "Conflict", 413: "Body too large",
              422: "Unprocessable", 429: "Too many requests", 500: "Internal error", 503: "Unavailable"}
COMMON_ERRORS = (401, 403, 405, 413, 429, 500)


def operation(summary: str, *, response: str | None, media_type: str = "application/json",
              parameters: tuple[dict, ...] = (), request: str | None = None, errors: tuple[int, ...] = ()) -> Callable:
    """Describe a JSON view: its summary, the schema of its 200 answer, parameters, body and errors."""
    def mark(view: Callable) -> Callable:
        view.openapi = {"summary": summary, "response": response, "media_type": media_type,
                        "parameters": list(parameters), "request": request, "errors": tuple(errors)}
        return view
    return mark


def query(name: str, description: str, *, required: bool = False, kind: str = "integer") -> dict:
    return {"name": name, "in": "query", "required": required, "description": description, "schema": {"type": kind}}


def path(name: str, description: str, kind: str = "integer") -> dict:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": {"type": kind}}


def documented_rules(app: Flask):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(API_PREFIX) or rule.rule in DOCUMENTED_OUTSIDE_API:
            yield rule, app.view_functions[rule.endpoint]


def _problem(status: int) -> dict:
    return {"description": ERROR_TEXT[status],
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def build(app: Flask) -> dict:
    paths: dict[str, dict] = {}
    for rule, view in documented_rules(app):
        spec = getattr(view, "openapi", None)
        if spec is None:
            continue  # the completeness test names it
        permission = declared_permission(view)
        is_public = permission == PUBLIC
        ok = {"description": "OK"}
        if spec["response"]:
            ok["content"] = {spec["media_type"]: {"schema": {"$ref": f"#/components/schemas/{spec['response']}"}}}
        statuses = set(spec["errors"]) | (set(COMMON_ERRORS) - ({401, 403} if is_public else set()))
        op = {"operationId": rule.endpoint, "summary": spec["summary"], "parameters": spec["parameters"],
              "responses": {"200": ok, **{str(s): _problem(s) for s in sorted(statuses)}},
              "x-permission": None if is_public else permission.value}
        if is_public:
            op["security"] = []
        if spec["request"]:
            op["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{spec['request']}"}}}}
        template = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(template, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "Serial Ledger API", "version": "1",
                 "description": "Errors are RFC 9457 application/problem+json with a stable `code`; "
                                "authenticate with `Authorization: Bearer <token>` (see My tokens)."},
        "servers": [{"url": "/"}],
        "security": [{"bearerToken": []}, {"session": []}],
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": SCHEMAS, "securitySchemes": {
            "bearerToken": {"type": "http", "scheme": "bearer", "description": "an API token from My tokens"},
            "session": {"type": "apiKey", "in": "cookie", "name": "serial_ledger_session"}}},
    }


@bp.get("/api/v1/openapi.json")
@public
@operation("This document", response=None)
def openapi_document():
    from flask import current_app
    return jsonify(build(current_app))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
