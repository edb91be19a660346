"""The recall service bound to the current app."""

from __future__ import annotations

from registry.extensions import db
from registry.ledger.runtime import ledger
from registry.reads import Reads
from registry.recalls import queries
from registry.recalls.service import RecallService
from registry.supply.runtime import supply

reads = Reads(queries)


def recalls() -> RecallService:
    return RecallService(db.session(), ledger(), supply())
