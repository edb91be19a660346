"""The six report types: what each takes (checked parameters), what it shows (template context) and
which ledger entries prove it (the evidence). Building a report reads; it never writes."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Callable

import segno
from sqlalchemy import select
from sqlalchemy.orm import Session

from audit.verify import CHECKS
from registry import clock
from registry.custody import queries as custody_queries
from registry.custody.models import CustodyRecord, Item, MultipleSaleFlag, Party
from registry.errors import CONFLICT, INVALID, NOT_FOUND, DomainError
from registry.ledger.models import LedgerEntry
from registry.recalls import drawing as recall_drawing
from registry.recalls import queries as recall_queries
from registry.recalls.models import RecallCampaign, RecallUnitChange
from registry.reports import layout
from registry.supply import genealogy
from registry.supply.drawing import tree_svg


class ReportError(DomainError):
    """A report request the registry refuses: an unknown type, a bad or missing parameter."""

    titles = {**DomainError.titles, INVALID: "Invalid report request"}

    def __init__(self, detail: str, *, code: str = "invalid_report_parameter", kind: str = INVALID,
                 field: str | None = None):
        super().__init__(detail, code=code, kind=kind, field=field)


@dataclass(frozen=True)
class PrelaidTable:
    """A long table the renderer lays out itself (registry/reports/layout.py): the columns, each row's
    cell texts with its band kind, the page geometry, and the head sizes the template gives."""
    columns: tuple[layout.Column, ...]
    rows: list[tuple[list[str], str]]
    geometry: layout.Geometry
    head_mm: float
    first_head_mm: float
    colours: dict
    head_size_pt: float = 6.5


@dataclass
class Draft:
    """What a report shows: its title, template and context; `rows` (when set) is the long table the
    renderer may split into parts, or `table` a long table laid out on pages before rendering;
    `entries` are the ledger indices the evidence proves."""
    title: str
    template: str
    context: dict
    entries: set[int]
    rows: list | None = None
    landscape: bool = False
    table: PrelaidTable | None = None


@dataclass(frozen=True)
class ReportType:
    name: str
    label: str
    description: str
    fields: tuple[str, ...]
    parse: Callable[[Session, dict], dict]
    build: Callable[..., Draft]
    # The request form withholds private persons unless asked otherwise: such a report is readable by
    # every regulator. Form 3310.4 exists to name the purchaser, so it shows them by default.
    withhold_by_default: bool = True


def _text(params: dict, name: str, *, required: bool = True, limit: int = 200) -> str | None:
    value = params.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ReportError(f"'{name}' is required", code="missing_field", field=name)
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise ReportError(f"'{name}' must be text of at most {limit} characters", field=name)
    return value.strip()


def _day(params: dict, name: str) -> str:
    text = _text(params, name)
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise ReportError(f"'{name}' must be a date (YYYY-MM-DD)", code="invalid_date", field=name) from None


def _existing(session: Session, model, key: str, name: str, what: str):
    found = session.get(model, key)
    if found is None:
        raise ReportError(f"no {what} {key!r}", code="not_found", kind=NOT_FOUND, field=name)
    return found


def _label(session: Session, party_id: str | None, personal: bool) -> dict | None:
    return custody_queries.party_label(session, party_id, personal=personal)


def _facts(item: Item) -> list[tuple[str, str]]:
    named = [("Manufacturer", item.manufacturer), ("Importer", item.importer), ("Model", item.model),
             ("Type", item.type), ("Caliber or gauge", item.caliber), ("Country", item.country),
             ("Model year", item.model_year), ("Description", item.description)]
    decoded = [(key.replace("_", " ").capitalize(), value) for key, value in sorted((item.attributes or {}).items())
               if not isinstance(value, (dict, list))]
    return [(name, str(value)) for name, value in named + decoded if value not in (None, "")]


# -- 1. item custody certificate --------------------------------------------------------------------

def parse_item(session: Session, params: dict) -> dict:
    item_id = _text(params, "item_id", limit=36)
    _existing(session, Item, item_id, "item_id", "item")
    return {"item_id": item_id}


def build_item(session: Session, params: dict, *, personal: bool, now: datetime, origin: str, **_) -> Draft:
    item = session.get(Item, params["item_id"])
    records = custody_queries.timeline(session, item.id)
    entries = {row for row in session.scalars(select(LedgerEntry.entry_index)
                                              .where(LedgerEntry.item_ref == f"item:{item.id}"))}
    entries |= {r.entry_index for r in records}
    tree = genealogy.as_built(session, item.id, now)
    components = [node for node in tree.walk()][1:] if tree else []
    reference = f"{origin}#item={item.id}&registered={item.registered_entry}"
    qr = segno.make(reference, error="m").svg_data_uri(scale=4, border=2)
    return Draft(
        title=f"Custody certificate: {item.serial}", template="reports/pdf/item_certificate.html",
        context={"item": item, "facts": _facts(item), "records": records, "reference": reference, "qr": qr,
                 "override": records[0].details.get("override") if records else None,
                 "holder": _label(session, item.holder_party_id, personal),
                 "parties": {r.party_id: _label(session, r.party_id, personal) for r in records if r.party_id},
                 "tree": tree, "components": components,
                 "tree_svg": tree_svg(tree) if tree and tree.children else None},
        entries=entries)


# -- 2. bound book ----------------------------------------------------------------------------------

def parse_book(session: Session, params: dict) -> dict:
    out = {"date_from": _day(params, "date_from"), "date_to": _day(params, "date_to"),
           "licensee": _text(params, "licensee", required=False, limit=36),
           "view": _text(params, "view", required=False, limit=16) or "both"}
    if out["date_from"] > out["date_to"]:
        raise ReportError("'date_from' must not be after 'date_to'", field="date_from")
    if date.fromisoformat(out["date_to"]) > clock.latest_day(clock.now()):
        raise ReportError(f"the period ends on {out['date_to']}, a date no place on Earth has reached yet: a signed "
                          "book cannot vouch for days to come", code="future_date", field="date_to")
    if out["view"] not in custody_queries.CORRECTION_VIEWS:
        raise ReportError(f"'view' must be one of {', '.join(custody_queries.CORRECTION_VIEWS)}", field="view")
    if out["licensee"]:
        party = _existing(session, Party, out["licensee"], "licensee", "party")
        if party.kind != "licensee":
            raise ReportError("'licensee' must be a licensee", field="licensee")
    return out


# ATF column order (27 CFR 478.125(e)): description of the firearm, receipt, disposition; then the ledger.
BOOK_COLUMNS = (
    layout.Column("manufacturer", "Manufacturer", 20, "Description of firearm"),
    layout.Column("importer", "Importer", 14, "Description of firearm"),
    layout.Column("model", "Model", 13, "Description of firearm"),
    layout.Column("serial", "Serial", 20, "Description of firearm"),
    layout.Column("type", "Type", 13, "Description of firearm"),
    layout.Column("caliber", "Caliber", 15, "Description of firearm"),
    layout.Column("date", "Date", 17, "Receipt"),
    layout.Column("source_name", "Name", 24, "Receipt"),
    layout.Column("source", "Address or FFL", 25, "Receipt"),
    layout.Column("disposition_date", "Date", 17, "Disposition"),
    layout.Column("transferee_name", "Name", 22, "Disposition"),
    layout.Column("transferee", "Address or FFL", 26, "Disposition"),
    layout.Column("form_4473", "Form 4473", 24, "Disposition"),
    layout.Column("entries", "Entries", 13, "Ledger"),
    layout.Column("version", "", 10, "Ledger"),
)
# A4 landscape with the report margins: 174 mm of height; the column heads take 10 mm on every
# page, the report's own head 46 mm more on the first, the closing note 28 mm after the last row.
BOOK_GEOMETRY = layout.Geometry(size_pt=7, line_mm=3.0, padding_mm=0.8, first_mm=174 - 10 - 46 - 1,
                                page_mm=174 - 10 - 1, closing_mm=28)
BAND_COLOURS = {"alt": "#f1f3f7", "corrected": "#fff3cc", "original": "#eceff3"}


def book_cells(row: custody_queries.BookRow, number: int) -> tuple[list[str], str]:
    a, d = row.acquisition, row.disposition or {}
    cells = [a.get("manufacturer"), a.get("importer"), a.get("model"), a.get("serial"), a.get("type"),
             a.get("caliber"), a.get("date"), a.get("source_name"), a.get("source_ffl") or a.get("source_address"),
             d.get("date"), d.get("transferee_name"), d.get("transferee_ffl") or d.get("transferee_address"),
             d.get("form_4473"),
             f"{row.acquisition_entry}" + (f", {row.disposition_entry}" if row.disposition_entry is not None else ""),
             {"corrected": "corr.", "original": "orig."}.get(row.version, "")]
    kind = row.version if row.version in ("corrected", "original") else ("alt" if number % 2 else "")
    return [str(value) if value is not None else "" for value in cells], kind


def build_book(session: Session, params: dict, *, personal: bool, now: datetime, origin: str, **_) -> Draft:
    rows = custody_queries.bound_book(session, date_from=date.fromisoformat(params["date_from"]),
                                      date_to=date.fromisoformat(params["date_to"]), licensee=params["licensee"],
                                      view=params["view"], personal=personal)
    entries = set()
    for row in rows:
        entries.update(filter(None, (row.acquisition_entry, row.disposition_entry, row.item.registered_entry)))
        entries.update(c.entry_index for c in row.corrections)
    licensee = _label(session, params["licensee"], personal) if params["licensee"] else None
    who = licensee["name"] if licensee else "all licensees"
    return Draft(
        title=f"Acquisition and disposition record, {who}, {params['date_from']} to {params['date_to']}",
        template="reports/pdf/bound_book.html", landscape=True, rows=rows,
        context={"licensee": licensee, "params": params, "corrected_rows": sum(r.version == "corrected" for r in rows)},
        table=PrelaidTable(columns=BOOK_COLUMNS, rows=[book_cells(row, n) for n, row in enumerate(rows)],
                           geometry=BOOK_GEOMETRY, head_mm=10, first_head_mm=46, colours=BAND_COLOURS),
        entries=entries)


# -- 3. trace request response ----------------------------------------------------------------------

def parse_trace(session: Session, params: dict) -> dict:
    return {"serial": _text(params, "serial", limit=64), "manufacturer": _text(params, "manufacturer", required=False),
            "request_number": _text(params, "request_number", required=False, limit=64)}


def build_trace(session: Session, params: dict, *, personal: bool, now: datetime, origin: str, **_) -> Draft:
    answer = custody_queries.trace(session, params["serial"], params["manufacturer"], now=now, personal=personal)
    entries = set()
    for found in answer.items:
        entries.add(found["item"].registered_entry)
        entries.update(r.entry_index for r in (found["acquisition"], found["disposition"]) if r is not None)
    entries |= custody_queries.corrections_of(session, entries)
    return Draft(title=f"Trace request response: serial {params['serial']}", template="reports/pdf/trace_response.html",
                 context={"answer": answer, "params": params}, entries=entries)


# -- 4. theft or loss (ATF Form 3310.11) and multiple sale (ATF Form 3310.4) -------------------------

def parse_theft(session: Session, params: dict) -> dict:
    item_id = _text(params, "item_id", limit=36)
    item = _existing(session, Item, item_id, "item_id", "item")
    if item.kind != "firearm":
        raise ReportError(f"ATF Form 3310.11 reports firearms; this item is {item.kind}", code="not_a_firearm",
                          kind=CONFLICT, field="item_id")
    if _theft_record(session, item) is None:
        raise ReportError("this item has no theft or loss recorded", code="no_theft", kind=CONFLICT, field="item_id")
    return {"item_id": item_id}


def _theft_record(session: Session, item: Item) -> CustodyRecord | None:
    """The item's latest theft or loss record."""
    changes = session.scalars(select(CustodyRecord).where(CustodyRecord.item_id == item.id,
                                                          CustodyRecord.type == "status_changed")
                              .order_by(CustodyRecord.entry_index.desc()))
    return next((r for r in changes if r.details.get("status") in ("stolen", "lost")), None)


