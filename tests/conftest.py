"""Fixtures shared by the whole suite: engines, the app, a fixed clock.

Every database test runs on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL too, each test
in a schema of its own. Under CI (CI=true) a missing TEST_DATABASE_URL is an error, never a skip.
"""
from __future__ import annotations

import os
import re
import uuid
from contextlib import contextmanager
from typing import Iterator
from datetime import datetime, timezone
from types import SimpleNamespace
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


@contextmanager
def module_database(engine: str, folder) -> Iterator[str]:
    """The URL of a database of its own (for one test, or an app a whole test module shares): a
    SQLite file in `folder`, or a PostgreSQL schema, dropped afterwards."""
    if engine == "sqlite":
        yield f"sqlite:///{folder / 'registry.sqlite3'}"
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


@pytest.fixture(params=ENGINES)
def database_url(request, tmp_path):
    with module_database(request.param, tmp_path) as url:
        yield url


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
        "SESSION_COOKIE_SECURE": False,
        # Argon2id at its lowest cost: the suite signs in hundreds of times. Production keeps the defaults.
        "ARGON2_PARAMETERS": {"time_cost": 1, "memory_cost": 8, "parallelism": 1},
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


PASSWORD = "correct horse battery staple"


def make_account(app, role: str, email: str | None = None, password: str = PASSWORD):
    """An account made through the account service (so its `account.created` event is on the ledger)."""
    from registry.accounts.runtime import accounts
    with app.app_context():
        created = accounts().create(email=email or f"{role}-{uuid.uuid4().hex[:8]}@example.test", role=role,
                                    password=password, actor="test:setup", now=FIXED_NOW)
        account = SimpleNamespace(id=created.id, email=created.email, role=created.role,
                                  session_epoch=created.session_epoch, password=password)
        db.session.remove()
    return account


def signed_in(app, account):
    """A test client whose session belongs to `account` (as Flask-Login stores it after a sign-in)."""
    from registry.accounts.runtime import accounts
    with app.app_context():
        session_id = accounts(writing=False).start_session(account.id, now=FIXED_NOW)
        db.session.remove()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = f"{account.id}:{account.session_epoch}:{session_id}"
        session["_fresh"] = True
    return client


def issue_token(app, account, name: str = "test token") -> str:
    from registry.accounts.runtime import accounts
    with app.app_context():
        _, secret = accounts().issue_token(account.id, name, actor="test:setup", now=FIXED_NOW)
        db.session.remove()
    return secret


def bearer_client(app, token: str):
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


@pytest.fixture
def api_as(app):
    """api_as("officer"): a client sending a new officer's API token, as an integration does."""
    return lambda role: bearer_client(app, issue_token(app, make_account(app, role)))


def csrf_token(client, page: str = "/login") -> str:
    """The CSRF token of the client's session, as a page's <meta name="csrf-token"> carries it."""
    html = client.get(page).get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)


@pytest.fixture
def csrf():
    return csrf_token


@pytest.fixture
def anon_client(app):
    return app.test_client()


@pytest.fixture
def client_as(app):
    """client_as("officer"): a client signed in with a new account of that role."""
    return lambda role: signed_in(app, make_account(app, role))


@pytest.fixture
def client(client_as):
    """Signed in as an auditor, the role that reads everything."""
    return client_as("auditor")


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
