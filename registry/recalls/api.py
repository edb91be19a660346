"""Recalls over JSON: open a campaign, read its counts, units, holders and Part 573 summary, move
units through their states, export the holder list, close it. Writes need `items.write`."""

from __future__ import annotations

from flask import Blueprint, Flask, Response
from flask_login import current_user

from registry import clock
from registry.auth.permissions import Permission, requires
from registry.contract import Page, operation, paged
from registry.csvfile import csv_text
from registry.recalls import queries
from registry.recalls.models import RecallCampaign
from registry.recalls.runtime import reads, recalls
from registry.recalls.schemas import (
    EntryIndex,
    NewRecallCampaign,
    Part573,
    RecallCampaignDetail,
    RecallCampaignOut,
    RecallCampaigns,
    RecallClosing,
    RecallUnits,
    RecallUnitsUpdate,
    RecallUnitUpdate,
    UnitsQuery,
    UnitsUpdated,
)

bp = Blueprint("recalls_api", __name__, url_prefix="/api/v1")
CAMPAIGN = {"campaign_id": "campaign id"}
WRITE_ERRORS = (404, 409, 422)


def _a() -> dict:
    return {"actor": current_user.actor, "now": clock.now()}


def _personal() -> bool:
    return current_user.can(Permission.PERSONAL_DATA_READ)


def campaign_json(campaign: RecallCampaign) -> dict:
    counted = reads.counts(campaign.id)
    return {
        "id": campaign.id,
        "number": campaign.number,
        "title": campaign.title,
        "defect": campaign.defect,
        "remedy": campaign.remedy,
        "basis": campaign.basis,
        "as_of": campaign.as_of.isoformat(),
        "opened_on": campaign.opened_on.isoformat(),
        "opened_entry": campaign.opened_entry,
        "status": campaign.status,
        "closed_on": campaign.closed_on.isoformat() if campaign.closed_on else None,
        "closing_note": campaign.closing_note,
        "population_size": campaign.population_size,
        "population_sha256": campaign.population_sha256,
        "counts": counted,
        "completion": round(queries.completion(counted), 4),
    }


@bp.get("/recalls")
@requires(Permission.ITEMS_READ)
@operation("Recall campaigns, newest first", response=RecallCampaigns, query=Page)
def list_campaigns(params: Page):
    rows, next_cursor = paged(lambda start, count: reads.campaigns(offset=start, limit=count), params)
    return {"campaigns": [campaign_json(c) for c in rows], "next_cursor": next_cursor}


@bp.post("/recalls")
@requires(Permission.ITEMS_WRITE)
@operation(
    "Open a campaign: its population is traced at as_of (default now) and frozen",
    response=RecallCampaignOut,
    status=201,
    body=NewRecallCampaign,
    errors=WRITE_ERRORS,
)
def open_campaign(body: NewRecallCampaign):
    basis = body.basis.model_dump(exclude_none=True) if body.basis is not None else None
    campaign = recalls().open(
        number=body.number,
        title=body.title,
        defect=body.defect,
        remedy=body.remedy,
        basis=basis,
        as_of=body.as_of,
        on=body.date or clock.now().date(),
        **_a(),
    )
    return campaign_json(campaign)


@bp.get("/recalls/<campaign_id>")
@requires(Permission.ITEMS_READ)
@operation(
    "A campaign with its counts per unit state and its completion by day",
    response=RecallCampaignDetail,
    paths=CAMPAIGN,
    errors=(404,),
)
def get_campaign(campaign_id: str):
    campaign = recalls().campaign(campaign_id)
    return {
        **campaign_json(campaign),
        "history": [{"date": day.isoformat(), "complete": done} for day, done in reads.history(campaign)],
    }


