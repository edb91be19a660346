"""Reads of the reports domain: issued reports, report jobs, and the choices the request form offers."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.custody.models import MultipleSaleFlag
from registry.recalls.models import RecallCampaign
from registry.reports.models import IssuedReport, ReportJob


def issued(session: Session, *, report_type: str | None = None, offset: int = 0, limit: int = 50) -> list[IssuedReport]:
    """Issued reports, newest first, optionally of one type."""
    statement = select(IssuedReport).order_by(IssuedReport.entry_index.desc())
    if report_type:
        statement = statement.where(IssuedReport.report_type == report_type)
    return list(session.scalars(statement.offset(offset).limit(limit)))


def recent_jobs(session: Session, actor: str, limit: int = 10) -> list[ReportJob]:
    """The actor's latest report jobs, newest first."""
    return list(
        session.scalars(
            select(ReportJob).where(ReportJob.requested_by == actor).order_by(ReportJob.created_at.desc()).limit(limit)
        )
    )


def multiple_sale_flags(session: Session) -> list[MultipleSaleFlag]:
    return list(session.scalars(select(MultipleSaleFlag).order_by(MultipleSaleFlag.entry_index.desc())))


def campaigns(session: Session) -> list[RecallCampaign]:
    return list(session.scalars(select(RecallCampaign).order_by(RecallCampaign.opened_entry.desc())))


def closed_audits(session: Session, limit: int = 100) -> list:
    """Closed inventory audits, newest first, with their licensee's name."""
    from registry.custody.models import Party
    from registry.inventory.models import InventoryAudit

    return list(
        session.execute(
            select(InventoryAudit, Party.name)
            .join(Party, Party.id == InventoryAudit.licensee_party_id)
            .where(InventoryAudit.status == "closed")
            .order_by(InventoryAudit.closed_at.desc())
            .limit(limit)
        ).all()
    )
