"""Full verification and export of the stored ledger, reading one consistent snapshot."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from audit import export
from audit.verify import Verdict, verify_log
from registry.ledger.models import MAX_LEVEL, LedgerCheckpoint, LedgerEntry, LedgerNode

STREAM_BATCH = 20_000


def _snapshot(session: Session):
    """A connection reading one snapshot: appends that commit meanwhile are not seen half-way."""
    if session.in_transaction():
        session.commit()
    options = {"isolation_level": "REPEATABLE READ"} if session.get_bind().dialect.name == "postgresql" else {}
    return session.connection(execution_options=options)


def _entry_records(connection) -> Iterator[tuple]:
    result = connection.execution_options(yield_per=STREAM_BATCH).execute(
        select(LedgerEntry.entry_index, LedgerEntry.body, LedgerEntry.leaf_hash,
               LedgerEntry.event_type, LedgerEntry.item_ref).order_by(LedgerEntry.entry_index)
    )
    try:
        for partition in result.partitions():
            yield from partition
    finally:
        result.close()  # a verdict can stop the walk early; release the server-side cursor


def _node_records(connection) -> Iterator[tuple[int, int, bytes]]:
    result = connection.execution_options(yield_per=STREAM_BATCH).execute(
        select(LedgerNode.node_key, LedgerNode.hash).order_by(LedgerNode.node_key)
    )
    try:
        for partition in result.partitions():
            for key, value in partition:
                level, last_leaf = key % MAX_LEVEL, key // MAX_LEVEL
                yield level, ((last_leaf + 1) >> level) - 1, value
    finally:
        result.close()


def _checkpoint_notes(connection) -> list[str]:
    return list(connection.scalars(
        select(LedgerCheckpoint.note).order_by(LedgerCheckpoint.tree_size, LedgerCheckpoint.id)))


def tree_size(connection) -> int:
    last = connection.scalar(select(LedgerEntry.entry_index).order_by(LedgerEntry.entry_index.desc()).limit(1))
    return 0 if last is None else last + 1


def verify_stored_ledger(session: Session, vkeys: list[str], *, held_notes: list[str] = (),
                         progress: Callable[[int], None] | None = None) -> Verdict:
    """Every check of `audit.verify` over the database, including the stored nodes and columns."""
    connection = _snapshot(session)
    try:
        notes = _checkpoint_notes(connection)
        return verify_log(_entry_records(connection), notes, vkeys, held_notes=held_notes,
                          nodes=_node_records(connection), progress=progress)
    finally:
        session.rollback()


def export_ledger(session: Session, folder: Path, *, origin: str, vkeys: list[str],
                  progress: Callable[[int], None] | None = None) -> export.Manifest:
    connection = _snapshot(session)
    try:
        def bodies():
            for number, record in enumerate(_entry_records(connection), start=1):
                if progress is not None and number % 4096 == 0:
                    progress(number)
                yield record[1]
        exported_at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return export.write_export(folder, bodies(), _checkpoint_notes(connection),
                                   origin=origin, vkeys=vkeys, exported_at=exported_at)
    finally:
        session.rollback()