def build_theft(session: Session, params: dict, *, personal: bool, now: datetime, origin: str, **_) -> Draft:
    item = session.get(Item, params["item_id"])
    record = _theft_record(session, item)
    holder_record = custody_queries.record_before(session, record)
    incident = record.details["status"]
    shown = {item.registered_entry, record.entry_index} | ({holder_record.entry_index} if holder_record else set())
    return Draft(title=f"Firearms theft/loss report (ATF Form 3310.11): {item.serial}",
                 template="reports/pdf/theft_loss.html",
                 context={"item": item, "record": record, "incident": incident,
                          "licensee": _label(session, record.holder_party_id, personal), "details": record.details},
                 entries=shown | custody_queries.corrections_of(session, shown))


def parse_multiple(session: Session, params: dict) -> dict:
    text = _text(params, "flag", limit=20)
    if not (text.isascii() and text.isdigit()) or len(text) > 15:  # "²" is a digit to Python, not to int()
        raise ReportError("'flag' is the ledger index of a multiple-sale flag", field="flag")
    _existing(session, MultipleSaleFlag, int(text), "flag", "multiple-sale flag")
    return {"flag": text}


def build_multiple(session: Session, params: dict, *, personal: bool, now: datetime, origin: str, **_) -> Draft:
    flag = session.get(MultipleSaleFlag, int(params["flag"]))
    sales = []
    for item_id in flag.item_ids:
        item = session.get(Item, item_id)
        sale = session.scalar(select(CustodyRecord).where(
            CustodyRecord.item_id == item_id, CustodyRecord.type == "disposed", CustodyRecord.party_id == flag.party_id,
            CustodyRecord.entry_index <= flag.entry_index).order_by(CustodyRecord.entry_index.desc()).limit(1))
        sales.append({"item": item, "sale": sale})
    before = next((custody_queries.record_before(session, s["sale"]) for s in sales if s["sale"]), None)
    seller = before.holder_party_id if before else None
    entries = {flag.entry_index} | {s["sale"].entry_index for s in sales if s["sale"]} \
        | {s["item"].registered_entry for s in sales} | ({before.entry_index} if before else set())
    entries |= custody_queries.corrections_of(session, entries)
    return Draft(title=f"Report of multiple sale of handguns (ATF Form 3310.4), {flag.first_date} to {flag.last_date}",
                 template="reports/pdf/multiple_sale.html",
                 context={"flag": flag, "sales": sales, "licensee": _label(session, seller, personal),
                          "purchaser": custody_queries.party_label(session, flag.party_id, personal=personal,
                                                                   document=True)},
                 entries=entries)


