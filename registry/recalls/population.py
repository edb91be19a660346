"""A campaign's population: the top-level items that contain its basis at its `as_of` time, found
by forward trace. The same function runs when the campaign opens and when its event is replayed;
the event carries the population's size and SHA-256, so a replay that finds another set fails."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy.orm import Session

from registry.supply import genealogy

# The rules of the trace are part of every `recall.opened` event: replay re-runs them and must find
# the frozen set. A change to what counts (time bounds, depth, what a part basis starts from) is a
# new version, and the old one stays here for the events that name it.
TRACE_VERSION = 1


def _midnight(text: str) -> datetime:
    return datetime.combine(date.fromisoformat(text), time(), timezone.utc)


def start(basis: dict, as_of: datetime):
    """The items the basis names directly (requires a basis the service has checked)."""
    if basis["type"] == "lots":
        return genealogy.items_with_lots(basis["lot_ids"], as_of)
    if basis["type"] == "part":
        return genealogy.items_of_part(
            basis["part_id"], _midnight(basis["made_from"]), _midnight(basis["made_to"]) + timedelta(days=1), as_of
        )
    return genealogy.items_by_id(basis["item_ids"])


def population(session: Session, basis: dict, as_of: datetime) -> list[str]:
    return genealogy.where_used(session, start(basis, as_of), as_of)


def digest(item_ids: list[str]) -> str:
    """SHA-256 over the sorted item ids, one per line."""
    return hashlib.sha256("\n".join(sorted(item_ids)).encode()).hexdigest()
