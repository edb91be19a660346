"""Custody over JSON: parties, items and their events, search, the bound book, trace requests and
compliance signals. Writes need `items.write` (officers); reads `items.read`; private persons' names
and addresses only with `personal_data.read`."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Flask, Response, request, url_for
from flask_login import current_user

from registry import clock, fields
from registry.auth.permissions import Permission, requires
from registry.contract import operation
from registry.csvfile import csv_text
from registry.custody import queries
from registry.custody.models import CustodyRecord, Item, Party
from registry.custody.rules import CustodyError
from registry.custody.runtime import custody, reads
from registry.custody.schemas import (
    Acquisition,
    BookQuery,
    BoundBook,
    Correction,
    CustodyEvent,
    Disposition,
    ImportJobOut,
    ImportQuery,
    ImportReport,
    ItemDetail,
    ItemFacts,
    ItemList,
    ItemOut,
    ItemSearch,
    NewItem,
    NewParty,
    PartyOut,
    Signals,
    StatusChange,
    Trace,
    TraceQuery,
    Transfer,
)
from registry.errors import NotFoundError, problem_response
from registry.ledger.runtime import sequencer

bp = Blueprint("custody_api", __name__, url_prefix="/api/v1")
ITEM_PATH = {"item_id": "item id"}
WRITE_ERRORS = (404, 409, 422)


def _personal() -> bool:
    return current_user.can(Permission.PERSONAL_DATA_READ)


def item_json(item: Item, personal: bool | None = None) -> dict:
    """The item as the API shows it; `personal` (default: the signed-in user's permission) says
    whether a private holder is named."""
    if personal is None:
        personal = _personal()
    return {
        "id": item.id,
        "kind": item.kind,
        "scheme": item.scheme,
        "serial": item.serial,
        "serial_normalized": item.serial_normalized,
        "status": item.status,
        "holder": reads.party_label(item.holder_party_id, personal=personal),
        "manufacturer": item.manufacturer,
        "importer": item.importer,
        "model": item.model,
        "type": item.type,
        "caliber": item.caliber,
        "country": item.country,
        "model_year": item.model_year,
        "description": item.description,
        "attributes": item.attributes,
        "acquired": item.acquired,
        "registered_entry": item.registered_entry,
        "last_event_date": item.last_event_date.isoformat(),
    }


def record_json(record: CustodyRecord) -> dict:
    """A custody record as it reads now (corrections folded in) and, once corrected, as first written."""
    personal = _personal()
    out = {
        "entry_index": record.entry_index,
        "type": record.type,
        "date": record.on.isoformat(),
        "party": reads.party_label(record.party_id, personal=personal),
        "details": dict(record.details),
        "corrects": record.corrects,
        "actor": record.actor,
        "recorded_at": record.recorded_at.isoformat(),
    }
    if record.original_details is not None:
        out["original"] = {
            "date": record.first_on.isoformat(),
            "details": dict(record.first_details),
            "party": reads.party_label(record.first_party_id, personal=personal),
        }
    return out


@bp.post("/parties")
@requires(Permission.ITEMS_WRITE)
@operation(
    "Register a licensee, an organisation or a private person",
    response=PartyOut,
    status=201,
    body=NewParty,
    errors=(409, 422),
)
def create_party(body: NewParty):
    service = custody()
    if body.kind == "licensee":
        party = service.register_licensee(
            ffl=body.ffl, name=body.name, address=body.address, actor=current_user.actor, now=clock.now()
        )
    elif body.kind == "organisation":
        party = service.register_organisation(
            name=body.name, address=body.address, actor=current_user.actor, now=clock.now()
        )
    else:
        party = service.register_person(
            full_name=body.full_name,
            address=body.address,
            id_document=body.id_document,
            id_type=body.id_type,
            id_issuer=body.id_issuer,
            id_number=body.id_number,
            confirm_distinct=body.confirm_distinct,
            actor=current_user.actor,
            now=clock.now(),
        )
    return {**reads.party_label(party.id, personal=_personal()), "registered_entry": party.registered_entry}


@bp.get("/parties/<party_id>")
@requires(Permission.ITEMS_READ)
@operation(
    "One party; a private person's name and address need the personal-data permission",
    response=PartyOut,
    paths={"party_id": "party id"},
    errors=(404,),
)
def get_party(party_id: str):
    party = reads.get(Party, party_id)
    if party is None:
        raise NotFoundError(f"there is no party {party_id}", field="party_id")
    return {**reads.party_label(party.id, personal=_personal()), "registered_entry": party.registered_entry}


@bp.post("/items")
@requires(Permission.ITEMS_WRITE)
@operation(
    "Register an item; its serial is validated (an override needs a justification)",
    response=ItemOut,
    status=201,
    body=NewItem,
    errors=WRITE_ERRORS,
)
def create_item(body: NewItem):
    facts = {name: getattr(body, name) for name in ItemFacts.model_fields if name in body.model_fields_set}
    return item_json(
        custody().register_item(
            kind=body.kind,
            scheme=body.scheme,
            serial=body.serial,
            on=body.date,
            options=body.options,
            override_justification=body.override_justification,
            actor=current_user.actor,
            now=clock.now(),
            **facts,
        )
    )


@bp.get("/items")
@requires(Permission.ITEMS_READ)
@operation("Search items: exact serial (normalised, any scheme) and filters", response=ItemList, query=ItemSearch)
def list_items(params: ItemSearch):
    found = reads.search(
        serial=params.serial,
        kind=params.kind,
        status=params.status,
        holder=params.holder,
        manufacturer=params.manufacturer,
        date_from=_date(params.from_, "from"),
        date_to=_date(params.to, "to"),
        after=params.cursor,
        limit=params.limit + 1,
    )
    page = found[: params.limit]
    return {"items": [item_json(i) for i in page], "next_cursor": page[-1].id if len(found) > params.limit else None}


@bp.post("/items/import")
@requires(Permission.ITEMS_WRITE)
@operation(
    "Import acquisitions from a CSV body (text/csv) in one transaction; every bad row is reported, and a "
    "file with a bad row commits nothing unless skip_invalid=true. A large file (or background=true) is "
    "imported by a background job: 202 with the job, whose URL is in Location",
    response=ImportReport,
    query=ImportQuery,
    body_media="text/csv",
    errors=(422, 503),
    other={202: (ImportJobOut, "the file is being imported in the background; follow the job")},
    headers={"Location": "with 202: the job's URL"},
)
def import_items(params: ImportQuery):
    from registry.custody import bulk, imports

    text = request.get_data(as_text=True)
    large = imports.line_count(text) > imports.FOREGROUND_ROWS
    if params.background == "true" or (params.background == "auto" and large):
        job = imports.submit(
            text,
            recipient_party_id=params.recipient_party_id,
            skip_invalid=params.skip_invalid == "true",
            actor=current_user.actor,
        )
        return Response(
            ImportJobOut.model_validate(imports.job_json(job)).model_dump_json(),
            status=202,
            mimetype="application/json",
            headers={"Location": url_for("custody_api.import_job", job_id=job.id)},
        )
    rows = bulk.read_csv(text)
    report = bulk.import_rows(
        custody(),
        rows,
        recipient_party_id=params.recipient_party_id,
        actor=current_user.actor,
        now=clock.now(),
        skip_invalid=params.skip_invalid == "true",
    )
    if report.committed:
        return report.to_dict()
    return problem_response(
        422,
        "invalid_rows",
        "Bad rows: nothing was imported",
        f"{len(report.problems)} of {report.rows} rows are bad",
        "file",
        {"report": report.to_dict()},
    )


@bp.get("/items/imports/<job_id>")
@requires(Permission.ITEMS_WRITE)
@operation(
    "An import job of yours: status, progress in percent, and the row report when the rows are checked",
    response=ImportJobOut,
    paths={"job_id": "import job id"},
    errors=(404,),
)
def import_job(job_id: str):
    from registry.custody import imports

    return imports.job_json(imports.own_job(job_id, current_user.actor))


@bp.get("/items/<item_id>")
@requires(Permission.ITEMS_READ)
@operation("An item with its custody timeline", response=ItemDetail, paths=ITEM_PATH, errors=(404,))
def get_item(item_id: str):
    item = custody(writing=False).item(item_id)
    return {"item": item_json(item), "timeline": [record_json(r) for r in reads.timeline(item.id)]}


def _recorded(item_id: str, record):
    """Run one custody write (`record(service, actor, now)` returns its entry index) in the process's
    group commit, and answer with the item as it stands afterwards, read inside the same transaction
    (after the commit it would be read again). The actor and the time are taken here, on the
    request's thread (with what it may see): the write may run on another request's thread."""
    actor, now, personal = current_user.actor, clock.now(), _personal()

    def write():
        service = custody()
        index = record(service, actor, now)
        return {"entry_index": index, "item": item_json(service.item(item_id), personal)}

    return sequencer().run(write)


@bp.post("/items/<item_id>/acquisitions")
@requires(Permission.ITEMS_WRITE)
@operation(
    "Record an acquisition (27 CFR 478.125(e) receipt)",
    response=CustodyEvent,
    status=201,
    body=Acquisition,
    paths=ITEM_PATH,
    errors=WRITE_ERRORS,
)
def acquire(item_id: str, body: Acquisition):
    return _recorded(
        item_id,
        lambda service, actor, now: service.acquire(
            item_id,
            on=body.date,
            source_party_id=body.source_party_id,
            recipient_party_id=body.recipient_party_id,
            reference=body.reference,
            actor=actor,
            now=now,
        ),
    )


@bp.post("/items/<item_id>/dispositions")
@requires(Permission.ITEMS_WRITE)
@operation(
    "Record a disposition by the current holder",
    response=CustodyEvent,
    status=201,
    body=Disposition,
    paths=ITEM_PATH,
    errors=WRITE_ERRORS,
)
def dispose(item_id: str, body: Disposition):
    return _recorded(
        item_id,
        lambda service, actor, now: service.dispose(
            item_id,
            on=body.date,
            from_party_id=body.from_party_id,
            transferee_party_id=body.transferee_party_id,
            form_4473=body.form_4473,
            actor=actor,
            now=now,
        ),
    )


@bp.post("/items/<item_id>/transfers")
@requires(Permission.ITEMS_WRITE)
@operation(
    "Record a transfer between parties",
    response=CustodyEvent,
    status=201,
    body=Transfer,
    paths=ITEM_PATH,
    errors=WRITE_ERRORS,
)
def transfer(item_id: str, body: Transfer):
    return _recorded(
        item_id,
        lambda service, actor, now: service.transfer(
            item_id,
            on=body.date,
            to_party_id=body.to_party_id,
            from_party_id=body.from_party_id,
            actor=actor,
            now=now,
        ),
    )


@bp.post("/items/<item_id>/status")
@requires(Permission.ITEMS_WRITE)
@operation(
    "Record stolen, lost, recovered, destroyed, exported or quarantined",
    response=CustodyEvent,
    status=201,
    body=StatusChange,
    paths=ITEM_PATH,
    errors=WRITE_ERRORS,
)
def change_status(item_id: str, body: StatusChange):
    return _recorded(
        item_id,
        lambda service, actor, now: service.change_status(
            item_id,
            status=body.status,
            on=body.date,
            atf_incident=body.atf_incident,
            police_report=body.police_report,
            discovered_at=body.discovered_at,
            note=body.note,
            actor=actor,
            now=now,
        ),
    )


@bp.post("/items/<item_id>/corrections")
@requires(Permission.ITEMS_WRITE)
@operation(
    "Record a correction beside the original entry",
    response=CustodyEvent,
    status=201,
    body=Correction,
    paths=ITEM_PATH,
    errors=WRITE_ERRORS,
)
def correct(item_id: str, body: Correction):
    return _recorded(
        item_id,
        lambda service, actor, now: service.correct(
            item_id,
            corrects=body.corrects,
            fields=body.fields,
            reason=body.reason,
            actor=actor,
            now=now,
        ),
    )


@bp.get("/bound-book")
@requires(Permission.ITEMS_READ)
@operation(
    "The A&D record for a period, in ATF column order (JSON, or CSV with format=csv)",
    response=BoundBook,
    query=BookQuery,
    headers={"Content-Disposition": "with format=csv: attachment; filename=bound-book.csv"},
    also=("text/csv",),
)
def bound_book(params: BookQuery):
    rows = book_rows(params.from_, params.to, params.licensee, params.view)
    data = [queries.book_row_dict(row) for row in rows]
    if params.format == "csv":
        return Response(
            to_csv(data), mimetype="text/csv", headers={"Content-Disposition": "attachment; filename=bound-book.csv"}
        )
    return {"view": params.view, "columns": list(queries.BOOK_COLUMNS), "rows": data}


def book_rows(raw_from: str | None, raw_to: str | None, licensee: str | None, view: str):
    """The bound book's rows for a period (for the API and the page, which pass their parameters)."""
    date_from, date_to = _date(raw_from, "from", required=True), _date(raw_to, "to", required=True)
    if date_to > clock.latest_day(clock.now()):
        raise CustodyError(
            f"the period ends on {date_to}, a date no place on Earth has reached yet", code="future_date", field="to"
        )
    if date_from > date_to:
        raise CustodyError("the period's start follows its end", code="invalid_period", field="from")
    if view not in queries.CORRECTION_VIEWS:
        raise CustodyError("'view' must be originals, corrected or both", code="invalid_view", field="view")
    return reads.bound_book(
        date_from=date_from, date_to=date_to, licensee=licensee or None, view=view, personal=_personal()
    )


def to_csv(rows: list[dict]) -> str:
    return csv_text(rows, queries.BOOK_COLUMNS)


@bp.get("/trace")
@requires(Permission.ITEMS_READ)
@operation("Trace request: a firearm's acquisition source and disposition", response=Trace, query=TraceQuery)
def trace(params: TraceQuery):
    serial = params.serial.strip()
    if not serial:
        raise CustodyError("'serial' is required", code="missing_field", field="serial")
    answer = reads.trace(serial, params.manufacturer, now=clock.now(), personal=_personal())
    return {
        "received_at": answer.received_at.isoformat(),
        "serial": answer.serial,
        "items": [
            {
                "item": item_json(a["item"]),
                "acquisition": None
                if a["acquisition"] is None
                else {**record_json(a["acquisition"]), "source": a["source"]},
                "disposition": None
                if a["disposition"] is None
                else {**record_json(a["disposition"]), "transferee": a["transferee"]},
            }
            for a in answer.items
        ],
    }


API_SIGNAL_ROWS = 200  # each list of the signals answer holds at most this many rows


@bp.get("/signals")
@requires(Permission.ITEMS_READ)
@operation(
    "Multiple handgun sales, thefts with their 48-hour deadline, open acquisitions (each list holds at "
    "most 200 rows, the most pressing first; `totals` counts them all)",
    response=Signals,
)
def signals():
    now = clock.now()
    sales, missing = reads.multiple_sales(limit=API_SIGNAL_ROWS), reads.thefts(now=now, limit=API_SIGNAL_ROWS)
    held = reads.open_acquisitions(today=now.date(), limit=API_SIGNAL_ROWS)
    serials = reads.serials_of({i for flag in sales.rows for i in flag.item_ids})
    return {
        "multiple_sales": [
            {
                "entry_index": f.entry_index,
                "party_id": f.party_id,
                "item_ids": f.item_ids,
                "serials": [serials.get(i) for i in f.item_ids],
                "first_date": f.first_date.isoformat(),
                "last_date": f.last_date.isoformat(),
            }
            for f in sales.rows
        ],
        "thefts": [
            {
                "item_id": t["item"].id,
                "serial": t["item"].serial,
                "status": t["item"].status,
                "discovered_at": t["discovered_at"].isoformat(),
                "deadline": t["deadline"].isoformat(),
                "overdue": t["overdue"],
            }
            for t in missing.rows
        ],
        "open_acquisitions": [
            {
                "item_id": o["item"].id,
                "serial": o["item"].serial,
                "acquired_on": o["acquired_on"].isoformat(),
                "age_days": o["age_days"],
            }
            for o in held.rows
        ],
        "totals": {"multiple_sales": sales.total, "thefts": missing.total, "open_acquisitions": held.total},
    }


def _date(raw, field: str, *, required: bool = False) -> date | None:
    if raw in (None, ""):
        if required:
            raise CustodyError(f"{field!r} is required", code="missing_field", field=field)
        return None
    try:
        found = date.fromisoformat(raw)
    except ValueError:
        raise CustodyError(f"{field!r} must be a date YYYY-MM-DD", code="invalid_date", field=field) from None
    if not fields.EARLIEST_YEAR <= found.year <= fields.LATEST_YEAR:
        raise CustodyError(
            f"{field!r} must lie between {fields.EARLIEST_YEAR} and {fields.LATEST_YEAR}",
            code="invalid_date",
            field=field,
        )
    return found


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
