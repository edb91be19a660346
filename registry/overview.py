"""Figures for the dashboard: items by kind and status, and the last full verification."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from registry.custody.models import Item
from registry.ledger.models import VerificationRun


@dataclass
class ItemCounts:
    by_kind: dict[str, int]
    by_status: dict[str, int]
    total: int


@dataclass(frozen=True)
class RefName:
    """What a ledger entry's reference names, for a page: its words and the page that shows it."""

    text: str
    endpoint: str | None = None
    args: dict | None = None


def ref_names(session: Session, refs) -> dict[str, RefName]:
    """Names for the item references of ledger entries (`item:<id>` by its serial, `recall:<id>` by
    its campaign number, `account:<id>` by its e-mail): a handful of queries whatever the count."""
    from registry.accounts.models import Account
    from registry.custody.models import Party
    from registry.inventory.models import InventoryAudit
    from registry.recalls.models import RecallCampaign
    from registry.supply.models import Lot, Part, PurchaseOrder, Supplier

    wanted: dict[str, set[str]] = {}
    for ref in refs:
        if ref and ":" in ref:
            prefix, key = ref.split(":", 1)
            wanted.setdefault(prefix, set()).add(key)
    names: dict[str, RefName] = {}
    if keys := wanted.get("item"):
        for key, serial, kind in session.execute(select(Item.id, Item.serial, Item.kind).where(Item.id.in_(keys))):
            names[f"item:{key}"] = RefName(f"{serial} ({kind})", "custody.item", {"item_id": key})
    if keys := wanted.get("recall"):
        for key, number in session.execute(
            select(RecallCampaign.id, RecallCampaign.number).where(RecallCampaign.id.in_(keys))
        ):
            names[f"recall:{key}"] = RefName(f"recall {number}", "recalls.campaign", {"campaign_id": key})
    if keys := wanted.get("lot"):
        for key, code in session.execute(select(Lot.id, Lot.internal_code).where(Lot.id.in_(keys))):
            names[f"lot:{key}"] = RefName(f"lot {code}", "supply.lot", {"lot_id": key})
    if keys := wanted.get("part"):
        for key, number in session.execute(select(Part.id, Part.number).where(Part.id.in_(keys))):
            names[f"part:{key}"] = RefName(f"part {number}", "supply.part", {"part_id": key})
    if keys := wanted.get("supplier"):
        for key, name in session.execute(select(Supplier.id, Supplier.name).where(Supplier.id.in_(keys))):
            names[f"supplier:{key}"] = RefName(f"supplier {name}")
    if keys := wanted.get("purchase_order"):
        for key, number in session.execute(
            select(PurchaseOrder.id, PurchaseOrder.number).where(PurchaseOrder.id.in_(keys))
        ):
            names[f"purchase_order:{key}"] = RefName(f"order {number}", "supply.order", {"order_id": key})
    if keys := wanted.get("party"):
        for key, kind, name in session.execute(select(Party.id, Party.kind, Party.name).where(Party.id.in_(keys))):
            names[f"party:{key}"] = RefName(name if name else "a private person")
    if keys := wanted.get("inventory"):
        for key, name in session.execute(
            select(InventoryAudit.id, Party.name)
            .join(Party, Party.id == InventoryAudit.licensee_party_id)
            .where(InventoryAudit.id.in_(keys))
        ):
            names[f"inventory:{key}"] = RefName(f"inventory audit, {name}", "inventory.audit", {"audit_id": key})
    if keys := wanted.get("account"):
        for key, email in session.execute(select(Account.id, Account.email).where(Account.id.in_(keys))):
            names[f"account:{key}"] = RefName(f"account {email}")
    return names


def item_counts(session: Session) -> ItemCounts:
    by_kind = dict(
        session.execute(select(Item.kind, func.count()).group_by(Item.kind).order_by(func.count().desc())).all()
    )
    by_status = dict(
        session.execute(select(Item.status, func.count()).group_by(Item.status).order_by(func.count().desc())).all()
    )
    return ItemCounts(by_kind=by_kind, by_status=by_status, total=sum(by_kind.values()))


def last_verification(session: Session) -> VerificationRun | None:
    return session.scalar(select(VerificationRun).order_by(VerificationRun.id.desc()).limit(1))


def record_verification(
    session: Session, *, started_at, finished_at, actor: str, entries: int, ok: bool, summary: str
) -> VerificationRun:
    run = VerificationRun(
        started_at=started_at, finished_at=finished_at, actor=actor, entries=entries, ok=ok, summary=summary[:2000]
    )
    session.add(run)
    session.commit()
    return run


def reachable(session: Session) -> None:
    """Raises unless the database answers."""
    session.execute(text("SELECT 1"))
