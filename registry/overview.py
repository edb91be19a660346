"""Figures for the dashboard: items by kind and status, and the last full verification."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, text
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


def _ref_kinds() -> dict:
    """Each kind of ledger reference: the id column and the columns that name it, the words made of
    them, and the page that shows it (endpoint and its argument), if there is one."""
    from registry.accounts.models import Account
    from registry.custody.models import Party
    from registry.inventory.models import InventoryAudit
    from registry.recalls.models import RecallCampaign
    from registry.supply.models import Lot, Part, PurchaseOrder, Supplier

    audits = select(InventoryAudit.id, Party.name).join(Party, Party.id == InventoryAudit.licensee_party_id)
    return {
        "item": (select(Item.id, Item.serial, Item.kind), lambda s, k: f"{s} ({k})", "custody.item", "item_id"),
        "recall": (
            select(RecallCampaign.id, RecallCampaign.number),
            "recall {}".format,
            "recalls.campaign",
            "campaign_id",
        ),
        "lot": (select(Lot.id, Lot.internal_code), "lot {}".format, "supply.lot", "lot_id"),
        "part": (select(Part.id, Part.number), "part {}".format, "supply.part", "part_id"),
        "supplier": (select(Supplier.id, Supplier.name), "supplier {}".format, None, None),
        "purchase_order": (
            select(PurchaseOrder.id, PurchaseOrder.number),
            "order {}".format,
            "supply.order",
            "order_id",
        ),
        "party": (select(Party.id, Party.name), lambda n: n or "a private person", "custody.party", "party_id"),
        "inventory": (audits, "inventory audit, {}".format, "inventory.audit", "audit_id"),
        "account": (select(Account.id, Account.email), "account {}".format, None, None),
    }


def ref_names(session: Session, refs) -> dict[str, RefName]:
    """Names for the item references of ledger entries (`item:<id>` by its serial, `recall:<id>` by
    its campaign number, ...): one query per kind of reference, whatever the count."""
    wanted: dict[str, set[str]] = {}
    for ref in refs:
        if ref and ":" in ref:
            prefix, key = ref.split(":", 1)
            wanted.setdefault(prefix, set()).add(key)
    names: dict[str, RefName] = {}
    for prefix, (query, words, endpoint, argument) in _ref_kinds().items():
        if keys := wanted.get(prefix):
            id_column = query.selected_columns[0]
            for key, *columns in session.execute(query.where(id_column.in_(keys))):
                names[f"{prefix}:{key}"] = RefName(words(*columns), endpoint, {argument: key} if endpoint else None)
    return names


def item_counts(session: Session) -> ItemCounts:
    """Items by kind and by status, from the tally the custody projection keeps (not a count of rows)."""
    from registry.custody.queries import tally_by

    by_kind, by_status = tally_by(session, "kind"), tally_by(session, "status")
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
