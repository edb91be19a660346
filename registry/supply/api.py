"""Supply over JSON: parts, suppliers, lots and stock, making serialized items, installing and
removing components, as-built and where-used traces, replenishment and purchase orders.
Writes need `items.write`; reads `items.read`."""
from __future__ import annotations

from flask import Blueprint, Flask, jsonify, request
from flask_login import current_user

from registry.auth.permissions import Permission, requires
from registry import clock
from registry.custody.queries import party_label
from registry.custody.runtime import custody
from registry.errors import json_object
from registry.extensions import db
from registry.openapi import SCHEMAS, operation, path, query
from registry.supply import genealogy, queries, stock
from registry.supply.models import Lot, Part, PurchaseOrder, Supplier
from registry.supply.quantities import show
from registry.supply.rules import SupplyError
from registry.supply.runtime import supply

bp = Blueprint("supply_api", __name__, url_prefix="/api/v1")

_OBJECT = {"type": "object"}
SCHEMAS["Part"] = {"type": "object", "required": ["id", "number", "description", "tracking", "unit"], "properties": {
    "id": {"type": "string"}, "number": {"type": "string"}, "description": {"type": "string"},
    "tracking": {"enum": ["serial", "lot", "none"]}, "unit": {"type": "string"},
    "reorder_point": {"type": ["string", "null"]}, "reorder_quantity": {"type": ["string", "null"]},
    "on_hand": {"type": "string"}}}
SCHEMAS["NewPart"] = {"type": "object", "required": ["number", "description", "tracking"], "properties": {
    "number": {"type": "string"}, "description": {"type": "string"}, "tracking": {"enum": ["serial", "lot", "none"]},
    "unit": {"type": "string"}, "reorder_point": {"type": "string"}, "reorder_quantity": {"type": "string"}}}
SCHEMAS["Supplier"] = {"type": "object", "required": ["id", "name"], "properties": {
    "id": {"type": "string"}, "name": {"type": "string"}, "address": {"type": ["string", "null"]}}}
SCHEMAS["SupplierPart"] = {"type": "object", "required": ["id", "supplier_id", "part_id"], "properties": {
    "id": {"type": "string"}, "supplier_id": {"type": "string"}, "part_id": {"type": "string"},
    "supplier_part_number": {"type": "string"}, "pack_size": {"type": "string"}, "lead_time_days": {"type": "integer"},
    "unit_price": {"type": ["string", "null"]}, "preferred": {"type": "boolean"}}}
SCHEMAS["Lot"] = {"type": "object", "required": ["id", "part_id", "internal_code", "quantity"], "properties": {
    "id": {"type": "string"}, "part_id": {"type": "string"}, "part_number": {"type": "string"},
    "supplier_id": {"type": ["string", "null"]}, "supplier": {"type": ["string", "null"]},
    "supplier_lot_code": {"type": ["string", "null"]}, "internal_code": {"type": "string"},
    "quantity": {"type": "string"}, "received_on": {"type": "string", "format": "date"},
    "location": {"type": "string"}, "levels": {"type": "array"}}}
SCHEMAS["NewLot"] = {"type": "object", "required": ["part_id", "quantity", "date", "location"], "properties": {
    "part_id": {"type": "string"}, "supplier_id": {"type": "string"}, "supplier_lot_code": {"type": "string"},
    "lot_scheme": {"enum": ["plain", "gs1"]}, "internal_code": {"type": "string"}, "quantity": {"type": "string"},
    "date": {"type": "string", "format": "date"}, "location": {"type": "string"}, "purchase_order_id": {"type": "string"}}}
SCHEMAS["EntryIndex"] = {"type": "object", "required": ["entry_index"], "properties": {"entry_index": {"type": "integer"}}}
SCHEMAS["AsBuilt"] = {"type": "object", "required": ["at", "tree"], "properties": {"at": {"type": "string"},
                                                                                   "tree": _OBJECT}}
SCHEMAS["WhereUsed"] = {"type": "object", "required": ["at", "count", "items"], "properties": {
    "at": {"type": "string"}, "count": {"type": "integer"}, "items": {"type": "array"}}}
SCHEMAS["Stock"] = {"type": "object", "required": ["levels"], "properties": {"levels": {"type": "array"}}}
SCHEMAS["Replenishment"] = {"type": "object", "required": ["proposals"], "properties": {"proposals": {"type": "array"}}}
SCHEMAS["PurchaseOrder"] = {"type": "object", "required": ["id", "number", "status", "lines"], "properties": {
    "id": {"type": "string"}, "number": {"type": "string"}, "status": {"type": "string"},
    "supplier": {"$ref": "#/components/schemas/Supplier"}, "lines": {"type": "array"}}}


