"""Accounts over JSON, for administrators' tooling, and the security log for admins and auditors."""

from __future__ import annotations

from flask import Blueprint, Flask
from pydantic import Field

from registry.accounts.runtime import accounts
from registry.auth.permissions import Permission, requires
from registry.contract import Answer, Page, operation, paged

bp = Blueprint("accounts_api", __name__, url_prefix="/api/v1")


class AccountOut(Answer):
    id: str
    email: str
    role: str
    active: bool
    grants: list[str]
    created_at: str = Field(json_schema_extra={"format": "date-time"})
    created_entry: int


class AccountList(Answer):
    accounts: list[AccountOut]
    next_cursor: str | None


class SecurityEventOut(Answer):
    id: int
    at: str = Field(json_schema_extra={"format": "date-time"})
    kind: str = Field(description="login, login_failed, login_throttled, logout")
    email: str | None
    address: str | None
    user_agent: str | None
    detail: str | None


class SecurityLog(Answer):
    events: list[SecurityEventOut]
    next_cursor: str | None


@bp.get("/accounts")
@requires(Permission.ACCOUNTS_MANAGE)
@operation("All accounts (never their password hashes), by e-mail", response=AccountList, query=Page)
def list_accounts(params: Page):
    everyone = accounts(writing=False).all()
    rows, next_cursor = paged(lambda start, count: everyone[start : start + count], params)
    return {
        "accounts": [
            {
                "id": a.id,
                "email": a.email,
                "role": a.role,
                "active": a.active,
                "grants": list(a.grants),
                "created_at": a.created_at.isoformat(),
                "created_entry": a.created_entry,
            }
            for a in rows
        ],
        "next_cursor": next_cursor,
    }


@bp.get("/security-log")
@requires(Permission.SECURITY_LOG_READ)
@operation("Sign-ins, sign-outs, failed and throttled sign-ins, newest first", response=SecurityLog, query=Page)
def security_log(params: Page):
    service = accounts(writing=False)
    rows, next_cursor = paged(lambda start, count: service.security_log(count, start), params)
    return {
        "events": [
            {
                "id": e.id,
                "at": e.at.isoformat(),
                "kind": e.kind,
                "email": e.email,
                "address": e.address,
                "user_agent": e.user_agent,
                "detail": e.detail,
            }
            for e in rows
        ],
        "next_cursor": next_cursor,
    }


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
