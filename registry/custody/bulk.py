"""Bulk import of acquisitions: `flask items import FILE.csv` and `POST /api/v1/items/import`.

Every row is checked before anything is written, and every bad row is reported (row number, column,
code, message). A file with a bad row commits nothing unless `skip_invalid` is set. Each row has an
idempotency key (the `import_key` column, or the SHA-256 of the row's content), so importing the
same file twice adds nothing the second time. Good rows are appended in batches (one ledger append,
one signed checkpoint, per batch), all in one transaction: an import stopped half-way (a worker
killed at its timeout, a machine that went down) commits nothing, and the same file can simply be
sent again.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Iterable

from sqlalchemy import select, text

from registry.custody import projection, rules, states
from registry.custody.models import CustodyRecord, ImportKey, Item, Party
from registry.custody.rules import CustodyError
from registry.custody.service import CustodyService
from registry.errors import RegistryError
from registry.ledger import projection as ledger_projection
from registry.ledger.events import NewEvent
from registry.ledger.locking import write_transaction
from registry.ledger.models import LedgerEntryFact

# An import of at least this many rows refreshes PostgreSQL's statistics of the tables it writes.
ANALYZE_AFTER = 10_000
ANALYZED = ("item", "custody_record", "item_tally", "ledger_entry", "ledger_entry_fact", "ledger_node", "import_key")

COLUMNS = (
    "kind",
    "scheme",
    "serial",
    "manufacturer",
    "importer",
    "model",
    "type",
    "caliber",
    "country",
    "model_year",
    "description",
    "acquired_on",
    "source_ffl",
    "source_party_id",
    "reference",
    "override_justification",
    "import_key",
)
REQUIRED = ("kind", "scheme", "serial", "acquired_on")
FIELD_TO_COLUMN = {"date": "acquired_on", "source_party_id": "source_party_id", "recipient_party_id": None}
BATCH = 500


@dataclass
class RowProblem:
    row: int
    column: str | None
    code: str
    message: str

    def to_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "code": self.code, "message": self.message}


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    already_imported: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    committed: bool = False

    def to_dict(self) -> dict:
        return {
            "rows": self.rows,
            "imported": self.imported,
            "already_imported": self.already_imported,
            "committed": self.committed,
            "problems": [p.to_dict() for p in self.problems],
        }


def check_header(text: str) -> None:
    """Refuse a file whose header the import cannot take (before a background job is queued for it)."""
    _header(csv.DictReader(io.StringIO(text)))


def _header(reader: csv.DictReader) -> list[str]:
    try:
        header = reader.fieldnames  # reading it reads the first row
    except csv.Error as error:
        raise CustodyError(f"the header cannot be read as CSV: {error}", code="invalid_csv", field="file") from None
    unknown = [name for name in (header or []) if name not in COLUMNS]
    if header is None or unknown:
        raise CustodyError(
            f"unknown column {unknown[0]!r}; columns: {', '.join(COLUMNS)}"
            if unknown
            else "the file is empty: a header row is expected",
            code="invalid_header",
            field="file",
        )
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise CustodyError(f"the header lacks the column {missing[0]!r}", code="invalid_header", field="file")
    return list(header)


def read_csv(text: str) -> list[dict]:
    reader = csv.DictReader(io.StringIO(text))
    _header(reader)
    try:
        return list(reader)
    except csv.Error as error:  # a field over the csv module's 128 KiB limit, a NUL character
        raise CustodyError(
            f"line {reader.line_num} cannot be read as CSV: {error}", code="invalid_csv", field="file"
        ) from None


def row_key(row: dict) -> str:
    if row.get("import_key"):
        return hashlib.sha256(("key:" + row["import_key"].strip()).encode()).hexdigest()
    content = "\x1f".join(f"{name}={(row.get(name) or '').strip()}" for name in COLUMNS if name != "import_key")
    return hashlib.sha256(content.encode()).hexdigest()


def _without_serial(row: dict) -> bool:
    """A firearm row marked NSN and given no import key."""
    return (
        (row.get("kind") or "").strip() == "firearm"
        and (row.get("serial") or "").strip().upper() == rules.NO_SERIAL
        and not (row.get("import_key") or "").strip()
    )


def import_rows(
    service: CustodyService,
    rows: list[dict],
    *,
    recipient_party_id: str,
    actor: str,
    now: datetime,
    skip_invalid: bool = False,
    progress: Callable[[int], None] | None = None,
    writing: Callable[[int], None] | None = None,
) -> ImportReport:
    """Check every row, then write the good ones (all, or none if a row is bad and not
    `skip_invalid`). `progress(n)` goes from 0 to len(rows): the first half while checking; `writing(n)`
    is called once, with the number of rows to write, before the write transaction begins."""
    report = ImportReport(rows=len(rows))
    session = service.session
    _refresh_statistics(session)
    recipient = service.party(recipient_party_id, "recipient")
    planned: list[tuple[int, str, dict, dict]] = []  # (row number, key, registration, acquisition)
    seen_keys, seen_unique, sources = set(), {}, {}
    keys = [row_key(row) for row in rows]
    known_keys = _existing(session, ImportKey.key, keys)
    first_row: dict[str, int] = {}
    for number, (row, key) in enumerate(zip(rows, keys), start=2):  # row 1 is the header
        if key in first_row and _without_serial(row):
            # Each firearm without a serial is an item of its own: two rows alike are two firearms
            # or one sent twice, which only an import key tells.
            report.problems.append(
                RowProblem(
                    number,
                    "import_key",
                    "ambiguous_row",
                    f"row {first_row[key]} is the same firearm without a serial: give each such firearm an "
                    "import_key of its own (or leave out a row sent twice)",
                )
            )
            continue
        first_row.setdefault(key, number)
        if key in seen_keys or key in known_keys:
            report.already_imported += 1
            continue
        try:
            registration, acquisition = _plan(service, row, recipient, sources, now=now)
        except RegistryError as error:
            report.problems.append(
                RowProblem(number, FIELD_TO_COLUMN.get(error.field, error.field), error.code, error.detail)
            )
            continue
        unique = registration["uniqueness_key"]
        if unique in seen_unique:
            report.problems.append(
                RowProblem(number, "serial", "duplicate_serial", f"the same serial is on row {seen_unique[unique]}")
            )
            continue
        seen_unique[unique] = number
        seen_keys.add(key)
        planned.append((number, key, registration, acquisition))
        if progress is not None and not number % 1000:
            progress(number // 2)
    existing = _existing(session, Item.uniqueness_key, [p[2]["uniqueness_key"] for p in planned])
    for number, _, registration, _ in planned:
        if registration["uniqueness_key"] in existing:
            report.problems.append(
                RowProblem(
                    number,
                    "serial",
                    "duplicate_serial",
                    f"an item with serial {registration['serial_normalized']} is registered already",
                )
            )
    if report.problems and not skip_invalid:
        report.problems.sort(key=lambda p: p.row)
        return report
    bad_rows = {p.row for p in report.problems}
    good = [p for p in planned if p[0] not in bad_rows]
    if writing is not None:
        writing(len(good))
    with write_transaction(session):  # all or nothing: a process killed mid-import commits no row
        _append_batches(service, good, report, actor=actor, now=now, total=len(rows), progress=progress)
    report.committed = True
    if len(good) >= ANALYZE_AFTER and session.get_bind().dialect.name == "postgresql":
        # PostgreSQL's docs ask for ANALYZE after a bulk load: until autovacuum gets to it, the
        # planner takes the new rows for a handful and picks plans for a handful (a ledger list of one
        # day went from 0.04 ms to 79 ms at 400,000 entries). It samples, so it costs about a second.
        session.execute(text(f"ANALYZE {', '.join(ANALYZED)}"))
        session.commit()
    report.problems.sort(key=lambda p: p.row)
    return report


def _append_batches(
    service: CustodyService,
    good: list,
    report: ImportReport,
    *,
    actor: str,
    now: datetime,
    total: int,
    progress: Callable[[int], None] | None,
) -> None:
    """Append the planned rows BATCH at a time (one ledger append and checkpoint each) inside the
    caller's transaction."""
    session = service.session
    for start in range(0, len(good), BATCH):
        batch = good[start : start + BATCH]
        events = []
        for _, _, registration, acquisition in batch:
            ref = f"item:{registration['item_id']}"
            events += [
                NewEvent("item.registered", registration, item=ref),
                NewEvent("item.acquired", acquisition, item=ref),
            ]
        result = service.ledger.append(
            events, actor=actor, now=now, new_items={event.item for event in events}, project=False
        )
        _project(session, result.entries)
        session.execute(
            ImportKey.__table__.insert(),
            [
                {"key": key, "item_id": registration["item_id"], "entry_index": result.entries[2 * position].index}
                for position, (_, key, registration, _) in enumerate(batch)
            ],
        )
        report.imported += len(batch)
        if progress is not None:
            progress(total // 2 + (start + len(batch)) * (total - total // 2) // max(len(good), 1))


def _project(session, entries) -> None:
    """The projection of registered-then-acquired pairs, written as whole rows in two statements:
    the same rows the event handlers produce one by one (a replay test holds them equal)."""
    items, records = [], []
    for registered, acquired in zip(entries[0::2], entries[1::2]):
        item, registration = projection.registration_rows(registered.index, registered.event)
        change, acquisition = projection.acquisition_rows(acquired.index, acquired.event)
        items.append({**item, **change})
        records += [registration, acquisition]
    # Core statements, not ORM bulk inserts: the ORM path sends PostgreSQL one statement per row.
    session.execute(Item.__table__.insert(), items)
    session.execute(CustodyRecord.__table__.insert(), records)
    session.execute(LedgerEntryFact.__table__.insert(), [ledger_projection.fact_row(e.index, e.event) for e in entries])
    projection.tally(session, Counter((i["kind"], i["status"], i["holder_party_id"]) for i in items))


def _plan(service: CustodyService, row: dict, recipient: Party, sources: dict, *, now: datetime) -> tuple[dict, dict]:
    for name in REQUIRED:
        if not (row.get(name) or "").strip():
            raise CustodyError(f"{name!r} is required", code="missing_field", field=name)
    facts = {name: (row.get(name) or "").strip() or None for name in projection.ITEM_FIELDS}
    registration = service.registration(
        kind=row["kind"].strip(),
        scheme=row["scheme"].strip(),
        serial=row["serial"],
        on=row["acquired_on"].strip(),
        now=now,
        override_justification=row.get("override_justification"),
        **facts,
    )
    source_key = ((row.get("source_party_id") or "").strip(), (row.get("source_ffl") or "").strip())
    source = sources.get(source_key)
    if source is None:
        source = sources[source_key] = _source(service, row)
    on = datetime.fromisoformat(registration["date"]).date()
    try:
        states.check(
            registration["kind"],
            states.registered(on),
            states.Step("acquired", on, party_id=recipient.id, party_kind=recipient.kind),
        )
    except states.Refusal as refusal:
        raise CustodyError(refusal.message, code=refusal.code, field=refusal.field) from None
    acquisition = {
        "item_id": registration["item_id"],
        "date": registration["date"],
        "source_party_id": source.id,
        "recipient_party_id": recipient.id,
        **projection.party_columns("source", source),
    }
    if (row.get("reference") or "").strip():
        acquisition["reference"] = row["reference"].strip()
    return registration, acquisition


def _source(service: CustodyService, row: dict) -> Party:
    if (row.get("source_party_id") or "").strip():
        return service.party(row["source_party_id"].strip(), "source_party_id")
    ffl = (row.get("source_ffl") or "").strip()
    if not ffl:
        raise CustodyError(
            "a source is required: source_ffl or source_party_id", code="missing_field", field="source_ffl"
        )
    found = service.find_licensee(ffl)
    if found is None:
        raise CustodyError(f"no registered licensee with licence {ffl}", code="unknown_party", field="source_ffl")
    return found


def _refresh_statistics(session) -> None:
    """On PostgreSQL, let the planner see how large the tables have grown (autovacuum lags behind a
    bulk load): with stale figures it scans whole tables for the look-ups below."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE item, import_key, ledger_entry"))
        session.commit()


def _existing(session, column, values: Iterable[str]) -> set[str]:
    """Which of the values the column holds already, asked 500 at a time."""
    values, found = list(values), set()
    for start in range(0, len(values), 500):
        found |= set(session.scalars(select(column).where(column.in_(values[start : start + 500]))))
    return found