def _a() -> dict:
    return {"actor": current_user.actor, "now": clock.now()}


def part_json(part: Part, on_hand: int | None = None) -> dict:
    return {"id": part.id, "number": part.number, "description": part.description, "tracking": part.tracking,
            "unit": part.unit, "reorder_point": show(part.reorder_point) or None,
            "reorder_quantity": show(part.reorder_quantity) or None, "on_hand": show(on_hand or 0) or "0",
            "registered_entry": part.registered_entry}


def supplier_json(supplier: Supplier) -> dict:
    return {"id": supplier.id, "name": supplier.name, "address": supplier.address,
            "registered_entry": supplier.registered_entry}


def offer_json(offer) -> dict:
    return {"id": offer.id, "supplier_id": offer.supplier_id, "part_id": offer.part_id,
            "supplier_part_number": offer.supplier_part_number, "pack_size": show(offer.pack_size),
            "lead_time_days": offer.lead_time_days, "unit_price": offer.unit_price, "preferred": offer.preferred}


def level_json(level: dict) -> dict:
    return {**level, "quantity": show(level["quantity"])}


def lot_json(lot: Lot, part: Part | None = None, supplier: Supplier | None = None) -> dict:
    part = part or db.session.get(Part, lot.part_id)
    supplier = supplier or (db.session.get(Supplier, lot.supplier_id) if lot.supplier_id else None)
    return {"id": lot.id, "part_id": lot.part_id, "part_number": part.number, "supplier_id": lot.supplier_id,
            "supplier": supplier.name if supplier else None, "supplier_lot_code": lot.supplier_lot_code,
            "internal_code": lot.internal_code, "lot_scheme": lot.lot_scheme, "quantity": show(lot.quantity),
            "unit": part.unit, "received_on": lot.received_on.isoformat(), "location": lot.location,
            "purchase_order_id": lot.purchase_order_id, "received_entry": lot.received_entry}


def node_json(node: genealogy.Node) -> dict:
    return {"item_id": node.item_id, "serial": node.serial, "kind": node.kind, "description": node.description,
            "part_number": node.part_number, "status": node.status, "position": node.position,
            "installed_at": node.installed_at.isoformat() if node.installed_at else None,
            "lots": [{**lot, "quantity": show(lot["quantity"]), "consumed_at": lot["consumed_at"].isoformat()}
                     for lot in node.lots],
            "children": [node_json(child) for child in node.children]}


def order_json(order: PurchaseOrder) -> dict:
    return {"id": order.id, "number": order.number, "status": order.status, "drafted_on": order.drafted_on.isoformat(),
            "note": order.note, "supplier": supplier_json(db.session.get(Supplier, order.supplier_id)),
            "lines": [{"line": line.line, "part_id": part.id, "part_number": part.number,
                       "supplier_part_number": offer.supplier_part_number, "quantity": show(line.quantity),
                       "received": show(line.received) or "0"}
                      for line, part, offer in queries.order_lines(db.session(), order.id)]}


def _get(model, key: str, what: str):
    found = db.session.get(model, key)
    if found is None:
        raise SupplyError(f"no {what} {key!r}", code=f"unknown_{what.replace(' ', '_')}", status=404)
    return found


# -- parts and suppliers -------------------------------------------------------------------------
@bp.get("/parts")
@requires(Permission.ITEMS_READ)
@operation("Parts with their on-hand quantity", response=None)
def list_parts():
    levels = stock.on_hand(db.session())
    return jsonify({"parts": [part_json(part, levels.get(part.id)) for part in queries.parts(db.session())]})


@bp.post("/parts")
@requires(Permission.ITEMS_WRITE)
@operation("Register a part (tracked by serial, by lot, or untracked)", response="Part", request="NewPart",
           errors=(400, 409, 422))
def create_part():
    data = json_object()
    part = supply().register_part(number=data.get("number"), description=data.get("description"),
                                  tracking=data.get("tracking"), unit=data.get("unit") or "ea",
                                  reorder_point=data.get("reorder_point"), reorder_quantity=data.get("reorder_quantity"),
                                  **_a())
    return jsonify(part_json(part)), 201


@bp.get("/parts/<part_id>")
@requires(Permission.ITEMS_READ)
@operation("A part with its supplier offers and stock levels", response="Part",
           parameters=(path("part_id", "part id", "string"),), errors=(404,))
