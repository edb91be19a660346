"""Witness cosignatures of the ledger's checkpoints (append-only) and each witness's state.

Revision ID: 0017_witness_cosignatures
Revises: 0016_list_indexes_at_scale
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_witness_cosignatures"
down_revision = "0016_list_indexes_at_scale"
branch_labels = None
depends_on = None

TABLE = "ledger_cosignature"


def upgrade():
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("witness", sa.String(length=254), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("cosigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_cosignature")),
        sa.UniqueConstraint("witness", "tree_size", name="uq_ledger_cosignature_witness_size"),
    )
    op.create_index(op.f("ix_ledger_cosignature_tree_size"), TABLE, ["tree_size"])
    op.create_table(
        "witness_state",
        sa.Column("witness", sa.String(length=254), nullable=False),
        sa.Column("cosigned_size", sa.BigInteger(), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("witness", name=op.f("pk_witness_state")),
    )
    if op.get_bind().dialect.name == "postgresql":  # ledger_reject_change() comes with 0001
        op.execute(
            f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION ledger_reject_change()"
        )
        op.execute(
            f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {TABLE}_no_{action.lower()} BEFORE {action} ON {TABLE} "
                f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: {action} refused'); END"
            )


def downgrade():
    op.drop_table("witness_state")
    op.drop_table(TABLE)
