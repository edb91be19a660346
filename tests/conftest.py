"""Fixtures shared by the whole suite: engines, the app, a fixed clock.

Every database test runs on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL too, each test
in a schema of its own. Under CI (CI=true) a missing TEST_DATABASE_URL is an error, never a skip.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Iterator
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from registry import clock as registry_clock
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


class Templates:
    """A registry migrated and initialised once per session (a SQLite file, a PostgreSQL database, and
    one instance folder with the ledger key, secrets and development PKI they were made with), which
    each test gets a copy of: the migrations, key generation and certificates run once per session
    instead of once per test."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.instance = folder / "instance"
        self.sqlite_file: Path | None = None
        self.pg_database: str | None = None
        self.urls: set[str] = set()  # the databases handed out ready: their app needs no initialise

    def _initialise(self, url: str) -> None:
        app = create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": url,
                "REGISTRY_INSTANCE": str(self.instance),
                "LEDGER_ORIGIN": TEST_ORIGIN,
            }
        )
        with app.app_context():
            initialise(app, demo=False, now=FIXED_NOW)
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()

    def sqlite(self, target: Path) -> str:
        if self.sqlite_file is None:
            self.sqlite_file = self.folder / "registry.sqlite3"
            self._initialise(f"sqlite:///{self.sqlite_file}")
        shutil.copyfile(self.sqlite_file, target)
        url = f"sqlite:///{target}"
        self.urls.add(url)
        return url

    def ensure_instance(self) -> Path:
        if not self.instance.exists():
            self.sqlite(self.folder / "first.sqlite3")
        return self.instance

    @contextmanager
    def postgresql(self) -> Iterator[str]:
        admin = _pg_admin()
        if self.pg_database is None:
            self.ensure_instance()  # the same keys as the SQLite copies
            name = f"sl_template_{os.getpid()}_{uuid.uuid4().hex[:6]}"
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            self._initialise(_pg_database_url(name))
            self.pg_database = name
        name = f"sl_test_{uuid.uuid4().hex[:16]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.pg_database}"'))
        url = _pg_database_url(name)
        self.urls.add(url)
        try:
            yield url
        finally:
            self.urls.discard(url)
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

    def drop(self) -> None:
        if self.pg_database is not None:
            admin = _pg_admin()
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{self.pg_database}" WITH (FORCE)'))
            admin.dispose()


def _pg_admin():
    from registry.config import normalise_database_url

    return create_engine(normalise_database_url(TEST_DATABASE_URL), isolation_level="AUTOCOMMIT")


def _pg_database_url(name: str) -> str:
    from sqlalchemy.engine import make_url

    from registry.config import normalise_database_url

    return make_url(normalise_database_url(TEST_DATABASE_URL)).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def templates(tmp_path_factory):
    made = Templates(tmp_path_factory.mktemp("templates"))
    yield made
    made.drop()


@pytest.fixture(params=ENGINES)
def database_url(request, tmp_path, templates):
    """A database of this test's own, migrated and initialised (a copy of the session's template)."""
    if request.param == "sqlite":
        yield templates.sqlite(tmp_path / "registry.sqlite3")
        return
    with templates.postgresql() as url:
        yield url


@pytest.fixture
def clock():
    return FIXED_NOW


@pytest.fixture
def instance_path(tmp_path, templates):
    """This test's instance folder: a copy of the template's keys and certificates."""
    target = tmp_path / "instance"
    shutil.copytree(templates.ensure_instance(), target)
    return target


@pytest.fixture
def app(database_url, instance_path, clock, templates):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "REGISTRY_INSTANCE": str(instance_path),
            "LEDGER_ORIGIN": TEST_ORIGIN,
            "SESSION_COOKIE_SECURE": False,
            # Argon2id at its lowest cost: the suite signs in hundreds of times. Production keeps the defaults.
            "ARGON2_PARAMETERS": {"time_cost": 1, "memory_cost": 8, "parallelism": 1},
        }
    )
    if database_url not in templates.urls or clock != FIXED_NOW:  # a database of a test's own making
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
        created = accounts().create(
            email=email or f"{role}-{uuid.uuid4().hex[:8]}@example.test",
            role=role,
            password=password,
            actor="test:setup",
            now=FIXED_NOW,
        )
        account = SimpleNamespace(
            id=created.id,
            email=created.email,
            role=created.role,
            session_epoch=created.session_epoch,
            password=password,
        )
        db.session.remove()
    return account


def signed_in(app, account):
    """A test client whose session belongs to `account` (as Flask-Login stores it after a sign-in)."""
    from registry.accounts.runtime import accounts

    with app.app_context():
        # started now: the server ends a session idle for longer than its lifetime (registry.clock)
        session_id = accounts(writing=False).start_session(account.id, now=registry_clock.now())
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


def module_registry(url: str, folder, *, demo: bool = True, **config):
    """A registry on the database at `url`, with the demo history (and the demo reports unless
    `DEMO_REPORTS=False`) unless `demo` is False, for a test module to share; a generator the
    module's fixture yields from."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "REGISTRY_INSTANCE": str(folder / "instance"),
            "LEDGER_ORIGIN": TEST_ORIGIN,
            "SESSION_COOKIE_SECURE": False,
            "ARGON2_PARAMETERS": {"time_cost": 1, "memory_cost": 8, "parallelism": 1},
            **config,
        }
    )
    with app.app_context():
        initialise(app, demo=demo, now=FIXED_NOW)
        db.session.remove()

    def fresh_snapshot():
        # A test holds one app context (and so one session) across its requests; in production each
        # request has its own. Start each request on a fresh snapshot, as it would be there (before
        # the guard reads the account).
        db.session.rollback()

    app.before_request_funcs.setdefault(None, []).insert(0, fresh_snapshot)
    yield app
    with app.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


def _closing_bodies(app):
    """`app` with each response body closed when the server has sent it or dropped it. Werkzeug's
    development server closes a body only after draining the socket, and skips the close when that
    read fails (a browser that resets a connection it no longer needs, such as a style sheet's
    after a navigation): the open file of a static file's body is then left to the garbage
    collector, and its ResourceWarning fails whichever test is running."""

    def wsgi(environ, start_response):
        body = app(environ, start_response)

        def chunks():
            try:
                yield from body
            finally:
                close = getattr(body, "close", None)
                if close is not None:
                    close()

        return chunks()

    return wsgi


@contextmanager
def serving(app) -> Iterator[str]:
    """`app` served on a free local port by threads, for a browser or another process to call; yields
    its base URL and stops the server on the way out."""
    server = make_server("127.0.0.1", 0, _closing_bodies(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
