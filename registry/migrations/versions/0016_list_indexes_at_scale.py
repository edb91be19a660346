"""Indexes for lists at a million items: the open acquisitions of one kind in acquisition order,
and a party's custody records (named, or held) newest first.

Revision ID: 0016_list_indexes_at_scale
Revises: 0015_item_tally
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_list_indexes_at_scale"
down_revision = "0015_item_tally"
branch_labels = None
depends_on = None

HELD = "status IN ('in_custody', 'quarantined')"


def upgrade():
    op.create_index(
        "ix_item_open_by_kind",
        "item",
        ["kind", "acquired_on", "id"],
        sqlite_where=sa.text(HELD),
        postgresql_where=sa.text(HELD),
    )
    op.create_index("ix_custody_record_party_entry", "custody_record", ["party_id", "entry_index"])
    op.create_index("ix_custody_record_holder_entry", "custody_record", ["holder_party_id", "entry_index"])


def downgrade():
    op.drop_index("ix_custody_record_holder_entry", "custody_record")
    op.drop_index("ix_custody_record_party_entry", "custody_record")
    op.drop_index("ix_item_open_by_kind", "item")
