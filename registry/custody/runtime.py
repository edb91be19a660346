"""The custody service bound to the current app."""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from registry.custody import queries
from registry.custody.service import CustodyService
from registry.extensions import db
from registry.ledger.runtime import ledger, reader
from registry.reads import Reads

reads = Reads(queries)


def person_key() -> bytes:
    """The instance's person-matching key (made by `init`), read once per process."""
    key = current_app.extensions.get("person_match_key")
    if key is None:
        key = bytes.fromhex(Path(current_app.config["PERSON_MATCH_KEY_FILE"]).read_text().strip())
        current_app.extensions["person_match_key"] = key
    return key


def custody(*, writing: bool = True) -> CustodyService:
    return CustodyService(db.session(), ledger() if writing else reader(), person_key() if writing else None)
