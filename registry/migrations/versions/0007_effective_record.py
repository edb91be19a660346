"""The effective record: custody records keep their corrected values beside what was first written,
and who holds the item after each; items keep their latest acquisition date, with partial indexes for
the open acquisitions and the reportable losses; the version of the projection rules, so `flask init`
rebuilds the projections of an existing ledger under the new rules; the vault's keyed hashes that
recognise a person registered twice (`flask init` computes them for the persons already there).

Revision ID: 0007_effective_record
Revises: 0006_reports
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_effective_record"
down_revision = "0006_reports"
branch_labels = None
depends_on = None

HELD = "status IN ('in_custody', 'quarantined')"
MISSING = "status IN ('stolen', 'lost')"


def upgrade():
    with op.batch_alter_table("custody_record") as batch:
        batch.add_column(sa.Column("holder_party_id", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("original_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("original_party_id", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("original_details", sa.JSON(), nullable=True))
        batch.create_foreign_key(op.f("fk_custody_record_holder_party_id_party"), "party", ["holder_party_id"], ["id"])
        batch.create_foreign_key(
            op.f("fk_custody_record_original_party_id_party"), "party", ["original_party_id"], ["id"]
        )
        batch.create_index(op.f("ix_custody_record_original_on"), ["original_on"])
    with op.batch_alter_table("item") as batch:
        batch.add_column(sa.Column("acquired_on", sa.Date(), nullable=True))
    op.create_index(
        "ix_item_open_acquisitions",
        "item",
        ["acquired_on", "id"],
        sqlite_where=sa.text(HELD),
        postgresql_where=sa.text(HELD),
    )
    op.create_index(
        "ix_item_reportable_loss", "item", ["id"], sqlite_where=sa.text(MISSING), postgresql_where=sa.text(MISSING)
    )
    with op.batch_alter_table("personal_data") as batch:
        batch.add_column(sa.Column("document_key", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("name_address_key", sa.String(length=64), nullable=True))
        batch.create_index(op.f("ix_personal_data_document_key"), ["document_key"])
        batch.create_index(op.f("ix_personal_data_name_address_key"), ["name_address_key"])
    state = op.create_table(
        "projection_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projection_state")),
    )
    # The tables were built by the first rules: `flask init` rebuilds them from the ledger.
    op.bulk_insert(state, [{"id": 1, "version": 1}])


def downgrade():
    op.drop_table("projection_state")
    with op.batch_alter_table("personal_data") as batch:
        batch.drop_index(op.f("ix_personal_data_name_address_key"))
        batch.drop_index(op.f("ix_personal_data_document_key"))
        batch.drop_column("name_address_key")
        batch.drop_column("document_key")
    op.drop_index("ix_item_reportable_loss", table_name="item")
    op.drop_index("ix_item_open_acquisitions", table_name="item")
    with op.batch_alter_table("item") as batch:
        batch.drop_column("acquired_on")
    with op.batch_alter_table("custody_record") as batch:
        batch.drop_index(op.f("ix_custody_record_original_on"))
        batch.drop_constraint(op.f("fk_custody_record_original_party_id_party"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_custody_record_holder_party_id_party"), type_="foreignkey")
        for name in ("original_details", "original_party_id", "original_on", "holder_party_id"):
            batch.drop_column(name)
