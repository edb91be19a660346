"""Reading custody: search, an item's timeline, the bound book, trace requests and compliance signals."""

from __future__ import annotations

import base64
import json
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Iterator

from sqlalchemy import and_, func, or_, select, text, tuple_
from sqlalchemy.orm import Session

from registry import serials
from registry.custody import projection, rules
from registry.custody.models import (
    HELD,
    MISSING,
    CustodyRecord,
    Item,
    ItemTally,
    MultipleSaleFlag,
    Party,
    PersonalData,
)

CORRECTION_VIEWS = ("originals", "corrected", "both")
# While a report is built: the private persons whose names it shows (see `watching_personal_data`).
_shown_persons: ContextVar[set | None] = ContextVar("shown_persons", default=None)


@contextmanager
def watching_personal_data() -> Iterator[set[str]]:
    """Within the block, the ids of the private persons whose name and address `party_label` hands
    out are collected in the set yielded: what a report shows decides whether it holds personal data."""
    shown: set[str] = set()
    token = _shown_persons.set(shown)
    try:
        yield shown
    finally:
        _shown_persons.reset(token)


def parties(session: Session) -> list[Party]:
    return list(session.scalars(select(Party).order_by(Party.kind, Party.name)))


def party_page(session: Session, *, kind: str | None = None, offset: int = 0, limit: int = 50) -> tuple[list, int]:
    """A page of parties by kind and name, and how many there are (of the kind)."""
    query = select(Party)
    counted = select(func.count()).select_from(Party)
    if kind:
        query, counted = query.where(Party.kind == kind), counted.where(Party.kind == kind)
    rows = list(session.scalars(query.order_by(Party.kind, Party.name, Party.id).offset(offset).limit(limit)))
    return rows, session.scalar(counted) or 0


def party_records(session: Session, party_id: str, limit: int = 100) -> list[CustodyRecord]:
    """The custody records that name the party (as source, transferee or recipient) or in which it held
    the item, newest first: the newest of each kind from its own index, merged."""
    found: dict[int, CustodyRecord] = {}
    for column in (CustodyRecord.party_id, CustodyRecord.holder_party_id):
        newest = select(CustodyRecord).where(column == party_id).order_by(CustodyRecord.entry_index.desc())
        found.update((record.entry_index, record) for record in session.scalars(newest.limit(limit)))
    return [found[index] for index in sorted(found, reverse=True)[:limit]]


# Pickers list parties from the page when there are at most this many; past it, they search as you type.
PICKER_ALL = 200
SUGGESTIONS = 10
_TOP = "\U0010ffff"  # above every character: a prefix's range is [prefix, prefix + _TOP)


def _prefix(column, start: str):
    """Rows whose `column` starts with `start`, as a range an ordinary index answers (the database's
    collation is byte order, C.UTF-8, as the set-up creates it; the caller checks `startswith` too)."""
    return and_(column >= start, column < start + _TOP)


def party_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Party)) or 0


def items_by_id(session: Session, ids) -> dict[str, Item]:
    wanted = sorted(set(ids))
    return {item.id: item for item in session.scalars(select(Item).where(Item.id.in_(wanted)))} if wanted else {}


def parties_by_id(session: Session, ids) -> list[Party]:
    wanted = sorted({i for i in ids if isinstance(i, str) and 0 < len(i) <= 36})
    return list(session.scalars(select(Party).where(Party.id.in_(wanted)))) if wanted else []


def party_suggestions(
    session: Session, typed: str, *, personal: bool, kind: str | None = None, limit: int = SUGGESTIONS
) -> list[Party]:
    """Parties whose name (a person's from the vault, only for a reader who may see it) or licence
    number starts with what was typed, case aside; read from indexes, so fast at any number of parties."""
    typed = " ".join(typed.split())[:200]
    if not typed:
        return []
    lowered = typed.lower()
    found: dict[str, Party] = {}

    def add(query) -> None:
        if kind:
            query = query.where(Party.kind == kind)
        for party in session.scalars(query.limit(limit)):
            found.setdefault(party.id, party)

    add(select(Party).where(_prefix(func.lower(Party.name), lowered)).order_by(func.lower(Party.name), Party.id))
    ffl = typed.upper().replace("-", "").replace(" ", "")
    add(select(Party).where(_prefix(Party.ffl, ffl)).order_by(Party.ffl))
    if personal:
        add(
            select(Party)
            .join(PersonalData, PersonalData.party_id == Party.id)
            .where(_prefix(func.lower(PersonalData.full_name), lowered), PersonalData.erased_at.is_(None))
            .order_by(func.lower(PersonalData.full_name), Party.id)
        )
    return list(found.values())[:limit]


