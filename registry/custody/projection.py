"""Projection handlers: one per event type, each a pure function of the event (its index, body and
time) and of the tables projected before it, never of the clock, the request or the config, so
`flask ledger replay` rebuilds the same tables from the ledger alone.

A custody record holds its effective values (`on`, `party_id`, `details`: the original with every
correction folded in, latest wins) and, once corrected, what was first written (`original_*`). The
item's status, holder and dates are the effective records folded through the state machine
(`states`), so a corrected date or party changes what every later rule reads.
"""

from __future__ import annotations

import functools
from collections import Counter
from datetime import date, datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from registry import serials
from registry.custody import registration, rules, states
from registry.custody.models import CustodyRecord, Item, ItemTally, MultipleSaleFlag, Party
from registry.db import held_until_commit
from registry.fields import stored_moment

ITEM_FIELDS = ("manufacturer", "importer", "model", "type", "caliber", "country", "model_year", "description")
SERIAL_FIELDS = ("serial", "serial_normalized", "uniqueness_key", "attributes", "override")
# What a correction may change, per corrected record type. Parties are named by id only: their names
# and addresses come from the party (a private person's from the vault), never from a correction.
CORRECTABLE = {
    "registered": {"date", "serial", *ITEM_FIELDS},
    "acquired": {"date", "source_party_id", "recipient_party_id", "reference"},
    "disposed": {"date", "transferee_party_id", "form_4473"},
    "transferred": {"date", "to_party_id"},
    "status_changed": {"date", "discovered_at", "police_report", "atf_incident", "note"},
}
# The party a record names (its `party_id` column), per record type.
PARTY_FIELD = {"acquired": "source_party_id", "disposed": "transferee_party_id", "transferred": "to_party_id"}
# The counterparty columns an acquisition or disposition keeps as they stood when recorded.
PARTY_PREFIX = {"source_party_id": "source", "transferee_party_id": "transferee"}


def _day(text: str) -> date:
    return date.fromisoformat(text)


def _time(event: dict) -> datetime:
    return stored_moment(event["time"])


def party_columns(prefix: str, party: Party) -> dict:
    """The bound book's name-and-address or licence columns of a counterparty, as they stand when
    recorded (a person's data stay in the vault; the record names the party)."""
    columns = {f"{prefix}_kind": party.kind}
    if party.ffl:
        columns[f"{prefix}_ffl"] = party.ffl
    if party.kind != "person":
        columns[f"{prefix}_name"], columns[f"{prefix}_address"] = party.name, party.address
    return columns


def record_row(
    index: int,
    event: dict,
    kind: str,
    *,
    party: str | None,
    details: dict,
    on: str,
    holder: str | None,
    corrects: int | None = None,
) -> dict:
    return {
        "entry_index": index,
        "item_id": event["payload"]["item_id"],
        "type": kind,
        "on": _day(on),
        "party_id": party,
        "details": details,
        "corrects": corrects,
        "actor": event["actor"],
        "recorded_at": _time(event),
        "holder_party_id": holder,
    }


def _details(payload: dict) -> dict:
    return {k: v for k, v in payload.items() if k not in ("item_id", "date")}


def party_registered(session: Session, index: int, event: dict) -> None:
    p = event["payload"]
    session.add(
        Party(
            id=p["party_id"],
            kind=p["kind"],
            name=p.get("name"),
            address=p.get("address"),
            ffl=p.get("ffl"),
            ffl_abbreviated=p.get("ffl_abbreviated"),
            commitment=p.get("commitment"),
            erased=False,
            registered_entry=index,
            registered_at=_time(event),
        )
    )
    session.flush()  # before any item names the party: tables are linked by keys, not ORM relationships


def party_erased(session: Session, index: int, event: dict) -> None:
    session.get(Party, event["payload"]["party_id"]).erased = True


def as_stored(name: str, value):
    """An item fact as the tables keep it under the current rules, whatever rules wrote the event:
    the serial's search form read as Latin (`serials.reading`), a maker's or importer's name with its
    spaces folded. Events written before these rules keep their values; the tables, rebuilt by
    `flask init`, search them as new ones."""
    if name == "serial_normalized":
        return serials.reading(value)
    return registration.folded_name(value) if name in registration.FOLDED_NAMES else value


