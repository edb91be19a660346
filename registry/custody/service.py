"""The rules of custody, applied before anything is appended. Every method validates its request,
then, under the ledger's write lock, checks the item's state, appends one event and applies its
projection in the same transaction: a refusal appends nothing and changes nothing.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import date, datetime, time, timedelta, timezone
from typing import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from audit import canonical
from registry import projections, serials
from registry.custody import corrections, identity, projection, registration, rules, states
from registry.custody.models import CustodyRecord, Item, Party, PersonalData
from registry.custody.rules import CustodyError
from registry.errors import CONFLICT, INVALID, NOT_FOUND
from registry.fields import day, moment, text
from registry.ledger.events import NewEvent
from registry.ledger.locking import write_transaction
from registry.ledger.service import LedgerService
from registry.recalls import holds
from registry.supply import genealogy

ONE_DAY = timedelta(days=1)
# Read with each item: what other domains say of it, for the rules (see `CustodyService._ties`).
_TIES = (genealogy.linked(Item.id), holds.unremedied(Item.id))


def commitment(salt: bytes, data: dict) -> str:
    """SHA-256 over the salt and the canonical JSON of the personal data: binds the ledger to the
    vault's content without revealing it, and a guess cannot be checked without the salt."""
    return hashlib.sha256(salt + canonical.canonical_bytes(data)).hexdigest()


