"""Supply over JSON: parts, suppliers, lots and stock, making serialized items, installing and
removing components, as-built and where-used traces, replenishment and purchase orders.
Writes need `items.write`; reads `items.read`."""

from __future__ import annotations

from flask import Blueprint, Flask
from flask_login import current_user

from registry import clock
from registry.auth.permissions import Permission, requires
from registry.contract import Page, operation, paged
from registry.custody.runtime import custody
from registry.custody.runtime import reads as custody_reads
from registry.custody.schemas import ItemFacts, ItemOut
from registry.errors import NOT_FOUND, path_ids
from registry.supply import genealogy, queries, stock
from registry.supply.models import Lot, Part, PurchaseOrder, Supplier
from registry.supply.quantities import show
from registry.supply.rules import SupplyError
from registry.supply.runtime import reads, supply
from registry.supply.schemas import (
    AsBuilt,
    AssignPart,
    AtQuery,
    Consumption,
    Count,
    EntryIndex,
    Install,
    LotDetail,
    LotOut,
    Lots,
    LotsQuery,
    MakeItem,
    Move,
    NewLot,
    NewPart,
    NewPurchaseOrders,
    NewSupplier,
    NewSupplierPart,
    OrderStatus,
    PartDetail,
    PartOut,
    Parts,
    PurchaseOrderOut,
    PurchaseOrders,
    Removal,
    Reorder,
    Replenishment,
    Stock,
    StockQuery,
    SupplierOut,
    SupplierPartOut,
    Suppliers,
    WhereUsed,
    WhereUsedQuery,
)

bp = Blueprint("supply_api", __name__, url_prefix="/api/v1")
WRITE_ERRORS = (404, 409, 422)


def _a() -> dict:
    return {"actor": current_user.actor, "now": clock.now()}


def part_json(part: Part, on_hand: int | None = None) -> dict:
    return {
        "id": part.id,
        "number": part.number,
        "description": part.description,
        "tracking": part.tracking,
        "unit": part.unit,
        "reorder_point": show(part.reorder_point) or None,
        "reorder_quantity": show(part.reorder_quantity) or None,
        "on_hand": show(on_hand or 0) or "0",
        "registered_entry": part.registered_entry,
    }


def supplier_json(supplier: Supplier) -> dict:
    return {
        "id": supplier.id,
        "name": supplier.name,
        "address": supplier.address,
        "registered_entry": supplier.registered_entry,
    }


def offer_json(offer) -> dict:
    return {
        "id": offer.id,
        "supplier_id": offer.supplier_id,
        "part_id": offer.part_id,
        "supplier_part_number": offer.supplier_part_number,
        "pack_size": show(offer.pack_size),
        "lead_time_days": offer.lead_time_days,
        "unit_price": offer.unit_price,
        "preferred": offer.preferred,
    }


def level_json(level: dict) -> dict:
    return {**level, "quantity": show(level["quantity"])}


def lot_json(lot: Lot, part: Part | None = None, supplier: Supplier | None = None) -> dict:
    part = part or reads.get(Part, lot.part_id)
    supplier = supplier or (reads.get(Supplier, lot.supplier_id) if lot.supplier_id else None)
    return {
        "id": lot.id,
        "part_id": lot.part_id,
        "part_number": part.number,
        "supplier_id": lot.supplier_id,
        "supplier": supplier.name if supplier else None,
        "supplier_lot_code": lot.supplier_lot_code,
        "internal_code": lot.internal_code,
        "lot_scheme": lot.lot_scheme,
        "quantity": show(lot.quantity),
        "unit": part.unit,
        "received_on": lot.received_on.isoformat(),
        "location": lot.location,
        "purchase_order_id": lot.purchase_order_id,
        "received_entry": lot.received_entry,
    }


def node_json(node: genealogy.Node) -> dict:
    return {
        "item_id": node.item_id,
        "serial": node.serial,
        "kind": node.kind,
        "description": node.description,
        "part_number": node.part_number,
        "status": node.status,
        "position": node.position,
        "installed_at": node.installed_at.isoformat() if node.installed_at else None,
        "lots": [
            {**lot, "quantity": show(lot["quantity"]), "consumed_at": lot["consumed_at"].isoformat()}
            for lot in node.lots
        ],
        "children": [node_json(child) for child in node.children],
    }


