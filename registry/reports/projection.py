"""Projection of `report.issued`: the list of issued reports. The PDFs themselves are kept in the
instance folder under their SHA-256, which the event carries."""

from __future__ import annotations

from sqlalchemy.orm import Session

from registry.fields import stored_moment
from registry.reports.models import IssuedReport


def report_issued(session: Session, index: int, event: dict) -> None:
    p = event["payload"]
    session.add(
        IssuedReport(
            id=p["report_id"],
            report_type=p["report_type"],
            title=p["title"],
            params=p["params"],
            sha256=p["sha256"],
            size=int(p["size"]),
            pages=int(p["pages"]),
            checkpoint_size=int(p["checkpoint_size"]),
            evidence_entries=int(p["evidence_entries"]),
            template_revision=p["template_revision"],
            issued_by=event["actor"],
            issued_at=stored_moment(event["time"]),
            entry_index=index,
        )
    )


HANDLERS = {"report.issued": report_issued}
TABLES = (IssuedReport,)
