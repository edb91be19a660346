"""The projection every entry has, whatever its type: who recorded it and on which day, for the
ledger list's filters. `registry.projections.apply` writes it before the event type's own handler."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from registry.ledger.models import LedgerEntryFact


def author(actor: str) -> str:
    """The principal of an actor: `user:a@b.example (token 3)` was recorded by `user:a@b.example`."""
    return actor.split(" (", 1)[0]


def fact_row(index: int, event: dict) -> dict:
    day = date.fromisoformat(event["time"][:10])
    return {"entry_index": index, "actor": author(event["actor"]), "recorded_on": day}


def entry_fact(session: Session, index: int, event: dict) -> None:
    session.add(LedgerEntryFact(**fact_row(index, event)))


TABLES = (LedgerEntryFact,)
