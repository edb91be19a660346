"""Server-side sessions and a shared sign-in throttle: `account_session` holds one row per browser
sign-in (ended on sign-out), and the security log gets the indexes the throttle counts failures by
(per e-mail and per address within the last minute).

Revision ID: 0008_sessions_and_throttle
Revises: 0007_effective_record
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_sessions_and_throttle"
down_revision = "0007_effective_record"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "account_session",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_account_session_account_id_account")),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_account_session")),
    )
    op.create_index(op.f("ix_account_session_account_id"), "account_session", ["account_id"])
    op.create_index("ix_security_log_email_at", "security_log", ["email", "at"])
    op.create_index("ix_security_log_address_at", "security_log", ["address", "at"])


def downgrade():
    op.drop_index("ix_security_log_address_at", table_name="security_log")
    op.drop_index("ix_security_log_email_at", table_name="security_log")
    op.drop_index(op.f("ix_account_session_account_id"), table_name="account_session")
    op.drop_table("account_session")
