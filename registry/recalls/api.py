"""Recalls over JSON: open a campaign, read its counts, units, holders and Part 573 summary, move
units through their states, export the holder list, close it. Writes need `items.write`."""
from __future__ import annotations


from flask import Blueprint, Flask, Response, jsonify, request
from flask_login import current_user

from registry.auth.permissions import Permission, requires
from registry import clock
from registry.csvfile import csv_text
from registry.errors import json_object
from registry.extensions import db
from registry.openapi import SCHEMAS, operation, path, query
from registry.recalls import queries
from registry.recalls.models import RecallCampaign
from registry.recalls.rules import RecallError
from registry.recalls.runtime import recalls

bp = Blueprint("recalls_api", __name__, url_prefix="/api/v1")

SCHEMAS["RecallCampaign"] = {"type": "object", "required": ["id", "number", "status", "population_size", "counts"],
                             "properties": {
    "id": {"type": "string"}, "number": {"type": "string"}, "title": {"type": "string"}, "defect": {"type": "string"},
    "remedy": {"type": ["string", "null"]}, "basis": {"type": "object"}, "as_of": {"type": "string"},
    "status": {"enum": ["open", "closed"]}, "population_size": {"type": "integer"},
    "population_sha256": {"type": "string"}, "counts": {"type": "object"}, "completion": {"type": "number"},
    "opened_entry": {"type": "integer"}}}
SCHEMAS["NewRecallCampaign"] = {"type": "object", "required": ["number", "title", "defect", "basis"], "properties": {
    "number": {"type": "string"}, "title": {"type": "string"}, "defect": {"type": "string"},
    "remedy": {"type": "string"}, "date": {"type": "string", "format": "date"}, "as_of": {"type": "string"},
    "basis": {"type": "object", "description": "{type: lots, lot_ids: [...]} | {type: part, part_id, made_from, "
                                               "made_to} | {type: serials, serials: [...]}"}}}
SCHEMAS["RecallUnitUpdate"] = {"type": "object", "required": ["state", "date"], "properties": {
    "state": {"enum": ["notified", "remedied", "unreachable", "destroyed"]}, "date": {"type": "string", "format": "date"},
    "note": {"type": "string"},
    "replacement": {"type": "object", "required": ["removed", "installed"], "description":
                    "a remedy that replaces a component: the component taken out of the unit and the one put in "
                    "(each an item id or serial), recorded as a removal and an installation", "properties": {
                        "removed": {"type": "string"}, "installed": {"type": "string"},
                        "at": {"type": "string", "description": "when (default: the remedy date at noon UTC)"}}}}}
SCHEMAS["RecallClosing"] = {"type": "object", "required": ["date", "confirm"], "properties": {
    "date": {"type": "string", "format": "date"}, "confirm": {"const": True}, "note": {"type": "string"}}}
SCHEMAS["RecallUnits"] = {"type": "object", "required": ["units"], "properties": {"units": {"type": "array"}}}
SCHEMAS["Part573"] = {"type": "object", "required": ["campaign_number", "involved_components", "population_size"],
                      "properties": {"campaign_number": {"type": "string"}, "involved_components": {"type": "array"},
                                     "population_size": {"type": "integer"}}}


def _a() -> dict:
    return {"actor": current_user.actor, "now": clock.now()}


def _personal() -> bool:
    return current_user.can(Permission.PERSONAL_DATA_READ)


def campaign_json(campaign: RecallCampaign) -> dict:
    counted = queries.counts(db.session(), campaign.id)
    return {"id": campaign.id, "number": campaign.number, "title": campaign.title, "defect": campaign.defect,
            "remedy": campaign.remedy, "basis": campaign.basis, "as_of": campaign.as_of.isoformat(),
            "opened_on": campaign.opened_on.isoformat(), "opened_entry": campaign.opened_entry,
            "status": campaign.status, "closed_on": campaign.closed_on.isoformat() if campaign.closed_on else None,
            "closing_note": campaign.closing_note, "population_size": campaign.population_size,
            "population_sha256": campaign.population_sha256, "counts": counted,
            "completion": round(queries.completion(counted), 4)}


@bp.get("/recalls")
@requires(Permission.ITEMS_READ)
@operation("Recall campaigns, newest first", response=None)
def list_campaigns():
    return jsonify({"campaigns": [campaign_json(c) for c in queries.campaigns(db.session())]})


@bp.post("/recalls")
@requires(Permission.ITEMS_WRITE)
@operation("Open a campaign: its population is traced at as_of (default now) and frozen", response="RecallCampaign",
           request="NewRecallCampaign", errors=(400, 404, 409, 422))
def open_campaign():
    data = json_object()
    campaign = recalls().open(number=data.get("number"), title=data.get("title"), defect=data.get("defect"),
                              remedy=data.get("remedy"), basis=data.get("basis"), as_of=data.get("as_of"),
                              on=data.get("date") or clock.now().date(), **_a())
    return jsonify(campaign_json(campaign)), 201


