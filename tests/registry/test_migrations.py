"""The migrations build exactly the schema the models declare, on every engine."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from registry.extensions import db
from registry.instance import initialise


def test_the_migrated_schema_matches_the_models(ctx, clock):
    initialise(ctx, demo=False, now=clock)
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == []
