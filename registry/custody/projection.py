"""Projection handlers: one per event type, each a pure function of the event (its index, body and
time), never of the clock, the request or the config, so `flask ledger replay` rebuilds the same
tables from the ledger alone.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.custody import rules
from registry.custody.models import CustodyRecord, Item, MultipleSaleFlag, Party

ITEM_FIELDS = ("manufacturer", "importer", "model", "type", "caliber", "country", "model_year", "description")
# What a correction may change, per corrected record type, and where the value lives.
CORRECTABLE = {
    "registered": {"manufacturer", "importer", "model", "type", "caliber", "country", "model_year", "description"},
    "acquired": {"date", "source_party_id", "source_name", "source_address", "source_ffl"},
    "disposed": {"date", "transferee_party_id", "transferee_name", "transferee_address", "transferee_ffl",
                 "form_4473"},
}


def _day(text: str) -> date:
    return date.fromisoformat(text)


def _time(event: dict) -> datetime:
    return datetime.fromisoformat(event["time"].replace("Z", "+00:00"))


def record_row(index: int, event: dict, kind: str, *, party: str | None, details: dict, on: str,
               corrects: int | None = None) -> dict:
    return {"entry_index": index, "item_id": event["payload"]["item_id"], "type": kind, "on": _day(on),
            "party_id": party, "details": details, "corrects": corrects, "actor": event["actor"],
            "recorded_at": _time(event)}


def _record(session: Session, index: int, event: dict, kind: str, **fields) -> None:
    """A record of an item that exists already (a registration flushes its item first)."""
    session.add(CustodyRecord(**record_row(index, event, kind, **fields)))


def party_registered(session: Session, index: int, event: dict) -> None:
    p = event["payload"]
    session.add(Party(id=p["party_id"], kind=p["kind"], name=p.get("name"), address=p.get("address"),
                      ffl=p.get("ffl"), ffl_abbreviated=p.get("ffl_abbreviated"), commitment=p.get("commitment"),
                      erased=False, registered_entry=index, registered_at=_time(event)))
    session.flush()  # before any item names the party: tables are linked by keys, not ORM relationships


def party_erased(session: Session, index: int, event: dict) -> None:
    session.get(Party, event["payload"]["party_id"]).erased = True


def registration_rows(index: int, event: dict) -> tuple[dict, dict]:
    """The item row and the custody record of an `item.registered` event."""
    p = event["payload"]
    item = {"id": p["item_id"], "kind": p["kind"], "scheme": p["scheme"], "serial": p["serial"],
            "serial_normalized": p["serial_normalized"], "uniqueness_key": p["uniqueness_key"],
            "attributes": p.get("attributes", {}), "status": "registered", "holder_party_id": None, "acquired": False,
            "registered_entry": index, "last_event_date": _day(p["date"]),
            **{name: p.get(name) for name in ITEM_FIELDS}}
    return item, record_row(index, event, "registered", party=None, on=p["date"],
                            details={k: v for k, v in p.items() if k not in ("item_id", "date")})


def acquisition_rows(index: int, event: dict) -> tuple[dict, dict]:
    """What an `item.acquired` event changes on the item, and its custody record."""
    p = event["payload"]
    change = {"status": "in_custody", "holder_party_id": p["recipient_party_id"], "acquired": True,
              "last_event_date": _day(p["date"])}
    return change, record_row(index, event, "acquired", party=p["source_party_id"], on=p["date"],
                              details={k: v for k, v in p.items() if k not in ("item_id", "date")})


def item_registered(session: Session, index: int, event: dict) -> None:
    item, record = registration_rows(index, event)
    session.add(Item(**item))
    session.flush()
    session.add(CustodyRecord(**record))


def item_acquired(session: Session, index: int, event: dict) -> None:
    change, record = acquisition_rows(index, event)
    item = session.get(Item, event["payload"]["item_id"])
    for name, value in change.items():
        setattr(item, name, value)
    session.add(CustodyRecord(**record))


def item_disposed(session: Session, index: int, event: dict) -> None:
    p = event["payload"]
    item = session.get(Item, p["item_id"])
    item.status, item.holder_party_id, item.last_event_date = "disposed", p["transferee_party_id"], _day(p["date"])
    _record(session, index, event, "disposed", party=p["transferee_party_id"], on=p["date"],
            details={k: v for k, v in p.items() if k not in ("item_id", "date")})
    _flag_multiple_sale(session, index, item, p["transferee_party_id"], _day(p["date"]))


def _flag_multiple_sale(session: Session, index: int, item: Item, transferee_id: str, on: date) -> None:
    """27 CFR 478.126a: two or more pistols or revolvers to one unlicensed person within five
    consecutive business days, flagged when the disposition that completes the set is recorded."""
    if item.kind != "firearm" or (item.type or "") not in rules.HANDGUN_TYPES:
        return
    if session.get(Party, transferee_id).kind != "person":
        return
    window = timedelta(days=rules.MULTIPLE_SALE_BUSINESS_DAYS + 4)  # five business days span at most nine days
    rows = session.execute(
        select(CustodyRecord.item_id, CustodyRecord.on).join(Item, Item.id == CustodyRecord.item_id)
        .where(CustodyRecord.type == "disposed", CustodyRecord.party_id == transferee_id,
               CustodyRecord.on >= on - window, CustodyRecord.on <= on + window,
               Item.type.in_(rules.HANDGUN_TYPES), CustodyRecord.entry_index != index)).all()
    related = [(item_id, day) for item_id, day in rows if rules.within_business_days(day, on)]
    if related:
        days = [day for _, day in related] + [on]
        session.add(MultipleSaleFlag(entry_index=index, party_id=transferee_id,
                                     item_ids=sorted({i for i, _ in related} | {item.id}),
                                     first_date=min(days), last_date=max(days)))


def item_transferred(session: Session, index: int, event: dict) -> None:
    p = event["payload"]
    item = session.get(Item, p["item_id"])
    item.holder_party_id, item.last_event_date = p["to_party_id"], _day(p["date"])
    _record(session, index, event, "transferred", party=p["to_party_id"], on=p["date"],
            details={k: v for k, v in p.items() if k not in ("item_id", "date")})


def item_status_changed(session: Session, index: int, event: dict) -> None:
    p = event["payload"]
    item = session.get(Item, p["item_id"])
    item.status = "in_custody" if p["status"] == "recovered" else p["status"]
    item.last_event_date = _day(p["date"])
    _record(session, index, event, "status_changed", party=None, on=p["date"],
            details={k: v for k, v in p.items() if k not in ("item_id", "date")})


def custody_corrected(session: Session, index: int, event: dict) -> None:
    """The corrected record stays as it was; the item shows corrected registration facts, and a
    corrected transferee of its latest disposition is its holder."""
    p = event["payload"]
    corrected = session.get(CustodyRecord, p["corrects"])
    item = session.get(Item, p["item_id"])
    if corrected.type == "registered":
        for name, value in p["fields"].items():
            setattr(item, name, value)
    elif corrected.type == "disposed" and "transferee_party_id" in p["fields"] and item.status == "disposed":
        item.holder_party_id = p["fields"]["transferee_party_id"]
    _record(session, index, event, "corrected", party=None, corrects=p["corrects"], on=_time(event).date().isoformat(),
            details={"fields": p["fields"], "reason": p["reason"]})


HANDLERS = {
    "party.registered": party_registered, "party.erased": party_erased,
    "item.registered": item_registered, "item.acquired": item_acquired, "item.disposed": item_disposed,
    "item.transferred": item_transferred, "item.status_changed": item_status_changed,
    "custody.corrected": custody_corrected,
}


def apply(session: Session, index: int, event: dict) -> None:
    """Apply one event to the custody tables; events of other domains are ignored."""
    handler = HANDLERS.get(event["type"])
    if handler is not None:
        handler(session, index, event)
