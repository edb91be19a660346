"""Inventory audits: an audit of a licensee's premises and the serials scanned into it (its working
state; closing appends `inventory.audited`).

Revision ID: 0012_inventory_audits
Revises: 0011_list_indexes
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_inventory_audits"
down_revision = "0011_list_indexes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "inventory_audit",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("licensee_party_id", sa.String(length=36), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_by", sa.String(length=254), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_entry", sa.BigInteger(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["licensee_party_id"], ["party.id"], name="fk_inventory_audit_licensee_party_id_party"),
        sa.PrimaryKeyConstraint("id", name="pk_inventory_audit"),
    )
    op.create_index("ix_inventory_audit_licensee_party_id", "inventory_audit", ["licensee_party_id"])
    op.create_table(
        "inventory_scan",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("audit_id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=220), nullable=False),
        sa.Column("item_id", sa.String(length=36), nullable=True),
        sa.Column("serial", sa.String(length=200), nullable=False),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("scanned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("scanned_by", sa.String(length=254), nullable=False),
        sa.ForeignKeyConstraint(
            ["audit_id"], ["inventory_audit.id"], name="fk_inventory_scan_audit_id_inventory_audit"
        ),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name="fk_inventory_scan_item_id_item"),
        sa.PrimaryKeyConstraint("id", name="pk_inventory_scan"),
        sa.UniqueConstraint("audit_id", "key", name="uq_inventory_scan_audit_id_key"),
    )
    op.create_index("ix_inventory_scan_audit_outcome", "inventory_scan", ["audit_id", "outcome"])


def downgrade():
    op.drop_index("ix_inventory_scan_audit_outcome", "inventory_scan")
    op.drop_table("inventory_scan")
    op.drop_index("ix_inventory_audit_licensee_party_id", "inventory_audit")
    op.drop_table("inventory_audit")
