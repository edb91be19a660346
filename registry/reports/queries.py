"""Reads of the reports domain: issued reports, report jobs, and the choices the request form offers."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.custody.models import MultipleSaleFlag
from registry.recalls.models import RecallCampaign
from registry.reports.models import IssuedReport, ReportJob

# How the issued reports may be ordered: the words the page shows for each.
ISSUED_ORDERS = {"newest": "newest first", "oldest": "oldest first", "type": "type, then newest"}


def issued(
    session: Session,
    *,
    report_type: str | None = None,
    day_from: date | None = None,
    day_to: date | None = None,
    order: str = "newest",
    offset: int = 0,
    limit: int = 50,
) -> list[IssuedReport]:
    """Issued reports in the chosen order, optionally of one type and issued between two days."""
    statement = _issued_filters(select(IssuedReport), report_type, day_from, day_to)
    if order == "oldest":
        statement = statement.order_by(IssuedReport.entry_index.asc())
    elif order == "type":
        statement = statement.order_by(IssuedReport.report_type, IssuedReport.entry_index.desc())
    else:
        statement = statement.order_by(IssuedReport.entry_index.desc())
    return list(session.scalars(statement.offset(offset).limit(limit)))


def issued_count(
    session: Session, *, report_type: str | None = None, day_from: date | None = None, day_to: date | None = None
) -> int:
    counted = _issued_filters(select(func.count()).select_from(IssuedReport), report_type, day_from, day_to)
    return session.scalar(counted) or 0


def _issued_filters(statement, report_type, day_from, day_to):
    if report_type:
        statement = statement.where(IssuedReport.report_type == report_type)
    if day_from:
        statement = statement.where(IssuedReport.issued_at >= datetime.combine(day_from, time.min, UTC))
    if day_to:
        end = datetime.combine(day_to + timedelta(days=1), time.min, UTC)
        statement = statement.where(IssuedReport.issued_at < end)
    return statement


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
