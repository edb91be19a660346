"""Reading supply: lists and detail of parts, suppliers, lots and purchase orders, and the forward
trace from what a user names (a lot, a component serial, or a part within dates)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import clock, serials
from registry.custody.models import Item
from registry.errors import NOT_FOUND
from registry.fields import day, moment
from registry.supply import genealogy
from registry.supply.models import (
    ComponentLink,
    ItemPart,
    Lot,
    LotConsumption,
    Part,
    PurchaseOrder,
    PurchaseOrderLine,
    Supplier,
    SupplierPart,
)
from registry.supply.rules import SupplyError


def parts(session: Session, *, offset: int = 0, limit: int | None = None) -> list[Part]:
    return list(session.scalars(select(Part).order_by(Part.number, Part.id).offset(offset).limit(limit)))


def suppliers(session: Session, *, offset: int = 0, limit: int | None = None) -> list[Supplier]:
    return list(session.scalars(select(Supplier).order_by(Supplier.name, Supplier.id).offset(offset).limit(limit)))


def offers(session: Session, part_id: str) -> list[tuple[SupplierPart, Supplier]]:
    return list(
        session.execute(
            select(SupplierPart, Supplier)
            .join(Supplier, Supplier.id == SupplierPart.supplier_id)
            .where(SupplierPart.part_id == part_id)
            .order_by(Supplier.name)
        )
    )


def lots(
    session: Session,
    *,
    part_id: str | None = None,
    supplier_id: str | None = None,
    code: str | None = None,
    limit: int = 500,
    offset: int = 0,
) -> list[tuple[Lot, Part, Supplier | None]]:
    query = (
        select(Lot, Part, Supplier)
        .join(Part, Part.id == Lot.part_id)
        .outerjoin(Supplier, Supplier.id == Lot.supplier_id)
        .order_by(Lot.received_on.desc(), Lot.internal_code, Lot.id)
        .offset(offset)
    )
    if part_id:
        query = query.where(Lot.part_id == part_id)
    if supplier_id:
        query = query.where(Lot.supplier_id == supplier_id)
    if code:
        query = query.where((Lot.internal_code == code.strip()) | (Lot.supplier_lot_code == code.strip()))
    return list(session.execute(query.limit(limit)))


def consumptions(session: Session, lot_id: str, limit: int = 200) -> list[tuple[LotConsumption, Item]]:
    return list(
        session.execute(
            select(LotConsumption, Item)
            .join(Item, Item.id == LotConsumption.item_id)
            .where(LotConsumption.lot_id == lot_id)
            .order_by(LotConsumption.entry_index)
            .limit(limit)
        )
    )


def purchase_orders(
    session: Session, *, offset: int = 0, limit: int | None = None
) -> list[tuple[PurchaseOrder, Supplier]]:
    return list(
        session.execute(
            select(PurchaseOrder, Supplier)
            .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
            .order_by(PurchaseOrder.number.desc(), PurchaseOrder.id)
            .offset(offset)
            .limit(limit)
        )
    )


def order_lines(session: Session, order_id: str) -> list[tuple[PurchaseOrderLine, Part, SupplierPart]]:
    return list(
        session.execute(
            select(PurchaseOrderLine, Part, SupplierPart)
            .join(Part, Part.id == PurchaseOrderLine.part_id)
            .join(SupplierPart, SupplierPart.id == PurchaseOrderLine.supplier_part_id)
            .where(PurchaseOrderLine.purchase_order_id == order_id)
            .order_by(PurchaseOrderLine.line)
        )
    )


def lots_of_order(session: Session, order_id: str) -> list[Lot]:
    """The lots received against a purchase order."""
    return list(session.scalars(select(Lot).where(Lot.purchase_order_id == order_id).order_by(Lot.received_entry)))


def installed(session: Session, item_id: str) -> list[tuple[ComponentLink, Item]]:
    """The components installed in the item now, with their items, in position order."""
    return list(
        session.execute(
            select(ComponentLink, Item)
            .join(Item, Item.id == ComponentLink.child_item_id)
            .where(ComponentLink.parent_item_id == item_id, ComponentLink.removed_at.is_(None))
            .order_by(ComponentLink.position, Item.serial)
        ).all()
    )


def link_history(session: Session, item_id: str) -> list[tuple[ComponentLink, Item]]:
    """Every install and removal in or of the item, oldest first, with the component."""
    return list(
        session.execute(
            select(ComponentLink, Item)
            .join(Item, Item.id == ComponentLink.child_item_id)
            .where((ComponentLink.parent_item_id == item_id) | (ComponentLink.child_item_id == item_id))
            .order_by(ComponentLink.installed_at)
        ).all()
    )


def item_part(session: Session, item_id: str) -> tuple[ItemPart, Part] | None:
    row = session.execute(
        select(ItemPart, Part).join(Part, Part.id == ItemPart.part_id).where(ItemPart.item_id == item_id)
    ).first()
    return None if row is None else tuple(row)


def items_by_serial(session: Session, value) -> list[str]:
    """Ids of the items a user means by `value`: an item id, or a serial as marked or in its search form."""
    if not isinstance(value, str) or not value.strip():
        return []
    text = value.strip()
    if session.get(Item, text) is not None:
        return [text]
    plain = serials.read("plain", text)
    forms = {text, text.upper(), text.lower()} | ({plain.normalized} if plain else set())
    return list(session.scalars(select(Item.id).where(Item.serial.in_(forms) | Item.serial_normalized.in_(forms))))


def lots_by_code(session: Session, value) -> list[str]:
    """Ids of the lots a user means by `value`: a lot id, an internal code, or a supplier's lot code
    (which two suppliers may share)."""
    if not isinstance(value, str) or not value.strip():
        return []
    text = value.strip()
    return list(
        session.scalars(
            select(Lot.id).where((Lot.id == text) | (Lot.internal_code == text) | (Lot.supplier_lot_code == text))
        )
    )


def trace_start(
    session: Session,
    *,
    lot: str | None = None,
    serial: str | None = None,
    part: str | None = None,
    made_from=None,
    made_to=None,
    at: datetime,
):
    """The forward trace's starting set for what the user named; raises SupplyError naming the field."""
    named = [name for name, value in (("lot", lot), ("serial", serial), ("part", part)) if value]
    if len(named) != 1:
        raise SupplyError("name exactly one of lot, serial or part", code="invalid_query", field="lot")
    if lot:
        found = lots_by_code(session, lot)
        if not found:
            raise SupplyError(f"no lot {lot!r}", code="unknown_lot", kind=NOT_FOUND, field="lot")
        if len(found) > 1:  # two suppliers' lots share the code: a trace of both would mix them
            raise SupplyError(
                f"lot {lot!r} matches {len(found)} lots: give its internal code", code="ambiguous_lot", field="lot"
            )
        return genealogy.items_with_lots(found, at)
    if serial:
        found = items_by_serial(session, serial)
        if not found:
            raise SupplyError(
                f"no item with the serial {serial!r}", code="unknown_serial", kind=NOT_FOUND, field="serial"
            )
        return genealogy.items_by_id(found)
    found = session.scalar(select(Part.id).where((Part.id == part) | (Part.number == part)))
    if found is None:
        raise SupplyError(f"no part {part!r}", code="unknown_part", kind=NOT_FOUND, field="part")
    start = day(made_from, "from", now=None) if made_from else date(1900, 1, 1)
    end = day(made_to, "to", now=None) if made_to else date(9999, 12, 30)
    if end < start:
        raise SupplyError("'to' precedes 'from'", code="invalid_range", field="to")
    return genealogy.items_of_part(
        found,
        datetime.combine(start, time(), timezone.utc),
        datetime.combine(end, time(), timezone.utc) + timedelta(days=1),
        at,
    )


def when(value, field: str = "at") -> datetime:
    return moment(value, field, now=None) if value else clock.now()


def affected_items(session: Session, item_ids: list[str], limit: int | None = None) -> list[Item]:
    rows, wanted = [], item_ids if limit is None else item_ids[:limit]
    for start in range(0, len(wanted), 500):
        rows.extend(session.scalars(select(Item).where(Item.id.in_(wanted[start : start + 500]))))
    return sorted(rows, key=lambda item: item.serial)
