"""The ledger verification report: a full verification of the stored ledger, what was checked and
the verdict."""

from __future__ import annotations

import time
from datetime import datetime

from sqlalchemy.orm import Session

from audit.verify import CHECKS
from registry.reports.types import base


def parse_verification(session: Session, params: dict) -> dict:
    return {}


# What a check of `audit.verify.CHECKS` runs over, when not the entries: a count of the verdict.
CHECK_SCOPE = {"node": "nodes", "signature": "checkpoints", "root": "checkpoints"}
SCOPE_NAMES = {
    "entries": ("entry", "entries"),
    "nodes": ("stored node", "stored nodes"),
    "checkpoints": ("signed checkpoint", "signed checkpoints"),
}


def ledger_check_rows(verdict) -> list[dict]:
    """Each check with what it ran over and its outcome. The verifier stops at the first problem:
    the entries before it passed every check, the rest were not checked."""
    rows = []
    for name, proves in CHECKS:
        scope = CHECK_SCOPE.get(name, "entries")
        count, (one, many) = getattr(verdict, scope), SCOPE_NAMES[scope]
        failed = not verdict.ok and verdict.problem.check == name
        if verdict.ok:
            result = f"passed on {count:,} {one if count == 1 else many}"
        elif failed:
            where = f" at entry {verdict.problem.index}" if verdict.problem.index is not None else ""
            result = f"FAILED{where}: {verdict.problem.message}"
        elif verdict.problem.index:
            result = f"passed on entries 0 to {verdict.problem.index - 1}; not checked beyond the problem"
        else:
            result = "not checked: the verification stopped at the problem"
        rows.append({"name": name, "proves": proves, "result": result, "failed": failed})
    return rows


def build_verification(
    session: Session, params: dict, *, personal: bool, now: datetime, origin: str, vkey: str, **_
) -> base.Draft:
    """Runs the full verification of the stored ledger (every check of `audit.verify`); the evidence
    proves the first and the last entry it covered against the checkpoint it ends at."""
    from registry.ledger.checks import verify_stored_ledger

    started = time.perf_counter()
    verdict = verify_stored_ledger(session, [vkey])
    seconds = time.perf_counter() - started
    entries = {0, verdict.entries - 1} if verdict.entries else set()
    return base.Draft(
        title="Ledger verification report",
        template="reports/pdf/ledger_verification.html",
        context={
            "verdict": verdict,
            "checked_at": now,
            "seconds": seconds,
            "origin": origin,
            "vkey": vkey,
            "checks": ledger_check_rows(verdict),
        },
        entries=entries if verdict.ok else set(),
    )


TYPE = base.ReportType(
    "ledger_verification",
    "Ledger verification report",
    "A full verification of the stored ledger: the checkpoint, the size, what was checked and the verdict.",
    (),
    parse_verification,
    build_verification,
)