def registration_rows(index: int, event: dict) -> tuple[dict, dict]:
    """The item row and the custody record of an `item.registered` event."""
    p = event["payload"]
    item = {
        "id": p["item_id"],
        "kind": p["kind"],
        "scheme": p["scheme"],
        "serial": p["serial"],
        "serial_normalized": as_stored("serial_normalized", p["serial_normalized"]),
        "uniqueness_key": p["uniqueness_key"],
        "attributes": p.get("attributes", {}),
        "status": "registered",
        "holder_party_id": None,
        "acquired": False,
        "acquired_on": None,
        "registered_entry": index,
        "last_event_date": _day(p["date"]),
        **{name: as_stored(name, p.get(name)) for name in ITEM_FIELDS},
    }
    return item, record_row(index, event, "registered", party=None, on=p["date"], holder=None, details=_details(p))


def acquisition_rows(index: int, event: dict) -> tuple[dict, dict]:
    """What an `item.acquired` event changes on a newly registered item, and its custody record (the
    bulk import writes these rows itself; the handler below gives the same)."""
    p = event["payload"]
    change = {
        "status": "in_custody",
        "holder_party_id": p["recipient_party_id"],
        "acquired": True,
        "acquired_on": _day(p["date"]),
        "last_event_date": _day(p["date"]),
    }
    return change, record_row(
        index,
        event,
        "acquired",
        party=p["source_party_id"],
        on=p["date"],
        holder=p["recipient_party_id"],
        details=_details(p),
    )


def item_registered(session: Session, index: int, event: dict) -> None:
    item, record = registration_rows(index, event)
    session.add(Item(**item))
    session.flush()
    session.add(CustodyRecord(**record))
    tally(session, Counter({(item["kind"], item["status"], None): 1}))


def tally(session: Session, changes: Counter) -> None:
    """Move the item counts by kind, status and holder: `changes` maps (kind, status, holder id or
    None) to how many items joined (or, negative, left) that cell. The moves are summed in the
    session and written once, just before the transaction commits (`write_tally`): a group of
    events moving items between a few cells costs one statement, not two per event."""
    pending = session.info.setdefault(PENDING_TALLY, Counter())
    for (kind, status, holder), delta in changes.items():
        pending[(kind, status, holder or "")] += delta


PENDING_TALLY = "item_tally_pending"


def write_tally(session: Session) -> None:
    """Write the tally moves summed in the session: one upsert for the cells that moved, which
    returns their new counts, then the removal of the cells it left at zero, if any (a transfer
    out of a holder of many items leaves none, and costs one statement). Appends are serialised by
    the ledger's write lock, so the counts read and written here are not raced."""
    pending = session.info.pop(PENDING_TALLY, None)
    cells = [(*cell, delta) for cell, delta in sorted((pending or {}).items()) if delta]
    if not cells:
        return
    connection = session.connection()
    emptied = []
    for start in range(0, len(cells), TALLY_CELLS_PER_STATEMENT):
        chunk = cells[start : start + TALLY_CELLS_PER_STATEMENT]
        upsert = _add_to_cells(connection.dialect.paramstyle, len(chunk))
        counts = connection.exec_driver_sql(upsert, tuple(value for cell in chunk for value in cell))
        emptied += [{"kind": kind, "status": status, "holder": holder} for kind, status, holder, n in counts if n <= 0]
    if emptied:
        connection.execute(_DROP_EMPTY_CELL, emptied)


TALLY_CELLS_PER_STATEMENT = 500  # four parameters each: well within either engine's limit


