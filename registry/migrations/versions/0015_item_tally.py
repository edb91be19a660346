"""Item counts by kind, status and holder (`item_tally`), kept by the custody projection and filled
here from the items an instance already holds.

Revision ID: 0015_item_tally
Revises: 0014_picker_indexes
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_item_tally"
down_revision = "0014_picker_indexes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "item_tally",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("holder", sa.String(length=36), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "status", "holder", name="pk_item_tally"),
    )
    op.create_index("ix_item_tally_holder", "item_tally", ["holder"])
    op.execute(
        "INSERT INTO item_tally (kind, status, holder, count) "
        "SELECT kind, status, COALESCE(holder_party_id, ''), COUNT(*) FROM item "
        "GROUP BY kind, status, COALESCE(holder_party_id, '')"
    )


def downgrade():
    op.drop_table("item_tally")
