"""The report types, one module each under `registry/reports/types/`: what each takes (checked
parameters), what it shows (template context) and which ledger entries prove it (the evidence).
Building a report reads; it never writes."""

from __future__ import annotations

from registry.reports.types import (
    base,
    bound_book,
    inventory_audit,
    item_certificate,
    ledger_verification,
    multiple_sale,
    recall_campaign,
    theft_loss,
    trace_response,
)
from registry.reports.types.base import Draft, PrelaidTable, ReportError, ReportType

__all__ = ["TYPES", "Draft", "PrelaidTable", "ReportError", "ReportType", "report_type"]

TYPES: dict[str, ReportType] = {
    module.TYPE.name: module.TYPE
    for module in (
        item_certificate,
        bound_book,
        trace_response,
        theft_loss,
        multiple_sale,
        recall_campaign,
        ledger_verification,
        inventory_audit,
    )
}


def report_type(name: str) -> ReportType:
    found = TYPES.get(name)
    if found is None:
        raise base.ReportError(
            f"'report_type' must be one of {', '.join(TYPES)}", code="unknown_report_type", field="report_type"
        )
    return found
