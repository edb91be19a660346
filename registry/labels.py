"""Words for people: the one place that turns the registry's codes (statuses, event types, detail
keys, refusal codes) into what a clerk reads on a page. The API keeps its codes; the pages show these.
A code without a label falls back to its own words ("in_custody" reads "in custody"), so nothing new
ever shows as a bare enum, and a test holds every status and event type to a label of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable

STATUSES = {
    "registered": "Registered",
    "in_custody": "In custody",
    "disposed": "Disposed of",
    "stolen": "Stolen",
    "lost": "Lost",
    "destroyed": "Destroyed",
    "exported": "Exported",
    "quarantined": "Quarantined",
}

KINDS = {"firearm": "Firearm", "vehicle": "Vehicle", "goods": "Goods"}

PARTY_KINDS = {"licensee": "Licensee", "organisation": "Organisation", "person": "Private person"}

# Ledger event types, as a sentence's subject: "Acquisition", "Theft or loss", ...
EVENTS = {
    "ledger.created": "Ledger created",
    "ledger.key_added": "Ledger signing key added",
    "party.registered": "Party registered",
    "party.erased": "Personal data erased",
    "item.registered": "Item registered",
    "item.acquired": "Acquisition",
    "item.disposed": "Disposition",
    "item.transferred": "Transfer",
    "item.status_changed": "Status change",
    "item.part_assigned": "Part assigned",
    "custody.corrected": "Correction",
    "part.registered": "Part registered",
    "part.reorder_set": "Reorder point set",
    "supplier.registered": "Supplier registered",
    "supplier_part.registered": "Supplier offer registered",
    "lot.received": "Lot received",
    "lot.consumed": "Lot consumed",
    "stock.moved": "Stock moved",
    "stock.adjusted": "Stock counted",
    "component.installed": "Component installed",
    "component.removed": "Component removed",
    "purchase_order.drafted": "Purchase order drafted",
    "purchase_order.placed": "Purchase order placed",
    "purchase_order.cancelled": "Purchase order cancelled",
    "recall.opened": "Recall opened",
    "recall.unit_updated": "Recall unit updated",
    "recall.closed": "Recall closed",
    "report.issued": "Report issued",
    "inventory.audited": "Inventory audited",
    "account.created": "Account created",
    "account.role_changed": "Role changed",
    "account.deactivated": "Account deactivated",
    "account.reactivated": "Account reactivated",
    "account.grant_added": "Permission granted",
    "account.grant_removed": "Permission withdrawn",
    "account.password_changed": "Password changed",
    "account.token_issued": "API token issued",
    "account.token_revoked": "API token revoked",
}

# Custody record types (the timeline's rows) and what each status change means.
RECORDS = {
    "registered": "Registered",
    "acquired": "Acquired",
    "disposed": "Disposed of",
    "transferred": "Transferred",
    "status_changed": "Status changed",
    "corrected": "Correction",
}
STATUS_CHANGES = {
    "stolen": "Reported stolen",
    "lost": "Reported lost",
    "recovered": "Recovered",
    "released": "Released from quarantine",
    "destroyed": "Destroyed",
    "exported": "Exported",
    "quarantined": "Quarantined",
}

# Keys of a record's details, as a bound book or Form 3310.11 names them.
DETAILS = {
    "source_ffl": "Source FFL",
    "source_name": "Source",
    "source_address": "Source address",
    "transferee_ffl": "Transferee FFL",
    "transferee_name": "Transferee",
    "transferee_address": "Transferee address",
    "transferee_kind": "Transferee is",
    "source_kind": "Source is",
    "recipient_ffl": "Received under FFL",
    "form_4473": "Form 4473",
    "reference": "Reference",
    "police_report": "Police report",
    "atf_incident": "ATF incident number",
    "discovered_at": "Discovered",
    "note": "Note",
    "status": "Status",
    "reason": "Reason",
    "override": "Serial override",
    "model_year": "Model year",
    "date": "Date",
}
# Details a clerk has no use for on a page (kept in the ledger and the API).
HIDDEN_DETAILS = frozenset({"attributes", "uniqueness_key", "serial_normalized", "item_id", "party_id"})


def _words(code: str) -> str:
    text = str(code).replace("_", " ").replace(".", " ").strip()
    return text[:1].upper() + text[1:]


def status(code: str | None) -> str:
    return STATUSES.get(code or "", _words(code or ""))


def kind(code: str | None) -> str:
    return KINDS.get(code or "", _words(code or ""))


def party_kind(code: str | None) -> str:
    return PARTY_KINDS.get(code or "", _words(code or ""))


def event(code: str | None) -> str:
    return EVENTS.get(code or "", _words(code or ""))


def record(code: str, details: dict | None = None) -> str:
    """A timeline row's name; a status change says which ("Reported stolen")."""
    if code == "status_changed" and details and details.get("status") in STATUS_CHANGES:
        return STATUS_CHANGES[details["status"]]
    return RECORDS.get(code, _words(code))


def detail(key: str) -> str:
    return DETAILS.get(key, _words(key.removesuffix("_party_id")))


def shown_details(details: dict) -> list[tuple[str, str]]:
    """A record's details as (label, value) pairs for a page, without the internal ones."""
    shown = []
    for key, value in details.items():
        if key in HIDDEN_DETAILS or key.endswith("_party_id") or value in (None, "", [], {}):
            continue
        if key in ("transferee_kind", "source_kind"):
            value = {
                "licensee": "a licensee",
                "non_licensee": "not a licensee",
                "person": "a private person",
                "organisation": "an organisation",
            }.get(value, value)
        elif key == "status":
            value = status(value) if value in STATUSES else STATUS_CHANGES.get(value, value)
        elif isinstance(value, dict):
            value = "; ".join(f"{detail(k)}: {v}" for k, v in value.items())
        shown.append((detail(key), str(value)))
    return shown


# A background job's state, for its page (static/job.js words a polled status the same way).
JOB_STATES = {
    "queued": "Waiting for a worker",
    "running": "Working",
    "done": "Done",
    "failed": "Not made",
    "refused": "Refused",
}


def job_line(status: str, message: str | None) -> str:
    """ "Working · rendering pages 3 to 4", "Done": the state, and the job's own words when they add any."""
    said = JOB_STATES.get(status, _words(status))
    extra = (message or "").strip()
    if not extra or extra.lower() in (status, said.lower(), "done", "refused", "failed", "starting", "not queued"):
        return said
    return f"{said} · {extra}"


def wait(seconds: float) -> str:
    """How long to wait, in words: "about 4 minutes", "a few seconds"."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return "a few seconds" if seconds < 20 else "under a minute"
    minutes = (seconds + 59) // 60
    return "a minute" if minutes == 1 else f"about {minutes} minutes"


def until(moment: datetime, now: datetime) -> str:
    return wait((moment - now) / timedelta(seconds=1))


@dataclass(frozen=True)
class FormProblem:
    """The first refusal on a page's forms, for the banner at its top."""

    message: str
    field_id: str | None
    label: str | None


def form_problem(forms: Iterable) -> FormProblem | None:
    """The first field error of the given (WTForms) forms, worded for the banner."""
    for form in forms:
        for field in form or ():
            if field.errors:
                label = field.label.text if field.label else field.name
                return FormProblem(f"{label}: {field.errors[0]}", field.id, label.lower())
    return None
