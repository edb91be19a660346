"""The pickers' indexes: parties by name and persons by vault name, by prefix with case aside.

Revision ID: 0014_picker_indexes
Revises: 0013_ledger_entry_facts
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_picker_indexes"
down_revision = "0013_ledger_entry_facts"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_party_name_lower", "party", [sa.text("lower(name)")])
    op.create_index("ix_personal_data_full_name_lower", "personal_data", [sa.text("lower(full_name)")])


def downgrade():
    op.drop_index("ix_personal_data_full_name_lower", "personal_data")
    op.drop_index("ix_party_name_lower", "party")