def item_suggestions(session: Session, typed: str, *, limit: int = SUGGESTIONS) -> list[Item]:
    """Items whose serial, in its normal form, starts with what was typed, in capitals with spaces
    collapsed (as plain serials keep them) or dropped with hyphens (as VINs and HINs drop them), and
    read as it looks (Greek "ΑΒ" as "AB"), in serial order, from the serial index."""
    collapsed = " ".join(typed.split()).upper()[:200]
    found: dict[str, Item] = {}
    starts = {collapsed, collapsed.replace(" ", "").replace("-", "")}
    for start in sorted({*starts, *map(serials.reading, starts)} - {""}):
        query = select(Item).where(_prefix(Item.serial_normalized, start)).order_by(Item.serial_normalized, Item.id)
        for item in session.scalars(query.limit(limit)):
            if item.serial_normalized.startswith(start):
                found.setdefault(item.id, item)
    return sorted(found.values(), key=lambda item: (item.serial_normalized, item.id))[:limit]


def licensees(session: Session) -> list[Party]:
    return list(session.scalars(select(Party).where(Party.kind == "licensee").order_by(Party.name)))


def custody_state(session: Session, item: Item) -> str:
    """The item's state in the custody state machine (`states`), from its effective records."""
    from registry.custody.projection import custody_of

    return custody_of(session, item).state


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
            if (shown := _shown_persons.get()) is not None:
                shown.add(party.id)
        else:
            label.update(name="(private person)", address="(withheld)", id_document="(withheld)")
        if not document:
            del label["id_document"]
    return label


# How the item list may be ordered: a column of Item, its direction, and the words the page shows.
ITEM_SORTS = {
    "recent": ("last_event_date", "desc", "last event, newest first"),
    "serial": ("serial_normalized", "asc", "serial"),
    "registered": ("registered_entry", "desc", "registration, newest first"),
}
# How many matches a filter may have before the list is read along the order's index (each order has
# one, see the Item model) rather than gathered by the filter's index and sorted.
SORT_AT_MOST = 5_000


# A list filtered by more than kind, status and holder counts its matches up to this many, then says "more than".
COUNT_CAP = 10_000


@dataclass
class ItemPage:
    items: list
    total: int
    next_after: str | None  # the keyset token of the next page, None on the last
    capped: bool = False  # more than `total` items match


def tallied(session: Session, *, kind=None, status=None, holder=None) -> int:
    """How many items there are of a kind, status and holder (any, where None), from the tally."""
    projection.write_tally(session)
    query = select(func.coalesce(func.sum(ItemTally.count), 0))
    if kind:
        query = query.where(ItemTally.kind == kind)
    if status:
        query = query.where(ItemTally.status == status)
    if holder:
        query = query.where(ItemTally.holder == holder)
    return int(session.scalar(query) or 0)


def tally_by(session: Session, column: str) -> dict[str, int]:
    """The item counts by kind or by status, largest first."""
    projection.write_tally(session)
    field = getattr(ItemTally, column)
    rows = session.execute(
        select(field, func.sum(ItemTally.count)).group_by(field).order_by(func.sum(ItemTally.count).desc())
    )
    return {key: int(count) for key, count in rows}


def _unindexed(column):
    """The column as an expression no index answers (`column || ''`): the query planner then reads
    the rows along the order's index and checks this condition on each, instead of gathering every
    match by this column's index and sorting them."""
    return column.op("||")("")


