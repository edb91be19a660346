"""Figures for the dashboard: items by kind and status, and the last full verification.

Items are counted from their ledger events (`item.registered` gives the kind, the latest
`item.status_changed` the status; an item without one is "active"), reading only those event types
through their index.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from audit import canonical
from registry.ledger.models import LedgerEntry, VerificationRun


@dataclass
class ItemCounts:
    by_kind: dict[str, int]
    by_status: dict[str, int]
    total: int


def item_counts(session: Session) -> ItemCounts:
    kinds: dict[str, str] = {}
    statuses: dict[str, str] = {}
    rows = session.execute(select(LedgerEntry.event_type, LedgerEntry.item_ref, LedgerEntry.body)
                           .where(LedgerEntry.event_type.in_(("item.registered", "item.status_changed")))
                           .order_by(LedgerEntry.entry_index))
    for event_type, item, body in rows:
        payload = canonical.loads(body).get("payload", {})
        if event_type == "item.registered":
            kinds[item] = str(payload.get("kind", "unknown"))
        elif "status" in payload:
            statuses[item] = str(payload["status"])
    return ItemCounts(by_kind=dict(Counter(kinds.values()).most_common()),
                      by_status=dict(Counter(statuses.get(item, "active") for item in kinds).most_common()),
                      total=len(kinds))


def last_verification(session: Session) -> VerificationRun | None:
    return session.scalar(select(VerificationRun).order_by(VerificationRun.id.desc()).limit(1))


def record_verification(session: Session, *, started_at, finished_at, actor: str, entries: int, ok: bool,
                        summary: str) -> VerificationRun:
    run = VerificationRun(started_at=started_at, finished_at=finished_at, actor=actor, entries=entries, ok=ok,
                          summary=summary[:2000])
    session.add(run)
    session.commit()
    return run