def get_part(part_id: str):
    part = _get(Part, part_id, "part")
    return jsonify({**part_json(part, stock.on_hand(db.session()).get(part.id)),
                    "offers": [{**offer_json(offer), "supplier": supplier.name}
                               for offer, supplier in queries.offers(db.session(), part.id)],
                    "levels": [level_json(level) for level in stock.levels(db.session(), part_id=part.id)]})


@bp.post("/parts/<part_id>/reorder")
@requires(Permission.ITEMS_WRITE)
@operation("Set a part's reorder point and reorder quantity", response="EntryIndex",
           parameters=(path("part_id", "part id", "string"),), errors=(400, 404, 422))
def set_reorder(part_id: str):
    data = json_object()
    index = supply().set_reorder(part_id, reorder_point=data.get("reorder_point"),
                                 reorder_quantity=data.get("reorder_quantity"), **_a())
    return jsonify({"entry_index": index}), 201


@bp.post("/parts/<part_id>/items")
@requires(Permission.ITEMS_WRITE)
@operation("Make a serialized item of the part, with the lot quantities it consumed", response="Item",
           parameters=(path("part_id", "part id", "string"),), errors=(400, 404, 409, 422))
def make_item(part_id: str):
    from registry.custody.api import item_json
    data = json_object()
    item = supply().make_item(part_id=part_id, kind=data.get("kind") or "goods", scheme=data.get("scheme") or "plain",
                              serial=data.get("serial"), at=data.get("at"), lots=data.get("lots") or [],
                              options=data.get("options"), **_facts(data), **_a())
    return jsonify(item_json(item)), 201


ITEM_FIELDS = ("manufacturer", "importer", "model", "type", "caliber", "country", "model_year", "description")


def _facts(data: dict) -> dict:
    """The item facts of a make request (a firearm needs its type and caliber like any other)."""
    return {name: data[name] for name in ITEM_FIELDS if data.get(name) not in (None, "")}


@bp.post("/items/<item_id>/part")
@requires(Permission.ITEMS_WRITE)
@operation("Record which part an existing item is, and when it was made", response="EntryIndex",
           parameters=(path("item_id", "item id", "string"),), errors=(400, 404, 409, 422))
def assign_part(item_id: str):
    data = json_object()
    index = supply().assign_part(item_id=item_id, part_id=data.get("part_id"), made_at=data.get("made_at"), **_a())
    return jsonify({"entry_index": index}), 201


@bp.get("/suppliers")
@requires(Permission.ITEMS_READ)
@operation("Suppliers", response=None)
def list_suppliers():
    return jsonify({"suppliers": [supplier_json(s) for s in queries.suppliers(db.session())]})


@bp.post("/suppliers")
@requires(Permission.ITEMS_WRITE)
@operation("Register a supplier", response="Supplier", errors=(400, 409, 422))
def create_supplier():
    data = json_object()
    return jsonify(supplier_json(supply().register_supplier(name=data.get("name"), address=data.get("address"),
                                                            **_a()))), 201


@bp.post("/supplier-parts")
@requires(Permission.ITEMS_WRITE)
@operation("Record a supplier's offer of a part: its part number, pack size, lead time, price", response="SupplierPart",
           errors=(400, 409, 422))
def create_supplier_part():
    data = json_object()
    offer = supply().register_supplier_part(
        supplier_id=data.get("supplier_id"), part_id=data.get("part_id"),
        supplier_part_number=data.get("supplier_part_number"), pack_size=data.get("pack_size") or "1",
        lead_time_days=data.get("lead_time_days"), unit_price=data.get("unit_price"),
        preferred=bool(data.get("preferred")), **_a())
    return jsonify(offer_json(offer)), 201


# -- lots and stock --------------------------------------------------------------------------------
@bp.get("/lots")
@requires(Permission.ITEMS_READ)
@operation("Lots, newest first", response=None, parameters=(
    query("part_id", "only this part's lots", kind="string"), query("supplier_id", "only this supplier's", kind="string"),
    query("code", "internal or supplier lot code", kind="string")))
def list_lots():
    found = queries.lots(db.session(), part_id=request.args.get("part_id"), supplier_id=request.args.get("supplier_id"),
                         code=request.args.get("code"))
    return jsonify({"lots": [lot_json(lot, part, supplier) for lot, part, supplier in found]})


@bp.post("/lots")
@requires(Permission.ITEMS_WRITE)
@operation("Receive a lot (GS1 AI 10 lot codes are checked when lot_scheme is gs1)", response="Lot", request="NewLot",
           errors=(400, 404, 409, 422))
