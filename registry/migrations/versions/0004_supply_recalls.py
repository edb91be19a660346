"""Supply and recalls: parts, suppliers, supplier parts, lots, stock levels, lot consumption, the
part of each serialized item, component links, purchase orders, recall campaigns and their units.

Revision ID: 0004_supply_recalls
Revises: 0003_custody
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_supply_recalls"
down_revision = "0003_custody"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "part",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=400), nullable=False),
        sa.Column("tracking", sa.String(length=8), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("reorder_point", sa.BigInteger(), nullable=True),
        sa.Column("reorder_quantity", sa.BigInteger(), nullable=True),
        sa.Column("registered_entry", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_part")),
        sa.UniqueConstraint("number", name=op.f("uq_part_number")),
    )
    op.create_table(
        "recall_campaign",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("defect", sa.Text(), nullable=False),
        sa.Column("remedy", sa.Text(), nullable=True),
        sa.Column("basis", sa.JSON(), nullable=False),
        sa.Column("as_of", UTC, nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("opened_entry", sa.BigInteger(), nullable=False),
        sa.Column("population_size", sa.Integer(), nullable=False),
        sa.Column("population_sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("closing_note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recall_campaign")),
        sa.UniqueConstraint("number", name=op.f("uq_recall_campaign_number")),
    )
    op.create_table(
        "supplier",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=400), nullable=True),
        sa.Column("registered_entry", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier")),
        sa.UniqueConstraint("name", name=op.f("uq_supplier_name")),
    )
    op.create_table(
        "purchase_order",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("supplier_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("drafted_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("drafted_entry", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["supplier_id"], ["supplier.id"], name=op.f("fk_purchase_order_supplier_id_supplier")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_order")),
        sa.UniqueConstraint("number", name=op.f("uq_purchase_order_number")),
    )
    op.create_index(op.f("ix_purchase_order_supplier_id"), "purchase_order", ["supplier_id"])

    op.create_table(
        "supplier_part",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("supplier_id", sa.String(length=36), nullable=False),
        sa.Column("part_id", sa.String(length=36), nullable=False),
        sa.Column("supplier_part_number", sa.String(length=64), nullable=False),
        sa.Column("pack_size", sa.BigInteger(), nullable=False),
        sa.Column("lead_time_days", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.String(length=32), nullable=True),
        sa.Column("unit_price_millis", sa.BigInteger(), nullable=True),
        sa.Column("preferred", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["part_id"], ["part.id"], name=op.f("fk_supplier_part_part_id_part")),
        sa.ForeignKeyConstraint(["supplier_id"], ["supplier.id"], name=op.f("fk_supplier_part_supplier_id_supplier")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_part")),
        sa.UniqueConstraint("supplier_id", "part_id", name="uq_supplier_part_supplier_id_part_id"),
    )
    op.create_index(op.f("ix_supplier_part_part_id"), "supplier_part", ["part_id"])

    op.create_table(
        "component_link",
        sa.Column("installed_entry", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("parent_item_id", sa.String(length=36), nullable=False),
        sa.Column("child_item_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.String(length=64), nullable=True),
        sa.Column("installed_at", UTC, nullable=False),
        sa.Column("removed_at", UTC, nullable=True),
        sa.Column("removed_entry", sa.BigInteger(), nullable=True),
        sa.Column("removal_reason", sa.String(length=400), nullable=True),
        sa.ForeignKeyConstraint(["child_item_id"], ["item.id"], name=op.f("fk_component_link_child_item_id_item")),
        sa.ForeignKeyConstraint(["parent_item_id"], ["item.id"], name=op.f("fk_component_link_parent_item_id_item")),
        sa.PrimaryKeyConstraint("installed_entry", name=op.f("pk_component_link")),
    )
    op.create_index(op.f("ix_component_link_child_item_id"), "component_link", ["child_item_id"])
    op.create_index(op.f("ix_component_link_parent_item_id"), "component_link", ["parent_item_id"])

    op.create_table(
        "item_part",
        sa.Column("item_id", sa.String(length=36), nullable=False),
        sa.Column("part_id", sa.String(length=36), nullable=False),
        sa.Column("made_at", UTC, nullable=False),
        sa.Column("entry_index", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_item_part_item_id_item")),
        sa.ForeignKeyConstraint(["part_id"], ["part.id"], name=op.f("fk_item_part_part_id_part")),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_item_part")),
    )
    op.create_index("ix_item_part_part_id_made_at", "item_part", ["part_id", "made_at"])

    op.create_table(
        "lot",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("part_id", sa.String(length=36), nullable=False),
        sa.Column("supplier_id", sa.String(length=36), nullable=True),
        sa.Column("supplier_lot_code", sa.String(length=64), nullable=True),
        sa.Column("internal_code", sa.String(length=64), nullable=False),
        sa.Column("lot_scheme", sa.String(length=8), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("purchase_order_id", sa.String(length=36), nullable=True),
        sa.Column("location", sa.String(length=64), nullable=False),
        sa.Column("received_entry", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["part_id"], ["part.id"], name=op.f("fk_lot_part_id_part")),
        sa.ForeignKeyConstraint(
            ["purchase_order_id"], ["purchase_order.id"], name=op.f("fk_lot_purchase_order_id_purchase_order")
        ),
        sa.ForeignKeyConstraint(["supplier_id"], ["supplier.id"], name=op.f("fk_lot_supplier_id_supplier")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lot")),
        sa.UniqueConstraint("internal_code", name=op.f("uq_lot_internal_code")),
    )
    op.create_index(op.f("ix_lot_part_id"), "lot", ["part_id"])
    op.create_index(op.f("ix_lot_supplier_id"), "lot", ["supplier_id"])
    op.create_index(op.f("ix_lot_supplier_lot_code"), "lot", ["supplier_lot_code"])

    op.create_table(
        "purchase_order_line",
        sa.Column("purchase_order_id", sa.String(length=36), nullable=False),
        sa.Column("line", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("part_id", sa.String(length=36), nullable=False),
        sa.Column("supplier_part_id", sa.String(length=36), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("received", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["part_id"], ["part.id"], name=op.f("fk_purchase_order_line_part_id_part")),
        sa.ForeignKeyConstraint(
            ["purchase_order_id"],
            ["purchase_order.id"],
            name=op.f("fk_purchase_order_line_purchase_order_id_purchase_order"),
        ),
        sa.ForeignKeyConstraint(
            ["supplier_part_id"],
            ["supplier_part.id"],
            name=op.f("fk_purchase_order_line_supplier_part_id_supplier_part"),
        ),
        sa.PrimaryKeyConstraint("purchase_order_id", "line", name=op.f("pk_purchase_order_line")),
    )
    op.create_table(
        "recall_unit",
        sa.Column("campaign_id", sa.String(length=36), nullable=False),
        sa.Column("item_id", sa.String(length=36), nullable=False),
        sa.Column("holder_party_id", sa.String(length=36), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("updated_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=400), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["recall_campaign.id"], name=op.f("fk_recall_unit_campaign_id_recall_campaign")
        ),
        sa.ForeignKeyConstraint(["holder_party_id"], ["party.id"], name=op.f("fk_recall_unit_holder_party_id_party")),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_recall_unit_item_id_item")),
        sa.PrimaryKeyConstraint("campaign_id", "item_id", name=op.f("pk_recall_unit")),
    )
    op.create_index(op.f("ix_recall_unit_item_id"), "recall_unit", ["item_id"])
    op.create_index(op.f("ix_recall_unit_state"), "recall_unit", ["state"])

    op.create_table(
        "recall_unit_change",
        sa.Column("entry_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("campaign_id", sa.String(length=36), nullable=False),
        sa.Column("item_id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["recall_campaign.id"], name=op.f("fk_recall_unit_change_campaign_id_recall_campaign")
        ),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_recall_unit_change_item_id_item")),
        sa.PrimaryKeyConstraint("entry_index", name=op.f("pk_recall_unit_change")),
    )
    op.create_index(op.f("ix_recall_unit_change_campaign_id"), "recall_unit_change", ["campaign_id"])

    op.create_table(
        "lot_consumption",
        sa.Column("entry_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("lot_id", sa.String(length=36), nullable=False),
        sa.Column("item_id", sa.String(length=36), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("location", sa.String(length=64), nullable=False),
        sa.Column("consumed_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_lot_consumption_item_id_item")),
        sa.ForeignKeyConstraint(["lot_id"], ["lot.id"], name=op.f("fk_lot_consumption_lot_id_lot")),
        sa.PrimaryKeyConstraint("entry_index", name=op.f("pk_lot_consumption")),
    )
    op.create_index(op.f("ix_lot_consumption_item_id"), "lot_consumption", ["item_id"])
    op.create_index(op.f("ix_lot_consumption_lot_id"), "lot_consumption", ["lot_id"])

    op.create_table(
        "stock_level",
        sa.Column("lot_id", sa.String(length=36), nullable=False),
        sa.Column("location", sa.String(length=64), nullable=False),
        sa.Column("part_id", sa.String(length=36), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["lot_id"], ["lot.id"], name=op.f("fk_stock_level_lot_id_lot")),
        sa.ForeignKeyConstraint(["part_id"], ["part.id"], name=op.f("fk_stock_level_part_id_part")),
        sa.PrimaryKeyConstraint("lot_id", "location", name=op.f("pk_stock_level")),
    )
    op.create_index(op.f("ix_stock_level_part_id"), "stock_level", ["part_id"])


def downgrade():
    for table in (
        "stock_level",
        "lot_consumption",
        "recall_unit_change",
        "recall_unit",
        "purchase_order_line",
        "lot",
        "item_part",
        "component_link",
        "supplier_part",
        "purchase_order",
        "supplier",
        "recall_campaign",
        "part",
    ):
        op.drop_table(table)
