"""The rules of custody, applied before anything is appended. Every method validates its request,
then, under the ledger's write lock, checks the item's state, appends one event and applies its
projection in the same transaction: a refusal appends nothing and changes nothing.
"""
from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import date, datetime, timedelta
from typing import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from audit import canonical
from registry import serials
from registry.custody import projection, rules
from registry.custody.models import CustodyRecord, Item, Party, PersonalData
from registry.custody.rules import CustodyError
from registry.ledger.events import NewEvent
from registry.ledger.locking import write_transaction
from registry.ledger.service import LedgerService

TEXT_LIMIT = 200


def _text(value, field: str, *, required: bool = False, limit: int = TEXT_LIMIT) -> str | None:
    value = (value or "").strip() if isinstance(value, str) or value is None else None
    if value is None:
        raise CustodyError(f"{field!r} must be text", code="invalid_field", field=field)
    if required and not value:
        raise CustodyError(f"{field!r} is required", code="missing_field", field=field)
    if len(value) > limit:
        raise CustodyError(f"{field!r} is longer than {limit} characters", code="invalid_field", field=field)
    return value or None


def _day(value, field: str = "date") -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise CustodyError(f"{field!r} must be a date YYYY-MM-DD, got {value!r}", code="invalid_date",
                           field=field) from None


def commitment(salt: bytes, data: dict) -> str:
    """SHA-256 over the salt and the canonical JSON of the personal data: binds the ledger to the
    vault's content without revealing it, and a guess cannot be checked without the salt."""
    return hashlib.sha256(salt + canonical.canonical_bytes(data)).hexdigest()


