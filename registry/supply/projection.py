"""Projection handlers of the supply events: each a pure function of the event and the tables the
earlier events built, so `flask ledger replay` rebuilds the same rows."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.supply.models import (
    ComponentLink,
    ItemPart,
    Lot,
    LotConsumption,
    Part,
    PurchaseOrder,
    PurchaseOrderLine,
    StockLevel,
    Supplier,
    SupplierPart,
)
from registry.supply.quantities import to_units


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _level(session: Session, lot: Lot, location: str) -> StockLevel:
    level = session.get(StockLevel, (lot.id, location))
    if level is None:
        level = StockLevel(lot_id=lot.id, location=location, part_id=lot.part_id, quantity=0)
        session.add(level)
    return level


def part_registered(session: Session, index: int, event: dict) -> None:
    p = event["payload"]
    session.add(
        Part(
            id=p["part_id"],
            number=p["number"],
            description=p["description"],
            tracking=p["tracking"],
            unit=p["unit"],
            registered_entry=index,
            reorder_point=to_units(p["reorder_point"]) if "reorder_point" in p else None,
            reorder_quantity=to_units(p["reorder_quantity"]) if "reorder_quantity" in p else None,
        )
    )
    session.flush()


def part_reorder_set(session: Session, index: int, event: dict) -> None:
    p = event["payload"]
    part = session.get(Part, p["part_id"])
    part.reorder_point, part.reorder_quantity = to_units(p["reorder_point"]), to_units(p["reorder_quantity"])


def supplier_registered(session: Session, index: int, event: dict) -> None:
    p = event["payload"]
    session.add(Supplier(id=p["supplier_id"], name=p["name"], address=p.get("address"), registered_entry=index))
    session.flush()


def supplier_part_registered(session: Session, index: int, event: dict) -> None:
    p = event["payload"]
    if p.get("preferred"):
        for other in session.scalars(select(SupplierPart).where(SupplierPart.part_id == p["part_id"])):
            other.preferred = False
    price = p.get("unit_price")
    session.add(
        SupplierPart(
            id=p["supplier_part_id"],
            supplier_id=p["supplier_id"],
            part_id=p["part_id"],
            supplier_part_number=p["supplier_part_number"],
            pack_size=to_units(p["pack_size"]),
            lead_time_days=int(p["lead_time_days"]),
            unit_price=price,
            unit_price_millis=to_units(price) if price is not None else None,
            preferred=bool(p.get("preferred")),
        )
    )
    session.flush()


def lot_received(session: Session, index: int, event: dict) -> None:
    p = event["payload"]
    quantity = to_units(p["quantity"])
    lot = Lot(
        id=p["lot_id"],
        part_id=p["part_id"],
        supplier_id=p.get("supplier_id"),
        supplier_lot_code=p.get("supplier_lot_code"),
        internal_code=p["internal_code"],
        lot_scheme=p["lot_scheme"],
        quantity=quantity,
        received_on=date.fromisoformat(p["date"]),
        purchase_order_id=p.get("purchase_order_id"),
        location=p["location"],
        received_entry=index,
        stock_changed_on=date.fromisoformat(p["date"]),
    )
    session.add(lot)
    session.flush()
    _level(session, lot, p["location"]).quantity += quantity
    order_id = p.get("purchase_order_id")
    if order_id:
        lines = list(
            session.scalars(
                select(PurchaseOrderLine)
                .where(PurchaseOrderLine.purchase_order_id == order_id)
                .order_by(PurchaseOrderLine.line)
            )
        )
        line = next((line for line in lines if line.part_id == lot.part_id and line.received < line.quantity), None)
        if line is not None:
            line.received += quantity
        if all(line.received >= line.quantity for line in lines):
            session.get(PurchaseOrder, order_id).status = "received"


def lot_consumed(session: Session, index: int, event: dict) -> None:
    p = event["payload"]
    quantity = to_units(p["quantity"])
    lot = session.get(Lot, p["lot_id"])
    _level(session, lot, p["location"]).quantity -= quantity
    _changed(lot, moment(p["at"]).date())
    session.add(
        LotConsumption(
            entry_index=index,
            lot_id=lot.id,
            item_id=p["item_id"],
            quantity=quantity,
            location=p["location"],
            consumed_at=moment(p["at"]),
        )
    )


def stock_moved(session: Session, index: int, event: dict) -> None:
    p = event["payload"]
    quantity, lot = to_units(p["quantity"]), session.get(Lot, p["lot_id"])
    _level(session, lot, p["from_location"]).quantity -= quantity
    _level(session, lot, p["to_location"]).quantity += quantity
    _changed(lot, date.fromisoformat(p["date"]))


def stock_adjusted(session: Session, index: int, event: dict) -> None:
    """A count: the on-hand quantity of the lot at the location becomes the counted one."""
    p = event["payload"]
    lot = session.get(Lot, p["lot_id"])
    _level(session, lot, p["location"]).quantity = to_units(p["counted"])
    _changed(lot, date.fromisoformat(p["date"]))


def _changed(lot: Lot, on: date) -> None:
    lot.stock_changed_on = max(lot.stock_changed_on or lot.received_on, on)


def item_part_assigned(session: Session, index: int, event: dict) -> None:
    p = event["payload"]
    session.add(ItemPart(item_id=p["item_id"], part_id=p["part_id"], made_at=moment(p["made_at"]), entry_index=index))


def component_installed(session: Session, index: int, event: dict) -> None:
    p = event["payload"]
    session.add(
        ComponentLink(
            installed_entry=index,
            parent_item_id=p["parent_item_id"],
            child_item_id=p["child_item_id"],
            position=p.get("position"),
            installed_at=moment(p["at"]),
        )
    )


def component_removed(session: Session, index: int, event: dict) -> None:
    p = event["payload"]
    link = session.get(ComponentLink, p["installed_entry"])
    link.removed_at, link.removed_entry, link.removal_reason = moment(p["at"]), index, p.get("reason")


def purchase_order_drafted(session: Session, index: int, event: dict) -> None:
    p = event["payload"]
    session.add(
        PurchaseOrder(
            id=p["purchase_order_id"],
            number=p["number"],
            supplier_id=p["supplier_id"],
            status="draft",
            drafted_on=date.fromisoformat(p["date"]),
            note=p.get("note"),
            drafted_entry=index,
        )
    )
    session.flush()
    for number, line in enumerate(p["lines"], start=1):
        session.add(
            PurchaseOrderLine(
                purchase_order_id=p["purchase_order_id"],
                line=number,
                part_id=line["part_id"],
                supplier_part_id=line["supplier_part_id"],
                quantity=to_units(line["quantity"]),
                received=0,
            )
        )


def purchase_order_status_changed(session: Session, index: int, event: dict) -> None:
    p = event["payload"]
    session.get(PurchaseOrder, p["purchase_order_id"]).status = p["status"]


HANDLERS = {
    "part.registered": part_registered,
    "part.reorder_set": part_reorder_set,
    "supplier.registered": supplier_registered,
    "supplier_part.registered": supplier_part_registered,
    "lot.received": lot_received,
    "lot.consumed": lot_consumed,
    "stock.moved": stock_moved,
    "stock.adjusted": stock_adjusted,
    "item.part_assigned": item_part_assigned,
    "component.installed": component_installed,
    "component.removed": component_removed,
    "purchase_order.drafted": purchase_order_drafted,
    "purchase_order.placed": purchase_order_status_changed,
    "purchase_order.cancelled": purchase_order_status_changed,
}

TABLES = (
    Part,
    Supplier,
    SupplierPart,
    PurchaseOrder,
    PurchaseOrderLine,
    Lot,
    StockLevel,
    LotConsumption,
    ItemPart,
    ComponentLink,
)
