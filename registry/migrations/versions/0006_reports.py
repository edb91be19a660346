"""Signed reports: issued reports (projection of report.issued) and report jobs.

Revision ID: 0006_reports
Revises: 0005_trace_indexes
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_reports"
down_revision = "0005_trace_indexes"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "issued_report",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("report_type", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("checkpoint_size", sa.BigInteger(), nullable=False),
        sa.Column("evidence_entries", sa.Integer(), nullable=False),
        sa.Column("template_revision", sa.String(length=64), nullable=False),
        sa.Column("issued_by", sa.String(length=254), nullable=False),
        sa.Column("issued_at", UTC, nullable=False),
        sa.Column("entry_index", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_report")),
        sa.UniqueConstraint("sha256", name=op.f("uq_issued_report_sha256")),
        sa.UniqueConstraint("entry_index", name=op.f("uq_issued_report_entry_index")),
    )
    op.create_index(op.f("ix_issued_report_report_type"), "issued_report", ["report_type"])
    op.create_table(
        "report_job",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("report_type", sa.String(length=32), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("requested_by", sa.String(length=254), nullable=False),
        sa.Column("personal", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("message", sa.String(length=400), nullable=False),
        sa.Column("report_id", sa.String(length=36), nullable=True),
        sa.Column("error", sa.String(length=1000), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_job")),
    )
    op.create_index(op.f("ix_report_job_requested_by"), "report_job", ["requested_by"])


def downgrade():
    op.drop_index(op.f("ix_report_job_requested_by"), table_name="report_job")
    op.drop_table("report_job")
    op.drop_index(op.f("ix_issued_report_report_type"), table_name="issued_report")
    op.drop_table("issued_report")
