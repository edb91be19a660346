"""Reading the ledger as a list: entries newest first, filtered by event type, subject, author and
day, a page at a time from an index (keyset on the entry index, so an old page costs what the newest does)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.ledger.models import LedgerEntry, LedgerEntryFact
from registry.ledger.service import Entry

# A filtered list counts its matches up to this many and then says "more than": an exact count of
# millions of matching entries would cost more than the page itself.
COUNT_CAP = 10_000


@dataclass
class EntryPage:
    entries: list[Entry]
    total: int
    next_before: int | None  # the entry index the next (older) page starts below, None on the last
    capped: bool = False  # more than `total` entries match


def _facts(query, *, actor, day_from, day_to, key=LedgerEntryFact.entry_index, bounds=None):
    # With `bounds`, the day is checked on each entry read between them, in index order: as an
    # expression no index answers, so neither planner gathers the days' entries and sorts them.
    day = (
        func.coalesce(LedgerEntryFact.recorded_on, LedgerEntryFact.recorded_on)
        if bounds
        else LedgerEntryFact.recorded_on
    )
    if actor:
        query = query.where(LedgerEntryFact.actor == actor)
    if day_from:
        query = query.where(day >= day_from)
    if day_to:
        query = query.where(day <= day_to)
    if bounds is not None:  # every entry of the days lies between these, so the index order serves
        query = query.where(key.between(*bounds))
    return query


def _day_bounds(session: Session, day_from: date | None, day_to: date | None) -> tuple[int, int] | None:
    """The first entry recorded on or after `day_from` and the last recorded on or before `day_to`,
    each one seek in the day index: every entry of the days lies between them (whatever the order
    of their times), so a list of days reads the entries in index order instead of sorting them."""
    if not (day_from or day_to):
        return None
    first = select(func.min(LedgerEntryFact.entry_index))
    last = select(func.max(LedgerEntryFact.entry_index))
    low = session.scalar(first.where(LedgerEntryFact.recorded_on >= day_from)) if day_from else 0
    high = session.scalar(last.where(LedgerEntryFact.recorded_on <= day_to)) if day_to else None
    if high is None and day_to is None:
        high = session.scalar(select(func.max(LedgerEntryFact.entry_index)))
    return (1, 0) if low is None or high is None else (low, high)  # (1, 0): no entry is of those days


def _filtered(query, *, event_type, refs, actor, day_from, day_to, bounds=None):
    if event_type:
        query = query.where(LedgerEntry.event_type == event_type)
    if refs is not None:
        query = query.where(LedgerEntry.item_ref.in_(refs))
    if actor or day_from or day_to:
        query = query.join(LedgerEntryFact, LedgerEntryFact.entry_index == LedgerEntry.entry_index)
        key = LedgerEntry.entry_index
        query = _facts(query, actor=actor, day_from=day_from, day_to=day_to, key=key, bounds=bounds)
    return query


def entry_page(
    session: Session,
    *,
    event_type: str | None = None,
    refs: list[str] | None = None,
    actor: str | None = None,
    day_from: date | None = None,
    day_to: date | None = None,
    before: int | None = None,
    limit: int = 50,
) -> EntryPage:
    """One page of entries, newest first, that match every filter given (`refs`: the subjects, such as
    `item:<id>`; an empty list matches nothing), and how many entries match in all."""
    filters = dict(event_type=event_type, refs=refs, actor=actor, day_from=day_from, day_to=day_to)
    bounds = _day_bounds(session, day_from, day_to)
    if event_type or refs is not None:
        key = LedgerEntry.entry_index
        matching = _filtered(select(key), **filters, bounds=bounds)
    else:  # the author and day alone (or nothing): their own table's indexes answer, without the entries
        key = LedgerEntryFact.entry_index if (actor or day_from or day_to) else LedgerEntry.entry_index
        matching = _facts(select(key), actor=actor, day_from=day_from, day_to=day_to, key=key, bounds=bounds)
    page = matching.where(key < before) if before is not None else matching
    indexes = list(session.scalars(page.order_by(key.desc()).limit(limit + 1)))
    shown = indexes[:limit]
    rows = session.scalars(
        select(LedgerEntry).where(LedgerEntry.entry_index.in_(shown)).order_by(LedgerEntry.entry_index.desc())
    )
    capped = False
    if any(value not in (None, "") for value in filters.values()):
        total = session.scalar(select(func.count()).select_from(matching.limit(COUNT_CAP + 1).subquery())) or 0
        capped, total = total > COUNT_CAP, min(total, COUNT_CAP)
    else:  # the whole ledger: its size, without counting
        total = (session.scalar(select(func.max(LedgerEntry.entry_index))) or -1) + 1
    entries = [Entry(row.entry_index, row.body, row.leaf_hash) for row in rows]
    return EntryPage(entries, total, shown[-1] if len(indexes) > limit else None, capped)
