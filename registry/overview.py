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