# -- 5. recall campaign -----------------------------------------------------------------------------

def parse_recall(session: Session, params: dict) -> dict:
    campaign_id = _text(params, "campaign_id", limit=36)
    _existing(session, RecallCampaign, campaign_id, "campaign_id", "recall campaign")
    return {"campaign_id": campaign_id}


def build_recall(session: Session, params: dict, *, personal: bool, now: datetime, origin: str, **_) -> Draft:
    campaign = session.get(RecallCampaign, params["campaign_id"])
    counted = recall_queries.counts(session, campaign.id)
    series = recall_queries.history(session, campaign)
    until = campaign.closed_on or max(now.date(), series[-1][0])
    units = recall_queries.units(session, campaign.id, personal=personal)
    changes = set(session.scalars(select(RecallUnitChange.entry_index).where(RecallUnitChange.campaign_id == campaign.id)))
    return Draft(title=f"Recall campaign {campaign.number}: {campaign.title}", template="reports/pdf/recall_campaign.html",
                 context={"campaign": campaign, "summary": recall_queries.part_573(session, campaign), "counts": counted,
                          "completion": recall_queries.completion(counted),
                          "chart": recall_drawing.completion_svg(series, campaign.population_size, until=until)},
                 rows=units, entries={campaign.opened_entry} | changes)


