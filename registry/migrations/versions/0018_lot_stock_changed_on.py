"""The day of each lot's latest stock change (`lot.stock_changed_on`): stock changes are recorded in
the order of their days. Filled here with the receipt's day; `flask init` then rebuilds the
projections (PROJECTION_VERSION 5), which sets the day of each lot's latest change.

Revision ID: 0018_lot_stock_changed_on
Revises: 0017_witness_cosignatures
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_lot_stock_changed_on"
down_revision = "0017_witness_cosignatures"
branch_labels = None
depends_on = None


def upgrade():
    # Nullable: SQLite alters a column's nullability only by copying the table, which the stock
    # rows' foreign keys refuse. Every row is filled here and by each receipt.
    op.add_column("lot", sa.Column("stock_changed_on", sa.Date(), nullable=True))
    op.execute("UPDATE lot SET stock_changed_on = received_on")


def downgrade():
    op.drop_column("lot", "stock_changed_on")