def receive_lot():
    data = json_object()
    lot = supply().receive_lot(part_id=data.get("part_id"), supplier_id=data.get("supplier_id") or None,
                               supplier_lot_code=data.get("supplier_lot_code"),
                               lot_scheme=data.get("lot_scheme") or "plain", internal_code=data.get("internal_code"),
                               quantity_=data.get("quantity"), on=data.get("date"), location=data.get("location"),
                               purchase_order_id=data.get("purchase_order_id") or None, **_a())
    return jsonify(lot_json(lot)), 201


@bp.get("/lots/<lot_id>")
@requires(Permission.ITEMS_READ)
@operation("A lot with its stock levels and the items it went into", response="Lot",
           parameters=(path("lot_id", "lot id", "string"),), errors=(404,))
def get_lot(lot_id: str):
    lot = _get(Lot, lot_id, "lot")
    return jsonify({**lot_json(lot), "levels": [level_json(level) for level in stock.levels(db.session(), lot_id=lot.id)],
                    "consumed_by": [{"item_id": item.id, "serial": item.serial, "quantity": show(use.quantity),
                                     "at": use.consumed_at.isoformat(), "entry_index": use.entry_index}
                                    for use, item in queries.consumptions(db.session(), lot.id)]})


@bp.post("/lots/<lot_id>/consumptions")
@requires(Permission.ITEMS_WRITE)
@operation("Consume a quantity of the lot into a serialized item", response="EntryIndex",
           parameters=(path("lot_id", "lot id", "string"),), errors=(400, 404, 409, 422))
def consume(lot_id: str):
    data = json_object()
    index = supply().consume(lot_id=lot_id, item_id=data.get("item_id"), quantity_=data.get("quantity"),
                             location=data.get("location"), at=data.get("at"), **_a())
    return jsonify({"entry_index": index}), 201


@bp.post("/lots/<lot_id>/moves")
@requires(Permission.ITEMS_WRITE)
@operation("Move a quantity of the lot between locations", response="EntryIndex",
           parameters=(path("lot_id", "lot id", "string"),), errors=(400, 404, 409, 422))
def move(lot_id: str):
    data = json_object()
    index = supply().move_stock(lot_id=lot_id, quantity_=data.get("quantity"), from_location=data.get("from_location"),
                                to_location=data.get("to_location"), on=data.get("date"), **_a())
    return jsonify({"entry_index": index}), 201


@bp.post("/lots/<lot_id>/counts")
@requires(Permission.ITEMS_WRITE)
@operation("Record a stock count of the lot at a location (the difference is kept in the event)", response="EntryIndex",
           parameters=(path("lot_id", "lot id", "string"),), errors=(400, 404, 422))
def count(lot_id: str):
    data = json_object()
    index = supply().adjust_stock(lot_id=lot_id, location=data.get("location"), counted=data.get("counted"),
                                  reason=data.get("reason"), on=data.get("date"), **_a())
    return jsonify({"entry_index": index}), 201


@bp.get("/stock")
@requires(Permission.ITEMS_READ)
@operation("On hand per part, lot and location", response="Stock",
           parameters=(query("part_id", "only this part", kind="string"),))
def stock_levels():
    return jsonify({"levels": [level_json(level) for level in
                               stock.levels(db.session(), part_id=request.args.get("part_id"))]})


# -- genealogy -----------------------------------------------------------------------------------
@bp.post("/items/<item_id>/components")
@requires(Permission.ITEMS_WRITE)
@operation("Install a serialized component in this assembly", response="EntryIndex",
           parameters=(path("item_id", "assembly item id", "string"),), errors=(400, 404, 409, 422))
def install(item_id: str):
    data = json_object()
    index = supply().install(parent_item_id=item_id, child_item_id=data.get("child_item_id"), at=data.get("at"),
                             position=data.get("position"), **_a())
    return jsonify({"entry_index": index}), 201


@bp.post("/items/<item_id>/components/<child_id>/removal")
@requires(Permission.ITEMS_WRITE)
@operation("Remove a component from this assembly", response="EntryIndex", parameters=(
    path("item_id", "assembly item id", "string"), path("child_id", "component item id", "string")),
    errors=(400, 404, 409, 422))
def remove(item_id: str, child_id: str):
    data = json_object()
    index = supply().remove(parent_item_id=item_id, child_item_id=child_id, at=data.get("at"),
                            reason=data.get("reason"), **_a())
    return jsonify({"entry_index": index}), 201


