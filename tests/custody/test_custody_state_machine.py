"""Custody against a reference model: hypothesis runs random sequences of registrations,
acquisitions, dispositions, transfers, status changes and corrections (refused ones included) against
the service, and after every step compares each item's status and holder, the bound book in its three
views, the open acquisitions and the multiple-sale flags with a small model written here, apart from
the service's own state machine. At the end, replay rebuilds every projection exactly."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, literal_column, select

from registry.custody import queries
from registry.custody.models import Item, ItemTally, MultipleSaleFlag
from registry.custody.runtime import custody
from registry.errors import RegistryError
from registry.extensions import db
from registry.replay import replay
from tests.conftest import FIXED_NOW

pytestmark = pytest.mark.slow
A = {"actor": "test:model", "now": FIXED_NOW}
# Each example lives in a window of days of its own, so what it reads back (the book of its window)
# is its own whatever the examples before it left in the database.
# Whole weeks from a Monday: the same sequence falls on the same weekdays in any window.
EPOCH, WINDOW = date(2000, 1, 3), 42
DAYS = st.integers(min_value=5, max_value=25)
# Most events follow the item's last one by a few days; some come before it, to be refused.
OFFSETS = st.integers(min_value=-3, max_value=6)
KINDS = ("pistol", "revolver", "rifle", "vehicle")
STATUSES = ("stolen", "lost", "recovered", "released", "destroyed", "exported", "quarantined")
CLOSING = ("stolen", "lost", "destroyed", "exported")


class Refused(Exception):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


# -- the reference model ------------------------------------------------------------------------------


@dataclass
class Record:
    entry: int
    type: str  # registered, acquired, disposed, transferred, status
    on: date
    party: str | None = None  # recipient, transferee, or new holder
    status: str | None = None
    form: bool = False
    first_on: date | None = None
    first_party: str | None = None
    corrected: bool = False
    source: str | None = None  # an acquisition's source


@dataclass
class Thing:
    id: str
    serial: str
    kind: str  # pistol, revolver, rifle, vehicle
    records: list[Record] = field(default_factory=list)

    @property
    def firearm(self) -> bool:
        return self.kind != "vehicle"


def fold(thing: Thing, records: list[Record], kinds: dict[str, str]) -> dict:
    """Where the records leave the item, by the rules as the regulations state them; raise Refused
    with the code the registry gives at the first record they forbid."""
    state = {"status": "registered", "holder": None, "acquired": False, "last": records[0].on}
    for record in records[1:]:
        state = step(thing, state, record, kinds)
    return state


def step(thing: Thing, state: dict, record: Record, kinds: dict[str, str]) -> dict:
    status, event = state["status"], record.status or record.type
    holder_kind = kinds.get(state["holder"])
    gone = status == "disposed"
    if event == "acquired":
        ok = status in ("registered", "disposed", "exported")
    elif event == "disposed":
        ok = status in ("in_custody", "quarantined")
    elif event == "transferred":
        ok = not thing.firearm and (status == "in_custody" or gone)
    else:
        ok = (
            status
            in {
                "stolen": ("registered", "in_custody", "quarantined"),
                "lost": ("registered", "in_custody", "quarantined"),
                "recovered": ("stolen", "lost"),
                "released": ("quarantined",),
                "destroyed": ("registered", "in_custody", "quarantined"),
                "exported": ("in_custody", "quarantined"),
                "quarantined": ("in_custody",),
            }[event]
        )
    if not ok:
        if status == "registered" and event in ("disposed", "transferred"):
            raise Refused("not_acquired")
        if event == "acquired" and status in ("in_custody", "quarantined"):
            raise Refused("already_held")
        if thing.firearm and event == "transferred":
            raise Refused("firearm_not_transferable")
        if gone and event in ("disposed", "transferred"):
            raise Refused("item_disposed")
        if status in ("stolen", "lost", "destroyed", "exported") and event in ("acquired", "disposed", "transferred"):
            raise Refused(f"item_{status}")
        raise Refused("invalid_transition")
    if record.on < state["last"]:
        raise Refused("date_before_previous_event")
    if event == "acquired" and thing.firearm and kinds[record.party] != "licensee":
        raise Refused("recipient_not_licensee")
    if event in ("disposed", "transferred") and record.party == state["holder"]:
        raise Refused("same_party")
    if event == "disposed" and thing.firearm and kinds[record.party] == "person" and not record.form:
        raise Refused("missing_field")
    new = {**state, "last": record.on}
    if event == "acquired":
        new.update(status="in_custody", holder=record.party, acquired=True)
    elif event == "disposed":
        new.update(status="disposed", holder=record.party)
    elif event == "transferred":
        new.update(holder=record.party)
    elif event == "recovered":
        new.update(status="in_custody" if state["acquired"] else "registered")
    elif event == "released":
        new.update(status="in_custody")
    else:
        new.update(status=event)
    del holder_kind
    return new


def weekdays_apart(first: date, last: date) -> int:
    """Business days from the earlier date to the later, both counted, each taken as the first business
    day on or after it."""
    start, end = sorted((first, last))
    while start.weekday() >= 5:
        start += timedelta(1)
    while end.weekday() >= 5:
        end += timedelta(1)
    return sum(1 for n in range((end - start).days + 1) if (start + timedelta(n)).weekday() < 5)


def _returned(before: list, person: str) -> bool:
    """A disposition to the person the handgun's last acquisition came from (no multiple sale)."""
    acquisitions = [r for r in before if r.type == "acquired"]
    return bool(acquisitions) and acquisitions[-1].source == person


