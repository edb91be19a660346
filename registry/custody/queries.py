"""Reading custody: search, an item's timeline, the bound book, trace requests and compliance signals."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry import serials
from registry.custody import rules
from registry.custody.models import CustodyRecord, Item, MultipleSaleFlag, Party, PersonalData

CORRECTION_VIEWS = ("originals", "corrected", "both")


def party_label(session: Session, party_id: str | None, *, personal: bool, document: bool = False) -> dict | None:
    """Name and address (or licence) of a party; a person's come from the vault, only when the
    reader may see personal data and they are not erased. With `document`, a person's identity
    document too (Form 3310.4 asks for it), under the same rule."""
    if party_id is None:
        return None
    party = session.get(Party, party_id)
    label = {"id": party.id, "kind": party.kind, "name": party.name, "address": party.address, "ffl": party.ffl}
    if party.kind == "person":
        vault = session.get(PersonalData, party.id)
        if party.erased or vault is None or vault.erased_at is not None:
            label.update(name="(erased)", address="(erased)", id_document="(erased)")
        elif personal:
            label.update(name=vault.full_name, address=vault.address, id_document=vault.id_document or "")
        else:
            label.update(name="(private person)", address="(withheld)", id_document="(withheld)")
        if not document:
            del label["id_document"]
    return label


def search(session: Session, *, serial: str | None = None, kind: str | None = None, status: str | None = None,
           holder: str | None = None, manufacturer: str | None = None, date_from: date | None = None,
           date_to: date | None = None, after: str | None = None, limit: int = 50) -> list[Item]:
    """Items matching every filter given; `serial` matches the normalised form exactly, in every
    scheme (the input is normalised the way each scheme would)."""
    query = select(Item)
    if serial:
        forms = {serial.strip()} | {serials.validate(name, serial).normalized for name in serials.SCHEMES
                                    if len(serial) <= serials.MAX_INPUT}
        query = query.where(Item.serial_normalized.in_(sorted(f for f in forms if f)))
    if kind:
        query = query.where(Item.kind == kind)
    if status:
        query = query.where(Item.status == status)
    if holder:
        query = query.where(Item.holder_party_id == holder)
    if manufacturer:
        query = query.where(func.lower(Item.manufacturer) == manufacturer.strip().lower())
    if date_from:
        query = query.where(Item.last_event_date >= date_from)
    if date_to:
        query = query.where(Item.last_event_date <= date_to)
    if after:
        query = query.where(Item.id > after)
    return list(session.scalars(query.order_by(Item.id).limit(limit)))


def timeline(session: Session, item_id: str) -> list[CustodyRecord]:
    return list(session.scalars(select(CustodyRecord).where(CustodyRecord.item_id == item_id)
                                .order_by(CustodyRecord.entry_index)))


@dataclass
class BookRow:
    """One line of the A&D record, in ATF column order (27 CFR 478.125(e))."""
    item: Item
    acquisition: dict
    disposition: dict | None
    acquisition_entry: int
    disposition_entry: int | None
    corrections: list[CustodyRecord] = field(default_factory=list)
    version: str = "original"


def _in_chunks(session: Session, statement_for, keys: list, size: int = 900) -> list:
    """Rows of `statement_for(chunk)` for the keys in chunks (bounded IN lists on every engine)."""
    found = []
    for start in range(0, len(keys), size):
        found.extend(session.scalars(statement_for(keys[start:start + size])))
    return found


def bound_book(session: Session, *, date_from: date, date_to: date, licensee: str | None = None,
               view: str = "both", personal: bool = True) -> list[BookRow]:
    """Acquisitions in the period (and their dispositions), for one receiving licensee or all.

    Reads in a handful of statements whatever the size of the book: the acquisitions with their
    items, then the registrations, dispositions and corrections of all of them in chunks."""
    query = (select(CustodyRecord, Item).join(Item, Item.id == CustodyRecord.item_id)
             .where(CustodyRecord.type == "acquired", Item.kind == "firearm",
                    CustodyRecord.on >= date_from, CustodyRecord.on <= date_to)
             .order_by(CustodyRecord.on, CustodyRecord.entry_index))
    acquired = [(record, item) for record, item in session.execute(query)
                if not licensee or record.details.get("recipient_party_id") == licensee]
    items = sorted({item.id for _, item in acquired})
    registrations = {r.entry_index: r for r in _in_chunks(session, lambda chunk: select(CustodyRecord).where(
        CustodyRecord.entry_index.in_(chunk)), sorted({item.registered_entry for _, item in acquired}))}
    disposals: dict[str, list[CustodyRecord]] = {}
    for record in _in_chunks(session, lambda chunk: select(CustodyRecord).where(
            CustodyRecord.item_id.in_(chunk), CustodyRecord.type == "disposed")
            .order_by(CustodyRecord.entry_index), items):
        disposals.setdefault(record.item_id, []).append(record)

    def disposal_after(record: CustodyRecord) -> CustodyRecord | None:
        return next((d for d in disposals.get(record.item_id, ()) if d.entry_index > record.entry_index), None)
    pairs = [(record, item, disposal_after(record)) for record, item in acquired]
    corrected = sorted({r.entry_index for record, item, d in pairs for r in (record, d) if r is not None}
                       | set(registrations))
    fixes_of: dict[int, list[CustodyRecord]] = {}
    for fix in _in_chunks(session, lambda chunk: select(CustodyRecord).where(CustodyRecord.corrects.in_(chunk))
                          .order_by(CustodyRecord.entry_index), corrected):
        fixes_of.setdefault(fix.corrects, []).append(fix)
    labels: dict[str | None, dict | None] = {}

    def label(party_id: str | None) -> dict | None:
        if party_id not in labels:
            labels[party_id] = party_label(session, party_id, personal=personal)
        return labels[party_id]

    def applied(record: CustodyRecord) -> tuple[dict, list[CustodyRecord]]:
        details = {**record.details, "date": record.on.isoformat()}
        fixes = fixes_of.get(record.entry_index, [])
        for fix in fixes:
            details.update(fix.details["fields"])
        return details, fixes

    rows: list[BookRow] = []
    for acquisition, item, disposition in pairs:
        registration = registrations[item.registered_entry]
        original = _book_values(label, registration.details, {**acquisition.details, "date": acquisition.on.isoformat()},
                                None if disposition is None else {**disposition.details,
                                                                  "date": disposition.on.isoformat()})
        corrected_reg, reg_fixes = applied(registration)
        corrected_acq, acq_fixes = applied(acquisition)
        corrected_dis, dis_fixes = applied(disposition) if disposition else (None, [])
        fixes = reg_fixes + acq_fixes + dis_fixes
        entries = {"acquisition_entry": acquisition.entry_index,
                   "disposition_entry": None if disposition is None else disposition.entry_index}
        if view in ("originals", "both") or not fixes:
            rows.append(BookRow(item, *original, **entries, corrections=fixes, version="original" if fixes else "only"))
        if fixes and view in ("corrected", "both"):
            corrected_values = _book_values(label, corrected_reg, corrected_acq, corrected_dis)
            rows.append(BookRow(item, *corrected_values, **entries, corrections=fixes, version="corrected"))
    return rows


def _book_values(label, registration: dict, acquisition: dict, disposition: dict | None) -> tuple[dict, dict | None]:
    description = {name: registration.get(name) for name in
                   ("manufacturer", "importer", "model", "serial", "type", "caliber")}
    source = label(acquisition.get("source_party_id")) or {}
    received = {**description, "date": acquisition["date"], "source_name": acquisition.get("source_name") or source.get("name"),
                "source_address": acquisition.get("source_address") or source.get("address"),
                "source_ffl": acquisition.get("source_ffl") or source.get("ffl")}
    if disposition is None:
        return received, None
    transferee = label(disposition.get("transferee_party_id")) or {}
    return received, {"date": disposition["date"],
                      "transferee_name": disposition.get("transferee_name") or transferee.get("name"),
                      "transferee_address": disposition.get("transferee_address") or transferee.get("address"),
                      "transferee_ffl": disposition.get("transferee_ffl") or transferee.get("ffl"),
                      "form_4473": disposition.get("form_4473")}


BOOK_COLUMNS = ("manufacturer", "importer", "model", "serial", "type", "caliber", "date", "source_name",
                "source_address", "source_ffl", "disposition_date", "transferee_name", "transferee_address",
                "transferee_ffl", "form_4473", "version", "acquisition_entry", "disposition_entry")


def book_row_dict(row: BookRow) -> dict:
    out = {**row.acquisition, "version": row.version, "acquisition_entry": row.acquisition_entry,
           "disposition_entry": row.disposition_entry}
    disposition = row.disposition or {}
    out.update(disposition_date=disposition.get("date"), transferee_name=disposition.get("transferee_name"),
               transferee_address=disposition.get("transferee_address"),
               transferee_ffl=disposition.get("transferee_ffl"), form_4473=disposition.get("form_4473"))
    return {name: out.get(name) for name in BOOK_COLUMNS}


@dataclass
class TraceAnswer:
    received_at: datetime
    serial: str
    items: list[dict]


def trace(session: Session, serial: str, manufacturer: str | None, *, now: datetime, personal: bool) -> TraceAnswer:
    """ATF trace request: for each matching firearm, where it came from and where it went (private
    persons named only for a reader with `personal`)."""
    found = search(session, serial=serial, kind="firearm", manufacturer=manufacturer or None, limit=20)
    answers = []
    for item in found:
        records = timeline(session, item.id)
        acquired = [r for r in records if r.type == "acquired"]
        disposed = [r for r in records if r.type == "disposed"]
        answers.append({
            "item": item,
            "acquisition": acquired[-1] if acquired else None,
            "source": party_label(session, acquired[-1].party_id, personal=personal) if acquired else None,
            "disposition": disposed[-1] if disposed else None,
            "transferee": party_label(session, disposed[-1].party_id, personal=personal) if disposed else None,
        })
    return TraceAnswer(received_at=now, serial=serial, items=answers)


def multiple_sales(session: Session) -> list[MultipleSaleFlag]:
    return list(session.scalars(select(MultipleSaleFlag).order_by(MultipleSaleFlag.entry_index.desc())))


def thefts(session: Session, *, now: datetime) -> list[dict]:
    """Items stolen or lost, with the 48-hour reporting deadline from the time of discovery."""
    out = []
    for item in session.scalars(select(Item).where(Item.status.in_(("stolen", "lost")))):
        record = session.scalar(select(CustodyRecord).where(CustodyRecord.item_id == item.id,
                                                            CustodyRecord.type == "status_changed")
                                .order_by(CustodyRecord.entry_index.desc()).limit(1))
        discovered = datetime.fromisoformat(record.details["discovered_at"])
        deadline = discovered + timedelta(hours=rules.THEFT_REPORT_HOURS)
        out.append({"item": item, "record": record, "discovered_at": discovered, "deadline": deadline,
                    "overdue": now > deadline, "hours_left": (deadline - now).total_seconds() / 3600})
    return sorted(out, key=lambda t: t["deadline"])


def open_acquisitions(session: Session, *, today: date) -> list[dict]:
    """Acquired items not disposed of, oldest first, with their age in days."""
    items = session.scalars(select(Item).where(Item.acquired.is_(True), Item.status.in_(("in_custody", "quarantined")))
                            .order_by(Item.last_event_date))
    out = []
    for item in items:
        acquired = session.scalar(select(CustodyRecord).where(CustodyRecord.item_id == item.id,
                                                              CustodyRecord.type == "acquired")
                                  .order_by(CustodyRecord.entry_index.desc()).limit(1))
        out.append({"item": item, "acquired_on": acquired.on, "age_days": (today - acquired.on).days})
    return sorted(out, key=lambda o: o["acquired_on"])


def utc_now() -> datetime:
    return datetime.now(timezone.utc)
