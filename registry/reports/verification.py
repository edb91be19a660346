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
    keys = verifier_keys()
    verdict = verify_report(data, trust_roots=trust_roots(), vkeys=keys[:1])
    if len(keys) > 1 and verdict.ok and verdict.evidence is not None:
        _post_quantum(verdict, keys[1])
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


def _post_quantum(verdict: ReportVerdict, pq_vkey: str) -> None:
    """A checkpoint signed after the log's ML-DSA-44 key was introduced must carry its signature too
    (one signed before cannot: reports issued then stay valid)."""
    from audit.checkpoint import open_checkpoint
    from audit.errors import VerificationError
    from registry.ledger.runtime import pq_introduced

    evidence = verdict.evidence or {}
    size, introduced = evidence["proof"]["size"], pq_introduced()
    if introduced is None or size <= introduced:
        return
    try:
        open_checkpoint(evidence["log"]["checkpoint"], [pq_vkey])
    except (VerificationError, ValueError) as error:
        verdict.add("post-quantum", False, f"the checkpoint lacks a valid ML-DSA-44 signature of the log: {error}")
        return
    verdict.add("post-quantum", True, "the checkpoint also carries the log's ML-DSA-44 signature")