# -- 6. ledger verification -------------------------------------------------------------------------

def parse_verification(session: Session, params: dict) -> dict:
    return {}


# What a check of `audit.verify.CHECKS` runs over, when not the entries: a count of the verdict.
CHECK_SCOPE = {"node": "nodes", "signature": "checkpoints", "root": "checkpoints"}
SCOPE_NAMES = {"entries": ("entry", "entries"), "nodes": ("stored node", "stored nodes"),
               "checkpoints": ("signed checkpoint", "signed checkpoints")}


def ledger_check_rows(verdict) -> list[dict]:
    """Each check with what it ran over and its outcome. The verifier stops at the first problem:
    the entries before it passed every check, the rest were not checked."""
    rows = []
    for name, proves in CHECKS:
        scope = CHECK_SCOPE.get(name, "entries")
        count, (one, many) = getattr(verdict, scope), SCOPE_NAMES[scope]
        failed = not verdict.ok and verdict.problem.check == name
        if verdict.ok:
            result = f"passed on {count:,} {one if count == 1 else many}"
        elif failed:
            where = f" at entry {verdict.problem.index}" if verdict.problem.index is not None else ""
            result = f"FAILED{where}: {verdict.problem.message}"
        elif verdict.problem.index:
            result = f"passed on entries 0 to {verdict.problem.index - 1}; not checked beyond the problem"
        else:
            result = "not checked: the verification stopped at the problem"
        rows.append({"name": name, "proves": proves, "result": result, "failed": failed})
    return rows