def order_json(order: PurchaseOrder) -> dict:
    return {
        "id": order.id,
        "number": order.number,
        "status": order.status,
        "drafted_on": order.drafted_on.isoformat(),
        "note": order.note,
        "supplier": supplier_json(reads.get(Supplier, order.supplier_id)),
        "lines": [
            {
                "line": line.line,
                "part_id": part.id,
                "part_number": part.number,
                "supplier_part_number": offer.supplier_part_number,
                "quantity": show(line.quantity),
                "received": show(line.received) or "0",
            }
            for line, part, offer in reads.order_lines(order.id)
        ],
    }


def _get(model, key: str, what: str):
    found = reads.get(model, key)
    if found is None:
        raise SupplyError(f"no {what} {key!r}", code=f"unknown_{what.replace(' ', '_')}", kind=NOT_FOUND)
    return found


# -- parts and suppliers -------------------------------------------------------------------------
@bp.get("/parts")
@requires(Permission.ITEMS_READ)
@operation("Parts with their on-hand quantity, by part number", response=Parts, query=Page)
def list_parts(params: Page):
    rows, next_cursor = paged(lambda start, count: reads.parts(offset=start, limit=count), params)
    levels = reads.on_hand()
    return {"parts": [part_json(part, levels.get(part.id)) for part in rows], "next_cursor": next_cursor}


@bp.post("/parts")
@requires(Permission.ITEMS_WRITE)
@operation(
    "Register a part (tracked by serial, by lot, or untracked)",
    response=PartOut,
    status=201,
    body=NewPart,
    errors=WRITE_ERRORS,
)
def create_part(body: NewPart):
    part = supply().register_part(
        number=body.number,
        description=body.description,
        tracking=body.tracking,
        unit=body.unit or "ea",
        reorder_point=body.reorder_point,
        reorder_quantity=body.reorder_quantity,
        **_a(),
    )
    return part_json(part)


@bp.get("/parts/<part_id>")
@requires(Permission.ITEMS_READ)
@operation(
    "A part with its supplier offers and stock levels", response=PartDetail, paths={"part_id": "part id"}, errors=(404,)
)
def get_part(part_id: str):
    part = _get(Part, part_id, "part")
    return {
        **part_json(part, reads.on_hand().get(part.id)),
        "offers": [{**offer_json(offer), "supplier": supplier.name} for offer, supplier in reads.offers(part.id)],
        "levels": [level_json(level) for level in reads.levels(part_id=part.id)],
    }


@bp.post("/parts/<part_id>/reorder")
@requires(Permission.ITEMS_WRITE)
@operation(
    "Set a part's reorder point and reorder quantity",
    response=EntryIndex,
    status=201,
    body=Reorder,
    paths={"part_id": "part id"},
    errors=(404, 422),
)
@path_ids("part_id")
def set_reorder(part_id: str, body: Reorder):
    index = supply().set_reorder(
        part_id, reorder_point=body.reorder_point, reorder_quantity=body.reorder_quantity, **_a()
    )
    return {"entry_index": index}


@bp.post("/parts/<part_id>/items")
@requires(Permission.ITEMS_WRITE)
@operation(
    "Make a serialized item of the part, with the lot quantities it consumed",
    response=ItemOut,
    status=201,
    body=MakeItem,
    paths={"part_id": "part id"},
    errors=WRITE_ERRORS,
)
@path_ids("part_id")
def make_item(part_id: str, body: MakeItem):
    from registry.custody.api import item_json

    facts = {name: getattr(body, name) for name in ItemFacts.model_fields if getattr(body, name) not in (None, "")}
    item = supply().make_item(
        part_id=part_id,
        kind=body.kind or "goods",
        scheme=body.scheme or "plain",
        serial=body.serial,
        at=body.at,
        lots=[use.model_dump() for use in body.lots],
        options=body.options,
        **facts,
        **_a(),
    )
    return item_json(item)