class CustodyService:
    def __init__(self, session: Session, ledger: LedgerService, person_key: bytes | None = None):
        self.session, self.ledger, self.person_key = session, ledger, person_key
        # Strong references to the rows this service works on: the session's identity map holds
        # only weak ones, so without these every flush in a batch would send the next look-up to
        # the database again.
        self._held: dict[tuple[type, str], object] = {}
        # What other domains say of the items read here, and when (`projections.custody_epoch`):
        # whether each has component links, and whether it is an unremedied unit of an open recall.
        # An item known to have neither needs no more questions for its events.
        self._ties: dict[str, tuple[tuple, bool, bool]] = {}

    # -- appending -----------------------------------------------------------------------------
    def _append(self, event: NewEvent, *, actor: str, now: datetime) -> int:
        return self.ledger.append([event], actor=actor, now=now).entries[0].index

    # -- parties -------------------------------------------------------------------------------
    def register_licensee(self, *, ffl: str, name: str, address: str, actor: str, now: datetime) -> Party:
        checked = serials.read("ffl", ffl or "")
        if checked is None:
            raise CustodyError(
                f"the licence number must be text of at most {serials.MAX_INPUT} characters",
                code="ffl_length",
                field="ffl",
            )
        if not checked.valid:
            raise CustodyError(
                f"licence number: {checked.errors[0].message}", code=f"ffl_{checked.errors[0].code}", field="ffl"
            )
        name, address = text(name, "name", required=True), text(address, "address", required=True, limit=400)
        with write_transaction(self.session):
            if self.session.scalar(select(Party).where(Party.ffl == checked.normalized)) is not None:
                raise CustodyError(
                    f"a licensee with licence {checked.info['formatted']} is registered already",
                    code="duplicate_licensee",
                    kind=CONFLICT,
                    field="ffl",
                )
            return self._register_party(
                {
                    "kind": "licensee",
                    "name": name,
                    "address": address,
                    "ffl": checked.normalized,
                    "ffl_abbreviated": checked.info["abbreviated"],
                },
                actor=actor,
                now=now,
            )

    def register_organisation(self, *, name: str, address: str, actor: str, now: datetime) -> Party:
        payload = {
            "kind": "organisation",
            "name": text(name, "name", required=True),
            "address": text(address, "address", required=True, limit=400),
        }
        with write_transaction(self.session):
            return self._register_party(payload, actor=actor, now=now)

    def register_person(
        self,
        *,
        full_name: str,
        address: str,
        actor: str,
        now: datetime,
        id_document: str | None = None,
        id_type: str | None = None,
        id_issuer: str | None = None,
        id_number: str | None = None,
        confirm_distinct: bool = False,
    ) -> Party:
        """A private person: the data go to the vault, the ledger gets a salted commitment.

        One person is one party. A person whose identity document (type, issuer and number, each as
        the key reads it: "driver license" is a driver licence, "Texas" is TX) is that of a
        registered person is refused (409 `duplicate_person`, naming that party); one with the same
        name and address needs `confirm_distinct` (409 `possible_duplicate_person` without it) unless
        their documents tell them apart (of one type and issuer, with different numbers).
        `id_document` is free text for callers that keep the document as one line; the structured
        fields are preferred."""
        if self.person_key is None:
            raise RuntimeError("registering a person needs the instance's person-matching key")
        data = {
            "full_name": text(full_name, "full_name", required=True),
            "address": text(address, "address", required=True, limit=400),
        }
        document = identity.document(id_document, id_type, id_issuer, id_number)
        data["id_document"] = (
            document if isinstance(document, str) else (identity.document_text(*document) if document else None)
        )
        keys = identity.keys(self.person_key, full_name=data["full_name"], address=data["address"], document=document)
        salt = secrets.token_bytes(32)
        with write_transaction(self.session):
            self._require_new_person(
                keys,
                document,
                confirm_distinct,
                document_field="id_document" if isinstance(document, str) else "id_number",
            )
            party = self._register_party({"kind": "person", "commitment": commitment(salt, data)}, actor=actor, now=now)
            self.session.add(
                PersonalData(
                    party_id=party.id, salt=salt, document_key=keys.document, name_address_key=keys.name_address, **data
                )
            )
            return party

    def _require_new_person(
        self, keys: identity.PersonKeys, document, confirm_distinct: bool, *, document_field: str
    ) -> None:
        live = PersonalData.erased_at.is_(None)
        if keys.document is not None:
            same = self.session.scalar(
                select(PersonalData.party_id).where(PersonalData.document_key == keys.document, live).limit(1)
            )
            if same is not None:
                raise CustodyError(
                    f"a person with this identity document is registered already as party {same}: "
                    "record the event with that party",
                    code="duplicate_person",
                    kind=CONFLICT,
                    field=document_field,
                    extra={"existing_party_id": same},
                )
        if confirm_distinct:
            return
        for party_id, registered_document in self.session.execute(
            select(PersonalData.party_id, PersonalData.id_document)
            .where(PersonalData.name_address_key == keys.name_address, live)
            .order_by(PersonalData.party_id)
        ):
            if identity.tells_apart(document, registered_document):
                continue  # two licences of one state, say: two people who share a name and an address
            raise CustodyError(
                f"a person with this name and address is registered already as party {party_id}; "
                "if this is someone else, confirm that they are a different person",
                code="possible_duplicate_person",
                kind=CONFLICT,
                field="confirm_distinct",
                extra={"existing_party_id": party_id},
            )

    def _register_party(self, payload: dict, *, actor: str, now: datetime) -> Party:
        party_id = str(uuid.uuid4())
        payload = {"party_id": party_id, **{k: v for k, v in payload.items() if v is not None}}
        self._append(NewEvent("party.registered", payload, item=f"party:{party_id}"), actor=actor, now=now)
        return self.session.get(Party, party_id)

    def preload(self, item_ids: Sequence[str]) -> None:
        """Before a batch of events on these items: load them and their ledger heads in a few
        queries, so the events that follow run from memory and their rows are written together."""
        epoch = projections.custody_epoch(self.session)
        for start in range(0, len(item_ids), 500):
            query = select(Item, *_TIES).where(Item.id.in_(item_ids[start : start + 500]))
            for item, linked, recalled in self.session.execute(query):
                self._held[(Item, item.id)] = item
                self._ties[item.id] = (epoch, linked, recalled)
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
        checked = serials.read("ffl", ffl or "")
        if checked is None or not checked.valid:
            return None
        return self.session.scalar(select(Party).where(Party.ffl == checked.normalized))

    def party(self, party_id: str, field: str = "party_id") -> Party:
        found = self._get(Party, party_id)
        if found is None:
            raise CustodyError(f"no party {party_id!r}", code="unknown_party", kind=INVALID, field=field)
        return found

    # -- items ---------------------------------------------------------------------------------
    def register_item(
        self,
        *,
        kind: str,
        scheme: str,
        serial: str,
        on,
        actor: str,
        now: datetime,
        options: dict | None = None,
        override_justification: str | None = None,
        **facts,
    ) -> Item:
        """Register an item with its serial as marked. A serial that fails its scheme's rules is
        refused unless `override_justification` is given; the override and the failed codes go into
        the event. An empty serial is always refused: a firearm without one is registered as `NSN`
        with a justification. Facts: manufacturer, importer, model, type, caliber, country,
        model_year, description."""
        payload = self.registration(
            kind=kind,
            scheme=scheme,
            serial=serial,
            on=on,
            now=now,
            options=options,
            override_justification=override_justification,
            **facts,
        )
        with write_transaction(self.session):
            self.require_unique(payload["uniqueness_key"], kind, payload["serial_normalized"])
            self._append(NewEvent("item.registered", payload, item=f"item:{payload['item_id']}"), actor=actor, now=now)
            return self.session.get(Item, payload["item_id"])

    def require_unique(
        self, uniqueness_key: str, kind: str, serial: str, *, field: str = "serial", other_than: str | None = None
    ) -> None:
        found = self.session.scalar(select(Item.id).where(Item.uniqueness_key == uniqueness_key))
        if found is not None and found != other_than:
            raise CustodyError(
                registration.duplicate_message(kind, serial), code="duplicate_serial", kind=CONFLICT, field=field
            )

    def registration(
        self,
        *,
        kind: str,
        scheme: str,
        serial: str,
        on,
        now: datetime,
        options: dict | None = None,
        override_justification: str | None = None,
        **facts,
    ) -> dict:
        """The `item.registered` payload for a request, checked except for uniqueness (which needs
        the write lock); raises CustodyError naming the field."""
        if kind not in rules.KINDS:
            raise CustodyError(f"the kind must be one of {', '.join(rules.KINDS)}", code="invalid_kind", field="kind")
        if scheme not in rules.SCHEMES_BY_KIND[kind]:
            raise CustodyError(
                f"a {kind} uses the scheme {' or '.join(rules.SCHEMES_BY_KIND[kind])}",
                code="invalid_scheme",
                field="scheme",
            )
        override = text(override_justification, "override_justification", limit=1000)
        item_id = str(uuid.uuid4())
        facts = self._item_facts(kind, facts, now=now)
        serial_fields = registration.checked_serial(
            kind, scheme, serial, options, override, facts=facts, item_id=item_id
        )
        if kind == "vehicle" and not facts["manufacturer"]:
            facts["manufacturer"] = serial_fields["attributes"].get("manufacturer")
        if facts["model_year"] is None and isinstance(serial_fields["attributes"].get("model_year"), int):
            facts["model_year"] = serial_fields["attributes"]["model_year"]
        payload = {
            "item_id": item_id,
            "kind": kind,
            "scheme": scheme,
            **serial_fields,
            "date": day(on, now=now).isoformat(),
            **{k: v for k, v in facts.items() if v is not None},
        }
        return {k: v for k, v in payload.items() if v is not None}

    def _item_facts(self, kind: str, facts: dict, *, now: datetime) -> dict:
        unknown = sorted(set(facts) - set(projection.ITEM_FIELDS))
        if unknown:
            raise CustodyError(f"unknown field {unknown[0]!r}", code="unknown_field", field=unknown[0])
        clean = {
            name: text(facts.get(name), name, limit=400 if name == "description" else 200)
            for name in projection.ITEM_FIELDS
            if name != "model_year"
        }
        clean["model_year"] = registration.model_year(facts.get("model_year"), now=now)
        for name in registration.FOLDED_NAMES:
            clean[name] = registration.folded_name(clean[name])
        if kind == "firearm":
            for name in ("manufacturer", "model", "type", "caliber"):
                if not clean[name]:
                    raise CustodyError(
                        f"the {name} is required for a firearm (27 CFR 478.125(e))", code="missing_field", field=name
                    )
            clean["type"] = registration.firearm_type(clean["type"])
        return clean

    def item(self, item_id: str) -> Item:
        """The item, loaded with its holder's kind, whether it has component links and, in a ledger
        batch, its last ledger entry: the rules read the holder's kind and the links, and the append
        links the item's entries, so one statement brings them all rather than one each."""
        if (
            isinstance(item_id, str)
            and (Item, item_id) not in self._held
            and identity_key(Item, item_id) not in self.session.identity_map
        ):
            ref = f"item:{item_id}"
            last_entry = self.ledger.last_entry(ref)
            query = select(Item, Party.kind, *_TIES, *([last_entry] if last_entry is not None else []))
            epoch = projections.custody_epoch(self.session)
            with self.session.no_autoflush:  # as `Session.get`, which this stands for
                row = self.session.execute(
                    query.outerjoin(Party, Party.id == Item.holder_party_id).where(Item.id == item_id)
                ).first()
            if row is not None:
                item = self._held[(Item, item_id)] = row[0]
                if item.holder_party_id is not None:
                    projection.know_party_kind(self.session, item.holder_party_id, row[1])
                self._ties[item_id] = (epoch, row[2], row[3])
                if last_entry is not None:
                    self.ledger.know(ref, row[4])
        found = self._get(Item, item_id)
        if found is None:
            raise CustodyError(f"no item {item_id!r}", code="unknown_item", kind=NOT_FOUND, field="item_id")
        return found

    # -- events --------------------------------------------------------------------------------
    def _check(self, item: Item, step: states.Step) -> None:
        """Refuse `step` unless the state machine allows it in the item's state, it keeps the item
        with its assembly and components, and it sells no unremedied recall unit (requires the write
        transaction, so the state is the committed one)."""
        custody = projection.custody_of(self.session, item)
        epoch, linked, recalled = self._ties.get(item.id, (None, True, True))
        if epoch != projections.custody_epoch(self.session):
            linked = recalled = True  # not known for this moment: ask
        try:
            states.check(item.kind, custody, step)
            if linked:
                self._check_with_assembly(item, step)
            if recalled and states.sells(custody, step):
                self._check_recall(item, step)
        except states.Refusal as refusal:
            raise CustodyError(
                refusal.message, code=refusal.code, kind=CONFLICT if refusal.conflict else INVALID, field=refusal.field
            ) from None

    def _check_recall(self, item: Item, step: states.Step) -> None:
        """An unremedied unit of an open campaign leaves its holder only back to where it came from
        (the maker or distributor that remedies it), `states.check_recall`."""
        unit = holds.open_unit(self.session, item.id, step.on)
        if unit is not None and step.party_id != projection.source_on(self.session, item.id, step.on):
            states.check_recall(unit)

    def _check_with_assembly(self, item: Item, step: states.Step) -> None:
        """Custody meets genealogy as things stood at the end of the step's day
        (`states.check_assembly_held`, `states.check_component_left`): the assemblies the item sat
        in and the components in it then, each as it stood then. Dated so, a record made late is
        judged by its own day, not by what happened since; within one day the component's own
        record comes first."""
        ended = datetime.combine(step.on + ONE_DAY, time(), tzinfo=timezone.utc)
        for kin in genealogy.kin(self.session, item.id, ended):
            stood = projection.custody_on(self.session, kin.item, step.on)
            if kin.up:
                states.check_assembly_held(kin.serial, stood)
            else:
                states.check_component_left(step, kin.serial, stood)

    def _check_correction(self, item: Item, corrected: tuple | None, clean: dict) -> None:
        """A corrected date or party against custody's other rules, as a new record on its day would
        be; and no party of an item inside an assembly that has left is changed (it went with it). A
        correction of anything else (a form number, a note) moves nothing and is not re-judged."""
        parties = any(name.endswith("_party_id") for name in clean)
        try:
            if corrected is not None and (parties or "date" in clean):
                before, step = corrected
                self._check_with_assembly(item, step)
                if states.sells(before, step):
                    self._check_recall(item, step)
            if parties:
                for kin in genealogy.kin(self.session, item.id):
                    if kin.up:
                        states.check_assembly_held(kin.serial, projection.custody_of(self.session, kin.item))
        except states.Refusal as refusal:
            field = f"fields.{'date' if 'date' in clean else sorted(clean)[0]}"
            raise CustodyError(refusal.message, code=refusal.code, kind=CONFLICT, field=field) from None

    def _record(
        self, item: Item, event_type: str, payload: dict, step: states.Step, *, actor: str, now: datetime
    ) -> int:
        self._check(item, step)
        return self._append(NewEvent(event_type, payload, item=f"item:{item.id}"), actor=actor, now=now)

    def acquire(
        self,
        item_id: str,
        *,
        on,
        source_party_id: str,
        recipient_party_id: str,
        actor: str,
        now: datetime,
        reference: str | None = None,
    ) -> int:
        on, reference = day(on, now=now), text(reference, "reference")
        with write_transaction(self.session):
            item = self.item(item_id)
            source = self.party(source_party_id, "source_party_id")
            recipient = self.party(recipient_party_id, "recipient_party_id")
            payload = {
                "item_id": item.id,
                "date": on.isoformat(),
                "source_party_id": source.id,
                "recipient_party_id": recipient.id,
                **projection.party_columns("source", source),
            }
            if reference:
                payload["reference"] = reference
            step = states.Step("acquired", on, party_id=recipient.id, party_kind=recipient.kind)
            return self._record(item, "item.acquired", payload, step, actor=actor, now=now)

    def dispose(
        self,
        item_id: str,
        *,
        on,
        transferee_party_id: str,
        actor: str,
        now: datetime,
        from_party_id: str | None = None,
        form_4473: str | None = None,
    ) -> int:
        """Record the holder's disposition; `from_party_id`, when given, must name the holder."""
        on, form_4473 = day(on, now=now), text(form_4473, "form_4473", limit=64)
        with write_transaction(self.session):
            item = self.item(item_id)
            transferee = self.party(transferee_party_id, "transferee_party_id")
            step = states.Step("disposed", on, party_id=transferee.id, party_kind=transferee.kind, form_4473=form_4473)
            self._check(item, step)
            if from_party_id is not None and from_party_id != item.holder_party_id:
                raise CustodyError(
                    "only the current holder disposes of an item",
                    code="not_holder",
                    kind=CONFLICT,
                    field="from_party_id",
                )
            payload = {
                "item_id": item.id,
                "date": on.isoformat(),
                "from_party_id": item.holder_party_id,
                "transferee_party_id": transferee.id,
                **projection.party_columns("transferee", transferee),
            }
            if form_4473:
                payload["form_4473"] = form_4473
            return self._append(NewEvent("item.disposed", payload, item=f"item:{item.id}"), actor=actor, now=now)

    def transfer(
        self, item_id: str, *, on, to_party_id: str, actor: str, now: datetime, from_party_id: str | None = None
    ) -> int:
        on = day(on, now=now)
        with write_transaction(self.session):
            item = self.item(item_id)
            to = self.party(to_party_id, "to_party_id")
            step = states.Step("transferred", on, party_id=to.id, party_kind=to.kind)
            self._check(item, step)
            if from_party_id is not None and from_party_id != item.holder_party_id:
                raise CustodyError(
                    "only the current holder transfers an item", code="not_holder", kind=CONFLICT, field="from_party_id"
                )
            payload = {
                "item_id": item.id,
                "date": on.isoformat(),
                "from_party_id": item.holder_party_id,
                "to_party_id": to.id,
            }
            return self._append(NewEvent("item.transferred", payload, item=f"item:{item.id}"), actor=actor, now=now)

    def change_status(
        self,
        item_id: str,
        *,
        status: str,
        on,
        actor: str,
        now: datetime,
        atf_incident: str | None = None,
        police_report: str | None = None,
        discovered_at: str | None = None,
        note: str | None = None,
    ) -> int:
        if status not in rules.STATUS_CHANGES:
            raise CustodyError(
                f"the status must be one of {', '.join(rules.STATUS_CHANGES)}", code="invalid_status", field="status"
            )
        payload = {"status": status, "date": day(on, now=now).isoformat()}
        if status in ("stolen", "lost"):
            payload["discovered_at"] = moment(discovered_at, "discovered_at", now=now).isoformat()
            payload["police_report"] = text(police_report, "police_report", required=True, limit=64)
            if incident := text(atf_incident, "atf_incident", limit=64):
                payload["atf_incident"] = incident
        if note := text(note, "note", limit=1000):
            payload["note"] = note
        with write_transaction(self.session):
            item = self.item(item_id)
            rules.check_status_details(item.kind, payload)
            return self._record(
                item,
                "item.status_changed",
                {"item_id": item.id, **payload},
                states.Step(status, date.fromisoformat(payload["date"])),
                actor=actor,
                now=now,
            )

    def correct(self, item_id: str, *, corrects: int, fields: dict, reason: str, actor: str, now: datetime) -> int:
        """Record a correction beside the original: the original entry is never changed. The corrected
        record must still obey every rule, and so must every record after it: a correction is checked
        by folding the item's records, corrected, through the same state machine as new events."""
        reason = text(reason, "reason", required=True, limit=1000)
        if not isinstance(fields, dict) or not fields:
            raise CustodyError("name at least one corrected field", code="missing_field", field="fields")
        with write_transaction(self.session):
            item = self.item(item_id)
            record = (
                self.session.get(CustodyRecord, corrects)
                if isinstance(corrects, int) and not isinstance(corrects, bool) and 0 <= corrects < 2**63
                else None
            )
            if record is None or record.item_id != item.id or record.type not in projection.CORRECTABLE:
                raise CustodyError(
                    f"entry {corrects!r} is no correctable record of this item", code="unknown_record", field="corrects"
                )
            allowed = projection.CORRECTABLE[record.type]
            bad = sorted(set(fields) - allowed, key=str)
            if bad:
                raise CustodyError(
                    f"{bad[0]!r} cannot be corrected on a {record.type.replace('_', ' ')} record "
                    f"(correctable: {', '.join(sorted(allowed))})",
                    code="not_correctable",
                    field=f"fields.{bad[0]}",
                )
            clean = corrections.checked_fields(self, item, record, fields, now=now)
            self._check_correction(item, corrections.check_folded(self, item, record, clean), clean)
            payload = {"item_id": item.id, "corrects": record.entry_index, "fields": clean, "reason": reason}
            return self._append(NewEvent("custody.corrected", payload, item=f"item:{item.id}"), actor=actor, now=now)

    # -- personal data -----------------------------------------------------------------------
    def personal_data(self, party_id: str) -> PersonalData | None:
        return self.session.get(PersonalData, party_id)

    def erasure_refusal(
        self, party: Party, *, today: date, retention_days: int, licence_ended_on: date | None
    ) -> str | None:
        """Why a person's data must still be kept, or None when they may be erased."""
        if party.kind != "person":
            return "only a private person's data are erased; licensees and organisations are not personal data"
        if party.erased:
            return "the data are erased already"
        # An acquisition's record names its source, a disposition's its transferee, a transfer its
        # recipient, a correction the one it puts in; a record corrected away from the person still
        # shows them in the originals view, and a correction later corrected again in the chain of
        # corrections.
        names = or_(CustodyRecord.party_id == party.id, CustodyRecord.original_party_id == party.id)
        firearm_record = self.session.scalar(
            select(CustodyRecord.entry_index)
            .join(Item, Item.id == CustodyRecord.item_id)
            .where(names, Item.kind == "firearm")
            .limit(1)
        )
        if firearm_record is not None and licence_ended_on is None:
            return (
                "the person is a source or transferee in the firearm records, which are kept for as long as "
                "the licence exists (27 CFR 478.129); set LICENCE_ENDED_ON when it ends"
            )
        last = self.session.scalar(select(func.max(CustodyRecord.on)).where(names))
        if last is not None and (today - last).days < retention_days:
            return (
                f"the retention period of {retention_days} days after the person's last record ({last}) "
                f"runs until {last + timedelta(days=retention_days)}"
            )
        return None

    def erase_person(
        self,
        party_id: str,
        *,
        reason: str,
        actor: str,
        now: datetime,
        retention_days: int,
        licence_ended_on: date | None = None,
    ) -> Party:
        """Erase a person's vault data (GDPR Art. 17) unless a retention rule forbids it. The ledger
        keeps the salted commitment, which reveals nothing without the erased salt, and still verifies."""
        reason = text(reason, "reason", required=True, limit=400)
        with write_transaction(self.session):
            party = self.party(party_id)
            refusal = self.erasure_refusal(
                party, today=now.date(), retention_days=retention_days, licence_ended_on=licence_ended_on
            )
            if refusal:
                raise CustodyError(
                    f"cannot erase: {refusal}", code="retention_applies", kind=CONFLICT, field="party_id"
                )
            vault = self.session.get(PersonalData, party.id)
            vault.full_name = vault.address = vault.id_document = None
            vault.document_key = vault.name_address_key = None
            vault.salt = None
            vault.erased_at = now
            self._append(
                NewEvent("party.erased", {"party_id": party.id, "reason": reason}, item=f"party:{party.id}"),
                actor=actor,
                now=now,
            )
            return party