@functools.lru_cache(maxsize=32)
def _add_to_cells(paramstyle: str, cells: int) -> str:
    """The upsert of `cells` tally cells in one statement, in plain SQL that SQLite and PostgreSQL
    read alike (the dialects' upsert constructs cost milliseconds to compile on every call here),
    with the driver's positional parameters: kind, status, holder and count for each cell in turn."""
    mark = "?" if paramstyle == "qmark" else "%s"
    values = ", ".join([f"({mark}, {mark}, {mark}, {mark})"] * cells)
    return (
        f"INSERT INTO item_tally (kind, status, holder, count) VALUES {values} "
        "ON CONFLICT (kind, status, holder) DO UPDATE SET count = item_tally.count + excluded.count "
        "RETURNING kind, status, holder, count"
    )


_DROP_EMPTY_CELL = text(
    "DELETE FROM item_tally WHERE kind = :kind AND status = :status AND holder = :holder AND count <= 0"
)


held_until_commit(PENDING_TALLY, write_tally)


RECORD_TYPES = {
    "item.acquired": "acquired",
    "item.disposed": "disposed",
    "item.transferred": "transferred",
    "item.status_changed": "status_changed",
}


PARTY_KINDS = "party_kinds"


def party_kind(session: Session, party_id: str | None) -> str | None:
    """A party's kind (licensee, organisation, person), which never changes once registered: kept in
    the session's memory, so a batch of events asks the database once per party."""
    if party_id is None:
        return None
    kinds = session.info.setdefault(PARTY_KINDS, {})
    if party_id not in kinds:
        party = session.get(Party, party_id)
        if party is None:
            return None
        kinds[party_id] = party.kind
    return kinds[party_id]


def know_party_kind(session: Session, party_id: str, kind: str) -> None:
    """The kind of a party its caller read with its own rows (an item's holder), for `party_kind`."""
    session.info.setdefault(PARTY_KINDS, {})[party_id] = kind


def step_of(session: Session, record_type: str, on: date, details: dict) -> states.Step | None:
    """The state machine's view of a record (None for a registration or a correction)."""
    if record_type == "status_changed":
        return states.Step(details["status"], on)
    if record_type not in ("acquired", "disposed", "transferred"):
        return None
    party_id = details[
        {"acquired": "recipient_party_id", "disposed": "transferee_party_id", "transferred": "to_party_id"}[record_type]
    ]
    return states.Step(
        record_type, on, party_id=party_id, party_kind=party_kind(session, party_id), form_4473=details.get("form_4473")
    )


def custody_of(session: Session, item: Item) -> states.Custody:
    """Where the item stands now, as its row records it."""
    return states.Custody(
        status=item.status,
        holder_party_id=item.holder_party_id,
        holder_kind=party_kind(session, item.holder_party_id),
        acquired=item.acquired,
        acquired_on=item.acquired_on,
        last_date=item.last_event_date,
    )


def custody_on(session: Session, item: Item, day: date) -> states.Custody:
    """Where the item stood at the end of `day`, folded from its effective records (an item's
    records follow each other in date order, so those of the day and before are a prefix)."""
    records = session.scalars(
        select(CustodyRecord)
        .where(CustodyRecord.item_id == item.id, CustodyRecord.type != "corrected", CustodyRecord.on <= day)
        .order_by(CustodyRecord.entry_index)
    )
    custody = None
    for record in records:
        if custody is None:  # the registration
            custody = states.registered(record.on)
        else:
            custody = states.advance(custody, step_of(session, record.type, record.on, record.details))
    return custody or states.registered(day)


def source_on(session: Session, item_id: str, day: date) -> str | None:
    """The party the item's latest acquisition on or before `day` came from (its effective record)."""
    return session.scalar(
        select(CustodyRecord.party_id)
        .where(CustodyRecord.item_id == item_id, CustodyRecord.type == "acquired", CustodyRecord.on <= day)
        .order_by(CustodyRecord.entry_index.desc())
        .limit(1)
    )


def _set_custody(session: Session, item: Item, custody: states.Custody) -> None:
    """Write what changed only (an ORM attribute set costs as much whether or not it changes), and
    move the item between the tally's cells when its status or holder changed."""
    before, after = (item.status, item.holder_party_id), (custody.status, custody.holder_party_id)
    if before != after:
        tally(session, Counter({(item.kind, *before): -1, (item.kind, *after): 1}))
    for column, value in (
        ("status", custody.status),
        ("holder_party_id", custody.holder_party_id),
        ("acquired", custody.acquired),
        ("acquired_on", custody.acquired_on),
        ("last_event_date", custody.last_date),
    ):
        if getattr(item, column) != value:
            setattr(item, column, value)


