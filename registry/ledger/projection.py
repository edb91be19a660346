"""The projection every entry has, whatever its type: who recorded it and on which day, for the
ledger list's filters. `registry.projections.apply` writes it before the event type's own handler.

The rows wait in the session and are written with the entries they describe: the ledger service
takes them (`take_pending`) into the statement that inserts the entries and their nodes, so an
append on PostgreSQL spends no round trip of its own on them. Rows nobody took (a replay, which
projects without appending) are written just before the transaction commits.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from registry.bulk import Rows, insert_rows
from registry.db import held_until_commit
from registry.ledger.models import LedgerEntryFact

FACT_COLUMNS = ("entry_index", "actor", "recorded_on")
PENDING_FACTS = "ledger_entry_fact_pending"


def author(actor: str) -> str:
    """The principal of an actor: `user:a@b.example (token 3)` was recorded by `user:a@b.example`."""
    return actor.split(" (", 1)[0]


def fact_row(index: int, event: dict) -> dict:
    day = date.fromisoformat(event["time"][:10])
    return {"entry_index": index, "actor": author(event["actor"]), "recorded_on": day}


def entry_fact(session: Session, index: int, event: dict) -> None:
    row = fact_row(index, event)
    session.info.setdefault(PENDING_FACTS, []).append(tuple(row[column] for column in FACT_COLUMNS))


def take_pending(session: Session) -> Rows:
    """The fact rows projected in this session and not yet written, for the caller to insert now."""
    return LedgerEntryFact.__table__, FACT_COLUMNS, session.info.pop(PENDING_FACTS, [])


held_until_commit(PENDING_FACTS, lambda session: insert_rows(session, *take_pending(session)))


TABLES = (LedgerEntryFact,)
