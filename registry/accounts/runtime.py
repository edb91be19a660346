"""The account service bound to the current app: its session, its ledger and its password hasher."""

from __future__ import annotations

from argon2 import PasswordHasher
from flask import current_app

from registry.accounts.service import AccountService
from registry.extensions import db
from registry.ledger.runtime import ledger, reader


def hasher() -> PasswordHasher:
    """Argon2id with the library's defaults (RFC 9106 low-memory profile) unless the config lowers
    them, which only the test suite does to keep hundreds of logins fast."""
    found = current_app.extensions.get("password_hasher")
    if found is None:
        settings = current_app.config.get("ARGON2_PARAMETERS") or {}
        found = current_app.extensions["password_hasher"] = PasswordHasher(**settings)
    return found


def accounts(*, writing: bool = True) -> AccountService:
    return AccountService(db.session(), ledger() if writing else reader(), hasher())
