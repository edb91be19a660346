"""The response to an ATF trace request: where a firearm came from and where it went."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from registry.custody import queries as custody_queries
from registry.reports.types import base


def parse_trace(session: Session, params: dict) -> dict:
    return {
        "serial": base.text(params, "serial", limit=64),
        "manufacturer": base.text(params, "manufacturer", required=False),
        "request_number": base.text(params, "request_number", required=False, limit=64),
    }


def build_trace(session: Session, params: dict, *, personal: bool, now: datetime, origin: str, **_) -> base.Draft:
    answer = custody_queries.trace(session, params["serial"], params["manufacturer"], now=now, personal=personal)
    entries = set()
    for found in answer.items:
        entries.add(found["item"].registered_entry)
        entries.update(r.entry_index for r in (found["acquisition"], found["disposition"]) if r is not None)
    entries |= custody_queries.corrections_of(session, entries)
    return base.Draft(
        title=f"Trace request response: serial {params['serial']}",
        template="reports/pdf/trace_response.html",
        context={"answer": answer, "params": params},
        entries=entries,
    )


TYPE = base.ReportType(
    "trace_response",
    "Trace request response",
    "Where a firearm came from and where it went, for an ATF trace request.",
    ("serial", "manufacturer", "request_number"),
    parse_trace,
    build_trace,
)
