"""A throwaway registry for a benchmark: a temporary instance folder and database (a new PostgreSQL
database, dropped afterwards, or SQLite in the folder), and the ledger verification run on it."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, text

from registry.config import PROJECT_ROOT


@contextmanager
def scratch_registry(engine: str, pg_url: str, name: str) -> Iterator[tuple[str, str]]:
    """Yields (database URL, instance folder); everything is removed when the block ends."""
    with tempfile.TemporaryDirectory() as folder:
        admin = None
        if engine == "postgresql":
            database = f"{name}_{os.getpid()}"
            admin = create_engine(
                pg_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
            )
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{database}"'))
            url = pg_url.rsplit("/", 1)[0] + "/" + database
        else:
            url = f"sqlite:///{folder}/bench.sqlite3"
        try:
            yield url, str(Path(folder) / "instance")
        finally:
            if admin is not None:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
                admin.dispose()


def registry_env(url: str, instance: str) -> dict:
    return {**os.environ, "DATABASE_URL": url, "REGISTRY_INSTANCE": instance, "FLASK_APP": "wsgi"}


def verify_ledger(url: str, instance: str) -> subprocess.CompletedProcess:
    """`flask ledger verify` on the scratch registry, in its own process as an operator runs it."""
    return subprocess.run(
        [sys.executable, "-m", "flask", "ledger", "verify"],
        cwd=PROJECT_ROOT,
        env=registry_env(url, instance),
        capture_output=True,
        text=True,
    )
