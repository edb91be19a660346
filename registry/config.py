"""Configuration from the environment, so two instances can live side by side.

`REGISTRY_INSTANCE` is the instance folder (database, keys, secrets); `DATABASE_URL` chooses the
engine (SQLite in the instance folder when unset, PostgreSQL in production).
"""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SQLITE_FILE = "registry.sqlite3"


def instance_path_from_env() -> Path:
    return Path(os.environ.get("REGISTRY_INSTANCE") or PROJECT_ROOT / "instance").resolve()


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written without a driver (`postgres://`, `postgresql://`)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def settings_from_env(instance: Path) -> dict:
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / SQLITE_FILE}"
    return {
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "LEDGER_KEY_FILE": str(instance / "ledger.key"),
        "LEDGER_ORIGIN": os.environ.get("LEDGER_ORIGIN", ""),
        "SECRET_KEY_FILE": str(instance / "secret_key"),
        "LEDGER_PAGE_SIZE": 50,
        "JSON_SORT_KEYS": False,
    }
