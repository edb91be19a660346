"""Custody over JSON: parties, items and their events, search, the bound book, trace requests and
compliance signals. Writes need `items.write` (officers); reads `items.read`; private persons' names
and addresses only with `personal_data.read`."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Flask, Response, jsonify, request
from flask_login import current_user

from registry import clock, fields
from registry.auth.permissions import Permission, requires
from registry.custody import queries
from registry.custody.models import CustodyRecord, Item, Party
from registry.custody.rules import CustodyError
from registry.custody.runtime import custody
from registry.csvfile import csv_text
from registry.errors import NotFoundError, json_object, problem_response
from registry.extensions import db
from registry.ledger.locking import write_transaction
from registry.openapi import SCHEMAS, operation, path, query

bp = Blueprint("custody_api", __name__, url_prefix="/api/v1")

SCHEMAS["Party"] = {"type": "object", "required": ["id", "kind"], "properties": {
    "id": {"type": "string"}, "kind": {"enum": ["licensee", "organisation", "person"]}, "name": {"type": ["string", "null"]},
    "address": {"type": ["string", "null"]}, "ffl": {"type": ["string", "null"]}, "registered_entry": {"type": "integer"}}}
SCHEMAS["NewParty"] = {"type": "object", "required": ["kind"], "properties": {
    "kind": {"enum": ["licensee", "organisation", "person"]}, "ffl": {"type": "string"}, "name": {"type": "string"},
    "address": {"type": "string"}, "full_name": {"type": "string"},
    "id_type": {"type": "string", "description": "identity document type (driver licence, passport, ...)"},
    "id_issuer": {"type": "string", "description": "the authority that issued it (e.g. TX, US)"},
    "id_number": {"type": "string"},
    "id_document": {"type": "string", "description": "the document as one line, when it is not given in parts"},
    "confirm_distinct": {"type": "boolean", "description": "register a person although one with the same name "
                                                           "and address exists (409 possible_duplicate_person)"}}}
SCHEMAS["Item"] = {"type": "object", "required": ["id", "kind", "scheme", "serial", "serial_normalized", "status"],
                   "properties": {"id": {"type": "string"}, "kind": {"type": "string"}, "scheme": {"type": "string"},
                                  "serial": {"type": "string"}, "serial_normalized": {"type": "string"},
                                  "status": {"type": "string"}, "holder": {"type": ["object", "null"]},
                                  "attributes": {"type": "object"}, "registered_entry": {"type": "integer"}}}
SCHEMAS["ItemList"] = {"type": "object", "required": ["items", "next_cursor"], "properties": {
    "items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}, "next_cursor": {"type": ["string", "null"]}}}
SCHEMAS["NewItem"] = {"type": "object", "required": ["kind", "scheme", "serial", "date"], "properties": {
    "kind": {"enum": ["firearm", "vehicle", "goods"]}, "scheme": {"type": "string"}, "serial": {"type": "string"},
    "date": {"type": "string", "format": "date"}, "options": {"type": "object"},
    "override_justification": {"type": "string"}, "manufacturer": {"type": "string"}, "importer": {"type": "string"},
    "model": {"type": "string"}, "type": {"type": "string"}, "caliber": {"type": "string"}, "country": {"type": "string"},
    "model_year": {"type": "integer"}, "description": {"type": "string"}}}
SCHEMAS["CustodyEvent"] = {"type": "object", "required": ["entry_index"], "properties": {
    "entry_index": {"type": "integer"}, "item": {"$ref": "#/components/schemas/Item"}}}
SCHEMAS["ItemDetail"] = {"type": "object", "required": ["item", "timeline"], "properties": {
    "item": {"$ref": "#/components/schemas/Item"}, "timeline": {"type": "array"}}}
SCHEMAS["BoundBook"] = {"type": "object", "required": ["rows", "columns"], "properties": {
    "rows": {"type": "array"}, "columns": {"type": "array"}, "view": {"type": "string"}}}
SCHEMAS["Trace"] = {"type": "object", "required": ["received_at", "serial", "items"], "properties": {
    "received_at": {"type": "string"}, "serial": {"type": "string"}, "items": {"type": "array"}}}
SCHEMAS["Signals"] = {"type": "object", "required": ["multiple_sales", "thefts", "open_acquisitions", "totals"],
                      "properties": {"multiple_sales": {"type": "array"}, "thefts": {"type": "array"},
                                     "open_acquisitions": {"type": "array"}, "totals": {"type": "object"}}}


def _personal() -> bool:
    return current_user.can(Permission.PERSONAL_DATA_READ)


def item_json(item: Item) -> dict:
    return {"id": item.id, "kind": item.kind, "scheme": item.scheme, "serial": item.serial,
            "serial_normalized": item.serial_normalized, "status": item.status,
            "holder": queries.party_label(db.session(), item.holder_party_id, personal=_personal()),
            "manufacturer": item.manufacturer, "importer": item.importer, "model": item.model, "type": item.type,
            "caliber": item.caliber, "country": item.country, "model_year": item.model_year,
            "description": item.description, "attributes": item.attributes, "acquired": item.acquired,
            "registered_entry": item.registered_entry, "last_event_date": item.last_event_date.isoformat()}


def record_json(record: CustodyRecord) -> dict:
    """A custody record as it reads now (corrections folded in) and, once corrected, as first written."""
    session, personal = db.session(), _personal()
    out = {"entry_index": record.entry_index, "type": record.type, "date": record.on.isoformat(),
           "party": queries.party_label(session, record.party_id, personal=personal),
           "details": dict(record.details), "corrects": record.corrects, "actor": record.actor,
           "recorded_at": record.recorded_at.isoformat()}
    if record.original_details is not None:
        out["original"] = {"date": record.first_on.isoformat(), "details": dict(record.first_details),
                           "party": queries.party_label(session, record.first_party_id, personal=personal)}
    return out


def _now():
    return clock.now()


@bp.post("/parties")
@requires(Permission.ITEMS_WRITE)
@operation("Register a licensee, an organisation or a private person", response="Party", request="NewParty",
           errors=(400, 409, 422))
def create_party():
    data, service = json_object(), custody()
    kind = data.get("kind")
    if kind == "licensee":
        party = service.register_licensee(ffl=data.get("ffl"), name=data.get("name"), address=data.get("address"),
                                          actor=current_user.actor, now=_now())
    elif kind == "organisation":
        party = service.register_organisation(name=data.get("name"), address=data.get("address"),
                                              actor=current_user.actor, now=_now())
    elif kind == "person":
        confirm = data.get("confirm_distinct", False)
        if not isinstance(confirm, bool):
            raise CustodyError("'confirm_distinct' must be true or false", code="invalid_field", field="confirm_distinct")
        party = service.register_person(full_name=data.get("full_name"), address=data.get("address"),
                                        id_document=data.get("id_document"), id_type=data.get("id_type"),
                                        id_issuer=data.get("id_issuer"), id_number=data.get("id_number"),
                                        confirm_distinct=confirm, actor=current_user.actor, now=_now())
    else:
        raise CustodyError("'kind' must be licensee, organisation or person", code="invalid_kind", field="kind")
    return jsonify({**queries.party_label(db.session(), party.id, personal=_personal()),
                    "registered_entry": party.registered_entry}), 201


@bp.get("/parties/<party_id>")
@requires(Permission.ITEMS_READ)
@operation("One party; a private person's name and address need the personal-data permission", response="Party",
           parameters=(path("party_id", "party id", "string"),), errors=(404,))
def get_party(party_id: str):
    party = db.session.get(Party, party_id)
    if party is None:
        raise NotFoundError(f"there is no party {party_id}", field="party_id")
    return jsonify({**queries.party_label(db.session(), party.id, personal=_personal()),
                    "registered_entry": party.registered_entry})


ITEM_FACTS = ("manufacturer", "importer", "model", "type", "caliber", "country", "model_year", "description")


@bp.post("/items")
@requires(Permission.ITEMS_WRITE)
@operation("Register an item; its serial is validated (an override needs a justification)", response="Item",
           request="NewItem", errors=(400, 409, 422))
def create_item():
    data = json_object()
    unknown = sorted(set(data) - {"kind", "scheme", "serial", "date", "options", "override_justification", *ITEM_FACTS})
    if unknown:
        raise CustodyError(f"unknown field {unknown[0]!r}", code="unknown_field", field=unknown[0])
    item = custody().register_item(
        kind=data.get("kind"), scheme=data.get("scheme"), serial=data.get("serial"), on=data.get("date"),
        options=data.get("options") or {}, override_justification=data.get("override_justification"),
        actor=current_user.actor, now=_now(), **{k: data[k] for k in ITEM_FACTS if k in data})
    return jsonify(item_json(item)), 201


@bp.get("/items")
@requires(Permission.ITEMS_READ)
@operation("Search items: exact serial (normalised, any scheme) and filters", response="ItemList",
           parameters=(query("serial", "serial as marked or normalised", kind="string"),
                       query("kind", "firearm, vehicle or goods", kind="string"), query("status", "status", kind="string"),
                       query("holder", "holder party id", kind="string"),
                       query("manufacturer", "manufacturer (exact, any case)", kind="string"),
                       query("from", "last event on or after (YYYY-MM-DD)", kind="string"),
                       query("to", "last event on or before", kind="string"),
                       query("cursor", "next_cursor of the previous page", kind="string"),
                       query("limit", "1-200 (default 50)")), errors=(400,))
def list_items():
    args = request.args
    limit = _int(args.get("limit"), 50, "limit", 1, 200)
    found = queries.search(db.session(), serial=args.get("serial"), kind=args.get("kind"), status=args.get("status"),
                           holder=args.get("holder"), manufacturer=args.get("manufacturer"),
                           date_from=_date(args.get("from"), "from"), date_to=_date(args.get("to"), "to"),
                           after=args.get("cursor"), limit=limit + 1)
    page = found[:limit]
    return jsonify({"items": [item_json(i) for i in page], "next_cursor": page[-1].id if len(found) > limit else None})


SCHEMAS["ImportReport"] = {"type": "object", "required": ["rows", "imported", "already_imported", "committed", "problems"],
                           "properties": {"rows": {"type": "integer"}, "imported": {"type": "integer"},
                                          "already_imported": {"type": "integer"}, "committed": {"type": "boolean"},
                                          "problems": {"type": "array", "items": {"type": "object", "properties": {
                                              "row": {"type": "integer"}, "column": {"type": ["string", "null"]},
                                              "code": {"type": "string"}, "message": {"type": "string"}}}}}}


@bp.post("/items/import")
@requires(Permission.ITEMS_WRITE)
@operation("Import acquisitions from a CSV body (text/csv); every bad row is reported, and a file with a bad "
           "row commits nothing unless skip_invalid=true", response="ImportReport",
           parameters=(query("recipient_party_id", "the receiving licensee", required=True, kind="string"),
                       query("skip_invalid", "true to import the good rows of a file with bad ones", kind="string")),
           errors=(400, 422))
def import_items():
    from registry.custody import bulk
    text = request.get_data(as_text=True)
    rows = bulk.read_csv(text)
    report = bulk.import_rows(custody(), rows, recipient_party_id=request.args.get("recipient_party_id"),
                              actor=current_user.actor, now=_now(),
                              skip_invalid=request.args.get("skip_invalid") == "true")
    if report.committed:
        return jsonify(report.to_dict())
    return problem_response(422, "invalid_rows", "Bad rows: nothing was imported",
                            f"{len(report.problems)} of {report.rows} rows are bad", "file", {"report": report.to_dict()})


@bp.get("/items/<item_id>")
@requires(Permission.ITEMS_READ)
@operation("An item with its custody timeline", response="ItemDetail", parameters=(path("item_id", "item id", "string"),),
           errors=(404,))
def get_item(item_id: str):
    item = custody(writing=False).item(item_id)
    return jsonify({"item": item_json(item), "timeline": [record_json(r) for r in queries.timeline(db.session(), item.id)]})


def _recorded(item_id: str, record):
    """Run one custody write (`record(service)` returns its entry index) and answer with the item as
    it stands afterwards, read inside the same transaction: after the commit it would be read again."""
    service = custody()
    with write_transaction(service.session):
        index = record(service)
        item = item_json(service.item(item_id))
    return jsonify({"entry_index": index, "item": item}), 201


@bp.post("/items/<item_id>/acquisitions")
@requires(Permission.ITEMS_WRITE)
@operation("Record an acquisition (27 CFR 478.125(e) receipt)", response="CustodyEvent",
           parameters=(path("item_id", "item id", "string"),), errors=(400, 404, 409, 422))
def acquire(item_id: str):
    data = json_object()
    return _recorded(item_id, lambda service: service.acquire(
        item_id, on=data.get("date"), source_party_id=data.get("source_party_id"),
        recipient_party_id=data.get("recipient_party_id"), reference=data.get("reference"),
        actor=current_user.actor, now=_now()))


@bp.post("/items/<item_id>/dispositions")
@requires(Permission.ITEMS_WRITE)
@operation("Record a disposition by the current holder", response="CustodyEvent",
           parameters=(path("item_id", "item id", "string"),), errors=(400, 404, 409, 422))
def dispose(item_id: str):
    data = json_object()
    return _recorded(item_id, lambda service: service.dispose(
        item_id, on=data.get("date"), from_party_id=data.get("from_party_id"),
        transferee_party_id=data.get("transferee_party_id"), form_4473=data.get("form_4473"),
        actor=current_user.actor, now=_now()))


@bp.post("/items/<item_id>/transfers")
@requires(Permission.ITEMS_WRITE)
@operation("Record a transfer between parties", response="CustodyEvent",
           parameters=(path("item_id", "item id", "string"),), errors=(400, 404, 409, 422))
def transfer(item_id: str):
    data = json_object()
    return _recorded(item_id, lambda service: service.transfer(
        item_id, on=data.get("date"), to_party_id=data.get("to_party_id"), from_party_id=data.get("from_party_id"),
        actor=current_user.actor, now=_now()))


@bp.post("/items/<item_id>/status")
@requires(Permission.ITEMS_WRITE)
@operation("Record stolen, lost, recovered, destroyed, exported or quarantined", response="CustodyEvent",
           parameters=(path("item_id", "item id", "string"),), errors=(400, 404, 409, 422))
def change_status(item_id: str):
    data = json_object()
    return _recorded(item_id, lambda service: service.change_status(
        item_id, status=data.get("status"), on=data.get("date"), atf_incident=data.get("atf_incident"),
        police_report=data.get("police_report"), discovered_at=data.get("discovered_at"), note=data.get("note"),
        actor=current_user.actor, now=_now()))


@bp.post("/items/<item_id>/corrections")
@requires(Permission.ITEMS_WRITE)
@operation("Record a correction beside the original entry", response="CustodyEvent",
           parameters=(path("item_id", "item id", "string"),), errors=(400, 404, 409, 422))
def correct(item_id: str):
    data = json_object()
    return _recorded(item_id, lambda service: service.correct(
        item_id, corrects=data.get("corrects"), fields=data.get("fields"), reason=data.get("reason"),
        actor=current_user.actor, now=_now()))


@bp.get("/bound-book")
@requires(Permission.ITEMS_READ)
@operation("The A&D record for a period, in ATF column order (JSON, or CSV with format=csv)", response="BoundBook",
           parameters=(query("from", "first day (YYYY-MM-DD)", required=True, kind="string"),
                       query("to", "last day", required=True, kind="string"),
                       query("licensee", "receiving licensee party id", kind="string"),
                       query("view", "originals, corrected or both (default)", kind="string"),
                       query("format", "json (default) or csv", kind="string")), errors=(400,))
def bound_book():
    rows, view = book_rows()
    data = [queries.book_row_dict(row) for row in rows]
    if request.args.get("format") == "csv":
        return Response(to_csv(data), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=bound-book.csv"})
    return jsonify({"view": view, "columns": list(queries.BOOK_COLUMNS), "rows": data})


def book_rows():
    args = request.args
    date_from, date_to = _date(args.get("from"), "from", required=True), _date(args.get("to"), "to", required=True)
    if date_to > clock.latest_day(_now()):
        raise CustodyError(f"the period ends on {date_to}, a date no place on Earth has reached yet",
                           code="future_date", status=400, field="to")
    if date_from > date_to:
        raise CustodyError("the period's start follows its end", code="invalid_parameter", status=400, field="from")
    view = args.get("view") or "both"
    if view not in queries.CORRECTION_VIEWS:
        raise CustodyError("'view' must be originals, corrected or both", code="invalid_parameter", status=400,
                           field="view")
    return queries.bound_book(db.session(), date_from=date_from, date_to=date_to, licensee=args.get("licensee") or None,
                              view=view, personal=_personal()), view


def to_csv(rows: list[dict]) -> str:
    return csv_text(rows, queries.BOOK_COLUMNS)


@bp.get("/trace")
@requires(Permission.ITEMS_READ)
@operation("Trace request: a firearm's acquisition source and disposition", response="Trace",
           parameters=(query("serial", "serial", required=True, kind="string"),
                       query("manufacturer", "manufacturer", kind="string")), errors=(400,))
def trace():
    serial = (request.args.get("serial") or "").strip()
    if not serial:
        raise CustodyError("'serial' is required", code="missing_field", status=400, field="serial")
    answer = queries.trace(db.session(), serial, request.args.get("manufacturer"), now=_now(), personal=_personal())
    return jsonify({"received_at": answer.received_at.isoformat(), "serial": answer.serial, "items": [{
        "item": item_json(a["item"]),
        "acquisition": None if a["acquisition"] is None else {**record_json(a["acquisition"]), "source": a["source"]},
        "disposition": None if a["disposition"] is None else {**record_json(a["disposition"]),
                                                              "transferee": a["transferee"]},
    } for a in answer.items]})


@bp.get("/signals")
@requires(Permission.ITEMS_READ)
@operation("Multiple handgun sales, thefts with their 48-hour deadline, open acquisitions (each list holds at "
           "most 200 rows, the most pressing first; `totals` counts them all)", response="Signals")
def signals():
    session, now = db.session(), _now()
    sales, missing = queries.multiple_sales(session), queries.thefts(session, now=now)
    held = queries.open_acquisitions(session, today=now.date())
    serials = queries.serials_of(session, {i for flag in sales.rows for i in flag.item_ids})
    return jsonify({
        "multiple_sales": [{"entry_index": f.entry_index, "party_id": f.party_id, "item_ids": f.item_ids,
                            "serials": [serials.get(i) for i in f.item_ids],
                            "first_date": f.first_date.isoformat(), "last_date": f.last_date.isoformat()}
                           for f in sales.rows],
        "thefts": [{"item_id": t["item"].id, "serial": t["item"].serial, "status": t["item"].status,
                    "discovered_at": t["discovered_at"].isoformat(), "deadline": t["deadline"].isoformat(),
                    "overdue": t["overdue"]} for t in missing.rows],
        "open_acquisitions": [{"item_id": o["item"].id, "serial": o["item"].serial, "acquired_on": o["acquired_on"].isoformat(),
                               "age_days": o["age_days"]} for o in held.rows],
        "totals": {"multiple_sales": sales.total, "thefts": missing.total, "open_acquisitions": held.total},
    })


def _int(raw, default: int, field: str, low: int, high: int) -> int:
    if raw in (None, ""):
        return default
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise CustodyError(f"{field!r} must be an integer from {low} to {high}", code="invalid_parameter", status=400,
                           field=field)
    return int(raw)


def _date(raw, field: str, *, required: bool = False) -> date | None:
    if raw in (None, ""):
        if required:
            raise CustodyError(f"{field!r} is required", code="missing_field", status=400, field=field)
        return None
    try:
        found = date.fromisoformat(raw)
    except ValueError:
        raise CustodyError(f"{field!r} must be a date YYYY-MM-DD", code="invalid_date", status=400, field=field) from None
    if not fields.EARLIEST_YEAR <= found.year <= fields.LATEST_YEAR:
        raise CustodyError(f"{field!r} must lie between {fields.EARLIEST_YEAR} and {fields.LATEST_YEAR}",
                           code="invalid_date", status=400, field=field)
    return found


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
