"""The bound book (acquisition and disposition record, 27 CFR 478.125(e)) for a period and a
licensee, laid out by the renderer as a long table in ATF column order."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from registry import clock
from registry.custody import queries as custody_queries
from registry.custody.models import Party
from registry.reports import layout
from registry.reports.types import base


def parse_book(session: Session, params: dict) -> dict:
    out = {
        "date_from": base.day(params, "date_from"),
        "date_to": base.day(params, "date_to"),
        "licensee": base.text(params, "licensee", required=False, limit=36),
        "view": base.text(params, "view", required=False, limit=16) or "both",
    }
    if out["date_from"] > out["date_to"]:
        raise base.ReportError("'date_from' must not be after 'date_to'", field="date_from")
    if date.fromisoformat(out["date_to"]) > clock.latest_day(clock.now()):
        raise base.ReportError(
            f"the period ends on {out['date_to']}, a date no place on Earth has reached yet: a signed "
            "book cannot vouch for days to come",
            code="future_date",
            field="date_to",
        )
    if out["view"] not in custody_queries.CORRECTION_VIEWS:
        raise base.ReportError(f"'view' must be one of {', '.join(custody_queries.CORRECTION_VIEWS)}", field="view")
    if out["licensee"]:
        party = base.existing(session, Party, out["licensee"], "licensee", "party")
        if party.kind != "licensee":
            raise base.ReportError("'licensee' must be a licensee", field="licensee")
    return out


# ATF column order (27 CFR 478.125(e)): description of the firearm, receipt, disposition; then the ledger.
# Widths: a licence number (15 characters) and a word like "Parabellum" fit on one line of their column.
BOOK_COLUMNS = (
    layout.Column("manufacturer", "Manufacturer", 20, "Description of firearm"),
    layout.Column("importer", "Importer", 14, "Description of firearm"),
    layout.Column("model", "Model", 12, "Description of firearm"),
    layout.Column("serial", "Serial", 20, "Description of firearm"),
    layout.Column("type", "Type", 13, "Description of firearm"),
    layout.Column("caliber", "Caliber", 18, "Description of firearm"),
    layout.Column("date", "Date", 17, "Receipt"),
    layout.Column("source_name", "Name", 23, "Receipt"),
    layout.Column("source", "Address or FFL", 26, "Receipt"),
    layout.Column("disposition_date", "Date", 17, "Disposition"),
    layout.Column("transferee_name", "Name", 21, "Disposition"),
    layout.Column("transferee", "Address or FFL", 26, "Disposition"),
    layout.Column("form_4473", "Form 4473", 23, "Disposition"),
    layout.Column("entries", "Entries", 13, "Ledger"),
    layout.Column("version", "", 10, "Ledger"),
)
# A4 landscape with the report margins: 174 mm of height; the column heads take 10 mm on every
# page, the report's own head 46 mm more on the first, the closing note 28 mm after the last row.
BOOK_GEOMETRY = layout.Geometry(
    size_pt=7, line_mm=3.0, padding_mm=0.8, first_mm=174 - 10 - 46 - 1, page_mm=174 - 10 - 1, closing_mm=28
)
BAND_COLOURS = {"alt": "#f1f3f7", "corrected": "#fff3cc", "original": "#eceff3"}


def book_cells(row: custody_queries.BookRow, number: int) -> tuple[list[str], str]:
    a, d = row.acquisition, row.disposition or {}
    cells = [
        a.get("manufacturer"),
        a.get("importer"),
        a.get("model"),
        a.get("serial"),
        a.get("type"),
        a.get("caliber"),
        a.get("date"),
        a.get("source_name"),
        a.get("source_ffl") or a.get("source_address"),
        d.get("date"),
        d.get("transferee_name"),
        d.get("transferee_ffl") or d.get("transferee_address"),
        d.get("form_4473"),
        f"{row.acquisition_entry}" + (f", {row.disposition_entry}" if row.disposition_entry is not None else ""),
        {"corrected": "corr.", "original": "orig."}.get(row.version, ""),
    ]
    kind = row.version if row.version in ("corrected", "original") else ("alt" if number % 2 else "")
    return [str(value) if value is not None else "" for value in cells], kind


def build_book(session: Session, params: dict, *, personal: bool, now: datetime, origin: str, **_) -> base.Draft:
    rows = custody_queries.bound_book(
        session,
        date_from=date.fromisoformat(params["date_from"]),
        date_to=date.fromisoformat(params["date_to"]),
        licensee=params["licensee"],
        view=params["view"],
        personal=personal,
    )
    entries = set()
    for row in rows:
        entries.update(filter(None, (row.acquisition_entry, row.disposition_entry, row.item.registered_entry)))
        entries.update(c.entry_index for c in row.corrections)
    licensee = base.label(session, params["licensee"], personal) if params["licensee"] else None
    who = licensee["name"] if licensee else "all licensees"
    return base.Draft(
        title=f"Acquisition and disposition record, {who}, {params['date_from']} to {params['date_to']}",
        template="reports/pdf/bound_book.html",
        landscape=True,
        rows=rows,
        context={"licensee": licensee, "params": params, "corrected_rows": sum(r.version == "corrected" for r in rows)},
        table=base.PrelaidTable(
            columns=BOOK_COLUMNS,
            rows=[book_cells(row, n) for n, row in enumerate(rows)],
            geometry=BOOK_GEOMETRY,
            head_mm=10,
            first_head_mm=46,
            colours=BAND_COLOURS,
        ),
        entries=entries,
    )


TYPE = base.ReportType(
    "bound_book",
    "Bound book (A&D record)",
    "Acquisitions and dispositions of firearms for a period and a licensee, in ATF column order.",
    ("date_from", "date_to", "licensee", "view"),
    parse_book,
    build_book,
)