def _item_filters(query, *, kind, status, holder, manufacturer, date_from, date_to, along_order=False):
    def term(column):
        return _unindexed(column) if along_order else column

    if kind:
        query = query.where(term(Item.kind) == kind)
    if status:
        query = query.where(term(Item.status) == status)
    if holder:
        query = query.where(term(Item.holder_party_id) == holder)
    if manufacturer:
        query = query.where(func.lower(Item.manufacturer) == " ".join(manufacturer.lower().split()))
    if date_from:
        query = query.where(Item.last_event_date >= date_from)
    if date_to:
        query = query.where(Item.last_event_date <= date_to)
    return query


def _keyset(sort: str, item: Item) -> str:
    value = getattr(item, ITEM_SORTS[sort][0])
    raw = json.dumps([value.isoformat() if isinstance(value, date) else value, item.id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _after(sort: str, token: str | None):
    """The page's start from a keyset token, or None for the first page (a token this page did not
    give out is read as the first page)."""
    if not token:
        return None
    try:
        value, item_id = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if ITEM_SORTS[sort][0] == "last_event_date":
            value = date.fromisoformat(value)
        elif ITEM_SORTS[sort][0] == "registered_entry" and not isinstance(value, int):
            return None
        return (value, str(item_id)) if isinstance(value, (str, int, date)) else None
    except (ValueError, TypeError, UnicodeDecodeError):
        return None


def item_page(
    session: Session,
    *,
    sort: str = "recent",
    after: str | None = None,
    limit: int = 50,
    kind: str | None = None,
    status: str | None = None,
    holder: str | None = None,
    manufacturer: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> ItemPage:
    """One page of the item list in the chosen order, from an index (keyset pagination, so the
    thousandth page costs what the first does), with the count of every item the filters match."""
    sort = sort if sort in ITEM_SORTS else "recent"
    filters = dict(
        kind=kind, status=status, holder=holder, manufacturer=manufacturer, date_from=date_from, date_to=date_to
    )
    column_name, direction, _ = ITEM_SORTS[sort]
    column = getattr(Item, column_name)
    tallied_only = not (manufacturer or date_from or date_to)
    total = tallied(session, kind=kind, status=status, holder=holder) if tallied_only else None
    # Many matches: read them along the order's index and stop at the page's end. SQLite, without
    # statistics, would take the filter's index and sort them all (the tally knows how many there are);
    # PostgreSQL's planner decides this from statistics of its own.
    along_order = session.get_bind().dialect.name == "sqlite" and (total is None or total > SORT_AT_MOST)
    query = _item_filters(select(Item), **filters, along_order=along_order)
    start = _after(sort, after)
    if start is not None:
        # A row-value comparison, which both engines answer as one range of the order's index.
        value, item_id = start
        here, there = tuple_(column, Item.id), tuple_(value, item_id)
        query = query.where(here < there if direction == "desc" else here > there)
    order = (column.desc(), Item.id.desc()) if direction == "desc" else (column.asc(), Item.id.asc())
    rows = list(session.scalars(query.order_by(*order).limit(limit + 1)))
    capped = False
    if total is None:
        matching = _item_filters(select(Item.id), **filters).limit(COUNT_CAP + 1).subquery()
        total = session.scalar(select(func.count()).select_from(matching)) or 0
        capped, total = total > COUNT_CAP, min(total, COUNT_CAP)
    more = len(rows) > limit
    after_token = _keyset(sort, rows[limit - 1]) if more else None
    return ItemPage(items=rows[:limit], total=total, next_after=after_token, capped=capped)


def search(
    session: Session,
    *,
    serial: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    holder: str | None = None,
    manufacturer: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    after: str | None = None,
    limit: int = 50,
) -> list[Item]:
    """Items matching every filter given; `serial` matches the normalised form exactly, in every
    scheme (the input is normalised the way each scheme would)."""
    query = select(Item)
    if serial:
        read = [serials.read(name, serial) for name in serials.SCHEMES]
        forms = {serial.strip()} | {serials.reading(found.normalized) for found in read if found is not None}
        query = query.where(Item.serial_normalized.in_(sorted(f for f in forms if f)))
    query = _item_filters(
        query, kind=kind, status=status, holder=holder, manufacturer=manufacturer, date_from=date_from, date_to=date_to
    )
    if after:
        query = query.where(Item.id > after)
    return list(session.scalars(query.order_by(Item.id).limit(limit)))


def timeline(session: Session, item_id: str) -> list[CustodyRecord]:
    return list(
        session.scalars(
            select(CustodyRecord).where(CustodyRecord.item_id == item_id).order_by(CustodyRecord.entry_index)
        )
    )


def record_before(session: Session, record: CustodyRecord) -> CustodyRecord | None:
    """The item's custody record before `record` (not counting corrections): who held the item then."""
    return session.scalar(
        select(CustodyRecord)
        .where(
            CustodyRecord.item_id == record.item_id,
            CustodyRecord.type != "corrected",
            CustodyRecord.entry_index < record.entry_index,
        )
        .order_by(CustodyRecord.entry_index.desc())
        .limit(1)
    )


def corrections_of(session: Session, entries: set[int]) -> set[int]:
    """The ledger entries that correct any of `entries`: a report showing a record proves them too."""
    return set(
        _in_chunks(
            session,
            lambda chunk: select(CustodyRecord.entry_index).where(CustodyRecord.corrects.in_(chunk)),
            sorted(entries),
        )
    )


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
        found.extend(session.scalars(statement_for(keys[start : start + size])))
    return found


# A line of the book opens with a receipt (an acquisition, or a recovery after a theft or loss) and
# closes with the first disposition after it: a transfer of title, or a theft, loss, destruction or
# export, which ATF asks to be entered in the disposition columns (with the incident number for a theft).
CLOSING_STATUSES = {"stolen": "Stolen", "lost": "Lost", "destroyed": "Destroyed", "exported": "Exported"}


def _opens(record: CustodyRecord) -> bool:
    """An acquisition, or a recovery that puts the firearm back in a licensee's stock (one stolen
    before it was ever acquired goes back to no holder, and into no inventory)."""
    return record.type == "acquired" or (
        record.type == "status_changed"
        and record.details["status"] == "recovered"
        and record.holder_party_id is not None
    )


def _closes(record: CustodyRecord) -> bool:
    return record.type == "disposed" or (
        record.type == "status_changed" and record.details["status"] in CLOSING_STATUSES
    )


def book_lines(session: Session, item_ids: list[str]) -> dict[str, list[tuple[CustodyRecord, CustodyRecord | None]]]:
    """For each item, its book lines in ledger order: (opening record, closing record or None)."""
    lines: dict[str, list] = {}
    records = _in_chunks(
        session,
        lambda chunk: (
            select(CustodyRecord)
            .where(CustodyRecord.item_id.in_(chunk), CustodyRecord.type.in_(("acquired", "disposed", "status_changed")))
            .order_by(CustodyRecord.entry_index)
        ),
        sorted(set(item_ids)),
    )
    for record in sorted(records, key=lambda r: r.entry_index):
        own = lines.setdefault(record.item_id, [])
        if _opens(record):
            own.append([record, None])
        elif _closes(record) and own and own[-1][1] is None:
            own[-1][1] = record
    return {item_id: [tuple(line) for line in own] for item_id, own in lines.items()}


def _in_period(date_from: date, date_to: date, view: str):
    """A record dated in the period: by the date first written in the originals view, by the
    effective one in the corrected and both views."""
    if view == "originals":
        return or_(
            and_(CustodyRecord.original_on.is_(None), CustodyRecord.on.between(date_from, date_to)),
            CustodyRecord.original_on.between(date_from, date_to),
        )
    return CustodyRecord.on.between(date_from, date_to)


def _firearm_records(types: tuple[str, ...], date_from: date, date_to: date, view: str):
    """Firearms' records of these types dated in the period, with their items."""
    return (
        select(CustodyRecord, Item)
        .join(Item, Item.id == CustodyRecord.item_id)
        .where(CustodyRecord.type.in_(types), Item.kind == "firearm", _in_period(date_from, date_to, view))
    )


def _lines_of_the_period(session: Session, date_from: date, date_to: date, licensee: str | None, view: str):
    """The book's lines with an entry in the period: opened in it, or opened before it and closed in
    it (a disposition made in July is in July's book), for `licensee` (by the recipient first written
    in the originals view, the effective one in the others); each as (opening record, item), with the
    lines of the items read (`book_lines`)."""
    opening_query = _firearm_records(("acquired", "status_changed"), date_from, date_to, view)
    if licensee and view != "originals":
        opening_query = opening_query.where(CustodyRecord.holder_party_id == licensee)
    openings = [(record, item) for record, item in session.execute(opening_query) if _opens(record)]
    closings = {
        record.entry_index: item
        for record, item in session.execute(_firearm_records(("disposed", "status_changed"), date_from, date_to, view))
        if _closes(record)
    }
    lines = book_lines(session, sorted({item.id for _, item in openings} | {item.id for item in closings.values()}))
    opened = {record.entry_index for record, _ in openings}
    found = openings + [
        (opening, closings[closing.entry_index])
        for own in lines.values()
        for opening, closing in own
        if closing is not None and closing.entry_index in closings and opening.entry_index not in opened
    ]
    if licensee and view == "originals":
        found = [(opening, item) for opening, item in found if _first_licensee(opening, lines[item.id]) == licensee]
    elif licensee:
        found = [(opening, item) for opening, item in found if opening.holder_party_id == licensee]
    on = (lambda r: r.first_on) if view == "originals" else (lambda r: r.on)
    return sorted(found, key=lambda pair: (on(pair[0]), pair[0].entry_index)), lines


def _first_licensee(opening: CustodyRecord, own: list) -> str | None:
    """Whose stock the line opened into, as first written: an acquisition's recipient; for a recovery
    (which names no licensee of its own), the recipient of the item's acquisition before it."""
    acquisitions = [o for o, _ in own if o.type == "acquired" and o.entry_index <= opening.entry_index]
    return acquisitions[-1].first_details.get("recipient_party_id") if acquisitions else None


def bound_book(
    session: Session,
    *,
    date_from: date,
    date_to: date,
    licensee: str | None = None,
    view: str = "both",
    personal: bool = True,
) -> list[BookRow]:
    """The lines with an entry in the period (opened in it, or closed in it), with their closings, for
    one receiving licensee or all, in the order they were opened.

    Reads in a handful of statements whatever the size of the book: the openings and closings with
    their items, then the records, registrations and corrections of all of them in chunks."""
    openings, lines = _lines_of_the_period(session, date_from, date_to, licensee, view)
    closing_of = {opening.entry_index: closing for own in lines.values() for opening, closing in own}
    registrations = {
        r.entry_index: r
        for r in _in_chunks(
            session,
            lambda chunk: select(CustodyRecord).where(CustodyRecord.entry_index.in_(chunk)),
            sorted({item.registered_entry for _, item in openings}),
        )
    }
    named = sorted(
        {
            r.entry_index
            for opening, _ in openings
            for r in (opening, closing_of.get(opening.entry_index))
            if r is not None
        }
        | set(registrations)
    )
    fixes_of: dict[int, list[CustodyRecord]] = {}
    for fix in _in_chunks(
        session,
        lambda chunk: (
            select(CustodyRecord).where(CustodyRecord.corrects.in_(chunk)).order_by(CustodyRecord.entry_index)
        ),
        named,
    ):
        fixes_of.setdefault(fix.corrects, []).append(fix)
    labels: dict[str | None, dict | None] = {}

    def label(party_id: str | None) -> dict | None:
        if party_id not in labels:
            labels[party_id] = party_label(session, party_id, personal=personal)
        return labels[party_id]

    rows: list[BookRow] = []
    for opening, item in openings:
        closing = closing_of.get(opening.entry_index)
        registration = registrations[item.registered_entry]
        fixes = sorted(
            (
                fix
                for record in (registration, opening, closing)
                if record is not None
                for fix in fixes_of.get(record.entry_index, ())
            ),
            key=lambda fix: fix.entry_index,
        )
        entries = {
            "acquisition_entry": opening.entry_index,
            "disposition_entry": None if closing is None else closing.entry_index,
        }
        if view in ("originals", "both") or not fixes:
            rows.append(
                BookRow(
                    item,
                    *_book_values(label, registration, opening, closing, original=True),
                    **entries,
                    corrections=fixes,
                    version="original" if fixes else "only",
                )
            )
        if fixes and view in ("corrected", "both"):
            rows.append(
                BookRow(
                    item,
                    *_book_values(label, registration, opening, closing, original=False),
                    **entries,
                    corrections=fixes,
                    version="corrected",
                )
            )
    return rows


def _version(record: CustodyRecord, original: bool) -> dict:
    details = record.first_details if original else record.details
    return {**details, "date": (record.first_on if original else record.on).isoformat()}


def _book_values(
    label, registration: CustodyRecord, opening: CustodyRecord, closing: CustodyRecord | None, *, original: bool
) -> tuple[dict, dict | None]:
    described = _version(registration, original)
    description = {
        name: described.get(name) for name in ("manufacturer", "importer", "model", "serial", "type", "caliber")
    }
    opened = _version(opening, original)
    if opening.type == "acquired":
        source = label(opened.get("source_party_id")) or {}
        received = {
            "source_name": opened.get("source_name") or source.get("name"),
            "source_address": opened.get("source_address") or source.get("address"),
            "source_ffl": opened.get("source_ffl") or source.get("ffl"),
        }
    else:
        received = {
            "source_name": "Recovered after theft or loss",
            "source_address": opened.get("note") or "",
            "source_ffl": None,
        }
    received = {**description, "date": opened["date"], **received}
    if closing is None:
        return received, None
    closed = _version(closing, original)
    if closing.type == "disposed":
        transferee = label(closed.get("transferee_party_id")) or {}
        return received, {
            "date": closed["date"],
            "transferee_name": closed.get("transferee_name") or transferee.get("name"),
            "transferee_address": closed.get("transferee_address") or transferee.get("address"),
            "transferee_ffl": closed.get("transferee_ffl") or transferee.get("ffl"),
            "form_4473": closed.get("form_4473"),
        }
    incident = closed.get("atf_incident")
    return received, {
        "date": closed["date"],
        "transferee_name": CLOSING_STATUSES[closed["status"]],
        "transferee_address": f"ATF incident {incident}" if incident else (closed.get("note") or ""),
        "transferee_ffl": None,
        "form_4473": None,
    }


BOOK_COLUMNS = (
    "manufacturer",
    "importer",
    "model",
    "serial",
    "type",
    "caliber",
    "date",
    "source_name",
    "source_address",
    "source_ffl",
    "disposition_date",
    "transferee_name",
    "transferee_address",
    "transferee_ffl",
    "form_4473",
    "version",
    "acquisition_entry",
    "disposition_entry",
)


def book_row_dict(row: BookRow) -> dict:
    out = {
        **row.acquisition,
        "version": row.version,
        "acquisition_entry": row.acquisition_entry,
        "disposition_entry": row.disposition_entry,
    }
    disposition = row.disposition or {}
    out.update(
        disposition_date=disposition.get("date"),
        transferee_name=disposition.get("transferee_name"),
        transferee_address=disposition.get("transferee_address"),
        transferee_ffl=disposition.get("transferee_ffl"),
        form_4473=disposition.get("form_4473"),
    )
    return {name: out.get(name) for name in BOOK_COLUMNS}


@dataclass
class TraceAnswer:
    received_at: datetime
    serial: str
    items: list[dict]


def trace(session: Session, serial: str, manufacturer: str | None, *, now: datetime, personal: bool) -> TraceAnswer:
    """ATF trace request: for each matching firearm, where it came from (its latest acquisition) and
    where it went (the close of its latest line in the book), by the effective record (private
    persons named only for a reader with `personal`)."""
    found = search(session, serial=serial, kind="firearm", manufacturer=manufacturer or None, limit=20)
    lines = book_lines(session, [item.id for item in found])
    answers = []
    for item in found:
        own = lines.get(item.id) or [(None, None)]
        closing = own[-1][1]
        # A line reopened by a recovery after a theft or loss has no source of its own: the firearm
        # came from the source of the acquisition before it, which is what a trace asks for.
        acquisition = next((o for o, _ in reversed(own) if o is not None and o.type == "acquired"), None)
        answers.append(
            {
                "item": item,
                "acquisition": acquisition,
                "source": party_label(session, acquisition.party_id, personal=personal) if acquisition else None,
                "disposition": closing,
                "transferee": (
                    party_label(session, closing.party_id, personal=personal)
                    if closing is not None and closing.type == "disposed"
                    else None
                ),
            }
        )
    return TraceAnswer(received_at=now, serial=serial, items=answers)


def serials_of(session: Session, item_ids: set[str]) -> dict[str, str]:
    return (
        dict(session.execute(select(Item.id, Item.serial).where(Item.id.in_(sorted(item_ids)))).all())
        if item_ids
        else {}
    )


SIGNAL_ROWS = 50  # each signal shows this many rows a page, with the total beside them


@dataclass
class Signal:
    rows: list
    total: int


def multiple_sales(session: Session, *, offset: int = 0, limit: int = SIGNAL_ROWS) -> Signal:
    """Multiple-sale flags, newest first."""
    newest = select(MultipleSaleFlag).order_by(MultipleSaleFlag.entry_index.desc())
    flags = list(session.scalars(newest.offset(offset).limit(limit)))
    return Signal(flags, session.scalar(select(func.count()).select_from(MultipleSaleFlag)))


def thefts(session: Session, *, now: datetime, offset: int = 0, limit: int = SIGNAL_ROWS) -> Signal:
    """Items stolen or lost, with the 48-hour reporting deadline from the time of discovery: each
    item's latest status change is its theft or loss (anything after would have changed its status)."""
    latest = (
        select(func.max(CustodyRecord.entry_index))
        .where(CustodyRecord.item_id == Item.id, CustodyRecord.type == "status_changed")
        .correlate(Item)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Item, CustodyRecord)
        .join(CustodyRecord, CustodyRecord.entry_index == latest)
        .where(text(f"item.{MISSING}"))
    ).all()
    out = []
    for item, record in rows:
        discovered = datetime.fromisoformat(record.details["discovered_at"])
        deadline = discovered + timedelta(hours=rules.THEFT_REPORT_HOURS)
        out.append(
            {
                "item": item,
                "record": record,
                "discovered_at": discovered,
                "deadline": deadline,
                "overdue": now > deadline,
                "hours_left": (deadline - now).total_seconds() / 3600,
            }
        )
    out.sort(key=lambda t: (t["deadline"], t["item"].id))
    return Signal(out[offset : offset + limit], len(out))


# The orders of the open acquisitions, and the words the page shows for each.
OPEN_ORDERS = {"oldest": "oldest first", "newest": "newest first"}


def open_acquisitions(
    session: Session,
    *,
    today: date,
    kind: str | None = None,
    order: str = "oldest",
    offset: int = 0,
    limit: int = SIGNAL_ROWS,
) -> Signal:
    """Items in custody (acquired and not disposed of), oldest acquisition first (or newest), with
    their age in days, read from the open-acquisitions index."""
    # The condition as literal SQL, the very words of the partial index's: a bound parameter would hide
    # from SQLite that the index holds every row the query wants.
    held = text(f"item.{HELD}")
    query, counted = select(Item).where(held), select(func.count()).select_from(Item).where(held)
    if kind:
        query, counted = query.where(Item.kind == kind), counted.where(Item.kind == kind)
    ordered = (Item.acquired_on.desc(), Item.id.desc()) if order == "newest" else (Item.acquired_on, Item.id)
    items = session.scalars(query.order_by(*ordered).offset(offset).limit(limit))
    rows = [
        {"item": item, "acquired_on": item.acquired_on, "age_days": max(0, (today - item.acquired_on).days)}
        for item in items
    ]
    return Signal(rows, session.scalar(counted) or 0)
