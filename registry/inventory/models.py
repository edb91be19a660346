"""An inventory audit's working state. Not projections: the scans are the audit's notes until it is
closed, and `inventory.audited` on the ledger is its record."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from registry.db import Base, UTCDateTime


class InventoryAudit(Base):
    __tablename__ = "inventory_audit"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    licensee_party_id: Mapped[str] = mapped_column(ForeignKey("party.id"), nullable=False, index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    started_by: Mapped[str] = mapped_column(String(254), nullable=False)
    kind: Mapped[str | None] = mapped_column(String(16))  # the kind of item counted (firearm, ...); None: all
    status: Mapped[str] = mapped_column(String(8), nullable=False)  # open, closed
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_entry: Mapped[int | None] = mapped_column(BigInteger)
    summary: Mapped[dict | None] = mapped_column(JSON)  # the counts and list hashes `inventory.audited` carries


class InventoryScan(Base):
    """One serial read during an audit: the item it found (held here, or recorded elsewhere), or none.
    `key` makes a second read of the same item or unknown serial a no-op, whoever scans it."""

    __tablename__ = "inventory_scan"
    __table_args__ = (
        UniqueConstraint("audit_id", "key", name="uq_inventory_scan_audit_id_key"),
        Index("ix_inventory_scan_audit_outcome", "audit_id", "outcome"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    audit_id: Mapped[str] = mapped_column(ForeignKey("inventory_audit.id"), nullable=False)
    key: Mapped[str] = mapped_column(String(220), nullable=False)  # item:<id> or serial:<normalised>
    item_id: Mapped[str | None] = mapped_column(ForeignKey("item.id"))
    serial: Mapped[str] = mapped_column(String(200), nullable=False)  # as read
    outcome: Mapped[str] = mapped_column(String(12), nullable=False)  # matched, elsewhere, unknown
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    scanned_by: Mapped[str] = mapped_column(String(254), nullable=False)
