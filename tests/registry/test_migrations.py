"""The migrations build exactly the schema the models declare, on every engine."""

from __future__ import annotations

import warnings

import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text

from registry.extensions import db
from registry.instance import initialise
from registry.ledger.models import LedgerEntryFact
from registry.ledger.runtime import reader
from tests.conftest import bearer_client, issue_token, make_account

EXPRESSION_INDEXES = {"ix_party_name_lower", "ix_personal_data_full_name_lower"}


def test_the_migrated_schema_matches_the_models(ctx, clock):
    initialise(ctx, demo=False, now=clock)
    with db.engine.connect() as connection, warnings.catch_warnings():
        # SQLite's reflection skips indexes over expressions (checked by name below), and says so.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression-based index")
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
        listed = (
            "SELECT indexname FROM pg_indexes"
            if connection.dialect.name == "postgresql"
            else "SELECT name FROM sqlite_master WHERE type = 'index'"
        )
        indexes = set(connection.execute(text(listed)).scalars())
    assert differences == []
    assert EXPRESSION_INDEXES <= indexes


def test_the_entry_facts_migration_fills_the_table_from_the_stored_bodies(app):
    """Upgrading an instance that already has a ledger writes each entry's author and day, the same
    rows the projection writes as entries are appended."""
    officer = bearer_client(app, issue_token(app, make_account(app, "officer")))
    made = officer.post("/api/v1/parties", json={"kind": "organisation", "name": "Acme", "address": "1 Road"})
    assert made.status_code == 201, made.get_json()
    with app.app_context():
        projected = db.session.execute(select(LedgerEntryFact.__table__)).all()
        assert len(projected) == reader().size() > 0
        db.session.remove()  # no transaction of ours may hold the table while the migration drops it
        flask_migrate.downgrade(revision="0012_inventory_audits")
        assert "ledger_entry_fact" not in inspect(db.engine).get_table_names()
        flask_migrate.upgrade()
        assert db.session.execute(select(LedgerEntryFact.__table__)).all() == projected
        db.session.remove()
    assert [row.actor for row in projected if row.actor.startswith("user:officer-")]  # without "(token N)"
    assert not [row.actor for row in projected if "(token" in row.actor]
