"""Inventory audits: start one for a licensee, scan serials into it (one by one as a scanner types
them, or a pasted list), close it. Scans are the audit's working notes (side transactions, safe
for several officers scanning at once: a serial read twice counts once); closing appends
`inventory.audited`, the audit's record on the ledger."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from registry.custody import queries as custody_queries
from registry.custody.models import Item, Party
from registry.custody.rules import KINDS
from registry.errors import CONFLICT, INVALID, NOT_FOUND, DomainError
from registry.fields import stamp, text
from registry.inventory import queries
from registry.inventory.models import InventoryAudit, InventoryScan
from registry.ledger.events import NewEvent
from registry.ledger.locking import side_transaction, write_transaction
from registry.ledger.service import LedgerService

MAX_LIST = 5_000  # serials in one pasted list


class InventoryError(DomainError):
    """A request the inventory rules refuse."""

    titles = {
        **DomainError.titles,
        INVALID: "Refused by an inventory rule",
        CONFLICT: "Conflict with the audit's state",
    }


@dataclass(frozen=True)
class ScanResult:
    serial: str
    outcome: str  # matched, elsewhere, unknown, repeated
    items: list[Item]

    @property
    def message(self) -> str:
        shown = ", ".join(item.serial for item in self.items) or self.serial
        return {
            "matched": f"{shown}: found, as the book says",
            "elsewhere": f"{shown}: on the shelf, but the book has it elsewhere",
            "unknown": f"{self.serial}: no item in the registry carries this serial",
            "repeated": f"{shown}: scanned already",
        }[self.outcome]


class InventoryService:
    def __init__(self, session: Session, ledger: LedgerService):
        self.session, self.ledger = session, ledger

    def audit(self, audit_id: str) -> InventoryAudit:
        found = self.session.get(InventoryAudit, audit_id) if isinstance(audit_id, str) else None
        if found is None:
            raise InventoryError(f"no inventory audit {audit_id!r}", code="unknown_audit", kind=NOT_FOUND)
        return found

    def start(self, *, licensee_party_id: str, kind: str | None = None, actor: str, now: datetime) -> InventoryAudit:
        """Open an audit of a licensee's premises, of one kind of item (a firearms count) or of all."""
        if kind not in (None, "", *KINDS):
            raise InventoryError(
                f"'kind' is one of {', '.join(KINDS)}, or empty for every kind", code="invalid_field", field="kind"
            )
        licensee = self.session.get(Party, licensee_party_id) if isinstance(licensee_party_id, str) else None
        if licensee is None or licensee.kind != "licensee":
            raise InventoryError(
                "an inventory audit is of a licensee's premises: choose a licensee",
                code="not_a_licensee",
                field="licensee_party_id",
            )
        with side_transaction(self.session):
            if (running := queries.open_audit(self.session, licensee.id)) is not None:
                raise InventoryError(
                    f"an audit of {licensee.name} is open already: continue it or close it",
                    code="audit_open",
                    kind=CONFLICT,
                    field="licensee_party_id",
                    extra={"audit_id": running.id},
                )
            audit = InventoryAudit(
                id=str(uuid.uuid4()),
                licensee_party_id=licensee.id,
                started_at=now,
                started_by=actor,
                kind=kind or None,
                status="open",
            )
            self.session.add(audit)
        return audit

    def _open(self, audit_id: str) -> InventoryAudit:
        audit = self.audit(audit_id)
        if audit.status != "open":
            raise InventoryError("this audit is closed: start a new one", code="audit_closed", kind=CONFLICT)
        return audit

    def scan(self, audit_id: str, serial, *, actor: str, now: datetime) -> ScanResult:
        """Read one serial into the audit (any normal form of it, as the item list finds it)."""
        given = text(serial, "serial", required=True, limit=200)
        audit = self._open(audit_id)
        found = custody_queries.search(self.session, serial=given, limit=50)
        here = [
            i
            for i in found
            if i.holder_party_id == audit.licensee_party_id
            and i.status in queries.ON_PREMISES
            and (audit.kind is None or i.kind == audit.kind)
        ]
        items = here or found
        outcome = "matched" if here else "elsewhere" if found else "unknown"
        keys = [f"item:{item.id}" for item in items] or [f"serial:{''.join(given.upper().split())}"]
        try:
            with side_transaction(self.session):
                taken = set(
                    self.session.scalars(
                        select(InventoryScan.key).where(InventoryScan.audit_id == audit.id, InventoryScan.key.in_(keys))
                    )
                )
                fresh = [(key, item) for key, item in zip(keys, items or [None]) if key not in taken]
                for key, item in fresh:
                    self.session.add(
                        InventoryScan(
                            audit_id=audit.id,
                            key=key,
                            item_id=item.id if item else None,
                            serial=given,
                            outcome=outcome,
                            scanned_at=now,
                            scanned_by=actor,
                        )
                    )
        except IntegrityError:  # another officer read the same serial a moment ago
            self.session.rollback()
            fresh = []
        return ScanResult(given, outcome if fresh else "repeated", items)

    def scan_list(self, audit_id: str, listing, *, actor: str, now: datetime) -> dict[str, int]:
        """Read a pasted list or a CSV file's first column (a header line is skipped): counts by outcome."""
        raw = text(listing, "serials", required=True, limit=MAX_LIST * 64) or ""
        serials = [line.split(",")[0].strip().strip('"') for line in raw.splitlines()]
        serials = [s for s in serials if s and s.lower() not in ("serial", "serial number")]
        if len(serials) > MAX_LIST:
            raise InventoryError(f"a list holds at most {MAX_LIST:,} serials", code="too_many", field="serials")
        counts = {"matched": 0, "elsewhere": 0, "unknown": 0, "repeated": 0}
        for serial in serials:
            counts[self.scan(audit_id, serial, actor=actor, now=now).outcome] += 1
        return counts

    def close(self, audit_id: str, *, confirmed: bool, actor: str, now: datetime) -> int:
        """Close the audit and append `inventory.audited`: the counts and the SHA-256 of each list."""
        if not confirmed:
            raise InventoryError(
                "confirm that the count is complete before closing the audit", code="not_confirmed", field="confirm"
            )
        with write_transaction(self.session):
            audit = self._open(audit_id)
            found = queries.reconciliation(self.session, audit)
            lists = {
                "matched": [item.id for _, item in found.matched],
                "missing": [item.id for item in found.missing],
                "elsewhere": [item.id for _, item in found.elsewhere],
            }
            unknown = sorted(scan.serial for scan in found.unknown)
            payload = {
                "audit_id": audit.id,
                "licensee_party_id": audit.licensee_party_id,
                "kind": audit.kind or "all",
                "started_at": stamp(audit.started_at),
                "closed_at": stamp(now),
                **found.counts,
                **{f"{name}_sha256": queries.list_sha256(ids) for name, ids in lists.items()},
                "unknown_sha256": queries.list_sha256(unknown),
            }
            entry = self.ledger.append(
                [NewEvent("inventory.audited", payload, item=f"inventory:{audit.id}")], actor=actor, now=now
            ).entries[0]
            audit.status, audit.closed_at, audit.closed_entry = "closed", now, entry.index
            audit.summary = {
                "counts": found.counts,
                **{name: sorted(ids) for name, ids in lists.items()},
                "unknown": unknown,
            }
        return entry.index
