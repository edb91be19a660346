"""The supply rules, applied before anything is appended: parts, suppliers, lots, stock moves,
making serialized items from lots, installing and removing components, purchase orders. Each
method checks its request, then under the ledger's write lock checks the recorded state, appends
one event per change and applies its projection in the same transaction."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from registry.custody import projection as custody_projection
from registry.custody import states
from registry.custody.models import CustodyRecord, Item
from registry.custody.service import CustodyService
from registry.errors import CONFLICT, NOT_FOUND, fields_of
from registry.fields import day, label, moment, quantity, stamp, text, whole_number
from registry.ledger.events import NewEvent
from registry.ledger.locking import write_transaction
from registry.ledger.service import LedgerService
from registry.recalls import holds
from registry.supply import genealogy, quantities, stock
from registry.supply.models import (
    ComponentLink,
    ItemPart,
    Lot,
    LotConsumption,
    Part,
    PurchaseOrder,
    PurchaseOrderLine,
    StockLevel,
    Supplier,
    SupplierPart,
)
from registry.supply.rules import PURCHASE_ORDER_CHANGES, TRACKING, SupplyError, identifier, lot_code

INSTALLABLE = stock.LOOSE_STATUSES  # an item not gone from its holder: never acquired, in custody or quarantined
GONE = ("destroyed", "stolen", "lost")  # no lot goes into an item in these states


class SupplyService:
    def __init__(self, session: Session, ledger: LedgerService, custody: CustodyService):
        self.session, self.ledger, self.custody = session, ledger, custody

    def _append(self, type_: str, payload: dict, item: str, *, actor: str, now: datetime) -> int:
        return self.ledger.append([NewEvent(type_, payload, item=item)], actor=actor, now=now).entries[0].index

    def _get(self, model, key, field: str, what: str):
        if key is None or key == "":
            raise SupplyError(f"the {what} is required: give its id", code="missing_field", field=field)
        found = self.session.get(model, key) if isinstance(key, str) else None
        if found is None:
            raise SupplyError(f"no {what} {key!r}", code=f"unknown_{what.replace(' ', '_')}", field=field)
        return found

    # -- parts and suppliers -----------------------------------------------------------------
    def register_part(
        self,
        *,
        number: str,
        description: str,
        tracking: str,
        unit: str = "ea",
        actor: str,
        now: datetime,
        reorder_point=None,
        reorder_quantity=None,
    ) -> Part:
        payload = {
            "part_id": str(uuid.uuid4()),
            "number": label(number, "number", required=True),
            "description": text(description, "description", required=True, limit=400),
            "tracking": tracking,
            "unit": text(unit, "unit", required=True, limit=16),
        }
        if tracking is None or tracking == "":
            raise SupplyError("'tracking' is required (serial, lot or none)", code="missing_field", field="tracking")
        if tracking not in TRACKING:
            raise SupplyError(
                f"'tracking' must be one of {', '.join(TRACKING)}", code="invalid_field", field="tracking"
            )
        if tracking == "serial" and payload["unit"] != "ea":
            raise SupplyError(
                "a part tracked by serial is counted in units of 'ea'", code="invalid_field", field="unit"
            )
        payload.update(self._reorder(reorder_point, reorder_quantity))
        with write_transaction(self.session):
            if self.session.scalar(select(Part.id).where(Part.number == payload["number"])):
                raise SupplyError(
                    f"part number {payload['number']} exists already",
                    code="duplicate_part",
                    kind=CONFLICT,
                    field="number",
                )
            self._append("part.registered", payload, f"part:{payload['part_id']}", actor=actor, now=now)
            return self.session.get(Part, payload["part_id"])

    @staticmethod
    def _reorder(point, amount) -> dict:
        if point in (None, "") and amount in (None, ""):
            return {}
        return {
            "reorder_point": quantities.canonical(quantity(point, "reorder_point", allow_zero=True)),
            "reorder_quantity": quantities.canonical(quantity(amount, "reorder_quantity")),
        }

    def set_reorder(self, part_id: str, *, reorder_point, reorder_quantity, actor: str, now: datetime) -> int:
        values = self._reorder(reorder_point, reorder_quantity)
        if not values:
            raise SupplyError(
                "'reorder_point' and 'reorder_quantity' are required", code="missing_field", field="reorder_point"
            )
        with write_transaction(self.session):
            part = self._get(Part, part_id, "part_id", "part")
            return self._append(
                "part.reorder_set", {"part_id": part.id, **values}, f"part:{part.id}", actor=actor, now=now
            )

    def register_supplier(self, *, name: str, address: str | None = None, actor: str, now: datetime) -> Supplier:
        payload = {"supplier_id": str(uuid.uuid4()), "name": text(name, "name", required=True)}
        if address := text(address, "address", limit=400):
            payload["address"] = address
        with write_transaction(self.session):
            if self.session.scalar(select(Supplier.id).where(Supplier.name == payload["name"])):
                raise SupplyError(
                    f"a supplier named {payload['name']} exists already",
                    code="duplicate_supplier",
                    kind=CONFLICT,
                    field="name",
                )
            self._append("supplier.registered", payload, f"supplier:{payload['supplier_id']}", actor=actor, now=now)
            return self.session.get(Supplier, payload["supplier_id"])

    def register_supplier_part(
        self,
        *,
        supplier_id: str,
        part_id: str,
        supplier_part_number: str,
        pack_size="1",
        lead_time_days,
        unit_price=None,
        preferred: bool = False,
        actor: str,
        now: datetime,
    ) -> SupplierPart:
        payload = {
            "supplier_part_id": str(uuid.uuid4()),
            "supplier_id": supplier_id,
            "part_id": part_id,
            "supplier_part_number": label(supplier_part_number, "supplier_part_number", required=True),
            "pack_size": quantities.canonical(quantity(pack_size, "pack_size")),
            "lead_time_days": whole_number(lead_time_days, "lead_time_days", maximum=3650),
            "preferred": bool(preferred),
        }
        if unit_price not in (None, ""):
            payload["unit_price"] = quantities.canonical(quantity(unit_price, "unit_price", allow_zero=True))
        with write_transaction(self.session):
            self._get(Supplier, supplier_id, "supplier_id", "supplier")
            self._get(Part, part_id, "part_id", "part")
            if self.session.scalar(
                select(SupplierPart.id).where(SupplierPart.supplier_id == supplier_id, SupplierPart.part_id == part_id)
            ):
                raise SupplyError(
                    "this supplier's offer for the part is recorded already",
                    code="duplicate_supplier_part",
                    kind=CONFLICT,
                    field="part_id",
                )
            self._append("supplier_part.registered", payload, f"part:{part_id}", actor=actor, now=now)
            return self.session.get(SupplierPart, payload["supplier_part_id"])

    # -- lots and stock ------------------------------------------------------------------------
    def receive_lot(
        self,
        *,
        part_id: str,
        quantity_,
        on,
        location: str,
        actor: str,
        now: datetime,
        supplier_id: str | None = None,
        supplier_lot_code: str | None = None,
        lot_scheme: str = "plain",
        internal_code: str | None = None,
        purchase_order_id: str | None = None,
    ) -> Lot:
        """Receive a lot of a lot-tracked or untracked part (serialized parts arrive as items)."""
        amount = quantity(quantity_)
        payload = {
            "lot_id": str(uuid.uuid4()),
            "part_id": part_id,
            "quantity": quantities.canonical(amount),
            "date": day(on, now=now).isoformat(),
            "location": label(location, "location", required=True),
            "lot_scheme": lot_scheme,
        }
        code = text(supplier_lot_code, "supplier_lot_code", limit=64)
        if code:
            payload["supplier_lot_code"] = lot_code(code, lot_scheme)
        elif lot_scheme not in ("plain", "gs1"):
            lot_code("", lot_scheme)
        with write_transaction(self.session):
            part = self._get(Part, part_id, "part_id", "part")
            if part.tracking == "serial":
                raise SupplyError(
                    f"{part.number} is tracked by serial: record each unit as an item",
                    code="serial_part",
                    field="part_id",
                )
            if supplier_id:
                payload["supplier_id"] = self._get(Supplier, supplier_id, "supplier_id", "supplier").id
                if part.tracking == "lot" and not code:
                    raise SupplyError(
                        "a supplier lot of a lot-tracked part needs the supplier's lot code",
                        code="missing_field",
                        field="supplier_lot_code",
                    )
            if purchase_order_id:
                order = self._get(PurchaseOrder, purchase_order_id, "purchase_order_id", "purchase order")
                if order.status != "placed":
                    raise SupplyError(
                        f"purchase order {order.number} is {order.status}; only a placed order is received against",
                        code="order_not_placed",
                        kind=CONFLICT,
                        field="purchase_order_id",
                    )
                if supplier_id and order.supplier_id != supplier_id:
                    raise SupplyError(
                        "the lot's supplier is not the order's", code="wrong_supplier", field="supplier_id"
                    )
                if date.fromisoformat(payload["date"]) < order.drafted_on:
                    raise SupplyError(
                        f"purchase order {order.number} was drafted on {order.drafted_on}: a lot received "
                        "against it is received on or after that",
                        code="before_previous_event",
                        field="date",
                    )
                payload["supplier_id"] = order.supplier_id  # the lot comes from the order's supplier
                if part.tracking == "lot" and not code:
                    raise SupplyError(
                        "a supplier lot of a lot-tracked part needs the supplier's lot code",
                        code="missing_field",
                        field="supplier_lot_code",
                    )
                if not self.session.scalar(
                    select(PurchaseOrderLine.line).where(
                        PurchaseOrderLine.purchase_order_id == order.id, PurchaseOrderLine.part_id == part.id
                    )
                ):
                    raise SupplyError(
                        f"{part.number} is not on purchase order {order.number}",
                        code="not_on_order",
                        field="purchase_order_id",
                    )
                payload["purchase_order_id"] = order.id
            payload["internal_code"] = label(internal_code, "internal_code") or self._next_lot_code(part, on)
            code = payload["internal_code"]
            # A code that is another lot's id would make that id name two lots (`queries.lots_by_code`).
            if self.session.scalar(select(Lot.id).where((Lot.internal_code == code) | (Lot.id == code))):
                raise SupplyError(
                    f"lot code {payload['internal_code']} exists already",
                    code="duplicate_lot",
                    kind=CONFLICT,
                    field="internal_code",
                )
            self._append("lot.received", payload, f"lot:{payload['lot_id']}", actor=actor, now=now)
            return self.session.get(Lot, payload["lot_id"])

    def _next_lot_code(self, part: Part, on) -> str:
        """The part's next free code of the day, skipping any a user typed by hand."""
        count = self.session.scalar(select(func.count()).select_from(Lot).where(Lot.part_id == part.id))
        while True:
            count += 1
            code = f"{part.number}-{day(on, now=None):%y%m%d}-{count:04d}"
            if self.session.scalar(select(Lot.id).where(Lot.internal_code == code)) is None:
                return code

    def _on_hand(self, lot: Lot, location: str) -> int:
        level = self.session.get(StockLevel, (lot.id, location))
        return level.quantity if level is not None else 0

    def _take(self, lot: Lot, location: str, amount) -> None:
        available = self._on_hand(lot, location)
        if quantities.to_units(quantities.canonical(amount)) > available:
            raise SupplyError(
                f"lot {lot.internal_code} has {quantities.show(available)} on hand at {location}",
                code="insufficient_stock",
                kind=CONFLICT,
                field="quantity",
            )

    def consume(self, *, lot_id: str, item_id: str, quantity_, location: str, at, actor: str, now: datetime) -> int:
        """A quantity of a lot goes into a serialized item."""
        amount, when = quantity(quantity_), moment(at, "at", now=now)
        location = label(location, "location", required=True)
        with write_transaction(self.session):
            lot = self._get(Lot, lot_id, "lot_id", "lot")
            item = self._item(item_id, "item_id")
            if item.status in GONE:
                raise SupplyError(f"item {item.serial} is {item.status}", code=f"item_{item.status}", kind=CONFLICT)
            if campaign := holds.held_lots(self.session, when.date()).get(lot.id):
                raise SupplyError(
                    f"lot {lot.internal_code} is held by recall campaign {campaign} while it is open: "
                    "it goes into no item",
                    code="recalled_lot",
                    kind=CONFLICT,
                    field="lot_id",
                )
            self._take(lot, location, amount)
            self._not_before_stock_changed(lot, when.date(), "at")
            self._not_before_item(item, when, "at", "the item")
            return self._append(
                "lot.consumed",
                {
                    "lot_id": lot.id,
                    "item_id": item.id,
                    "location": location,
                    "quantity": quantities.canonical(amount),
                    "at": stamp(when),
                },
                f"lot:{lot.id}",
                actor=actor,
                now=now,
            )

    def move_stock(
        self, *, lot_id: str, quantity_, from_location: str, to_location: str, on, actor: str, now: datetime
    ) -> int:
        amount = quantity(quantity_)
        source = label(from_location, "from_location", required=True)
        target = label(to_location, "to_location", required=True)
        if source == target:
            raise SupplyError("the locations are the same", code="same_location", field="to_location")
        on = day(on, now=now)
        with write_transaction(self.session):
            lot = self._get(Lot, lot_id, "lot_id", "lot")
            self._take(lot, source, amount)
            self._not_before_stock_changed(lot, on)
            return self._append(
                "stock.moved",
                {
                    "lot_id": lot.id,
                    "quantity": quantities.canonical(amount),
                    "from_location": source,
                    "to_location": target,
                    "date": on.isoformat(),
                },
                f"lot:{lot.id}",
                actor=actor,
                now=now,
            )

    def adjust_stock(self, *, lot_id: str, location: str, counted, reason: str, on, actor: str, now: datetime) -> int:
        amount = quantity(counted, "counted", allow_zero=True)
        payload = {
            "location": label(location, "location", required=True),
            "counted": quantities.canonical(amount),
            "reason": text(reason, "reason", required=True, limit=400),
            "date": day(on, now=now).isoformat(),
        }
        with write_transaction(self.session):
            lot = self._get(Lot, lot_id, "lot_id", "lot")
            self._not_before_stock_changed(lot, date.fromisoformat(payload["date"]))
            payload["was"] = quantities.show(self._on_hand(lot, payload["location"])) or "0"
            return self._append("stock.adjusted", {"lot_id": lot.id, **payload}, f"lot:{lot.id}", actor=actor, now=now)

    def _not_before_stock_changed(self, lot: Lot, on, field: str = "date") -> None:
        """A lot's stock changes (consumption, move, count) are dated on or after its receipt and its
        latest change: a count dated before a consumption would set the level as if the consumption
        had not happened, and a consumption dated before a move would take from where the stock was
        not yet."""
        if on < lot.received_on:
            raise SupplyError(
                f"lot {lot.internal_code} was received on {lot.received_on}", code="before_receipt", field=field
            )
        changed = lot.stock_changed_on or lot.received_on
        if on < changed:
            raise SupplyError(
                f"lot {lot.internal_code}'s stock last changed on {changed} (a consumption, move or "
                "count), after this date: its changes are recorded in the order of their days",
                code="before_previous_event",
                field=field,
            )

    def _first_use(self, item_id: str) -> datetime | None:
        """The earliest time the item went into an assembly, took one in, or took a lot (None: never)."""
        installed = select(func.min(ComponentLink.installed_at)).where(
            or_(ComponentLink.parent_item_id == item_id, ComponentLink.child_item_id == item_id)
        )
        consumed = select(func.min(LotConsumption.consumed_at)).where(LotConsumption.item_id == item_id)
        times = [found for found in map(self.session.scalar, (installed, consumed)) if found is not None]
        return min(times, default=None)

    def _not_before_item(self, item: Item, when: datetime, field: str, which: str) -> None:
        """Refuse a time before the item existed: its registration's date, or the time it was made."""
        registered = self.session.get(CustodyRecord, item.registered_entry)
        if registered is not None and when.date() < registered.on:
            raise SupplyError(
                f"{which} ({item.serial}) was registered on {registered.on}, after this time",
                code="before_previous_event",
                field=field,
            )
        made = self.session.get(ItemPart, item.id)
        if made is not None and when < made.made_at:
            raise SupplyError(
                f"{which} ({item.serial}) was made at {stamp(made.made_at)}, after this time",
                code="before_previous_event",
                field=field,
            )

    # -- serialized items and their genealogy --------------------------------------------------
    def make_item(
        self,
        *,
        part_id: str,
        kind: str = "goods",
        scheme: str,
        serial: str,
        at,
        actor: str,
        now: datetime,
        lots: list[dict] = (),
        options: dict | None = None,
        **facts,
    ) -> Item:
        """Register a serialized item of a part, made at `at`, with the lot quantities it consumed."""
        when = moment(at, "at", now=now)
        if not isinstance(lots, (list, tuple)):
            raise SupplyError("'lots' must be a list of lot uses", code="invalid_field", field="lots")
        with write_transaction(self.session):
            part = self._get(Part, part_id, "part_id", "part")
            if part.tracking != "serial":
                raise SupplyError(f"{part.number} is not tracked by serial", code="not_serial_part", field="part_id")
            facts.setdefault("description", part.description)
            item = self.custody.register_item(
                kind=kind, scheme=scheme, serial=serial, on=when.date(), options=options, actor=actor, now=now, **facts
            )
            self._append(
                "item.part_assigned",
                {"item_id": item.id, "part_id": part.id, "made_at": stamp(when)},
                f"item:{item.id}",
                actor=actor,
                now=now,
            )
            for number, use in enumerate(lots):
                if not isinstance(use, dict):
                    raise SupplyError(
                        "each lot use is an object with lot_id, quantity and location",
                        code="invalid_field",
                        field=f"lots[{number}]",
                    )
                within = {name: f"lots[{number}].{name}" for name in ("lot_id", "quantity", "location")}
                with fields_of({**within, None: f"lots[{number}]"}):
                    self.consume(
                        lot_id=use.get("lot_id"),
                        item_id=item.id,
                        quantity_=use.get("quantity"),
                        location=use.get("location"),
                        at=when,
                        actor=actor,
                        now=now,
                    )
            return item

    def assign_part(self, *, item_id: str, part_id: str, made_at, actor: str, now: datetime) -> int:
        when = moment(made_at, "made_at", now=now)
        with write_transaction(self.session):
            item = self._item(item_id, "item_id")
            part = self._get(Part, part_id, "part_id", "part")
            if self.session.get(ItemPart, item.id) is not None:
                raise SupplyError(
                    "the item's part is recorded already", code="part_assigned", kind=CONFLICT, field="part_id"
                )
            if part.tracking != "serial":
                raise SupplyError(f"{part.number} is not tracked by serial", code="not_serial_part", field="part_id")
            used = self._first_use(item.id)
            if used is not None and used < when:
                raise SupplyError(
                    f"the item was in an assembly or took a lot at {stamp(used)}, before this time",
                    code="before_previous_event",
                    field="made_at",
                )
            return self._append(
                "item.part_assigned",
                {"item_id": item.id, "part_id": part.id, "made_at": stamp(when)},
                f"item:{item.id}",
                actor=actor,
                now=now,
            )

    def _installed_in(self, child_id: str) -> ComponentLink | None:
        return self.session.scalar(
            select(ComponentLink).where(ComponentLink.child_item_id == child_id, ComponentLink.removed_at.is_(None))
        )

    def install(
        self, *, parent_item_id: str, child_item_id: str, at, actor: str, now: datetime, position: str | None = None
    ) -> int:
        when, position = moment(at, "at", now=now), text(position, "position", limit=64)
        with write_transaction(self.session):
            parent = self._item(identifier(parent_item_id, "parent_item_id"), "parent_item_id")
            child = self._item(identifier(child_item_id, "child_item_id"), "child_item_id")
            if parent.id == child.id:
                raise SupplyError("an item cannot be installed in itself", code="cycle", field="child_item_id")
            self._require_fit(parent, child, when)
            current = self._installed_in(child.id)
            if current is not None:
                raise SupplyError(
                    f"{child.serial} is installed in another assembly: remove it first",
                    code="already_installed",
                    kind=CONFLICT,
                    field="child_item_id",
                )
            last = self.session.scalar(
                select(func.max(ComponentLink.removed_at)).where(ComponentLink.child_item_id == child.id)
            )
            if last is not None and when < last:
                raise SupplyError(
                    f"{child.serial} was removed from an assembly at {stamp(last)}, after this time",
                    code="before_previous_event",
                    field="at",
                )
            self._not_before_item(parent, when, "at", "the assembly")
            self._not_before_item(child, when, "at", "the component")
            if campaign := holds.holding(self.session, child.id, when):
                raise SupplyError(
                    f"{child.serial} holds what recall campaign {campaign.number} recalls: while the campaign "
                    "is open it goes into no assembly",
                    code="recalled_component",
                    kind=CONFLICT,
                    field="child_item_id",
                )
            if child.id in genealogy.ancestors_since(self.session, parent.id, when):
                raise SupplyError(
                    f"{child.serial} contains {parent.serial}: the assembly would contain itself",
                    code="cycle",
                    kind=CONFLICT,
                    field="child_item_id",
                )
            payload = {"parent_item_id": parent.id, "child_item_id": child.id, "at": stamp(when)}
            if position:
                payload["position"] = position
            return self._append("component.installed", payload, f"item:{parent.id}", actor=actor, now=now)

    def _require_fit(self, parent: Item, child: Item, when: datetime) -> None:
        """A component goes where its assembly goes (see `states.check_assembly_held`): one held on
        its own record goes only into an assembly that, on the install's day, had not left and whose
        nearest held level (itself or one it sits in) was held by the same party; one sold to an
        assembly's holder (a spare part fitted in service) only into that holder's assembly."""
        sold_to_owner = child.status == parent.status == "disposed" and child.holder_party_id == parent.holder_party_id
        if (child.status not in INSTALLABLE and not sold_to_owner) or parent.status in ("destroyed", "stolen", "lost"):
            bad = child if child.status not in INSTALLABLE and not sold_to_owner else parent
            raise SupplyError(f"item {bad.serial} is {bad.status}", code=f"item_{bad.status}", kind=CONFLICT)
        if child.status not in states.HELD:
            return
        day = when.date()
        ended = datetime.combine(day + timedelta(days=1), time(), tzinfo=timezone.utc)
        levels = [parent] + [kin.item for kin in genealogy.kin(self.session, parent.id, ended) if kin.up]
        stood = [(level, custody_projection.custody_on(self.session, level, day)) for level in levels]
        # Gone on the install's day, or since: an assembly that left after a late-dated install took
        # the component with it, so the component could not still be held.
        now = [(level, custody_projection.custody_of(self.session, level)) for level in levels]
        gone = next(((level, custody) for level, custody in stood + now if custody.status in states.GONE_LABELS), None)
        if gone is not None:
            level, custody = gone
            raise SupplyError(
                f"{child.serial} is held on its own record and {level.serial} was "
                f"{states.GONE_LABELS[custody.status]}: record {child.serial}'s disposition to the "
                "assembly's holder first, so the record shows where it went",
                code="component_in_custody",
                kind=CONFLICT,
                field="child_item_id",
            )
        held = next(((level, custody) for level, custody in stood if custody.status in states.HELD), None)
        if held is not None and held[1].holder_party_id != child.holder_party_id:
            raise SupplyError(
                f"{child.serial} and {held[0].serial} are held by different parties: a component is held with "
                "its assembly, so record the transfer or acquisition that brings them together first",
                code="other_holder",
                kind=CONFLICT,
                field="child_item_id",
            )

    def _item(self, item_id: str, field: str) -> Item:
        if item_id is None or item_id == "":
            raise SupplyError("the item is required: give its id", code="missing_field", field=field)
        found = self.session.get(Item, item_id) if isinstance(item_id, str) else None
        if found is None:
            raise SupplyError(f"no item {item_id!r}", code="unknown_item", kind=NOT_FOUND, field=field)
        return found

    def remove(
        self, *, parent_item_id: str, child_item_id: str, at, actor: str, now: datetime, reason: str | None = None
    ) -> int:
        when, reason = moment(at, "at", now=now), text(reason, "reason", limit=400)
        with write_transaction(self.session):
            link = self._installed_in(child_item_id) if isinstance(child_item_id, str) else None
            if link is None or link.parent_item_id != parent_item_id:
                raise SupplyError(
                    "the component is not installed in this assembly",
                    code="not_installed",
                    kind=CONFLICT,
                    field="child_item_id",
                )
            if when < link.installed_at:
                raise SupplyError(
                    f"the component was installed at {stamp(link.installed_at)}, after this time",
                    code="before_previous_event",
                    field="at",
                )
            payload = {
                "installed_entry": link.installed_entry,
                "parent_item_id": link.parent_item_id,
                "child_item_id": link.child_item_id,
                "at": stamp(when),
            }
            if reason:
                payload["reason"] = reason
            return self._append("component.removed", payload, f"item:{link.parent_item_id}", actor=actor, now=now)

    # -- purchase orders -----------------------------------------------------------------------
    def draft_purchase_order(
        self, *, supplier_id: str, lines: list[dict], on, actor: str, now: datetime, note: str | None = None
    ) -> PurchaseOrder:
        if not isinstance(lines, list) or not lines:
            raise SupplyError("an order needs at least one line", code="missing_field", field="lines")
        payload = {
            "purchase_order_id": str(uuid.uuid4()),
            "supplier_id": supplier_id,
            "date": day(on, now=now).isoformat(),
            "lines": [],
        }
        if note := text(note, "note", limit=1000):
            payload["note"] = note
        with write_transaction(self.session):
            self._get(Supplier, supplier_id, "supplier_id", "supplier")
            for number, line in enumerate(lines):
                field = f"lines[{number}]"
                if not isinstance(line, dict):
                    raise SupplyError(
                        "each line is an object with part_id and quantity", code="invalid_field", field=field
                    )
                part_id = identifier(line.get("part_id"), f"{field}.part_id")
                offer = self.session.scalar(
                    select(SupplierPart).where(SupplierPart.supplier_id == supplier_id, SupplierPart.part_id == part_id)
                )
                if offer is None:
                    raise SupplyError(
                        "the supplier has no offer for this part", code="no_supplier_part", field=f"{field}.part_id"
                    )
                payload["lines"].append(
                    {
                        "part_id": offer.part_id,
                        "supplier_part_id": offer.id,
                        "quantity": quantities.canonical(quantity(line.get("quantity"), f"{field}.quantity")),
                    }
                )
            count = self.session.scalar(select(func.count()).select_from(PurchaseOrder))
            payload["number"] = f"PO-{day(on, now=None).year}-{count + 1:05d}"
            self._append(
                "purchase_order.drafted",
                payload,
                f"purchase_order:{payload['purchase_order_id']}",
                actor=actor,
                now=now,
            )
            return self.session.get(PurchaseOrder, payload["purchase_order_id"])

    def draft_from_proposals(
        self, *, on, actor: str, now: datetime, part_ids: list[str] | None = None, note: str | None = None
    ) -> list[PurchaseOrder]:
        """One draft order per proposed supplier over the replenishment proposals that have one
        (only those of `part_ids` when it is given: an empty list orders nothing); refuses when nothing
        needs ordering."""
        if part_ids is not None and (not isinstance(part_ids, list) or not all(isinstance(p, str) for p in part_ids)):
            raise SupplyError("'part_ids' must be a list of part ids", code="invalid_field", field="part_ids")
        with write_transaction(self.session):
            by_supplier: dict[str, list[dict]] = {}
            for proposal in stock.replenishment(self.session):
                if proposal.supplier is None or (part_ids is not None and proposal.part.id not in part_ids):
                    continue
                by_supplier.setdefault(proposal.supplier.id, []).append(
                    {"part_id": proposal.part.id, "quantity": quantities.show(proposal.quantity)}
                )
            if not by_supplier:
                raise SupplyError(
                    "no part needs ordering from a known supplier", code="nothing_to_order", kind=CONFLICT
                )
            return [
                self.draft_purchase_order(
                    supplier_id=supplier,
                    lines=lines,
                    on=on,
                    actor=actor,
                    now=now,
                    note=note or "from the replenishment proposal",
                )
                for supplier, lines in by_supplier.items()
            ]

    def change_purchase_order(self, purchase_order_id: str, *, status: str, actor: str, now: datetime) -> int:
        if status is None or status == "":
            raise SupplyError("the order's new status is required", code="missing_field", field="status")
        if status not in PURCHASE_ORDER_CHANGES:
            raise SupplyError(
                f"status must be one of {', '.join(PURCHASE_ORDER_CHANGES)}", code="invalid_status", field="status"
            )
        with write_transaction(self.session):
            order = self._get(PurchaseOrder, purchase_order_id, "purchase_order_id", "purchase order")
            if order.status not in PURCHASE_ORDER_CHANGES[status]:
                raise SupplyError(
                    f"a {order.status} order cannot be {status}",
                    code="invalid_transition",
                    kind=CONFLICT,
                    field="status",
                )
            return self._append(
                f"purchase_order.{status}",
                {"purchase_order_id": order.id, "status": status},
                f"purchase_order:{order.id}",
                actor=actor,
                now=now,
            )
