"""Supply tables, all projections of events (see `projection`).

Quantities are whole thousandths of the part's unit (`QUANTITY_SCALE`), so that sums stay exact
in SQL on every engine; events carry them as decimal strings.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from registry.db import Base, UTCDateTime

QUANTITY_SCALE = 1000


class Part(Base):
    __tablename__ = "part"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    number: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)  # internal part number
    description: Mapped[str] = mapped_column(String(400), nullable=False)
    tracking: Mapped[str] = mapped_column(String(8), nullable=False)  # serial, lot, none
    unit: Mapped[str] = mapped_column(String(16), nullable=False)
    reorder_point: Mapped[int | None] = mapped_column(BigInteger)
    reorder_quantity: Mapped[int | None] = mapped_column(BigInteger)
    registered_entry: Mapped[int] = mapped_column(BigInteger, nullable=False)


class Supplier(Base):
    __tablename__ = "supplier"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    address: Mapped[str | None] = mapped_column(String(400))
    registered_entry: Mapped[int] = mapped_column(BigInteger, nullable=False)


class SupplierPart(Base):
    """A part as one supplier sells it."""

    __tablename__ = "supplier_part"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    supplier_id: Mapped[str] = mapped_column(ForeignKey("supplier.id"), nullable=False)
    part_id: Mapped[str] = mapped_column(ForeignKey("part.id"), nullable=False, index=True)
    supplier_part_number: Mapped[str] = mapped_column(String(64), nullable=False)
    pack_size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    lead_time_days: Mapped[int] = mapped_column(Integer, nullable=False)
    unit_price: Mapped[str | None] = mapped_column(String(32))  # decimal string, per unit of the part
    unit_price_millis: Mapped[int | None] = mapped_column(BigInteger)  # the same, for ordering
    preferred: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    __table_args__ = (UniqueConstraint("supplier_id", "part_id", name="uq_supplier_part_supplier_id_part_id"),)


class Lot(Base):
    """A received quantity of one part: a supplier's lot, or a lot made in-house."""

    __tablename__ = "lot"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    part_id: Mapped[str] = mapped_column(ForeignKey("part.id"), nullable=False, index=True)
    supplier_id: Mapped[str | None] = mapped_column(ForeignKey("supplier.id"), index=True)
    supplier_lot_code: Mapped[str | None] = mapped_column(String(64), index=True)
    internal_code: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    lot_scheme: Mapped[str] = mapped_column(String(8), nullable=False)  # gs1 (AI 10) or plain
    quantity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    received_on: Mapped[date] = mapped_column(Date, nullable=False)
    purchase_order_id: Mapped[str | None] = mapped_column(ForeignKey("purchase_order.id"))
    location: Mapped[str] = mapped_column(String(64), nullable=False)
    received_entry: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # The day of the lot's latest receipt, consumption, move or count: its stock changes are
    # recorded in the order of their days, so no level is ever set before a change it ignores.
    stock_changed_on: Mapped[date | None] = mapped_column(Date)  # every lot has one (see migration 0018)


class StockLevel(Base):
    """On hand: what was received, moved in and adjusted, less what was consumed and moved out."""

    __tablename__ = "stock_level"

    lot_id: Mapped[str] = mapped_column(ForeignKey("lot.id"), primary_key=True)
    location: Mapped[str] = mapped_column(String(64), primary_key=True)
    part_id: Mapped[str] = mapped_column(ForeignKey("part.id"), nullable=False, index=True)
    quantity: Mapped[int] = mapped_column(BigInteger, nullable=False)


class LotConsumption(Base):
    """A quantity of a lot that went into a serialized item."""

    __tablename__ = "lot_consumption"

    entry_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    lot_id: Mapped[str] = mapped_column(ForeignKey("lot.id"), nullable=False)
    item_id: Mapped[str] = mapped_column(ForeignKey("item.id"), nullable=False, index=True)
    quantity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    location: Mapped[str] = mapped_column(String(64), nullable=False)
    consumed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (
        Index("ix_lot_consumption_lot_id_consumed_at", "lot_id", "consumed_at", postgresql_include=["item_id"]),
    )


class ItemPart(Base):
    """Which part a serialized item is, and when it was made."""

    __tablename__ = "item_part"

    item_id: Mapped[str] = mapped_column(ForeignKey("item.id"), primary_key=True)
    part_id: Mapped[str] = mapped_column(ForeignKey("part.id"), nullable=False)
    made_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    entry_index: Mapped[int] = mapped_column(BigInteger, nullable=False)

    __table_args__ = (Index("ix_item_part_part_id_made_at", "part_id", "made_at"),)


class ComponentLink(Base):
    """A serialized component installed in an assembly from `installed_at` until `removed_at`."""

    __tablename__ = "component_link"

    installed_entry: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    parent_item_id: Mapped[str] = mapped_column(ForeignKey("item.id"), nullable=False, index=True)
    child_item_id: Mapped[str] = mapped_column(ForeignKey("item.id"), nullable=False)
    position: Mapped[str | None] = mapped_column(String(64))
    installed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_entry: Mapped[int | None] = mapped_column(BigInteger)
    removal_reason: Mapped[str | None] = mapped_column(String(400))

    # The forward trace's step: a component's links at a time, read from the index alone.
    __table_args__ = (
        Index(
            "ix_component_link_child_active",
            "child_item_id",
            "installed_at",
            "removed_at",
            postgresql_include=["parent_item_id"],
        ),
    )


class PurchaseOrder(Base):
    __tablename__ = "purchase_order"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    number: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    supplier_id: Mapped[str] = mapped_column(ForeignKey("supplier.id"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # draft, placed, received, cancelled
    drafted_on: Mapped[date] = mapped_column(Date, nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    drafted_entry: Mapped[int] = mapped_column(BigInteger, nullable=False)


class PurchaseOrderLine(Base):
    __tablename__ = "purchase_order_line"

    purchase_order_id: Mapped[str] = mapped_column(ForeignKey("purchase_order.id"), primary_key=True)
    line: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    part_id: Mapped[str] = mapped_column(ForeignKey("part.id"), nullable=False)
    supplier_part_id: Mapped[str] = mapped_column(ForeignKey("supplier_part.id"), nullable=False)
    quantity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    received: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