class CustodyService:
    def __init__(self, session: Session, ledger: LedgerService):
        self.session, self.ledger = session, ledger
        # Strong references to the rows this service works on: the session's identity map holds
        # only weak ones, so without these every flush in a batch would send the next look-up to
        # the database again.
        self._held: dict[tuple[type, str], object] = {}

    # -- appending -----------------------------------------------------------------------------
    def _append(self, event: NewEvent, *, actor: str, now: datetime) -> int:
        result = self.ledger.append([event], actor=actor, now=now)
        entry = result.entries[0]
        projection.apply(self.session, entry.index, entry.event)
        return entry.index

    # -- parties -------------------------------------------------------------------------------
    def register_licensee(self, *, ffl: str, name: str, address: str, actor: str, now: datetime) -> Party:
        checked = serials.validate("ffl", ffl or "")
        if not checked.valid:
            raise CustodyError(f"licence number: {checked.errors[0].message}", code=f"ffl_{checked.errors[0].code}",
                               field="ffl")
        name, address = _text(name, "name", required=True), _text(address, "address", required=True, limit=400)
        with write_transaction(self.session):
            if self.session.scalar(select(Party).where(Party.ffl == checked.normalized)) is not None:
                raise CustodyError(f"a licensee with licence {checked.info['formatted']} is registered already",
                                   code="duplicate_licensee", status=409, field="ffl")
            return self._register_party({"kind": "licensee", "name": name, "address": address,
                                         "ffl": checked.normalized, "ffl_abbreviated": checked.info["abbreviated"]},
                                        actor=actor, now=now)

    def register_organisation(self, *, name: str, address: str, actor: str, now: datetime) -> Party:
        payload = {"kind": "organisation", "name": _text(name, "name", required=True),
                   "address": _text(address, "address", required=True, limit=400)}
        with write_transaction(self.session):
            return self._register_party(payload, actor=actor, now=now)

    def register_person(self, *, full_name: str, address: str, id_document: str | None, actor: str,
                        now: datetime) -> Party:
        """A private person: the data go to the vault, the ledger gets a salted commitment."""
        data = {"full_name": _text(full_name, "full_name", required=True),
                "address": _text(address, "address", required=True, limit=400),
                "id_document": _text(id_document, "id_document")}
        salt = secrets.token_bytes(32)
        with write_transaction(self.session):
            party = self._register_party({"kind": "person", "commitment": commitment(salt, data)}, actor=actor, now=now)
            self.session.add(PersonalData(party_id=party.id, salt=salt, **data))
            return party

    def _register_party(self, payload: dict, *, actor: str, now: datetime) -> Party:
        party_id = str(uuid.uuid4())
        payload = {"party_id": party_id, **{k: v for k, v in payload.items() if v is not None}}
        self._append(NewEvent("party.registered", payload, item=f"party:{party_id}"), actor=actor, now=now)
        return self.session.get(Party, party_id)

    def preload(self, item_ids: Sequence[str]) -> None:
        """Before a batch of events on these items: load them and their ledger heads in a few
        queries, so the events that follow run from memory and their rows are written together."""
        for start in range(0, len(item_ids), 500):
            for item in self.session.scalars(select(Item).where(Item.id.in_(item_ids[start:start + 500]))):
                self._held[(Item, item.id)] = item
        self.ledger.prime([f"item:{item_id}" for item_id in item_ids])

    def _get(self, model, key):
        found = self._held.get((model, key))
        if found is None and isinstance(key, str):
            found = self.session.get(model, key)
            if found is not None:
                self._held[(model, key)] = found
        return found

    def find_licensee(self, ffl: str) -> Party | None:
        """The registered licensee with this licence number, in any of its written forms."""
        checked = serials.validate("ffl", ffl or "")
        if not checked.valid:
            return None
        return self.session.scalar(select(Party).where(Party.ffl == checked.normalized))

    def party(self, party_id: str, field: str = "party_id") -> Party:
        found = self._get(Party, party_id)
        if found is None:
            raise CustodyError(f"no party {party_id!r}", code="unknown_party", status=422, field=field)
        return found

    # -- items ---------------------------------------------------------------------------------
    def register_item(self, *, kind: str, scheme: str, serial: str, on, actor: str, now: datetime,
                      options: dict | None = None, override_justification: str | None = None,
                      **facts) -> Item:
        """Register an item with its serial as marked. A serial that fails its scheme's rules is
        refused unless `override_justification` is given; the override and the failed codes go into
        the event. Facts: manufacturer, importer, model, type, caliber, country, model_year, description."""
        payload = self.registration(kind=kind, scheme=scheme, serial=serial, on=on, options=options,
                                    override_justification=override_justification, **facts)
        with write_transaction(self.session):
            if self.session.scalar(select(Item.id).where(Item.uniqueness_key == payload["uniqueness_key"])):
                raise CustodyError(_duplicate_message(kind, payload["serial_normalized"]), code="duplicate_serial",
                                   status=409, field="serial")
            self._append(NewEvent("item.registered", payload, item=f"item:{payload['item_id']}"), actor=actor, now=now)
            return self.session.get(Item, payload["item_id"])

    def registration(self, *, kind: str, scheme: str, serial: str, on, options: dict | None = None,
                     override_justification: str | None = None, **facts) -> dict:
        """The `item.registered` payload for a request, checked except for uniqueness (which needs
        the write lock); raises CustodyError naming the field."""
        if kind not in rules.KINDS:
            raise CustodyError(f"kind must be one of {', '.join(rules.KINDS)}", code="invalid_kind", field="kind")
        if scheme not in rules.SCHEMES_BY_KIND[kind]:
            raise CustodyError(f"a {kind} uses the scheme {' or '.join(rules.SCHEMES_BY_KIND[kind])}",
                               code="invalid_scheme", field="scheme")
        checked = serials.validate(scheme, serial if isinstance(serial, str) else "", **(options or {}))
        override = _text(override_justification, "override_justification", limit=1000)
        if not checked.valid and not override:
            first = checked.errors[0]
            raise CustodyError(f"serial: {first.message}" + (f" (position {first.position})" if first.position else "")
                               + "; an officer may record it with an override and a written justification",
                               code=f"serial_{first.code}", field="serial")
        facts = self._item_facts(kind, facts, checked)
        on = _day(on)
        payload = {"item_id": str(uuid.uuid4()), "kind": kind, "scheme": scheme, "serial": serial.strip(),
                   "serial_normalized": checked.normalized, "uniqueness_key": _uniqueness_key(kind, scheme, checked, facts),
                   "date": on.isoformat(), "attributes": _json_safe(checked.info),
                   **{k: v for k, v in facts.items() if v is not None}}
        if not checked.valid:
            payload["override"] = {"codes": checked.codes, "justification": override}
        return payload

    def _item_facts(self, kind: str, facts: dict, checked) -> dict:
        unknown = set(facts) - set(projection.ITEM_FIELDS)
        if unknown:
            raise CustodyError(f"unknown field {sorted(unknown)[0]!r}", code="unknown_field", field=sorted(unknown)[0])
        clean = {name: _text(facts.get(name), name) for name in projection.ITEM_FIELDS if name != "model_year"}
        year = facts.get("model_year") or checked.info.get("model_year")
        if year is not None:
            try:
                year = int(year)
            except (TypeError, ValueError):
                raise CustodyError("'model_year' must be a year", code="invalid_field", field="model_year") from None
        clean["model_year"] = year
        if kind == "firearm":
            for name in ("manufacturer", "model", "type", "caliber"):
                if not clean[name]:
                    raise CustodyError(f"{name!r} is required for a firearm (27 CFR 478.125(e))",
                                       code="missing_field", field=name)
            if clean["type"].lower() not in rules.FIREARM_TYPES:
                raise CustodyError(f"'type' must be one of {', '.join(rules.FIREARM_TYPES)}", code="invalid_field",
                                   field="type")
            clean["type"] = clean["type"].lower()
        if kind == "vehicle" and not clean["manufacturer"]:
            clean["manufacturer"] = checked.info.get("manufacturer")
        return clean

    def item(self, item_id: str) -> Item:
        found = self._get(Item, item_id)
        if found is None:
            raise CustodyError(f"no item {item_id!r}", code="unknown_item", status=404, field="item_id")
        return found

    def _not_before(self, item: Item, on: date) -> None:
        if on < item.last_event_date:
            raise CustodyError(f"the date {on} precedes the item's previous event ({item.last_event_date})",
                               code="date_before_previous_event", field="date")

    # -- events --------------------------------------------------------------------------------
    def acquire(self, item_id: str, *, on, source_party_id: str, recipient_party_id: str, actor: str,
                now: datetime, reference: str | None = None) -> int:
        on = _day(on)
        reference = _text(reference, "reference")
        with write_transaction(self.session):
            item = self.item(item_id)
            source, recipient = self.party(source_party_id, "source_party_id"), self.party(recipient_party_id,
                                                                                           "recipient_party_id")
            if item.status in ("in_custody", "quarantined") and item.acquired:
                raise CustodyError("the item is held already: dispose of it before acquiring it again",
                                   code="already_held", status=409)
            if item.status in ("stolen", "lost", "destroyed"):
                raise CustodyError(f"the item is {item.status}", code=f"item_{item.status}", status=409)
            self._not_before(item, on)
            payload = {"item_id": item.id, "date": on.isoformat(), "source_party_id": source.id,
                       "recipient_party_id": recipient.id, **_party_columns("source", source)}
            if reference:
                payload["reference"] = reference
            return self._append(NewEvent("item.acquired", payload, item=f"item:{item.id}"), actor=actor, now=now)

    def dispose(self, item_id: str, *, on, from_party_id: str, transferee_party_id: str, actor: str, now: datetime,
                form_4473: str | None = None) -> int:
        on = _day(on)
        form_4473 = _text(form_4473, "form_4473", limit=64)
        with write_transaction(self.session):
            item = self.item(item_id)
            transferee = self.party(transferee_party_id, "transferee_party_id")
            if not item.acquired:
                raise CustodyError("the item was never acquired: record its acquisition first",
                                   code="not_acquired", status=409)
            if item.status in rules.NOT_DISPOSABLE:
                raise CustodyError(f"the item is {item.status} and cannot be disposed of",
                                   code=f"item_{item.status}", status=409)
            if from_party_id != item.holder_party_id:
                raise CustodyError("only the current holder disposes of an item", code="not_holder", status=409,
                                   field="from_party_id")
            if transferee.id == item.holder_party_id:
                raise CustodyError("the transferee already holds the item", code="same_party", field="transferee_party_id")
            if item.kind == "firearm" and transferee.kind == "person" and not form_4473:
                raise CustodyError("a disposition to a private person needs the Form 4473 transaction number",
                                   code="missing_field", field="form_4473")
            self._not_before(item, on)
            payload = {"item_id": item.id, "date": on.isoformat(), "from_party_id": from_party_id,
                       "transferee_party_id": transferee.id, **_party_columns("transferee", transferee)}
            if form_4473:
                payload["form_4473"] = form_4473
            return self._append(NewEvent("item.disposed", payload, item=f"item:{item.id}"), actor=actor, now=now)

    def transfer(self, item_id: str, *, on, to_party_id: str, actor: str, now: datetime,
                 from_party_id: str | None = None) -> int:
        on = _day(on)
        with write_transaction(self.session):
            item = self.item(item_id)
            to = self.party(to_party_id, "to_party_id")
            if item.holder_party_id is None:
                raise CustodyError("the item has no holder yet: record an acquisition", code="not_acquired", status=409)
            if from_party_id is not None and from_party_id != item.holder_party_id:
                raise CustodyError("only the current holder transfers an item", code="not_holder", status=409,
                                   field="from_party_id")
            if item.status in ("stolen", "lost", "destroyed", "exported"):
                raise CustodyError(f"the item is {item.status}", code=f"item_{item.status}", status=409)
            if to.id == item.holder_party_id:
                raise CustodyError("the party already holds the item", code="same_party", field="to_party_id")
            self._not_before(item, on)
            payload = {"item_id": item.id, "date": on.isoformat(), "from_party_id": item.holder_party_id,
                       "to_party_id": to.id}
            return self._append(NewEvent("item.transferred", payload, item=f"item:{item.id}"), actor=actor, now=now)

    def change_status(self, item_id: str, *, status: str, on, actor: str, now: datetime,
                      atf_incident: str | None = None, police_report: str | None = None,
                      discovered_at: str | None = None, note: str | None = None) -> int:
        on = _day(on)
        if status not in rules.STATUS_CHANGES:
            raise CustodyError(f"status must be one of {', '.join(rules.STATUS_CHANGES)}", code="invalid_status",
                               field="status")
        payload = {"status": status, "date": on.isoformat()}
        if status in ("stolen", "lost"):
            discovered = _text(discovered_at, "discovered_at", required=True, limit=40)
            try:
                discovered = datetime.fromisoformat(discovered.replace("Z", "+00:00"))
            except ValueError:
                raise CustodyError("'discovered_at' must be a date and time (ISO 8601)", code="invalid_date",
                                   field="discovered_at") from None
            if discovered.tzinfo is None:
                raise CustodyError("'discovered_at' needs a time zone (e.g. Z)", code="invalid_date",
                                   field="discovered_at")
            payload["discovered_at"] = discovered.isoformat()
            payload["police_report"] = _text(police_report, "police_report", required=True, limit=64)
            incident = _text(atf_incident, "atf_incident", limit=64)
            if incident:
                payload["atf_incident"] = incident
        if note := _text(note, "note", limit=1000):
            payload["note"] = note
        with write_transaction(self.session):
            item = self.item(item_id)
            if status in ("stolen", "lost") and item.kind == "firearm" and "atf_incident" not in payload:
                raise CustodyError("a firearm theft or loss needs the ATF incident number (Form 3310.11)",
                                   code="missing_field", field="atf_incident")
            if item.status not in rules.STATUS_CHANGES[status]:
                raise CustodyError(f"an item that is {item.status} cannot become {status}", code="invalid_transition",
                                   status=409, field="status")
            self._not_before(item, on)
            return self._append(NewEvent("item.status_changed", {"item_id": item.id, **payload}, item=f"item:{item.id}"),
                                actor=actor, now=now)

    def correct(self, item_id: str, *, corrects: int, fields: dict, reason: str, actor: str, now: datetime) -> int:
        """Record a correction beside the original: the original entry is never changed."""
        reason = _text(reason, "reason", required=True, limit=1000)
        if not isinstance(fields, dict) or not fields:
            raise CustodyError("'fields' must name at least one corrected field", code="missing_field", field="fields")
        with write_transaction(self.session):
            item = self.item(item_id)
            record = self.session.get(CustodyRecord, corrects) if isinstance(corrects, int) else None
            if record is None or record.item_id != item.id:
                raise CustodyError(f"entry {corrects!r} is no record of this item", code="unknown_record",
                                   field="corrects")
            allowed = projection.CORRECTABLE.get(record.type, set())
            bad = sorted(set(fields) - allowed)
            if bad:
                raise CustodyError(f"{bad[0]!r} cannot be corrected on a {record.type} record "
                                   f"(correctable: {', '.join(sorted(allowed)) or 'nothing'})",
                                   code="not_correctable", field=f"fields.{bad[0]}")
            clean = {}
            for name, value in fields.items():
                if name == "date":
                    clean[name] = _day(value, "fields.date").isoformat()
                elif name.endswith("_party_id"):
                    clean[name] = self.party(value, f"fields.{name}").id
                elif name == "model_year":
                    clean[name] = int(value) if value not in (None, "") else None
                else:
                    clean[name] = _text(value, f"fields.{name}")
            payload = {"item_id": item.id, "corrects": corrects, "fields": clean, "reason": reason}
            return self._append(NewEvent("custody.corrected", payload, item=f"item:{item.id}"), actor=actor, now=now)

    # -- personal data -----------------------------------------------------------------------
    def personal_data(self, party_id: str) -> PersonalData | None:
        return self.session.get(PersonalData, party_id)

    def erasure_refusal(self, party: Party, *, today: date, retention_days: int,
                        licence_ended_on: date | None) -> str | None:
        """Why a person's data must still be kept, or None when they may be erased."""
        if party.kind != "person":
            return "only a private person's data are erased; licensees and organisations are not personal data"
        if party.erased:
            return "the data are erased already"
        # An acquisition's record names its source, a disposition's its transferee.
        firearm_record = self.session.scalar(
            select(CustodyRecord.entry_index).join(Item, Item.id == CustodyRecord.item_id)
            .where(CustodyRecord.party_id == party.id, Item.kind == "firearm").limit(1))
        if firearm_record is not None and licence_ended_on is None:
            return ("the person is a source or transferee in the firearm records, which are kept for as long as "
                    "the licence exists (27 CFR 478.129); set LICENCE_ENDED_ON when it ends")
        last = self.session.scalar(select(CustodyRecord.on).where(CustodyRecord.party_id == party.id)
                                   .order_by(CustodyRecord.on.desc()).limit(1))
        if last is not None and (today - last).days < retention_days:
            return (f"the retention period of {retention_days} days after the person's last record ({last}) "
                    f"runs until {last + timedelta(days=retention_days)}")
        return None

    def erase_person(self, party_id: str, *, reason: str, actor: str, now: datetime, retention_days: int,
                     licence_ended_on: date | None = None) -> Party:
        """Erase a person's vault data (GDPR Art. 17) unless a retention rule forbids it. The ledger
        keeps the salted commitment, which reveals nothing without the erased salt, and still verifies."""
        reason = _text(reason, "reason", required=True, limit=400)
        with write_transaction(self.session):
            party = self.party(party_id)
            refusal = self.erasure_refusal(party, today=now.date(), retention_days=retention_days,
                                           licence_ended_on=licence_ended_on)
            if refusal:
                raise CustodyError(f"cannot erase: {refusal}", code="retention_applies", status=409, field="party_id")
            vault = self.session.get(PersonalData, party.id)
            vault.full_name = vault.address = vault.id_document = None
            vault.salt = None
            vault.erased_at = now
            self._append(NewEvent("party.erased", {"party_id": party.id, "reason": reason}, item=f"party:{party.id}"),
                         actor=actor, now=now)
            return party


