"""Declarative base, the UTC timestamp type, and per-engine connection settings.

SQLite gets WAL mode, full durability, foreign keys and a busy timeout on every connection, and its
transactions are begun by us rather than by the driver so that a ledger write can open with
`BEGIN IMMEDIATE` (see `registry.ledger.locking`).
"""

from __future__ import annotations

import functools
import sqlite3
import time
from datetime import timezone
from typing import Any, Callable, Mapping, Sequence

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Compiled, Connection, Dialect, Engine
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.orm import DeclarativeBase, Session, SessionTransaction
from sqlalchemy.sql import Executable
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Execution option a write transaction sets on its connection; the SQLite begin hook reads it.
IMMEDIATE = "registry_begin_immediate"

SQLITE_BUSY_TIMEOUT_S = 60


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def held_until_commit(key: str, write: Callable[[Session], None]) -> None:
    """For rows a projection holds in `session.info[key]` to write many at once: `write(session)`
    runs just before any session commits (it takes what is held with `session.info.pop(key)`), and
    whatever is still held when the outermost transaction ends any other way (rolled back, closed,
    or its rollback failed) is dropped, since it belongs to events that were never stored."""

    @event.listens_for(Session, "before_commit")
    def _write(session: Session) -> None:
        write(session)

    @event.listens_for(Session, "after_transaction_end")
    def _drop(session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None:
            session.info.pop(key, None)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every engine (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC time is required")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def _switch_to_wal(cursor) -> None:
    """`PRAGMA journal_mode=WAL`, retried: on a new database file that another process is creating,
    SQLite answers "database is locked" at once instead of calling the busy handler."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def configure_engine(engine: Engine) -> None:
    """Install the per-connection settings for the engine's dialect (idempotent)."""
    if engine.pool.__dict__.get("_registry_configured"):
        return
    engine.pool.__dict__["_registry_configured"] = True
    _ping_when_idle(engine)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    elif engine.dialect.name == "postgresql":
        _commit_with_held_statements(engine.dialect)


# -- fewer round trips to PostgreSQL --------------------------------------------------------------
#
# psycopg's pipeline mode sends several statements before reading any answer: they reach the server
# in one round trip and still run one after the other, each as a statement of its own (so under READ
# COMMITTED each sees what was committed before it began, such as the commits a lock before it
# waited for). SQLAlchemy cannot run its own statements in that mode (it reads a result's columns
# as soon as it sends the statement), so the two uses below talk to the driver directly.

_WITH_COMMIT = "_registry_with_commit"


def read_together(connection: Connection, statements: Sequence[tuple[Executable, Mapping[str, Any]]]) -> list:
    """Run the statements in order in the connection's transaction and give the first row of each
    (None for none). On PostgreSQL they go in one round trip, with the transaction's BEGIN if it is
    the first thing the transaction sends. The statements' parameters must be values the driver
    takes as they are (text, numbers): no column type converts them on this path."""
    if connection.dialect.name != "postgresql":
        return [connection.execute(statement, dict(params)).first() for statement, params in statements]
    driver = connection.connection.driver_connection
    cursors = [driver.cursor() for _ in statements]
    sql = None
    try:
        with driver.pipeline():
            for cursor, (statement, params) in zip(cursors, statements):
                compiled = _compiled(connection.dialect, statement)
                sql = compiled.string
                cursor.execute(sql, compiled.construct_params(params))
        return [cursor.fetchone() for cursor in cursors]
    except connection.dialect.loaded_dbapi.Error as error:
        # As SQLAlchemy handles its own statements' errors: wrapped, and a lost connection invalidated.
        connection._handle_dbapi_exception(error, sql, None, None, None)
        raise  # not reached: the call above raises
    finally:
        for cursor in cursors:
            cursor.close()


@functools.lru_cache(maxsize=64)
def _compiled(dialect: Dialect, statement: Executable) -> Compiled:
    """The statement compiled for the dialect, once (the callers' statements are built once too)."""
    compiled = statement.compile(dialect=dialect)
    if any(compiled._bind_processors.values()):
        raise TypeError("read_together takes statements whose parameters need no conversion")
    return compiled


def send_with_commit(connection: Connection, sql: str, params: Sequence[Any]) -> None:
    """On PostgreSQL: run `sql` (in the driver's parameter style, its values already converted) as
    the last statement of the connection's transaction, in the round trip of the COMMIT; it is
    dropped if the transaction is rolled back instead. Only for a statement nothing in the
    transaction reads back after it."""
    driver = connection.connection.driver_connection
    driver.__dict__.setdefault(_WITH_COMMIT, []).append((sql, params))


def _commit_with_held_statements(dialect: Dialect) -> None:
    """The dialect's commit sends the statements `send_with_commit` held, then COMMIT, in one round
    trip (a `COMMIT` statement in the pipeline: psycopg's own commit inside a pipeline adds a round
    trip of its own); its rollback drops them. This is the dialect's commit, so SQLAlchemy handles an
    error of theirs as it does any commit's (wrapped, the connection invalidated if it was lost)."""
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def do_commit(dbapi_connection) -> None:
        driver = dbapi_connection.driver_connection
        held = driver.__dict__.pop(_WITH_COMMIT, None)
        if not held:
            commit(dbapi_connection)
            return
        cursor = driver.cursor()
        try:
            with driver.pipeline():
                for sql, params in held:
                    cursor.execute(sql, params)
                cursor.execute("COMMIT")
        finally:
            cursor.close()

    def do_rollback(dbapi_connection) -> None:
        driver = getattr(dbapi_connection, "driver_connection", dbapi_connection)
        if driver is not None:
            driver.__dict__.pop(_WITH_COMMIT, None)
        rollback(dbapi_connection)

    dialect.do_commit = do_commit  # type: ignore[method-assign]
    dialect.do_rollback = do_rollback  # type: ignore[method-assign]


# A pooled connection is checked before use (a round trip: `SELECT 1`) only if it sat in the pool
# longer than this. One returned a moment ago by a request that used it is as alive as a ping would
# show, and under load every request would otherwise pay a round trip for the ping; a server that
# restarted since then fails that one request, as it would fail one whose ping passed a moment
# before the restart.
PING_AFTER_IDLE_S = 1.0


def _ping_when_idle(engine: Engine) -> None:
    """Pessimistic disconnect handling for connections that were idle: SQLAlchemy's `pool_pre_ping`
    pings on every checkout."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_S:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            if not engine.dialect.is_disconnect(error, dbapi_connection, None):
                raise
            alive = False
        if not alive:
            # As SQLAlchemy's own pre-ping does: the pool's other connections most likely went with
            # this one (a restarted server), so all are replaced, and the checkout takes a new one.
            raise InvalidatePoolError("the pooled connection no longer answers")


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's begin hook below issue BEGIN, so we choose DEFERRED or IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # The wait comes first: switching a new file to WAL needs a lock that a second process
        # initialising the same database may hold for a moment.
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        _switch_to_wal(cursor)
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        mode = "IMMEDIATE" if connection.get_execution_options().get(IMMEDIATE) else "DEFERRED"
        connection.exec_driver_sql(f"BEGIN {mode}")
