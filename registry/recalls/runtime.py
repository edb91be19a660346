"""The recall service bound to the current app."""
from __future__ import annotations

from registry.extensions import db
from registry.ledger.runtime import ledger
from registry.recalls.service import RecallService
from registry.supply.runtime import supply


def recalls() -> RecallService:
    return RecallService(db.session(), ledger(), supply())