def _party_columns(prefix: str, party: Party) -> dict:
    """The bound book's name-and-address or licence columns, as they were when recorded (persons'
    data stay in the vault; the event names the party)."""
    columns = {f"{prefix}_kind": party.kind}
    if party.ffl:
        columns[f"{prefix}_ffl"] = party.ffl
    if party.kind != "person":
        columns[f"{prefix}_name"], columns[f"{prefix}_address"] = party.name, party.address
    return columns


def _uniqueness_key(kind: str, scheme: str, checked, facts: dict) -> str:
    if kind == "firearm":  # 27 CFR 478.92: unique per manufacturer (or importer) marking it
        maker = " ".join((facts.get("manufacturer") or "").casefold().split())
        return f"firearm|{maker}|{checked.normalized}"
    if scheme == "vin":
        return f"vin|{checked.normalized}"
    if scheme == "gs1":
        return f"gs1|{checked.info.get('gtin', '')}|{checked.info.get('serial', checked.normalized)}"
    if scheme == "vehicle_legacy":
        maker = " ".join((facts.get("manufacturer") or "").casefold().split())
        return f"vehicle_legacy|{maker}|{checked.normalized}"
    return f"{scheme}|{checked.normalized}"


def _duplicate_message(kind: str, serial: str) -> str:
    scope = {"firearm": "for this manufacturer", "vehicle": "(VINs are unique)"}.get(kind, "in this scheme")
    return f"an item with serial {serial} is registered already {scope}"


def _json_safe(info: dict) -> dict:
    return canonical.loads(canonical.canonical_bytes({k: v for k, v in info.items() if k != "elements"}))