def item_event(session: Session, index: int, event: dict) -> None:
    """An acquisition, disposition, transfer or status change: a record, and the item moves on."""
    p, record_type = event["payload"], RECORD_TYPES[event["type"]]
    item = session.get(Item, p["item_id"])
    details, on = _details(p), _day(p["date"])
    custody = states.advance(custody_of(session, item), step_of(session, record_type, on, details))
    _set_custody(session, item, custody)
    session.add(
        CustodyRecord(
            **record_row(
                index,
                event,
                record_type,
                party=details.get(PARTY_FIELD.get(record_type)),
                on=p["date"],
                holder=custody.holder_party_id,
                details=details,
            )
        )
    )
    if record_type == "disposed" and _counts_as_handgun_sale(session, item, custody.holder_kind):
        refresh_multiple_sales(session, {p["transferee_party_id"]})


def _counts_as_handgun_sale(session: Session, item: Item, transferee_kind: str | None) -> bool:
    return item.kind == "firearm" and (item.type or "") in rules.HANDGUN_TYPES and transferee_kind == "person"


def custody_corrected(session: Session, index: int, event: dict) -> None:
    """Fold the correction into the record it names (the first-written values are kept beside), then
    fold the item's records through the state machine again: a corrected date or party changes the
    item's status, holder and dates, and the multiple-sale flags of the persons involved."""
    p = event["payload"]
    target = session.get(CustodyRecord, p["corrects"])
    item = session.get(Item, p["item_id"])
    persons_before = _transferees(session, item.id)
    if target.original_details is None:
        target.original_on, target.original_party_id, target.original_details = (
            target.on,
            target.party_id,
            target.details,
        )
    target.details = corrected_details(session, target.details, p["fields"])
    if "date" in p["fields"]:
        target.on = _day(p["fields"]["date"])
    if target.type in PARTY_FIELD:
        target.party_id = target.details[PARTY_FIELD[target.type]]
    if target.type == "registered":
        for name, value in p["fields"].items():
            if name in ITEM_FIELDS or name in SERIAL_FIELDS and name != "override":
                setattr(item, name, as_stored(name, value))
    session.add(
        CustodyRecord(
            **record_row(
                index,
                event,
                "corrected",
                # the counterparty the correction puts in (a source, transferee or recipient): the
                # correction names it, and the person stays named in the chain of corrections
                party=p["fields"].get(PARTY_FIELD.get(target.type, "")),
                corrects=p["corrects"],
                on=_time(event).date().isoformat(),
                holder=item.holder_party_id,
                details={"fields": p["fields"], "reason": p["reason"]},
            )
        )
    )
    refold(session, item)
    refresh_multiple_sales(session, persons_before | _transferees(session, item.id))


def corrected_details(session: Session, details: dict, fields: dict) -> dict:
    """A record's details with corrected fields: a corrected counterparty brings its own columns."""
    out = {**details, **{name: value for name, value in fields.items() if name != "date"}}
    for field, prefix in PARTY_PREFIX.items():
        if field in fields:
            for suffix in ("kind", "ffl", "name", "address"):
                out.pop(f"{prefix}_{suffix}", None)
            out.update(party_columns(prefix, session.get(Party, fields[field])))
    return out


def refold(session: Session, item: Item) -> None:
    """Recompute the item's custody from its effective records, and each record's holder after it."""
    records = list(
        session.scalars(
            select(CustodyRecord).where(CustodyRecord.item_id == item.id).order_by(CustodyRecord.entry_index)
        )
    )
    custody = states.registered(records[0].on)
    for record in records:
        step = step_of(session, record.type, record.on, record.details)
        if step is not None:
            custody = states.advance(custody, step)
        if record.type != "corrected":
            record.holder_party_id = custody.holder_party_id
    _set_custody(session, item, custody)


