"""Fixtures shared by the whole suite: engines, the app, a fixed clock.

Every database test runs on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL too, each test
in a schema of its own. Under CI (CI=true) a missing TEST_DATABASE_URL is an error, never a skip.
"""
from __future__ import annotations

import os
import uuid
from datetime import datetime, timezone
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

from registry import create_app
from registry.extensions import db
from registry.instance import initialise

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
ENGINES = ["sqlite"] + (["postgresql"] if TEST_DATABASE_URL else [])
TEST_ORIGIN = "test.serial-ledger.localhost/log"
FIXED_NOW = datetime(2026, 11, 25, 9, 30, tzinfo=timezone.utc)


def pytest_configure(config):
    if os.environ.get("CI") == "true" and not TEST_DATABASE_URL:
        raise pytest.UsageError("CI must run the PostgreSQL tests: TEST_DATABASE_URL is not set")


def _pg_url(schema: str) -> str:
    from registry.config import normalise_database_url
    base = normalise_database_url(TEST_DATABASE_URL)
    joiner = "&" if "?" in base else "?"
    return f"{base}{joiner}options={quote('-csearch_path=' + schema)}"


@pytest.fixture(params=ENGINES)
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.sqlite3'}"
        return
    from registry.config import normalise_database_url
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(normalise_database_url(TEST_DATABASE_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _pg_url(schema)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def clock():
    return FIXED_NOW


@pytest.fixture
def instance_path(tmp_path):
    return tmp_path / "instance"


@pytest.fixture
def app(database_url, instance_path, clock):
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REGISTRY_INSTANCE": str(instance_path),
        "LEDGER_ORIGIN": TEST_ORIGIN,
    })
    with app.app_context():
        initialise(app, demo=False, now=clock)
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
