"""Custody: parties, the personal-data vault, items, custody records, import keys, multiple-sale flags.

Revision ID: 0003_custody
Revises: 0002_accounts
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_custody"
down_revision = "0002_accounts"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "party",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200)),
        sa.Column("address", sa.String(400)),
        sa.Column("ffl", sa.String(15)),
        sa.Column("ffl_abbreviated", sa.String(8)),
        sa.Column("commitment", sa.String(64)),
        sa.Column("erased", sa.Boolean(), nullable=False),
        sa.Column("registered_entry", sa.BigInteger(), nullable=False),
        sa.Column("registered_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party")),
        sa.UniqueConstraint("ffl", name=op.f("uq_party_ffl")),
    )
    op.create_table(
        "personal_data",
        sa.Column("party_id", sa.String(36), nullable=False),
        sa.Column("salt", sa.LargeBinary(32)),
        sa.Column("full_name", sa.String(200)),
        sa.Column("address", sa.String(400)),
        sa.Column("id_document", sa.String(200)),
        sa.Column("erased_at", UTC),
        sa.ForeignKeyConstraint(["party_id"], ["party.id"], name=op.f("fk_personal_data_party_id_party")),
        sa.PrimaryKeyConstraint("party_id", name=op.f("pk_personal_data")),
    )
    op.create_table(
        "item",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("scheme", sa.String(32), nullable=False),
        sa.Column("serial", sa.String(200), nullable=False),
        sa.Column("serial_normalized", sa.String(200), nullable=False),
        sa.Column("uniqueness_key", sa.String(500), nullable=False),
        sa.Column("manufacturer", sa.String(200)),
        sa.Column("importer", sa.String(200)),
        sa.Column("model", sa.String(200)),
        sa.Column("type", sa.String(64)),
        sa.Column("caliber", sa.String(64)),
        sa.Column("country", sa.String(64)),
        sa.Column("model_year", sa.Integer()),
        sa.Column("description", sa.String(400)),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("holder_party_id", sa.String(36)),
        sa.Column("acquired", sa.Boolean(), nullable=False),
        sa.Column("registered_entry", sa.BigInteger(), nullable=False),
        sa.Column("last_event_date", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["holder_party_id"], ["party.id"], name=op.f("fk_item_holder_party_id_party")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item")),
        sa.UniqueConstraint("uniqueness_key", name=op.f("uq_item_uniqueness_key")),
    )
    op.create_index(op.f("ix_item_serial_normalized"), "item", ["serial_normalized"])
    op.create_index(op.f("ix_item_holder_party_id"), "item", ["holder_party_id"])
    op.create_index("ix_item_kind_status", "item", ["kind", "status"])
    op.create_table(
        "custody_record",
        sa.Column("entry_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("item_id", sa.String(36), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("party_id", sa.String(36)),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("corrects", sa.BigInteger()),
        sa.Column("actor", sa.String(254), nullable=False),
        sa.Column("recorded_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_custody_record_item_id_item")),
        sa.ForeignKeyConstraint(["party_id"], ["party.id"], name=op.f("fk_custody_record_party_id_party")),
        sa.PrimaryKeyConstraint("entry_index", name=op.f("pk_custody_record")),
    )
    for column in ("item_id", "on", "party_id", "corrects"):
        op.create_index(op.f(f"ix_custody_record_{column}"), "custody_record", [column])
    op.create_table(
        "import_key",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("item_id", sa.String(36), nullable=False),
        sa.Column("entry_index", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_import_key")),
    )
    op.create_table(
        "multiple_sale_flag",
        sa.Column("entry_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("party_id", sa.String(36), nullable=False),
        sa.Column("item_ids", sa.JSON(), nullable=False),
        sa.Column("first_date", sa.Date(), nullable=False),
        sa.Column("last_date", sa.Date(), nullable=False),
        sa.Column("note", sa.Text()),
        sa.ForeignKeyConstraint(["party_id"], ["party.id"], name=op.f("fk_multiple_sale_flag_party_id_party")),
        sa.PrimaryKeyConstraint("entry_index", name=op.f("pk_multiple_sale_flag")),
    )
    op.create_index(op.f("ix_multiple_sale_flag_party_id"), "multiple_sale_flag", ["party_id"])


def downgrade():
    for table in ("multiple_sale_flag", "import_key", "custody_record", "item", "personal_data", "party"):
        op.drop_table(table)