def build_verification(session: Session, params: dict, *, personal: bool, now: datetime, origin: str, vkey: str,
                       **_) -> Draft:
    """Runs the full verification of the stored ledger (every check of `audit.verify`); the evidence
    proves the first and the last entry it covered against the checkpoint it ends at."""
    from registry.ledger.checks import verify_stored_ledger
    started = datetime.now(now.tzinfo)
    verdict = verify_stored_ledger(session, [vkey])
    finished = datetime.now(now.tzinfo)
    entries = {0, verdict.entries - 1} if verdict.entries else set()
    return Draft(title="Ledger verification report", template="reports/pdf/ledger_verification.html",
                 context={"verdict": verdict, "checked_at": now, "seconds": (finished - started).total_seconds(),
                          "origin": origin, "vkey": vkey, "checks": ledger_check_rows(verdict)},
                 entries=entries if verdict.ok else set())


TYPES: dict[str, ReportType] = {t.name: t for t in (
    ReportType("item_certificate", "Item custody certificate",
               "An item's identity, decoded serial facts, every event with its ledger index, holder, status and "
               "component tree, with a QR code of its ledger reference.", ("item_id",), parse_item, build_item),
    ReportType("bound_book", "Bound book (A&D record)",
               "Acquisitions and dispositions of firearms for a period and a licensee, in ATF column order.",
               ("date_from", "date_to", "licensee", "view"), parse_book, build_book),
    ReportType("trace_response", "Trace request response",
               "Where a firearm came from and where it went, for an ATF trace request.",
               ("serial", "manufacturer", "request_number"), parse_trace, build_trace),
    ReportType("theft_loss", "Theft/loss report (ATF Form 3310.11)",
               "The fields of ATF Form 3310.11 for a firearm recorded stolen or lost.", ("item_id",),
               parse_theft, build_theft),
    ReportType("multiple_sale", "Multiple-sale report (ATF Form 3310.4)",
               "The fields of ATF Form 3310.4 for two or more handguns sold to one person within five business days.",
               ("flag",), parse_multiple, build_multiple, withhold_by_default=False),
    ReportType("recall_campaign", "Recall campaign report",
               "Involved components, population, status counts, completion chart and holder list of a campaign.",
               ("campaign_id",), parse_recall, build_recall),
    ReportType("ledger_verification", "Ledger verification report",
               "A full verification of the stored ledger: the checkpoint, the size, what was checked and the verdict.",
               (), parse_verification, build_verification),
)}


def report_type(name: str) -> ReportType:
    found = TYPES.get(name)
    if found is None:
        raise ReportError(f"'report_type' must be one of {', '.join(TYPES)}", code="unknown_report_type",
                          field="report_type")
    return found
