"""Test helpers: build ledgers through the service, and act as an attacker with database rights."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from registry.extensions import db
from registry.ledger.events import NewEvent
from registry.ledger.runtime import ledger


def append_single_events(count: int, now, *, items: int = 3) -> None:
    """Append `count` events one per batch (one checkpoint each), cycling over a few items."""
    service = ledger()
    for number in range(count):
        event = NewEvent("item.noted", {"note": f"event {number}"}, item=f"item-{number % items}")
        service.append([event], actor="user:test", now=now + timedelta(seconds=number))


def drop_append_only_triggers() -> None:
    """What an attacker with full database rights would do first."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        names = connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars().all()
        for name in names:
            connection.execute(text(f'DROP TRIGGER "{name}"'))
    else:
        rows = connection.execute(
            text(
                "SELECT tgname, relname FROM pg_trigger JOIN pg_class ON pg_class.oid = tgrelid "
                "WHERE NOT tgisinternal AND relname LIKE 'ledger_%' AND relnamespace = current_schema()::regnamespace"
            )
        ).all()
        for trigger, table in rows:
            connection.execute(text(f'DROP TRIGGER "{trigger}" ON "{table}"'))
    db.session.commit()
