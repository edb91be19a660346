"""Covering indexes for the forward trace: each recursion step finds a component's links, and a lot's
consumptions, from the index alone (on PostgreSQL the index carries the parent or item id too).

Revision ID: 0005_trace_indexes
Revises: 0004_supply_recalls
Create Date: 2026-11-25
"""

from alembic import op

revision = "0005_trace_indexes"
down_revision = "0004_supply_recalls"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_component_link_child_item_id", table_name="component_link")
    op.create_index(
        "ix_component_link_child_active",
        "component_link",
        ["child_item_id", "installed_at", "removed_at"],
        postgresql_include=["parent_item_id"],
    )
    op.drop_index("ix_lot_consumption_lot_id", table_name="lot_consumption")
    op.create_index(
        "ix_lot_consumption_lot_id_consumed_at",
        "lot_consumption",
        ["lot_id", "consumed_at"],
        postgresql_include=["item_id"],
    )


def downgrade():
    op.drop_index("ix_lot_consumption_lot_id_consumed_at", table_name="lot_consumption")
    op.create_index("ix_lot_consumption_lot_id", "lot_consumption", ["lot_id"])
    op.drop_index("ix_component_link_child_active", table_name="component_link")
    op.create_index("ix_component_link_child_item_id", "component_link", ["child_item_id"])