@bp.get("/recalls/<campaign_id>")
@requires(Permission.ITEMS_READ)
@operation("A campaign with its counts per unit state", response="RecallCampaign",
           parameters=(path("campaign_id", "campaign id", "string"),), errors=(404,))
def get_campaign(campaign_id: str):
    campaign = recalls().campaign(campaign_id)
    return jsonify({**campaign_json(campaign), "history": [
        {"date": day.isoformat(), "complete": done} for day, done in queries.history(db.session(), campaign)]})


@bp.get("/recalls/<campaign_id>/units")
@requires(Permission.ITEMS_READ)
@operation("The campaign's units with their state and holders", response="RecallUnits", parameters=(
    path("campaign_id", "campaign id", "string"), query("state", "only units in this state", kind="string"),
    query("limit", "at most this many (default 1000)"), query("offset", "skip this many")), errors=(400, 404))
def list_units(campaign_id: str):
    campaign = recalls().campaign(campaign_id)
    try:
        limit, offset = int(request.args.get("limit", 1000)), int(request.args.get("offset", 0))
    except ValueError:
        raise RecallError("'limit' and 'offset' are whole numbers", code="invalid_parameter", status=400,
                          field="limit") from None
    return jsonify({"units": queries.units(db.session(), campaign.id, personal=_personal(), state=request.args.get("state"),
                                           limit=max(1, min(limit, 10_000)), offset=max(0, offset))})


HOLDER_COLUMNS = ("serial", "kind", "description", "state", "updated_on", "holder", "holder_address", "holder_ffl",
                  "item_status", "item_id")


def holder_rows(campaign_id: str, personal: bool) -> list[dict]:
    return [{"serial": u["serial"], "kind": u["kind"], "description": u["description"], "state": u["state"],
             "updated_on": u["updated_on"], "holder": (u["holder"] or {}).get("name"),
             "holder_address": (u["holder"] or {}).get("address"), "holder_ffl": (u["holder"] or {}).get("ffl"),
             "item_status": u["item_status"], "item_id": u["item_id"]}
            for u in queries.units(db.session(), campaign_id, personal=personal)]


def holders_csv(campaign: RecallCampaign, personal: bool) -> Response:
    return Response(csv_text(holder_rows(campaign.id, personal), HOLDER_COLUMNS), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="recall-{campaign.number}-holders.csv"'})


@bp.get("/recalls/<campaign_id>/holders.csv")
@requires(Permission.ITEMS_READ)
@operation("The holder list as CSV (private persons' names need the personal-data permission)", response=None,
           media_type="text/csv", parameters=(path("campaign_id", "campaign id", "string"),), errors=(404,))
def export_holders(campaign_id: str):
    return holders_csv(recalls().campaign(campaign_id), _personal())


@bp.get("/recalls/<campaign_id>/part573")
@requires(Permission.ITEMS_READ)
@operation("A Part 573-style summary: involved components, supplier, lot, population, production period",
           response="Part573", parameters=(path("campaign_id", "campaign id", "string"),), errors=(404,))
def part_573(campaign_id: str):
    return jsonify(queries.part_573(db.session(), recalls().campaign(campaign_id)))


@bp.post("/recalls/<campaign_id>/units/<item_id>")
@requires(Permission.ITEMS_WRITE)
@operation("Move one unit to a new state on a date; a remedy may replace a component", response=None,
           request="RecallUnitUpdate",
           parameters=(path("campaign_id", "campaign id", "string"), path("item_id", "item id", "string")),
           errors=(400, 404, 409, 422))
def update_unit(campaign_id: str, item_id: str):
    data = json_object()
    index = recalls().update_unit(campaign_id, item_id, state=data.get("state"), on=data.get("date"),
                                  replacement=data.get("replacement"),
                                  note=data.get("note"), **_a())
    return jsonify({"entry_index": index}), 201


@bp.post("/recalls/<campaign_id>/units")
@requires(Permission.ITEMS_WRITE)
@operation("Move many units to the same state, all or none", response=None,
           parameters=(path("campaign_id", "campaign id", "string"),), errors=(400, 404, 409, 422))
def update_units(campaign_id: str):
    data = json_object()
    count = recalls().update_units(campaign_id, data.get("item_ids"), state=data.get("state"), on=data.get("date"),
                                   note=data.get("note"), **_a())
    return jsonify({"updated": count}), 201


@bp.post("/recalls/<campaign_id>/close")
@requires(Permission.ITEMS_WRITE)
@operation("Close the campaign on a date; `confirm` must be true", response="RecallCampaign", request="RecallClosing", parameters=(path("campaign_id", "campaign id", "string"),),
           errors=(400, 404, 409, 422))
def close(campaign_id: str):
    data = json_object()
    service = recalls()
    confirmed = data.get("confirm", False)
    if not isinstance(confirmed, bool):
        raise RecallError("'confirm' must be true or false", code="invalid_field", field="confirm")
    service.close(campaign_id, on=data.get("date"), note=data.get("note"), confirmed=confirmed, **_a())
    return jsonify(campaign_json(service.campaign(campaign_id)))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
