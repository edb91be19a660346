"""The item custody certificate: an item's identity, decoded serial facts, every event, holder,
status and component tree, with a QR code of its ledger reference."""

from __future__ import annotations

from datetime import datetime

import segno
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.custody import queries as custody_queries
from registry.custody.models import Item
from registry.ledger.models import LedgerEntry
from registry.reports.types import base
from registry.supply import genealogy
from registry.supply.drawing import tree_svg


def parse_item(session: Session, params: dict) -> dict:
    item_id = base.text(params, "item_id", limit=36)
    base.existing(session, Item, item_id, "item_id", "item")
    return {"item_id": item_id}


def build_item(session: Session, params: dict, *, personal: bool, now: datetime, origin: str, **_) -> base.Draft:
    item = session.get(Item, params["item_id"])
    records = custody_queries.timeline(session, item.id)
    entries = {
        row for row in session.scalars(select(LedgerEntry.entry_index).where(LedgerEntry.item_ref == f"item:{item.id}"))
    }
    entries |= {r.entry_index for r in records}
    tree = genealogy.as_built(session, item.id, now)
    components = [node for node in tree.walk()][1:] if tree else []
    reference = f"{origin}#item={item.id}&registered={item.registered_entry}"
    qr = segno.make(reference, error="m").svg_data_uri(scale=4, border=2)
    return base.Draft(
        title=f"Custody certificate: {item.serial}",
        template="reports/pdf/item_certificate.html",
        context={
            "item": item,
            "facts": base.facts(item),
            "records": records,
            "reference": reference,
            "qr": qr,
            "override": records[0].details.get("override") if records else None,
            "holder": base.label(session, item.holder_party_id, personal),
            "parties": {r.party_id: base.label(session, r.party_id, personal) for r in records if r.party_id},
            "tree": tree,
            "components": components,
            "tree_svg": tree_svg(tree) if tree and tree.children else None,
        },
        entries=entries,
    )


TYPE = base.ReportType(
    "item_certificate",
    "Item custody certificate",
    "An item's identity, decoded serial facts, every event with its ledger index, holder, status and "
    "component tree, with a QR code of its ledger reference.",
    ("item_id",),
    parse_item,
    build_item,
)
