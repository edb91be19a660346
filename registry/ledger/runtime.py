"""The ledger service of the running app: the request's session and the instance's signing key."""
from __future__ import annotations

from pathlib import Path

from flask import current_app

from registry.extensions import db
from registry.ledger.service import LedgerService
from registry.ledger.signing import LogKey, load_log_key


def log_key() -> LogKey:
    """The instance's key, read once per process (raises LogKeyError before `init`)."""
    key = current_app.extensions.get("ledger_key")
    if key is None:
        key = load_log_key(Path(current_app.config["LEDGER_KEY_FILE"]))
        current_app.extensions["ledger_key"] = key
    return key


def ledger() -> LedgerService:
    return LedgerService(db.session(), log_key())


def reader() -> LedgerService:
    """A service for reads only: works even where the signing key is not readable."""
    return LedgerService(db.session(), None)
