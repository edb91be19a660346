"""The registry's verdict on a report PDF: every check of `audit.report` against this instance's
trust roots and log key, and one more that only the registry can make: that a `report.issued`
event records this exact file."""

from __future__ import annotations

from pathlib import Path

from flask import current_app
from sqlalchemy import select

from audit.report import ReportVerdict, verify_report
from registry.extensions import db
from registry.ledger.runtime import verifier_keys
from registry.reports.models import IssuedReport


def trust_roots() -> list[bytes]:
    path = Path(current_app.config["REPORT_TRUST_PEM"])
    return [path.read_bytes()] if path.exists() else []


def verify(data: bytes) -> tuple[ReportVerdict, IssuedReport | None]:
    verdict = verify_report(data, trust_roots=trust_roots(), vkeys=verifier_keys())
    issued = db.session.scalar(select(IssuedReport).where(IssuedReport.sha256 == verdict.sha256))
    if verdict.ok or issued is not None:
        verdict.add(
            "issued",
            issued is not None,
            f"report.issued at ledger entry {issued.entry_index} records this file "
            f"({issued.issued_by}, {issued.issued_at:%Y-%m-%d %H:%M} UTC)"
            if issued
            else "no report.issued event of this registry records this file's SHA-256",
        )
    return verdict, issued