@bp.get("/recalls/<campaign_id>/units")
@requires(Permission.ITEMS_READ)
@operation(
    "The campaign's units with their state and holders",
    response=RecallUnits,
    query=UnitsQuery,
    paths=CAMPAIGN,
    errors=(404,),
)
def list_units(campaign_id: str, params: UnitsQuery):
    campaign = recalls().campaign(campaign_id)
    rows, next_cursor = paged(
        lambda start, count: reads.units(
            campaign.id, personal=_personal(), state=params.state, limit=count, offset=start
        ),
        params,
    )
    return {"units": rows, "next_cursor": next_cursor}


HOLDER_COLUMNS = (
    "serial",
    "kind",
    "description",
    "state",
    "updated_on",
    "holder",
    "holder_address",
    "holder_ffl",
    "item_status",
    "item_id",
)


def holder_rows(campaign_id: str, personal: bool) -> list[dict]:
    return [
        {
            "serial": u["serial"],
            "kind": u["kind"],
            "description": u["description"],
            "state": u["state"],
            "updated_on": u["updated_on"],
            "holder": (u["holder"] or {}).get("name"),
            "holder_address": (u["holder"] or {}).get("address"),
            "holder_ffl": (u["holder"] or {}).get("ffl"),
            "item_status": u["item_status"],
            "item_id": u["item_id"],
        }
        for u in reads.units(campaign_id, personal=personal)
    ]


def holders_csv(campaign: RecallCampaign, personal: bool) -> Response:
    return Response(
        csv_text(holder_rows(campaign.id, personal), HOLDER_COLUMNS),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="recall-{campaign.number}-holders.csv"'},
    )


@bp.get("/recalls/<campaign_id>/holders.csv")
@requires(Permission.ITEMS_READ)
@operation(
    "The holder list as CSV (private persons' names need the personal-data permission)",
    response=None,
    media_type="text/csv",
    paths=CAMPAIGN,
    errors=(404,),
)
def export_holders(campaign_id: str):
    return holders_csv(recalls().campaign(campaign_id), _personal())


@bp.get("/recalls/<campaign_id>/part573")
@requires(Permission.ITEMS_READ)
@operation(
    "A Part 573-style summary: involved components, supplier, lot, population, production period",
    response=Part573,
    paths=CAMPAIGN,
    errors=(404,),
)
def part_573(campaign_id: str):
    return reads.part_573(recalls().campaign(campaign_id))


@bp.post("/recalls/<campaign_id>/units/<item_id>")
@requires(Permission.ITEMS_WRITE)
@operation(
    "Move one unit to a new state on a date; a remedy may replace a component",
    response=EntryIndex,
    status=201,
    body=RecallUnitUpdate,
    paths={**CAMPAIGN, "item_id": "item id"},
    errors=WRITE_ERRORS,
)
def update_unit(campaign_id: str, item_id: str, body: RecallUnitUpdate):
    replacement = body.replacement.model_dump(exclude_none=True) if body.replacement is not None else None
    index = recalls().update_unit(
        campaign_id, item_id, state=body.state, on=body.date, replacement=replacement, note=body.note, **_a()
    )
    return {"entry_index": index}


@bp.post("/recalls/<campaign_id>/units")
@requires(Permission.ITEMS_WRITE)
@operation(
    "Move many units to the same state, all or none",
    response=UnitsUpdated,
    status=201,
    body=RecallUnitsUpdate,
    paths=CAMPAIGN,
    errors=WRITE_ERRORS,
)
def update_units(campaign_id: str, body: RecallUnitsUpdate):
    count = recalls().update_units(campaign_id, body.item_ids, state=body.state, on=body.date, note=body.note, **_a())
    return {"updated": count}


@bp.post("/recalls/<campaign_id>/close")
@requires(Permission.ITEMS_WRITE)
@operation(
    "Close the campaign on a date; `confirm` must be true",
    response=RecallCampaignOut,
    body=RecallClosing,
    paths=CAMPAIGN,
    errors=WRITE_ERRORS,
)
def close(campaign_id: str, body: RecallClosing):
    service = recalls()
    service.close(campaign_id, on=body.date, note=body.note, confirmed=body.confirm, **_a())
    return campaign_json(service.campaign(campaign_id))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