# -- the machine ----------------------------------------------------------------------------------------

_example = itertools.count()


class Custody(RuleBasedStateMachine):
    world: dict  # licensees and an organisation, shared by the examples

    def __init__(self):
        super().__init__()
        self.run = next(_example)
        self.service = custody()
        self.persons = [
            self.service.register_person(full_name=f"Person {self.run}-{n}", address=f"{n} Model St", **A).id
            for n in (1, 2)
        ]
        self.kinds = {
            **{p: "licensee" for p in self.world["licensees"]},
            self.world["organisation"]: "organisation",
            **{p: "person" for p in self.persons},
        }
        self.parties = [*self.world["licensees"], self.world["organisation"], *self.persons]
        self.things: list[Thing] = []
        self.first_day = EPOCH + timedelta(days=WINDOW * (self.run % 200))
        self.last_day = self.first_day + timedelta(days=WINDOW - 1)

    def _attempt(self, action, expected: Refused | None):
        try:
            result = action()
        except RegistryError as error:
            assert expected is not None, f"refused {error.code}: {error.detail}"
            assert error.code == expected.code, (error.code, expected.code, error.detail)
            db.session.rollback()
            return None
        assert expected is None, f"accepted what the model refuses ({expected.code})"
        return result

    def _thing(self, number: int, *, held: bool = False) -> Thing | None:
        """An item; with `held`, one in custody where there is one (so that sequences reach the
        dispositions and status changes that only a held item allows)."""
        pool = self.things
        if held:
            pool = [
                t for t in self.things if fold(t, t.records, self.kinds)["status"] in ("in_custody", "quarantined")
            ] or pool
        return pool[number % len(pool)] if pool else None

    def _within(self, day: date) -> date:
        return min(max(day, self.first_day), self.last_day)

    def _after(self, thing: Thing, offset: int) -> date:
        return self._within(max(r.on for r in thing.records) + timedelta(offset))

    @rule(kind=st.sampled_from(KINDS), on=DAYS, acquired=st.booleans())
    def register(self, kind, on, acquired):
        on = self.first_day + timedelta(on)
        serial = f"SM{self.run}-{len(self.things)}"
        if kind == "vehicle":
            item = self.service.register_item(kind="goods", scheme="plain", serial=serial, on=on, **A)
        else:
            item = self.service.register_item(
                kind="firearm",
                scheme="firearm",
                serial=serial,
                on=on,
                type=kind,
                manufacturer="Model Arms",
                model="M",
                caliber="9mm",
                **A,
            )
        thing = Thing(item.id, serial, kind)
        thing.records.append(Record(item.registered_entry, "registered", on))
        self.things.append(thing)
        if acquired:
            self.acquire(len(self.things) - 1, 1, 1, 0)

    def _record(self, thing: Thing, record: Record, action) -> None:
        try:
            expected = None
            fold(thing, [*thing.records, record], self.kinds)
        except Refused as refusal:
            expected = refusal
        entry = self._attempt(action, expected)
        if entry is not None:
            record.entry = entry
            thing.records.append(record)

    @rule(number=st.integers(0, 50), offset=OFFSETS, source=st.integers(0, 4), recipient=st.integers(0, 4))
    def acquire(self, number, offset, source, recipient):
        if (thing := self._thing(number)) is None:
            return
        on = self._after(thing, offset)
        source, recipient = self.parties[source % 5], self.parties[recipient % 5]
        self._record(
            thing,
            Record(0, "acquired", on, recipient, source=source),
            lambda: self.service.acquire(thing.id, on=on, source_party_id=source, recipient_party_id=recipient, **A),
        )

    @rule(number=st.integers(0, 50), held=st.booleans(), offset=OFFSETS, to=st.integers(0, 4), form=st.booleans())
    def dispose(self, number, held, offset, to, form):
        if (thing := self._thing(number, held=held)) is None:
            return
        on = self._after(thing, offset)
        to = self.parties[to % 5]
        holder = fold(thing, thing.records, self.kinds)["holder"]
        self._record(
            thing,
            Record(0, "disposed", on, to, form=form),
            lambda: self.service.dispose(
                thing.id, on=on, from_party_id=holder, transferee_party_id=to, form_4473="F-1" if form else None, **A
            ),
        )

    @rule(number=st.integers(0, 50), person=st.integers(0, 1), offset=st.integers(0, 4))
    def sell_a_handgun(self, number, person, offset):
        """A held pistol or revolver to one of the persons, with its Form 4473: the sales that the
        multiple-sale rule counts."""
        handguns = [
            t
            for t in self.things
            if t.kind in ("pistol", "revolver") and fold(t, t.records, self.kinds)["status"] == "in_custody"
        ]
        if not handguns:
            return
        thing = handguns[number % len(handguns)]
        self.dispose(self.things.index(thing), False, offset, 3 + person, True)

    @rule(number=st.integers(0, 50), offset=st.integers(0, 4))
    def quarantine_or_release(self, number, offset):
        """A held item quarantined, or a quarantined one released: the states in custody but not at hand."""
        held = [t for t in self.things if fold(t, t.records, self.kinds)["status"] in ("in_custody", "quarantined")]
        if held:
            thing = held[number % len(held)]
            status = "released" if fold(thing, thing.records, self.kinds)["status"] == "quarantined" else "quarantined"
            self.change_status(self.things.index(thing), False, offset, status)

    @rule(number=st.integers(0, 50), held=st.booleans(), offset=OFFSETS, to=st.integers(0, 4))
    def transfer(self, number, held, offset, to):
        if (thing := self._thing(number, held=held)) is None:
            return
        on = self._after(thing, offset)
        to = self.parties[to % 5]
        self._record(
            thing, Record(0, "transferred", on, to), lambda: self.service.transfer(thing.id, on=on, to_party_id=to, **A)
        )

    @rule(number=st.integers(0, 50), held=st.booleans(), offset=OFFSETS, status=st.sampled_from(STATUSES))
    def change_status(self, number, held, offset, status):
        if (thing := self._thing(number, held=held)) is None:
            return
        on = self._after(thing, offset)
        details = (
            {"police_report": "P-1", "atf_incident": "T-1", "discovered_at": f"{on}T08:00:00+00:00"}
            if status in ("stolen", "lost")
            else {}
        )
        self._record(
            thing,
            Record(0, "status", on, status=status),
            lambda: self.service.change_status(thing.id, status=status, on=on, **details, **A),
        )

    def _correct(self, thing: Thing, position: int, change: dict, fields: dict) -> None:
        target = thing.records[position]
        changed = Record(**{**target.__dict__, **change})
        records = [changed if r is target else r for r in thing.records]
        try:
            expected = None
            if all(getattr(changed, k) == getattr(target, k) for k in change):
                raise Refused("no_change")
            fold(thing, records, self.kinds)
        except Refused as refusal:
            expected = refusal
        if (
            self._attempt(
                lambda: self.service.correct(
                    thing.id, corrects=target.entry, fields=fields, reason="model correction", **A
                ),
                expected,
            )
            is None
        ):
            return
        if not target.corrected:
            target.first_on, target.first_party, target.corrected = target.on, target.party, True
        target.on, target.party = changed.on, changed.party

    @rule(number=st.integers(0, 50), which=st.integers(0, 20), offset=st.integers(-4, 4))
    def correct_date(self, number, which, offset):
        if (thing := self._thing(number)) is None:
            return
        position = which % len(thing.records)
        on = self._within(thing.records[position].on + timedelta(offset))
        self._correct(thing, position, {"on": on}, {"date": on.isoformat()})

    @rule(number=st.integers(0, 50), which=st.integers(0, 20), party=st.integers(0, 4))
    def correct_party(self, number, which, party):
        if (thing := self._thing(number)) is None:
            return
        movable = [n for n, r in enumerate(thing.records) if r.type in ("acquired", "disposed")]
        if not movable:
            return
        position = movable[which % len(movable)]
        name = "recipient_party_id" if thing.records[position].type == "acquired" else "transferee_party_id"
        party = self.parties[party % 5]
        self._correct(thing, position, {"party": party}, {name: party})

    # -- what the registry must show after every step ------------------------------------------------

    @invariant()
    def items_stand_where_the_model_says(self):
        db.session.expire_all()
        items = {
            item.id: item for item in db.session.scalars(select(Item).where(Item.id.in_([t.id for t in self.things])))
        }
        for thing in self.things:
            expected, item = fold(thing, thing.records, self.kinds), items[thing.id]
            assert (item.status, item.holder_party_id, item.last_event_date) == (
                expected["status"],
                expected["holder"],
                expected["last"],
            ), thing

    @invariant()
    def the_tally_counts_the_items(self):
        """The counts the lists and the dashboard show are the items' own, cell by cell."""
        db.session.expire_all()
        holder = func.coalesce(Item.holder_party_id, literal_column("''"))  # one expression in both clauses
        counted = select(Item.kind, Item.status, holder, func.count())
        rows = db.session.execute(counted.group_by(Item.kind, Item.status, holder))
        tallied = db.session.execute(select(ItemTally.kind, ItemTally.status, ItemTally.holder, ItemTally.count))
        assert sorted(map(tuple, tallied)) == sorted(map(tuple, rows))

    @invariant()
    def the_bound_book_matches_in_every_view(self):
        firearms = [t for t in self.things if t.firearm]
        if not firearms:
            return
        mine = {t.id for t in firearms}
        middle = self.first_day + timedelta(days=WINDOW // 2)
        # the whole window, and each half: a line opened before a period and closed in it is in it
        for start, end in ((self.first_day, self.last_day), (self.first_day, middle), (middle, self.last_day)):
            for view in queries.CORRECTION_VIEWS:
                rows = [
                    (r.item.id, r.version, r.acquisition["date"], (r.disposition or {}).get("date"))
                    for r in queries.bound_book(db.session(), date_from=start, date_to=end, view=view)
                    if r.item.id in mine
                ]
                assert rows == self._book(firearms, view, start, end), (view, start, end)

    def _book(self, firearms: list[Thing], view: str, start: date, end: date) -> list[tuple]:
        lines = []
        for thing in firearms:
            records = thing.records
            for position, opening in enumerate(records):
                # a recovery puts the firearm back in stock only if it had been acquired
                acquired_before = any(r.type == "acquired" for r in records[:position])
                if not (opening.type == "acquired" or (opening.status == "recovered" and acquired_before)):
                    continue
                closing = next(
                    (
                        r
                        for r in records[position + 1 :]
                        if r.type == "disposed"
                        or r.status in CLOSING
                        or r.type == "acquired"
                        or r.status == "recovered"
                    ),
                    None,
                )
                if closing is not None and not (closing.type == "disposed" or closing.status in CLOSING):
                    closing = None
                corrected = any(r.corrected for r in (records[0], opening, closing) if r is not None)

                def on(record, original):
                    return (record.first_on if original and record.corrected else record.on).isoformat()

                key_on = on(opening, view == "originals")
                closed_on = closing and on(closing, view == "originals")
                # the book's period, by the dates first written or the corrected ones: the line opens
                # or closes in it
                if not (
                    start.isoformat() <= key_on <= end.isoformat()
                    or (closed_on and start.isoformat() <= closed_on <= end.isoformat())
                ):
                    continue
                rows = []
                if view in ("originals", "both") or not corrected:
                    rows.append(
                        (
                            thing.id,
                            "original" if corrected else "only",
                            on(opening, True),
                            closing and on(closing, True),
                        )
                    )
                if corrected and view in ("corrected", "both"):
                    rows.append((thing.id, "corrected", on(opening, False), closing and on(closing, False)))
                lines.extend((key_on, opening.entry, row) for row in rows)
        return [row for _, _, row in sorted(lines, key=lambda line: (line[0], line[1]))]

    def teardown(self):
        self.open_acquisitions_are_the_items_in_custody()

    @invariant()
    def quarantined_items_are_open_acquisitions(self):
        if any(fold(t, t.records, self.kinds)["status"] == "quarantined" for t in self.things):
            self.open_acquisitions_are_the_items_in_custody()

    def open_acquisitions_are_the_items_in_custody(self):
        """Once per sequence, and after a step that leaves an item quarantined (the signal reads every
        item of every sequence): the open acquisitions are the items in custody, oldest first."""
        held = {t.id for t in self.things if fold(t, t.records, self.kinds)["status"] in ("in_custody", "quarantined")}
        signal = queries.open_acquisitions(db.session(), today=FIXED_NOW.date(), limit=100_000)
        listed = [row for row in signal.rows if row["item"].id in {t.id for t in self.things}]
        assert {row["item"].id for row in listed} == held
        assert [row["acquired_on"] for row in listed] == sorted(row["acquired_on"] for row in listed)

    @invariant()
    def multiple_sales_are_flagged_per_person(self):
        expected = set()
        for person in self.persons:
            sales = sorted(
                (r.entry, t.id, r.on)
                for t in self.things
                if t.kind in ("pistol", "revolver")
                for position, r in enumerate(t.records)
                if r.type == "disposed" and r.party == person and not _returned(t.records[:position], person)
            )
            for position, (entry, item_id, on) in enumerate(sales):
                related = {other for _, other, day in sales[:position] if weekdays_apart(day, on) <= 5}
                if related:
                    expected.add((entry, person, frozenset(related | {item_id})))
        found = {
            (f.entry_index, f.party_id, frozenset(f.item_ids))
            for f in db.session.scalars(select(MultipleSaleFlag).where(MultipleSaleFlag.party_id.in_(self.persons)))
        }
        assert found == expected


def test_custody_follows_the_reference_model(ctx):
    service = custody()
    Custody.world = {
        "licensees": [
            service.register_licensee(ffl=ffl, name=name, address="1 Model Rd", **A).id
            for ffl, name in (("8-23-091-01-7F-14245", "Model Store"), ("9-87-654-07-8A-00001", "Model Arms"))
        ],
        "organisation": service.register_organisation(name="Model Fleet", address="2 Model Rd", **A).id,
    }
    db.session.commit()
    run_state_machine_as_test(
        Custody,
        settings=settings(
            max_examples=200,
            stateful_step_count=50,
            deadline=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    report = replay(db.session())
    assert report.identical, report.differences
