"""The inventory service and reads bound to the current app."""

from __future__ import annotations

from registry.extensions import db
from registry.inventory import queries
from registry.inventory.service import InventoryService
from registry.ledger.runtime import ledger
from registry.reads import Reads

reads = Reads(queries)


def inventory() -> InventoryService:
    return InventoryService(db.session(), ledger())
