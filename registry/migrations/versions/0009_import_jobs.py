"""Bulk imports as background jobs: `import_job` keeps the file until the job ends, its progress
and its row report.

Revision ID: 0009_import_jobs
Revises: 0008_sessions_and_throttle
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_import_jobs"
down_revision = "0008_sessions_and_throttle"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "import_job",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("requested_by", sa.String(length=254), nullable=False),
        sa.Column("recipient_party_id", sa.String(length=64), nullable=False),
        sa.Column("skip_invalid", sa.Boolean(), nullable=False),
        sa.Column("csv_text", sa.Text(), nullable=True),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("message", sa.String(length=400), nullable=False),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("error", sa.String(length=1000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_job")),
    )
    op.create_index(op.f("ix_import_job_requested_by"), "import_job", ["requested_by"])


def downgrade():
    op.drop_index(op.f("ix_import_job_requested_by"), table_name="import_job")
    op.drop_table("import_job")
