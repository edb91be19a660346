"""Stock read from the projections: on hand per part, lot and location, and what to reorder from whom."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry import clock
from registry.custody.models import Item
from registry.recalls import holds
from registry.supply import genealogy
from registry.supply.models import (
    ComponentLink,
    ItemPart,
    Lot,
    Part,
    PurchaseOrder,
    PurchaseOrderLine,
    StockLevel,
    Supplier,
    SupplierPart,
)

LOOSE_STATUSES = ("registered", "in_custody", "quarantined")


def levels(session: Session, *, part_id: str | None = None, lot_id: str | None = None) -> list[dict]:
    """Non-zero stock levels per lot and location."""
    query = (
        select(
            StockLevel.location,
            StockLevel.quantity,
            Lot.id,
            Lot.internal_code,
            Lot.supplier_lot_code,
            Part.id,
            Part.number,
            Part.unit,
            Supplier.name,
        )
        .join(Lot, Lot.id == StockLevel.lot_id)
        .join(Part, Part.id == StockLevel.part_id)
        .outerjoin(Supplier, Supplier.id == Lot.supplier_id)
        .where(StockLevel.quantity != 0)
        .order_by(Part.number, Lot.internal_code, StockLevel.location)
    )
    if part_id:
        query = query.where(StockLevel.part_id == part_id)
    if lot_id:
        query = query.where(StockLevel.lot_id == lot_id)
    held = holds.held_lots(session)
    return [
        {
            "held_by": held.get(lot),
            "location": location,
            "quantity": quantity,
            "lot_id": lot,
            "internal_code": internal,
            "supplier_lot_code": supplier_code,
            "part_id": part,
            "part_number": number,
            "unit": unit,
            "supplier": supplier,
        }
        for location, quantity, lot, internal, supplier_code, part, number, unit, supplier in session.execute(query)
    ]


def lot_hold(session: Session, lot_id: str) -> str | None:
    """The number of the open recall campaign that holds the lot, if one does."""
    return holds.held_lots(session).get(lot_id)


def on_hand(session: Session) -> dict[str, int]:
    """Per part: the lot quantities on hand, or for a serialized part its units in stock and
    installed in no assembly; what an open recall holds (`recalls.holds`) is not on hand."""
    levels = select(StockLevel.part_id, func.sum(StockLevel.quantity)).group_by(StockLevel.part_id)
    if held := holds.held_lots(session):
        levels = levels.where(StockLevel.lot_id.not_in(sorted(held)))
    totals = dict(session.execute(levels).all())
    installed = select(ComponentLink.child_item_id).where(ComponentLink.removed_at.is_(None))
    query = (
        select(ItemPart.part_id, func.count())
        .join(Item, Item.id == ItemPart.item_id)
        .where(Item.status.in_(LOOSE_STATUSES), ItemPart.item_id.not_in(installed))
        .group_by(ItemPart.part_id)
    )
    at = clock.now()
    if (named := holds.named_items(session, at)) is not None:
        query = query.where(ItemPart.item_id.not_in(genealogy.top_level(named, at)))
    loose = session.execute(query)
    for part_id, count in loose:
        totals[part_id] = totals.get(part_id, 0) + count * 1000
    return {part: int(value or 0) for part, value in totals.items()}


def on_order(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(PurchaseOrderLine.part_id, func.sum(PurchaseOrderLine.quantity - PurchaseOrderLine.received))
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .where(PurchaseOrder.status.in_(("draft", "placed")), PurchaseOrderLine.received < PurchaseOrderLine.quantity)
        .group_by(PurchaseOrderLine.part_id)
    )
    return {part: int(value or 0) for part, value in rows}


@dataclass
class Proposal:
    part: Part
    on_hand: int
    on_order: int
    quantity: int  # to order, in thousandths, rounded up to the supplier's pack size
    offer: SupplierPart | None
    supplier: Supplier | None
    reason: str


def choose_offer(offers: list[SupplierPart]) -> tuple[SupplierPart | None, str]:
    """The preferred supplier's offer; without one, the shortest lead time, then the lowest price."""
    if not offers:
        return None, "no supplier offers this part"
    preferred = [offer for offer in offers if offer.preferred]
    if preferred:
        return preferred[0], "preferred supplier"
    best = min(
        offers,
        key=lambda o: (
            o.lead_time_days,
            o.unit_price_millis if o.unit_price_millis is not None else math.inf,
            o.supplier_part_number,
        ),
    )
    return best, f"shortest lead time ({best.lead_time_days} days)"


def replenishment(session: Session) -> list[Proposal]:
    """Parts whose stock position (on hand plus on order) is at or below their reorder point."""
    stock, ordered = on_hand(session), on_order(session)
    proposals = []
    for part in session.scalars(select(Part).where(Part.reorder_point.is_not(None)).order_by(Part.number)):
        position = stock.get(part.id, 0) + ordered.get(part.id, 0)
        if position > part.reorder_point:
            continue
        offers = list(session.scalars(select(SupplierPart).where(SupplierPart.part_id == part.id)))
        offer, reason = choose_offer(offers)
        amount = part.reorder_quantity or 0
        if offer is not None and offer.pack_size:
            amount = math.ceil(amount / offer.pack_size) * offer.pack_size
        proposals.append(
            Proposal(
                part,
                stock.get(part.id, 0),
                ordered.get(part.id, 0),
                amount,
                offer,
                session.get(Supplier, offer.supplier_id) if offer else None,
                reason,
            )
        )
    return proposals
