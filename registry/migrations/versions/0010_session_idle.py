"""Browser sessions remember when they were last used, so the idle timeout is the server's to judge
(by the registry's clock), not only the signed cookie's.

Revision ID: 0010_session_idle
Revises: 0009_import_jobs
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_session_idle"
down_revision = "0009_import_jobs"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("account_session") as table:
        table.add_column(sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("account_session") as table:
        table.drop_column("last_seen_at")
