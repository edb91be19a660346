"""The demo's inventory audit: Riverside Sporting Goods counts its firearms, finds all but one, and
reads a serial the book does not know; the closed audit is on the ledger and in a signed report."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from registry.custody.models import Party
from registry.inventory import queries
from registry.inventory.models import InventoryAudit
from registry.inventory.service import InventoryService


def load(service: InventoryService, *, actor: str, now: datetime) -> bool:
    session = service.session
    if session.scalar(select(InventoryAudit.id).limit(1)) is not None:
        return False
    dealer = session.scalar(select(Party).where(Party.kind == "licensee", Party.name == "Riverside Sporting Goods"))
    if dealer is None:
        return False
    started = now - timedelta(hours=2)
    audit = service.start(licensee_party_id=dealer.id, kind="firearm", actor=actor, now=started)
    expected = queries.expected_items(session, dealer.id, "firearm")
    for minute, item in enumerate(expected[:-1]):  # the last one is not on the shelf
        service.scan(audit.id, item.serial.lower(), actor=actor, now=started + timedelta(minutes=minute + 1))
    service.scan(audit.id, "SN-NOT-BOOKED-7", actor=actor, now=started + timedelta(minutes=30))
    service.close(audit.id, confirmed=True, actor=actor, now=now - timedelta(hours=1))
    return True