@bp.post("/items/<item_id>/part")
@requires(Permission.ITEMS_WRITE)
@operation(
    "Record which part an existing item is, and when it was made",
    response=EntryIndex,
    status=201,
    body=AssignPart,
    paths={"item_id": "item id"},
    errors=WRITE_ERRORS,
)
@path_ids("item_id")
def assign_part(item_id: str, body: AssignPart):
    return {"entry_index": supply().assign_part(item_id=item_id, part_id=body.part_id, made_at=body.made_at, **_a())}


@bp.get("/suppliers")
@requires(Permission.ITEMS_READ)
@operation("Suppliers, by name", response=Suppliers, query=Page)
def list_suppliers(params: Page):
    rows, next_cursor = paged(lambda start, count: reads.suppliers(offset=start, limit=count), params)
    return {"suppliers": [supplier_json(s) for s in rows], "next_cursor": next_cursor}


@bp.post("/suppliers")
@requires(Permission.ITEMS_WRITE)
@operation("Register a supplier", response=SupplierOut, status=201, body=NewSupplier, errors=(409, 422))
def create_supplier(body: NewSupplier):
    return supplier_json(supply().register_supplier(name=body.name, address=body.address, **_a()))


@bp.post("/supplier-parts")
@requires(Permission.ITEMS_WRITE)
@operation(
    "Record a supplier's offer of a part: its part number, pack size, lead time, price",
    response=SupplierPartOut,
    status=201,
    body=NewSupplierPart,
    errors=WRITE_ERRORS,
)
def create_supplier_part(body: NewSupplierPart):
    offer = supply().register_supplier_part(
        supplier_id=body.supplier_id,
        part_id=body.part_id,
        supplier_part_number=body.supplier_part_number,
        pack_size=body.pack_size or "1",
        lead_time_days=body.lead_time_days,
        unit_price=body.unit_price,
        preferred=body.preferred,
        **_a(),
    )
    return offer_json(offer)


# -- lots and stock --------------------------------------------------------------------------------
@bp.get("/lots")
@requires(Permission.ITEMS_READ)
@operation("Lots, newest first", response=Lots, query=LotsQuery)
def list_lots(params: LotsQuery):
    rows, next_cursor = paged(
        lambda start, count: reads.lots(
            part_id=params.part_id, supplier_id=params.supplier_id, code=params.code, offset=start, limit=count
        ),
        params,
    )
    return {"lots": [lot_json(lot, part, supplier) for lot, part, supplier in rows], "next_cursor": next_cursor}


@bp.post("/lots")
@requires(Permission.ITEMS_WRITE)
@operation(
    "Receive a lot (GS1 AI 10 lot codes are checked when lot_scheme is gs1)",
    response=LotOut,
    status=201,
    body=NewLot,
    errors=WRITE_ERRORS,
)
def receive_lot(body: NewLot):
    lot = supply().receive_lot(
        part_id=body.part_id,
        supplier_id=body.supplier_id or None,
        supplier_lot_code=body.supplier_lot_code,
        lot_scheme=body.lot_scheme,
        internal_code=body.internal_code,
        quantity_=body.quantity,
        on=body.date,
        location=body.location,
        purchase_order_id=body.purchase_order_id or None,
        **_a(),
    )
    return lot_json(lot)


@bp.get("/lots/<lot_id>")
@requires(Permission.ITEMS_READ)
@operation(
    "A lot with its stock levels and the items it went into",
    response=LotDetail,
    paths={"lot_id": "lot id"},
    errors=(404,),
)
def get_lot(lot_id: str):
    lot = _get(Lot, lot_id, "lot")
    return {
        **lot_json(lot),
        "levels": [level_json(level) for level in reads.levels(lot_id=lot.id)],
        "consumed_by": [
            {
                "item_id": item.id,
                "serial": item.serial,
                "quantity": show(use.quantity),
                "at": use.consumed_at.isoformat(),
                "entry_index": use.entry_index,
            }
            for use, item in reads.consumptions(lot.id)
        ],
    }


