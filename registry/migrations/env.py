"""Alembic environment: runs migrations on the Flask app's engine, online only."""

from __future__ import annotations

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy import text

from registry.db import IMMEDIATE
from registry.ledger.locking import PG_ADVISORY_LOCK_KEY

config = context.config
if config.config_file_name is not None and not logging.getLogger().handlers:
    fileConfig(config.config_file_name)


def run_migrations_online() -> None:
    db = current_app.extensions["migrate"].db
    # Migrations take the ledger's write lock before they read the schema version, so two processes
    # initialising one database at once run them one after the other (the second finds nothing to do).
    with db.engine.connect() as connection:
        connection = connection.execution_options(**{IMMEDIATE: True})
        context.configure(
            connection=connection,
            target_metadata=db.metadata,
            compare_type=True,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_ADVISORY_LOCK_KEY})
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported: the registry migrates a live database")
run_migrations_online()
