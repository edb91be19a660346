"""Reads of inventory audits: the audits, the items the book says a licensee holds, and an audit's
reconciliation of those against what was scanned."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.custody.models import Item, Party
from registry.inventory.models import InventoryAudit, InventoryScan

ON_PREMISES = ("in_custody", "quarantined")  # what a licensee's shelf should hold


def audits(session: Session, limit: int = 20) -> list[InventoryAudit]:
    return list(session.scalars(select(InventoryAudit).order_by(InventoryAudit.started_at.desc()).limit(limit)))


def open_audit(session: Session, licensee_party_id: str) -> InventoryAudit | None:
    return session.scalar(
        select(InventoryAudit).where(
            InventoryAudit.licensee_party_id == licensee_party_id, InventoryAudit.status == "open"
        )
    )


def expected_items(session: Session, licensee_party_id: str, kind: str | None = None) -> list[Item]:
    """What the book says is on the licensee's premises now (of one kind, or all), by serial."""
    query = select(Item).where(Item.holder_party_id == licensee_party_id, Item.status.in_(ON_PREMISES))
    if kind:
        query = query.where(Item.kind == kind)
    return list(session.scalars(query.order_by(Item.serial_normalized, Item.id)))


def list_sha256(item_ids) -> str:
    """SHA-256 of a list of item ids, sorted, one per line: what `inventory.audited` records of a list."""
    return hashlib.sha256("".join(f"{item_id}\n" for item_id in sorted(item_ids)).encode()).hexdigest()


@dataclass
class Reconciliation:
    audit: InventoryAudit
    licensee: Party
    expected: list[Item]
    matched: list[tuple[InventoryScan, Item]] = field(default_factory=list)
    missing: list[Item] = field(default_factory=list)
    elsewhere: list[tuple[InventoryScan, Item]] = field(default_factory=list)  # on the shelf, booked elsewhere
    unknown: list[InventoryScan] = field(default_factory=list)  # serials the registry does not know

    @property
    def counts(self) -> dict[str, int]:
        return {
            "expected": len(self.expected),
            "matched": len(self.matched),
            "missing": len(self.missing),
            "elsewhere": len(self.elsewhere),
            "unknown": len(self.unknown),
        }

    @property
    def unexpected(self) -> int:
        return len(self.elsewhere) + len(self.unknown)

    @property
    def done(self) -> int:
        """Percent of the expected items found."""
        return round(100 * len(self.matched) / len(self.expected)) if self.expected else 100


def reconciliation(session: Session, audit: InventoryAudit) -> Reconciliation:
    """What was expected, found, missing and unexpected. An open audit reads the book as it stands now
    (an item sold meanwhile is no longer expected); a closed one as the closing recorded it."""
    if audit.status == "closed" and audit.summary:
        recorded = audit.summary["matched"] + audit.summary["missing"]
        expected = list(
            session.scalars(select(Item).where(Item.id.in_(recorded)).order_by(Item.serial_normalized, Item.id))
        )
    else:
        expected = expected_items(session, audit.licensee_party_id, audit.kind)
    scans = list(
        session.execute(
            select(InventoryScan, Item)
            .outerjoin(Item, Item.id == InventoryScan.item_id)
            .where(InventoryScan.audit_id == audit.id)
            .order_by(InventoryScan.scanned_at, InventoryScan.id)
        ).all()
    )
    found = Reconciliation(audit=audit, licensee=session.get(Party, audit.licensee_party_id), expected=expected)
    expected_ids = {item.id for item in expected}
    matched_ids = set()
    for scan, item in scans:
        if item is None:
            found.unknown.append(scan)
        elif item.id in expected_ids:
            found.matched.append((scan, item))
            matched_ids.add(item.id)
        else:
            found.elsewhere.append((scan, item))
    found.missing = [item for item in expected if item.id not in matched_ids]
    return found