@bp.post("/lots/<lot_id>/consumptions")
@requires(Permission.ITEMS_WRITE)
@operation(
    "Consume a quantity of the lot into a serialized item",
    response=EntryIndex,
    status=201,
    body=Consumption,
    paths={"lot_id": "lot id"},
    errors=WRITE_ERRORS,
)
@path_ids("lot_id")
def consume(lot_id: str, body: Consumption):
    return {
        "entry_index": supply().consume(
            lot_id=lot_id, item_id=body.item_id, quantity_=body.quantity, location=body.location, at=body.at, **_a()
        )
    }


@bp.post("/lots/<lot_id>/moves")
@requires(Permission.ITEMS_WRITE)
@operation(
    "Move a quantity of the lot between locations",
    response=EntryIndex,
    status=201,
    body=Move,
    paths={"lot_id": "lot id"},
    errors=WRITE_ERRORS,
)
@path_ids("lot_id")
def move(lot_id: str, body: Move):
    return {
        "entry_index": supply().move_stock(
            lot_id=lot_id,
            quantity_=body.quantity,
            from_location=body.from_location,
            to_location=body.to_location,
            on=body.date,
            **_a(),
        )
    }


@bp.post("/lots/<lot_id>/counts")
@requires(Permission.ITEMS_WRITE)
@operation(
    "Record a stock count of the lot at a location (the difference is kept in the event)",
    response=EntryIndex,
    status=201,
    body=Count,
    paths={"lot_id": "lot id"},
    errors=(404, 422),
)
@path_ids("lot_id")
def count(lot_id: str, body: Count):
    return {
        "entry_index": supply().adjust_stock(
            lot_id=lot_id, location=body.location, counted=body.counted, reason=body.reason, on=body.date, **_a()
        )
    }


@bp.get("/stock")
@requires(Permission.ITEMS_READ)
@operation("On hand per part, lot and location", response=Stock, query=StockQuery)
def stock_levels(params: StockQuery):
    levels = reads.levels(part_id=params.part_id)
    rows, next_cursor = paged(lambda start, count: levels[start : start + count], params)
    return {"levels": [level_json(level) for level in rows], "next_cursor": next_cursor}


# -- genealogy -----------------------------------------------------------------------------------
@bp.post("/items/<item_id>/components")
@requires(Permission.ITEMS_WRITE)
@operation(
    "Install a serialized component in this assembly",
    response=EntryIndex,
    status=201,
    body=Install,
    paths={"item_id": "assembly item id"},
    errors=WRITE_ERRORS,
)
@path_ids("parent_item_id")
def install(item_id: str, body: Install):
    return {
        "entry_index": supply().install(
            parent_item_id=item_id, child_item_id=body.child_item_id, at=body.at, position=body.position, **_a()
        )
    }


@bp.post("/items/<item_id>/components/<child_id>/removal")
@requires(Permission.ITEMS_WRITE)
@operation(
    "Remove a component from this assembly",
    response=EntryIndex,
    status=201,
    body=Removal,
    paths={"item_id": "assembly item id", "child_id": "component item id"},
    errors=WRITE_ERRORS,
)
def remove(item_id: str, child_id: str, body: Removal):
    return {
        "entry_index": supply().remove(
            parent_item_id=item_id, child_item_id=child_id, at=body.at, reason=body.reason, **_a()
        )
    }


@bp.get("/items/<item_id>/as-built")
@requires(Permission.ITEMS_READ)
@operation(
    "The item's assembly tree at a time, down to supplier lots (backward trace)",
    response=AsBuilt,
    query=AtQuery,
    paths={"item_id": "item id"},
    errors=(404,),
)
def as_built(item_id: str, params: AtQuery):
    at = queries.when(params.at)
    custody(writing=False).item(item_id)
    tree = reads.as_built(item_id, at)
    return {"at": at.isoformat(), "tree": node_json(tree)}


