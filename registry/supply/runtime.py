"""The supply service bound to the current app."""

from __future__ import annotations

from registry.custody.runtime import custody
from registry.extensions import db
from registry.ledger.runtime import ledger
from registry.reads import Reads
from registry.supply import genealogy, queries, stock
from registry.supply.service import SupplyService

reads = Reads(queries, stock, genealogy)


def supply() -> SupplyService:
    return SupplyService(db.session(), ledger(), custody())
