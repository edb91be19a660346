"""ATF Form 3310.4: two or more handguns sold to one person within five business days
(27 CFR 478.126a). It exists to name the purchaser, so it shows them by default."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.custody import queries as custody_queries
from registry.custody.models import CustodyRecord, Item, MultipleSaleFlag
from registry.reports.types import base


def parse_multiple(session: Session, params: dict) -> dict:
    text = base.text(params, "flag", limit=20)
    if not (text.isascii() and text.isdigit()) or len(text) > 15:  # "²" is a digit to Python, not to int()
        raise base.ReportError("'flag' is the ledger index of a multiple-sale flag", field="flag")
    base.existing(session, MultipleSaleFlag, int(text), "flag", "multiple-sale flag")
    return {"flag": text}


def build_multiple(session: Session, params: dict, *, personal: bool, now: datetime, origin: str, **_) -> base.Draft:
    flag = session.get(MultipleSaleFlag, int(params["flag"]))
    sales = []
    for item_id in flag.item_ids:
        item = session.get(Item, item_id)
        sale = session.scalar(
            select(CustodyRecord)
            .where(
                CustodyRecord.item_id == item_id,
                CustodyRecord.type == "disposed",
                CustodyRecord.party_id == flag.party_id,
                CustodyRecord.entry_index <= flag.entry_index,
            )
            .order_by(CustodyRecord.entry_index.desc())
            .limit(1)
        )
        sales.append({"item": item, "sale": sale})
    before = next((custody_queries.record_before(session, s["sale"]) for s in sales if s["sale"]), None)
    seller = before.holder_party_id if before else None
    entries = (
        {flag.entry_index}
        | {s["sale"].entry_index for s in sales if s["sale"]}
        | {s["item"].registered_entry for s in sales}
        | ({before.entry_index} if before else set())
    )
    entries |= custody_queries.corrections_of(session, entries)
    return base.Draft(
        title=f"Report of multiple sale of handguns (ATF Form 3310.4), {flag.first_date} to {flag.last_date}",
        template="reports/pdf/multiple_sale.html",
        context={
            "flag": flag,
            "sales": sales,
            "licensee": base.label(session, seller, personal),
            "purchaser": custody_queries.party_label(session, flag.party_id, personal=personal, document=True),
        },
        entries=entries,
    )


TYPE = base.ReportType(
    "multiple_sale",
    "Multiple-sale report (ATF Form 3310.4)",
    "The fields of ATF Form 3310.4 for two or more handguns sold to one person within five business days.",
    ("flag",),
    parse_multiple,
    build_multiple,
    withhold_by_default=False,
)