@bp.get("/items/<item_id>/as-built")
@requires(Permission.ITEMS_READ)
@operation("The item's assembly tree at a time, down to supplier lots (backward trace)", response="AsBuilt",
           parameters=(path("item_id", "item id", "string"), query("at", "ISO 8601 time or date; default now",
                                                                    kind="string")), errors=(400, 404))
def as_built(item_id: str):
    at = queries.when(request.args.get("at"))
    custody(writing=False).item(item_id)
    tree = genealogy.as_built(db.session(), item_id, at)
    return jsonify({"at": at.isoformat(), "tree": node_json(tree)})


@bp.get("/where-used")
@requires(Permission.ITEMS_READ)
@operation("Every top-level item containing a lot, a component or a part made within dates, at a time "
           "(forward trace), with its holder and status", response="WhereUsed", parameters=(
               query("lot", "lot id, internal or supplier lot code", kind="string"),
               query("serial", "component serial or item id", kind="string"),
               query("part", "part id or number", kind="string"),
               query("from", "with part: made on or after (date)", kind="string"),
               query("to", "with part: made on or before (date)", kind="string"),
               query("at", "ISO 8601 time or date; default now", kind="string")), errors=(400, 404, 422))
def where_used():
    args, session = request.args, db.session()
    at = queries.when(args.get("at"))
    start = queries.trace_start(session, lot=args.get("lot"), serial=args.get("serial"), part=args.get("part"),
                                made_from=args.get("from"), made_to=args.get("to"), at=at)
    found = genealogy.where_used(session, start, at)
    personal = current_user.can(Permission.PERSONAL_DATA_READ)
    return jsonify({"at": at.isoformat(), "count": len(found), "items": [
        {"id": item.id, "serial": item.serial, "kind": item.kind, "status": item.status,
         "description": item.description,
         "holder": party_label(session, item.holder_party_id, personal=personal)}
        for item in queries.affected_items(session, found)]})


# -- replenishment and purchase orders -------------------------------------------------------------
def proposal_json(proposal: stock.Proposal) -> dict:
    return {"part": part_json(proposal.part, proposal.on_hand), "on_order": show(proposal.on_order) or "0",
            "quantity": show(proposal.quantity), "supplier": supplier_json(proposal.supplier) if proposal.supplier else None,
            "supplier_part": offer_json(proposal.offer) if proposal.offer else None, "reason": proposal.reason}


@bp.get("/replenishment")
@requires(Permission.ITEMS_READ)
@operation("Parts at or below their reorder point, with the proposed supplier and quantity", response="Replenishment")
def replenishment():
    return jsonify({"proposals": [proposal_json(p) for p in stock.replenishment(db.session())]})


@bp.post("/purchase-orders")
@requires(Permission.ITEMS_WRITE)
@operation("Draft a purchase order: explicit lines for a supplier, or {\"from_proposals\": true} for one draft "
           "per proposed supplier", response=None, errors=(400, 404, 422))
def draft_orders():
    data, service = json_object(), supply()
    if data.get("from_proposals"):
        orders = service.draft_from_proposals(on=data.get("date") or clock.now().date(), part_ids=data.get("part_ids"),
                                              **_a())
    else:
        orders = [service.draft_purchase_order(supplier_id=data.get("supplier_id"), lines=data.get("lines"),
                                               on=data.get("date") or clock.now().date(), note=data.get("note"), **_a())]
    return jsonify({"purchase_orders": [order_json(order) for order in orders]}), 201


@bp.get("/purchase-orders")
@requires(Permission.ITEMS_READ)
@operation("Purchase orders, newest first", response=None)
def list_orders():
    return jsonify({"purchase_orders": [order_json(order) for order, _ in queries.purchase_orders(db.session())]})


@bp.get("/purchase-orders/<order_id>")
@requires(Permission.ITEMS_READ)
@operation("A purchase order with its lines and what was received", response="PurchaseOrder",
           parameters=(path("order_id", "purchase order id", "string"),), errors=(404,))
def get_order(order_id: str):
    return jsonify(order_json(_get(PurchaseOrder, order_id, "purchase order")))


@bp.post("/purchase-orders/<order_id>/status")
@requires(Permission.ITEMS_WRITE)
@operation("Place or cancel a purchase order", response="PurchaseOrder",
           parameters=(path("order_id", "purchase order id", "string"),), errors=(400, 404, 409, 422))
def change_order(order_id: str):
    service = supply()
    service.change_purchase_order(order_id, status=json_object().get("status"), **_a())
    return jsonify(order_json(_get(PurchaseOrder, order_id, "purchase order")))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
