"""ATF Form 3310.11: the theft or loss of a firearm (27 CFR 478.39a)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.custody import queries as custody_queries
from registry.custody.models import CustodyRecord, Item
from registry.errors import CONFLICT
from registry.reports.types import base


def parse_theft(session: Session, params: dict) -> dict:
    item_id = base.text(params, "item_id", limit=36)
    item = base.existing(session, Item, item_id, "item_id", "item")
    if item.kind != "firearm":
        raise base.ReportError(
            f"ATF Form 3310.11 reports firearms; this item is {item.kind}",
            code="not_a_firearm",
            kind=CONFLICT,
            field="item_id",
        )
    if _theft_record(session, item) is None:
        raise base.ReportError(
            "this item has no theft or loss recorded", code="no_theft", kind=CONFLICT, field="item_id"
        )
    return {"item_id": item_id}


def _theft_record(session: Session, item: Item) -> CustodyRecord | None:
    """The item's latest theft or loss record."""
    changes = session.scalars(
        select(CustodyRecord)
        .where(CustodyRecord.item_id == item.id, CustodyRecord.type == "status_changed")
        .order_by(CustodyRecord.entry_index.desc())
    )
    return next((r for r in changes if r.details.get("status") in ("stolen", "lost")), None)


def build_theft(session: Session, params: dict, *, personal: bool, now: datetime, origin: str, **_) -> base.Draft:
    item = session.get(Item, params["item_id"])
    record = _theft_record(session, item)
    holder_record = custody_queries.record_before(session, record)
    incident = record.details["status"]
    shown = {item.registered_entry, record.entry_index} | ({holder_record.entry_index} if holder_record else set())
    return base.Draft(
        title=f"Firearms theft/loss report (ATF Form 3310.11): {item.serial}",
        template="reports/pdf/theft_loss.html",
        context={
            "item": item,
            "record": record,
            "incident": incident,
            "licensee": base.label(session, record.holder_party_id, personal),
            "details": record.details,
        },
        entries=shown | custody_queries.corrections_of(session, shown),
    )


TYPE = base.ReportType(
    "theft_loss",
    "Theft/loss report (ATF Form 3310.11)",
    "The fields of ATF Form 3310.11 for a firearm recorded stolen or lost.",
    ("item_id",),
    parse_theft,
    build_theft,
)