def _transferees(session: Session, item_id: str) -> set[str]:
    return set(
        session.scalars(
            select(CustodyRecord.party_id).where(CustodyRecord.item_id == item_id, CustodyRecord.type == "disposed")
        )
    )


def refresh_multiple_sales(session: Session, party_ids: set[str | None]) -> None:
    """27 CFR 478.126a: two or more pistols or revolvers disposed of to one unlicensed person within
    five consecutive business days. Each disposition that completes such a set (with sales recorded
    before it) carries a flag naming them all; recomputed from the effective records of the person,
    so a corrected date, transferee or type moves the flags with it."""
    session.flush()
    for party_id in sorted(p for p in party_ids if p):
        party = session.get(Party, party_id)
        wanted = _flags_for(session, party_id) if party is not None and party.kind == "person" else {}
        existing = {
            flag.entry_index: flag
            for flag in session.scalars(select(MultipleSaleFlag).where(MultipleSaleFlag.party_id == party_id))
        }
        for entry_index, flag in existing.items():
            if entry_index not in wanted:
                session.delete(flag)
            else:
                flag.item_ids, flag.first_date, flag.last_date = wanted[entry_index]
        for entry_index, (item_ids, first, last) in wanted.items():
            if entry_index not in existing:
                session.add(
                    MultipleSaleFlag(
                        entry_index=entry_index, party_id=party_id, item_ids=item_ids, first_date=first, last_date=last
                    )
                )
    session.flush()


def _flags_for(session: Session, party_id: str) -> dict[int, tuple[list[str], date, date]]:
    sales = session.execute(
        select(CustodyRecord.entry_index, CustodyRecord.item_id, CustodyRecord.on)
        .join(Item, Item.id == CustodyRecord.item_id)
        .where(
            CustodyRecord.type == "disposed",
            CustodyRecord.party_id == party_id,
            Item.kind == "firearm",
            Item.type.in_(rules.HANDGUN_TYPES),
        )
        .order_by(CustodyRecord.entry_index)
    ).all()
    returned = _returned_to_source(session, party_id, sales)
    sales = [sale for sale in sales if sale[0] not in returned]
    window = timedelta(days=rules.MULTIPLE_SALE_BUSINESS_DAYS + 4)  # five business days span at most nine days
    flags = {}
    for position, (entry_index, item_id, on) in enumerate(sales):
        related = [
            (other, day)
            for _, other, day in sales[:position]
            if abs(day - on) <= window and rules.within_business_days(day, on)
        ]
        if related:
            days = [day for _, day in related] + [on]
            flags[entry_index] = (sorted({other for other, _ in related} | {item_id}), min(days), max(days))
    return flags


def _returned_to_source(session: Session, party_id: str, sales: list) -> set[int]:
    """The sales (entry indexes) that return a handgun to the person it was acquired from (a pawn
    redeemed, a repair collected), which 27 CFR 478.126a leaves out of the multiple-sale report."""
    if not sales:
        return set()
    sources: dict[str, list[tuple[int, str | None]]] = {}  # item -> its acquisitions, in ledger order
    for item_id, entry_index, source in session.execute(
        select(CustodyRecord.item_id, CustodyRecord.entry_index, CustodyRecord.party_id)
        .where(CustodyRecord.type == "acquired", CustodyRecord.item_id.in_(sorted({s[1] for s in sales})))
        .order_by(CustodyRecord.entry_index)
    ):
        sources.setdefault(item_id, []).append((entry_index, source))
    returned = set()
    for entry_index, item_id, _ in sales:
        before = [source for index, source in sources.get(item_id, ()) if index < entry_index]
        if before and before[-1] == party_id:
            returned.add(entry_index)
    return returned


HANDLERS = {
    "party.registered": party_registered,
    "party.erased": party_erased,
    "item.registered": item_registered,
    **{event_type: item_event for event_type in RECORD_TYPES},
    "custody.corrected": custody_corrected,
}

TABLES = (Party, Item, CustodyRecord, MultipleSaleFlag, ItemTally)
