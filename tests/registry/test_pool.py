"""Pooled connections: one back from a request a moment ago is used as it is; one that sat idle is
pinged first, and replaced if its server side is gone, so the request using it never sees it."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import QueuePool

from registry import db as registry_db
from registry.extensions import db


@pytest.fixture
def engine(ctx):
    """An engine of one pooled connection to the test's database, set up as the app sets up its own."""
    single = create_engine(db.engine.url, poolclass=QueuePool, pool_size=1, max_overflow=0)
    registry_db.configure_engine(single)
    yield single
    single.dispose()


def backend(connection) -> str:
    if connection.dialect.name == "postgresql":
        return str(connection.execute(text("SELECT pg_backend_pid()")).scalar())
    return str(id(connection.connection.dbapi_connection))


def test_a_connection_back_a_moment_ago_is_not_pinged_and_an_idle_one_is(engine, monkeypatch):
    pings: list[object] = []
    real = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda connection: pings.append(connection) or real(connection))
    with engine.connect() as connection:
        first = backend(connection)
    with engine.connect() as connection:
        assert backend(connection) == first
    assert pings == []
    monkeypatch.setattr(registry_db, "PING_AFTER_IDLE_S", 0.0)
    with engine.connect() as connection:
        assert backend(connection) == first
    assert len(pings) == 1


def test_an_idle_connection_that_ended_is_replaced_unseen(engine, monkeypatch):
    """PostgreSQL ends the connection from the server's side; SQLite's is closed under the pool."""
    with engine.connect() as connection:
        first = backend(connection)
        driver_connection = connection.connection.dbapi_connection
    if engine.dialect.name == "postgresql":
        with db.engine.connect() as admin:
            assert admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": int(first)}).scalar()
    else:
        driver_connection.close()
    monkeypatch.setattr(registry_db, "PING_AFTER_IDLE_S", 0.0)
    with engine.connect() as connection:
        assert backend(connection) != first
        assert connection.execute(text("SELECT 1")).scalar() == 1
