"""The single-writer lock that keeps the chain from forking.

A write transaction begins with the database's write lock held: `BEGIN IMMEDIATE` on SQLite, a
transaction-scoped advisory lock on PostgreSQL. Everything read inside it (the head of the log,
the frontier of the tree, the state a rule checks) is therefore current until commit, on any number
of processes and hosts.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator, Mapping

from sqlalchemy import text
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.sql import Executable

from registry.db import IMMEDIATE, read_together

# Arbitrary, fixed 64-bit key of the advisory lock ("serial-ledger" in spirit, not in any encoding).
PG_ADVISORY_LOCK_KEY = 0x5E71A1_1ED6E5
_HELD = "ledger_write_lock_held"
_LOCK = text("SELECT pg_advisory_xact_lock(:key)")

# A statement and its parameters.
Read = tuple[Executable, Mapping[str, Any]]


class LedgerStateError(RuntimeError):
    """A programming error: a ledger write was attempted from a transaction that cannot take the lock."""


def holds_write_lock(session: Session) -> bool:
    return bool(session.info.get(_HELD))


def _read_committed(connection) -> bool:
    """A PostgreSQL transaction whose statements each see the latest commits (not SQLite's, not a
    REPEATABLE READ snapshot such as the verifier's)."""
    if connection.dialect.name != "postgresql":
        return False
    level = connection.get_execution_options().get("isolation_level") or connection.default_isolation_level
    return level == "READ COMMITTED"


@contextmanager
def write_transaction(session: Session, read: Read | None = None) -> Iterator[Any]:
    """Run the block in one transaction that holds the ledger's write lock; commit on success.

    `read`, a statement and its parameters, runs first under the lock, and the block is given its
    first row (None without one): on PostgreSQL it goes to the server with the lock (and BEGIN) in
    one round trip, and still sees every commit made before the lock was granted.

    Nested use joins the outer transaction. A read-only transaction already open on the session is
    ended first (SQLite cannot upgrade a deferred transaction to a write without risking a stale
    snapshot), except a READ COMMITTED one on PostgreSQL, which carries on with its loaded rows
    expired; pending ORM changes outside the ledger are refused with LedgerStateError.
    """
    session = _session_of(session)
    if holds_write_lock(session):
        yield read_together(session.connection(), [read])[0] if read else None
        return
    if session.in_transaction():
        _refuse_unflushed(session, "outside the ledger; writes go through the ledger service")
        if _read_committed(session.connection()):
            # Every statement after the lock sees what earlier writers committed, so the open
            # transaction can carry on (saving a commit and a new connection); only the rows it
            # loaded before may be stale.
            session.expire_all()
        else:
            session.commit()
    if session.in_transaction():
        connection = session.connection()
    else:
        connection = session.connection(execution_options={IMMEDIATE: True})
    first = [(_LOCK, {"key": PG_ADVISORY_LOCK_KEY})] if connection.dialect.name == "postgresql" else []
    rows = read_together(connection, first + ([read] if read else []))
    session.info[_HELD] = True
    try:
        with _committed(session):
            yield rows[-1] if read else None
    finally:
        session.info.pop(_HELD, None)


@contextmanager
def side_transaction(session: Session) -> Iterator[Session]:
    """Run a write that is not a ledger event (the security log, a report job, a session record) in
    a transaction of its own and commit it.

    On SQLite the transaction begins IMMEDIATE, so it waits for the write lock (busy timeout) instead of
    upgrading a read transaction, which SQLite refuses at once with "database is locked" whenever
    another connection wrote since that read began. A read transaction already open on the session
    is ended first; on PostgreSQL no lock is needed. Inside a ledger write it simply joins.
    """
    session = _session_of(session)
    if holds_write_lock(session):
        yield session
        return
    if session.in_transaction():
        _refuse_unflushed(session, "before a side transaction")
        session.commit()
    session.connection(execution_options={IMMEDIATE: True})
    with _committed(session):
        yield session


def _session_of(session: Session | scoped_session) -> Session:
    return session() if isinstance(session, scoped_session) else session


def _refuse_unflushed(session: Session, where: str) -> None:
    if session.new or session.dirty or session.deleted:
        raise LedgerStateError(f"unflushed changes {where}")


@contextmanager
def _committed(session: Session) -> Iterator[None]:
    """Commit what the block did, or roll it back if it raised."""
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise
