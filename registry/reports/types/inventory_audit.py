"""The inventory audit report: a closed audit's reconciliation of a licensee's book against its
shelf (found, missing, booked elsewhere, unknown), proved by the audit's `inventory.audited` entry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from registry.errors import CONFLICT
from registry.inventory import queries as inventory_queries
from registry.inventory.models import InventoryAudit
from registry.reports.types import base


def parse_audit(session: Session, params: dict) -> dict:
    audit_id = base.text(params, "audit_id", limit=36)
    audit = base.existing(session, InventoryAudit, audit_id, "audit_id", "inventory audit")
    if audit.status != "closed":
        raise base.ReportError(
            "the audit is still open: close it, and its result is on the ledger to report",
            code="audit_open",
            kind=CONFLICT,
            field="audit_id",
        )
    return {"audit_id": audit_id}


def build_audit(session: Session, params: dict, *, personal: bool, now: datetime, origin: str, **_) -> base.Draft:
    audit = session.get(InventoryAudit, params["audit_id"])
    found = inventory_queries.reconciliation(session, audit)
    licensee = base.label(session, audit.licensee_party_id, personal)
    entries = {audit.closed_entry} | {item.registered_entry for item in found.missing}
    return base.Draft(
        title=f"Inventory audit, {licensee['name']}, {audit.closed_at:%Y-%m-%d}",
        template="reports/pdf/inventory_audit.html",
        context={"r": found, "licensee": licensee, "summary": audit.summary},
        entries=entries,
    )


TYPE = base.ReportType(
    "inventory_audit",
    "Inventory audit report",
    "A closed audit of a licensee's premises: the items found, missing and unexpected, with the hashes the "
    "ledger recorded.",
    ("audit_id",),
    parse_audit,
    build_audit,
)
