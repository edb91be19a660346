"""Accounts over JSON, for administrators' tooling, and the security log for admins and auditors."""
from __future__ import annotations

from flask import Blueprint, Flask, jsonify

from registry.accounts.runtime import accounts
from registry.auth.permissions import Permission, requires
from registry.openapi import SCHEMAS, operation, query

bp = Blueprint("accounts_api", __name__, url_prefix="/api/v1")

SCHEMAS["Account"] = {"type": "object", "required": ["id", "email", "role", "active", "grants", "created_at"],
                      "properties": {"id": {"type": "string"}, "email": {"type": "string"}, "role": {"type": "string"},
                                     "active": {"type": "boolean"}, "grants": {"type": "array"},
                                     "created_at": {"type": "string", "format": "date-time"},
                                     "created_entry": {"type": "integer"}}}
SCHEMAS["AccountList"] = {"type": "object", "required": ["accounts"],
                          "properties": {"accounts": {"type": "array", "items": {"$ref": "#/components/schemas/Account"}}}}
SCHEMAS["SecurityLog"] = {"type": "object", "required": ["events"], "properties": {"events": {"type": "array"}}}


@bp.get("/accounts")
@requires(Permission.ACCOUNTS_MANAGE)
@operation("All accounts (never their password hashes)", response="AccountList")
def list_accounts():
    return jsonify({"accounts": [{
        "id": a.id, "email": a.email, "role": a.role, "active": a.active, "grants": list(a.grants),
        "created_at": a.created_at.isoformat(), "created_entry": a.created_entry} for a in accounts(writing=False).all()]})


@bp.get("/security-log")
@requires(Permission.SECURITY_LOG_READ)
@operation("Sign-ins, sign-outs, failed and throttled sign-ins, newest first", response="SecurityLog",
           parameters=(query("limit", "how many (default 200, at most 1000)"),), errors=(400,))
def security_log():
    from registry.ledger.api import int_arg
    limit = min(int_arg("limit", default=200, minimum=1), 1000)
    return jsonify({"events": [{
        "id": e.id, "at": e.at.isoformat(), "kind": e.kind, "email": e.email, "address": e.address,
        "user_agent": e.user_agent, "detail": e.detail} for e in accounts(writing=False).security_log(limit)]})


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
