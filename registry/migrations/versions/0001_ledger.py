"""The ledger: entries, Merkle nodes, signed checkpoints, and the triggers that keep them append-only.

Revision ID: 0001_ledger
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_ledger"
down_revision = None
branch_labels = None
depends_on = None

APPEND_ONLY = ("ledger_entry", "ledger_node", "ledger_checkpoint")


def upgrade():
    op.create_table(
        "ledger_entry",
        sa.Column("entry_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("item_ref", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("entry_index", name=op.f("pk_ledger_entry")),
    )
    op.create_index(op.f("ix_ledger_entry_event_type"), "ledger_entry", ["event_type"])
    op.create_index("ix_ledger_entry_item_ref_entry_index", "ledger_entry", ["item_ref", "entry_index"])
    op.create_table(
        "ledger_node",
        sa.Column("node_key", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("node_key", name=op.f("pk_ledger_node")),
    )
    op.create_table(
        "ledger_checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_checkpoint")),
    )
    op.create_index(op.f("ix_ledger_checkpoint_tree_size"), "ledger_checkpoint", ["tree_size"])
    create_append_only_triggers(op.get_bind().dialect.name)


def create_append_only_triggers(dialect: str) -> None:
    if dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION ledger_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP "
            "USING ERRCODE = 'insufficient_privilege'; END $$"
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION ledger_reject_change()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change()"
            )
    elif dialect == "sqlite":
        for table in APPEND_ONLY:
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {action} refused'); END"
                )
    else:
        raise RuntimeError(f"no append-only triggers for the {dialect} engine")


def downgrade():
    raise RuntimeError("the ledger cannot be downgraded: dropping it would destroy the record")
