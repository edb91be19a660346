"""The one projection registry: each event type to the one handler that projects it.

Every entry gets its row of `ledger_entry_fact` (`registry.ledger.projection`). Each domain's
`projection.py` declares `HANDLERS` (event type to handler) and `TABLES` (the tables
its handlers write); this module gathers them. The ledger service applies `apply` to every entry it
appends, inside the write transaction, and `flask ledger replay` applies the same `apply` to every
entry of the ledger, so the live tables and a replay cannot follow two different paths.

A new domain adds its projection module to `DOMAINS`; an event type claimed twice is refused here.
"""

from __future__ import annotations

from types import ModuleType
from typing import Callable

from sqlalchemy.orm import Session

from registry.custody import projection as custody
from registry.ledger import projection as ledger
from registry.recalls import projection as recalls
from registry.reports import projection as reports
from registry.supply import projection as supply

Handler = Callable[[Session, int, dict], None]

# In dependency order: a later domain's tables may refer to an earlier one's rows.
DOMAINS: tuple[ModuleType, ...] = (custody, supply, recalls, reports)


def _gather(domains) -> dict[str, Handler]:
    handlers: dict[str, Handler] = {}
    for domain in domains:
        for event_type, handler in domain.HANDLERS.items():
            if event_type in handlers:
                raise RuntimeError(f"event type {event_type!r} has two projection handlers")
            handlers[event_type] = handler
    return handlers


HANDLERS = _gather(DOMAINS)
TABLES = ledger.TABLES + tuple(table for domain in DOMAINS for table in domain.TABLES)


_BEYOND_CUSTODY = "projected_beyond_custody"


def apply(session: Session, index: int, event: dict) -> None:
    """Project one ledger entry: its author and day (every entry), then what its type's handler writes;
    an event type no domain projects (accounts' own) changes no other table."""
    ledger.entry_fact(session, index, event)
    handler = HANDLERS.get(event["type"])
    if handler is not None:
        if event["type"] not in custody.HANDLERS:
            session.info[_BEYOND_CUSTODY] = session.info.get(_BEYOND_CUSTODY, 0) + 1
        handler(session, index, event)


def custody_epoch(session: Session) -> tuple:
    """How long what other domains say of an item (its component links, its open recalls), read
    with it, holds for the custody rules: in this transaction, while only custody events have been
    projected in the session. Other processes' events wait for the ledger's write lock, which a
    custody write holds from the moment it reads the item."""
    return (session.get_transaction(), session.info.get(_BEYOND_CUSTODY, 0))
