"""Checking a correction before it is recorded. A correction names one record and the fields it
corrects; each field is checked as the same field of a new record would be, and then the item's
records, with the correction folded in, must pass the state machine from the registration on: a
correction may not leave any record in a state the rules would refuse (a date before the previous
event, a disposition of an item that was not held, a private transferee without a Form 4473).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from registry.custody import projection, registration, rules, states
from registry.custody.models import CustodyRecord, Item
from registry.custody.rules import CustodyError
from registry.errors import CONFLICT, INVALID
from registry.fields import day, moment, text

if TYPE_CHECKING:
    from registry.custody.service import CustodyService

TEXT_LIMITS = {"form_4473": 64, "police_report": 64, "atf_incident": 64, "note": 1000, "description": 400}


def checked_fields(service: CustodyService, item: Item, record: CustodyRecord, fields: dict, *, now: datetime) -> dict:
    """The corrected fields as the event stores them; raises CustodyError naming `fields.<name>`."""
    clean: dict = {}
    for name, value in sorted(fields.items()):
        where = f"fields.{name}"
        try:
            if name == "date":
                clean[name] = day(value, where, now=now).isoformat()
            elif name == "discovered_at":
                clean[name] = moment(value, where, now=now).isoformat()
            elif name.endswith("_party_id"):
                if not isinstance(value, str):
                    raise CustodyError("name the party by its id", code="invalid_field", field=where)
                clean[name] = service.party(value, where).id
            elif name == "model_year":
                clean[name] = registration.model_year(value, now=now)
            elif name == "type" and item.kind == "firearm":
                clean[name] = registration.firearm_type(text(value, where))
            elif name == "serial":
                facts = {"manufacturer": item.manufacturer}
                clean.update(
                    registration.checked_serial(item.kind, item.scheme, value, None, None, facts=facts, item_id=item.id)
                )
            elif name in registration.FOLDED_NAMES:
                clean[name] = registration.folded_name(text(value, where))
            else:
                clean[name] = text(value, where, limit=TEXT_LIMITS.get(name, 200))
        except CustodyError as error:
            error.field = where
            raise
    if record.type == "registered":
        _require_unique_key(service, item, clean)
    if record.type == "registered" and item.kind == "firearm":
        for name in ("manufacturer", "model", "caliber"):
            if name in clean and not clean[name]:
                raise CustodyError(
                    f"the {name} is required for a firearm (27 CFR 478.125(e))",
                    code="missing_field",
                    field=f"fields.{name}",
                )
    current = {**record.details, "date": record.on.isoformat()}
    if all(current.get(name) == value for name, value in clean.items()):
        raise CustodyError(
            "the correction changes nothing: the record says that already",
            code="no_change",
            field=f"fields.{sorted(fields)[0]}",
        )
    return clean


def _require_unique_key(service: CustodyService, item: Item, clean: dict) -> None:
    """A corrected serial or manufacturer makes a new uniqueness key (kept in `clean`, for the
    projection to store), which no other item may hold: correcting a firearm's maker to one whose
    firearm already bears that serial is refused as registering it would be."""
    facts = [name for name in registration.KEY_FACTS if name in clean]
    if "serial" not in clean and (not facts or item.uniqueness_key.startswith(registration.NO_SERIAL_KEY)):
        return  # a firearm without a serial is an item of its own whoever made it
    normalized = clean.get("serial_normalized", item.serial_normalized)
    attributes = clean.get("attributes", item.attributes) or {}
    key = registration.uniqueness_key(
        item.kind,
        item.scheme,
        normalized,
        attributes,
        clean.get("manufacturer", item.manufacturer) or attributes.get("manufacturer"),
    )
    field = "fields.serial" if "serial" in clean else f"fields.{facts[0]}"
    service.require_unique(key, item.kind, normalized, field=field, other_than=item.id)
    clean.pop("uniqueness_key", None)
    if key != item.uniqueness_key:
        clean["uniqueness_key"] = key


def check_folded(
    service: CustodyService, item: Item, record: CustodyRecord, clean: dict
) -> tuple[states.Custody, states.Step] | None:
    """Fold the item's records, `record` corrected by `clean`, through the state machine; raise
    CustodyError (naming the corrected field) at the first record the rules would refuse. Returns
    where the item stood before the corrected record and the record as corrected (None for the
    registration), for the rules beyond the state machine."""
    session = service.session
    records = list(
        session.scalars(
            select(CustodyRecord)
            .where(CustodyRecord.item_id == item.id, CustodyRecord.type != "corrected")
            .order_by(CustodyRecord.entry_index)
        )
    )
    kind = item.kind
    custody, corrected = None, None
    for current in records:
        on, details = current.on, current.details
        if current.entry_index == record.entry_index:
            details = projection.corrected_details(session, details, clean)
            on = date.fromisoformat(clean["date"]) if "date" in clean else on
        if custody is None:
            custody = states.registered(on)
            continue
        step = projection.step_of(session, current.type, on, details)
        try:
            if current.type == "status_changed":
                rules.check_status_details(kind, details)
            states.check(kind, custody, step)
        except (states.Refusal, CustodyError) as problem:
            raise _refusal(problem, current, record, clean) from None
        if current.entry_index == record.entry_index:
            corrected = (custody, step)
        custody = states.advance(custody, step)
    return corrected


def _refusal(problem, current: CustodyRecord, record: CustodyRecord, clean: dict) -> CustodyError:
    code = problem.code
    message = problem.message if isinstance(problem, states.Refusal) else problem.detail
    conflict = problem.conflict if isinstance(problem, states.Refusal) else False
    own = problem.field if problem.field in clean else None
    field = f"fields.{own or ('date' if 'date' in clean else sorted(clean)[0])}"
    what = current.type.replace("_", " ")
    where = (
        "this record"
        if current.entry_index == record.entry_index
        else f"the later {what} record (entry {current.entry_index})"
    )
    return CustodyError(
        f"the correction would break {where}: {message}", code=code, kind=CONFLICT if conflict else INVALID, field=field
    )