@bp.get("/where-used")
@requires(Permission.ITEMS_READ)
@operation(
    "Every top-level item containing a lot, a component or a part made within dates, at a time "
    "(forward trace), with its holder and status",
    response=WhereUsed,
    query=WhereUsedQuery,
    errors=(404, 422),
)
def where_used(params: WhereUsedQuery):
    at = queries.when(params.at)
    start = reads.trace_start(
        lot=params.lot, serial=params.serial, part=params.part, made_from=params.from_, made_to=params.to, at=at
    )
    found = reads.where_used(start, at)
    personal = current_user.can(Permission.PERSONAL_DATA_READ)
    return {
        "at": at.isoformat(),
        "count": len(found),
        "items": [
            {
                "id": item.id,
                "serial": item.serial,
                "kind": item.kind,
                "status": item.status,
                "description": item.description,
                "holder": custody_reads.party_label(item.holder_party_id, personal=personal),
            }
            for item in reads.affected_items(found)
        ],
    }


# -- replenishment and purchase orders -------------------------------------------------------------
def proposal_json(proposal: stock.Proposal) -> dict:
    return {
        "part": part_json(proposal.part, proposal.on_hand),
        "on_order": show(proposal.on_order) or "0",
        "quantity": show(proposal.quantity),
        "supplier": supplier_json(proposal.supplier) if proposal.supplier else None,
        "supplier_part": offer_json(proposal.offer) if proposal.offer else None,
        "reason": proposal.reason,
    }


@bp.get("/replenishment")
@requires(Permission.ITEMS_READ)
@operation(
    "Parts at or below their reorder point, with the proposed supplier and quantity", response=Replenishment, query=Page
)
def replenishment(params: Page):
    proposals = reads.replenishment()
    rows, next_cursor = paged(lambda start, count: proposals[start : start + count], params)
    return {"proposals": [proposal_json(p) for p in rows], "next_cursor": next_cursor}


@bp.post("/purchase-orders")
@requires(Permission.ITEMS_WRITE)
@operation(
    'Draft a purchase order: explicit lines for a supplier, or {"from_proposals": true} for one draft '
    "per proposed supplier",
    response=PurchaseOrders,
    status=201,
    body=NewPurchaseOrders,
    errors=WRITE_ERRORS,
)
def draft_orders(body: NewPurchaseOrders):
    service, on = supply(), body.date or clock.now().date()
    if body.from_proposals:
        if body.supplier_id is not None or body.lines is not None:
            raise SupplyError(
                "an order drafted from the proposals takes its suppliers and lines from them: "
                "send supplier_id and lines only without from_proposals",
                code="invalid_field",
                field="supplier_id" if body.supplier_id is not None else "lines",
            )
        orders = service.draft_from_proposals(on=on, part_ids=body.part_ids, note=body.note, **_a())
    else:
        lines = None if body.lines is None else [line.model_dump() for line in body.lines]
        orders = [
            service.draft_purchase_order(supplier_id=body.supplier_id, lines=lines, on=on, note=body.note, **_a())
        ]
    return {"purchase_orders": [order_json(order) for order in orders]}


@bp.get("/purchase-orders")
@requires(Permission.ITEMS_READ)
@operation("Purchase orders, newest first", response=PurchaseOrders, query=Page)
def list_orders(params: Page):
    rows, next_cursor = paged(lambda start, count: reads.purchase_orders(offset=start, limit=count), params)
    return {"purchase_orders": [order_json(order) for order, _ in rows], "next_cursor": next_cursor}


@bp.get("/purchase-orders/<order_id>")
@requires(Permission.ITEMS_READ)
@operation(
    "A purchase order with its lines and what was received",
    response=PurchaseOrderOut,
    paths={"order_id": "purchase order id"},
    errors=(404,),
)
def get_order(order_id: str):
    return order_json(_get(PurchaseOrder, order_id, "purchase order"))


@bp.post("/purchase-orders/<order_id>/status")
@requires(Permission.ITEMS_WRITE)
@operation(
    "Place or cancel a purchase order",
    response=PurchaseOrderOut,
    body=OrderStatus,
    paths={"order_id": "purchase order id"},
    errors=WRITE_ERRORS,
)
@path_ids("purchase_order_id")
def change_order(order_id: str, body: OrderStatus):
    supply().change_purchase_order(order_id, status=body.status, **_a())
    return order_json(_get(PurchaseOrder, order_id, "purchase order"))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
