"""Demo reports for `make run`: one signed PDF of each type, issued once after the demo history, and
the bound book again with private persons withheld: the copy a regulator without the personal-data
grant may read."""

from __future__ import annotations

import fcntl
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from registry.custody.models import Item, MultipleSaleFlag, Party
from registry.inventory.models import InventoryAudit
from registry.recalls.models import RecallCampaign
from registry.reports.models import IssuedReport
from registry.reports.service import ReportService

LOCK_FILE = ".demo-reports.lock"


def requests(session) -> list[tuple[str, dict, bool]]:
    pistol = session.scalar(select(Item).where(Item.serial == "BXR-4471"))
    rifle = session.scalar(select(Item).where(Item.serial == "RFL-20931"))
    dealer = session.scalar(select(Party).where(Party.kind == "licensee", Party.name == "Riverside Sporting Goods"))
    flag = session.scalar(select(MultipleSaleFlag).order_by(MultipleSaleFlag.entry_index).limit(1))
    campaign = session.scalar(select(RecallCampaign).order_by(RecallCampaign.opened_entry).limit(1))
    audit = session.scalar(
        select(InventoryAudit).where(InventoryAudit.status == "closed").order_by(InventoryAudit.closed_at).limit(1)
    )
    wanted = [
        ("item_certificate", {"item_id": pistol.id} if pistol else None),
        (
            "bound_book",
            {"date_from": "2026-11-01", "date_to": "2026-11-30", "licensee": dealer.id, "view": "both"}
            if dealer
            else None,
        ),
        ("trace_response", {"serial": "BXR-4472", "request_number": "T20261124-0042"}),
        ("theft_loss", {"item_id": rifle.id} if rifle else None),
        ("multiple_sale", {"flag": str(flag.entry_index)} if flag else None),
        ("recall_campaign", {"campaign_id": campaign.id} if campaign else None),
        ("ledger_verification", {}),
        ("inventory_audit", {"audit_id": audit.id} if audit else None),
    ]
    found = [(kind, params, True) for kind, params in wanted if params is not None]
    book = next((params for kind, params, _ in found if kind == "bound_book"), None)
    return found + ([("bound_book", book, False)] if book else [])


def load(service: ReportService, *, actor: str, now: datetime, lock_folder: Path) -> bool:
    """Issue the demo reports unless some report was issued already. Two inits started together
    take turns (a file lock in the instance folder): the second finds the first one's reports."""
    with open(lock_folder / LOCK_FILE, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        service.session.rollback()  # read what another init committed while this one waited
        if service.session.scalar(select(IssuedReport.id).limit(1)) is not None:
            return False
        for kind, params, personal in requests(service.session):
            service.issue(kind, params, actor=actor, personal=personal, now=now)
        return True
