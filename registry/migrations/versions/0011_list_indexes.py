"""Indexes for lists that scale: the item list's three orders (keyset pagination, id as the
tie-breaker) and the custody records by holder, for a party's page.

Revision ID: 0011_list_indexes
Revises: 0010_session_idle
Create Date: 2026-12-05
"""

from alembic import op

revision = "0011_list_indexes"
down_revision = "0010_session_idle"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_item_last_event", "item", ["last_event_date", "id"])
    op.create_index("ix_item_registered", "item", ["registered_entry", "id"])
    op.create_index("ix_item_serial_order", "item", ["serial_normalized", "id"])
    op.create_index("ix_custody_record_holder_party_id", "custody_record", ["holder_party_id"])


def downgrade():
    op.drop_index("ix_custody_record_holder_party_id", "custody_record")
    op.drop_index("ix_item_serial_order", "item")
    op.drop_index("ix_item_registered", "item")
    op.drop_index("ix_item_last_event", "item")
