"""Genealogy: what an item is built of (backward trace) and where a lot, a component or a part
ended up (forward trace), both at a point in time. A link counts at time T when it was installed
at or before T and not removed by T; a lot counts in an item from the moment it was consumed.

Both traces are single recursive queries, so they run in the database at any size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    String,
    and_,
    bindparam,
    cast,
    exists,
    literal,
    null,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from registry.custody.models import Item
from registry.db import UTCDateTime
from registry.supply.models import ComponentLink, ItemPart, Lot, LotConsumption, Part, Supplier

PG_TRACE_SETTINGS = ("jit", "enable_seqscan")
MAX_DEPTH = 64  # assemblies nest deeper than this in no product; the bound also stops a corrupt cycle


def _active(link, at: datetime):
    return and_(link.installed_at <= at, or_(link.removed_at.is_(None), link.removed_at > at))


def items_with_lots(lot_ids: list[str], at: datetime) -> Select:
    return select(LotConsumption.item_id.label("item_id")).where(
        LotConsumption.lot_id.in_(lot_ids), LotConsumption.consumed_at <= at
    )


def items_of_part(part_id: str, made_from: datetime, made_to: datetime, at: datetime) -> Select:
    """Serialized items of the part made in [made_from, made_to), and items that consumed a lot of
    the part in that window."""
    made = select(ItemPart.item_id.label("item_id")).where(
        ItemPart.part_id == part_id, ItemPart.made_at >= made_from, ItemPart.made_at < made_to, ItemPart.made_at <= at
    )
    consumed = (
        select(LotConsumption.item_id.label("item_id"))
        .join(Lot, Lot.id == LotConsumption.lot_id)
        .where(
            Lot.part_id == part_id,
            LotConsumption.consumed_at >= made_from,
            LotConsumption.consumed_at < made_to,
            LotConsumption.consumed_at <= at,
        )
    )
    return union_all(made, consumed)


def items_by_id(item_ids: list[str]) -> Select:
    return select(Item.id.label("item_id")).where(Item.id.in_(item_ids))


def top_level(start: Select, at: datetime) -> Select:
    """The top-level items that contain any of `start`'s items at `at` (an item that sits in no
    assembly is its own top level). Returns a select of `item_id`.

    The recursion carries the child each row was reached from, so the top level is the rows that no
    other row names as its child: a join over the trace's own rows, not over every link."""
    seed = start.subquery()
    up = select(seed.c.item_id, cast(null(), String(36)).label("child_id"), literal(0).label("depth")).cte(
        "up", recursive=True
    )
    link = aliased(ComponentLink)
    up = up.union(
        select(link.parent_item_id, link.child_item_id, up.c.depth + 1)
        .join(up, link.child_item_id == up.c.item_id)
        .where(_active(link, at), up.c.depth < MAX_DEPTH)
    )
    below = up.alias("below")
    return (
        select(up.c.item_id).distinct().where(~exists(select(below.c.item_id).where(below.c.child_id == up.c.item_id)))
    )


def where_used(session: Session, start: Select, at: datetime) -> list[str]:
    """Ids of the top-level items affected, sorted."""
    if session.get_bind().dialect.name != "postgresql":
        return sorted(session.scalars(top_level(start, at)))
    # PostgreSQL cannot estimate a recursive query: it guesses ten times the seed's rows at every
    # step, prices a hash join over every link below an index probe per row, and past
    # jit_above_cost compiles the query for longer than it runs. Each step really is a handful of
    # probes of the covering index, so for this one statement the planner is told so (measured at
    # 1,000,000 products and 3,000,000 links: 2.2-2.8 s with its own plan, 0.3-0.4 s without).
    for name in PG_TRACE_SETTINGS:
        session.execute(text(f"SET LOCAL {name} = off"))
    try:
        return sorted(session.scalars(top_level(start, at)))
    finally:
        for name in PG_TRACE_SETTINGS:
            session.execute(text(f"RESET {name}"))


@dataclass
class Node:
    item_id: str
    serial: str
    kind: str
    description: str | None
    part_number: str | None
    status: str
    holder_party_id: str | None
    position: str | None = None
    installed_at: datetime | None = None
    children: list["Node"] = field(default_factory=list)
    lots: list[dict] = field(default_factory=list)

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


def as_built(session: Session, item_id: str, at: datetime) -> Node | None:
    """The item's assembly tree at `at`, down to the supplier lots consumed into each node."""
    link = aliased(ComponentLink)
    # PostgreSQL wants the seed's column types to be exactly those of the recursive term's.
    down = select(
        cast(literal(item_id), String(36)).label("item_id"),
        cast(null(), String(36)).label("parent_id"),
        cast(null(), BigInteger).label("installed_entry"),
        literal(0).label("depth"),
    ).cte("down", recursive=True)
    down = down.union_all(
        select(link.child_item_id, link.parent_item_id, link.installed_entry, down.c.depth + 1)
        .join(down, link.parent_item_id == down.c.item_id)
        .where(_active(link, at), down.c.depth < MAX_DEPTH)
    )
    rows = session.execute(
        select(
            down.c.item_id,
            down.c.parent_id,
            Item.serial,
            Item.kind,
            Item.description,
            Item.model,
            Part.number,
            Part.description,
            Item.status,
            Item.holder_party_id,
            ComponentLink.position,
            ComponentLink.installed_at,
        )
        .join(Item, Item.id == down.c.item_id)
        .outerjoin(ItemPart, ItemPart.item_id == down.c.item_id)
        .outerjoin(Part, Part.id == ItemPart.part_id)
        .outerjoin(ComponentLink, ComponentLink.installed_entry == down.c.installed_entry)
        .order_by(down.c.depth, ComponentLink.position, Item.serial)
    ).all()
    if not rows:
        return None
    nodes: dict[str, Node] = {}
    root = None
    for (
        node_id,
        parent_id,
        serial,
        kind,
        description,
        model,
        part_number,
        part_description,
        status,
        holder,
        position,
        installed_at,
    ) in rows:
        node = Node(
            node_id,
            serial,
            kind,
            part_description or description or model,
            part_number,
            status,
            holder,
            position,
            installed_at,
        )
        nodes[node_id] = node
        if parent_id is None:
            root = node
        else:
            nodes[parent_id].children.append(node)
    consumed = session.execute(
        select(
            LotConsumption.item_id,
            Lot.id,
            Lot.internal_code,
            Lot.supplier_lot_code,
            Part.number,
            Supplier.name,
            LotConsumption.quantity,
            LotConsumption.consumed_at,
        )
        .join(Lot, Lot.id == LotConsumption.lot_id)
        .join(Part, Part.id == Lot.part_id)
        .outerjoin(Supplier, Supplier.id == Lot.supplier_id)
        .where(LotConsumption.item_id.in_(list(nodes)), LotConsumption.consumed_at <= at)
        .order_by(LotConsumption.entry_index)
    )
    for owner, lot_id, internal, supplier_code, part_number, supplier, quantity, consumed_at in consumed:
        nodes[owner].lots.append(
            {
                "lot_id": lot_id,
                "internal_code": internal,
                "supplier_lot_code": supplier_code,
                "part_number": part_number,
                "supplier": supplier,
                "quantity": quantity,
                "consumed_at": consumed_at,
            }
        )
    return root


def ancestors_since(session: Session, item_id: str, since: datetime) -> set[str]:
    """Every assembly the item sits in at any time from `since` on, following every link not removed
    by then (a link removed later still counts: an install dated in the past must not close a loop
    that existed for a while)."""
    link = aliased(ComponentLink)
    up = select(cast(literal(item_id), String(36)).label("item_id"), literal(0).label("depth")).cte(
        "since", recursive=True
    )
    up = up.union(
        select(link.parent_item_id, up.c.depth + 1)
        .join(up, link.child_item_id == up.c.item_id)
        .where(or_(link.removed_at.is_(None), link.removed_at > since), up.c.depth < MAX_DEPTH)
    )
    return set(session.scalars(select(up.c.item_id).where(up.c.item_id != item_id)))


def ancestors(session: Session, item_id: str, at: datetime) -> set[str]:
    """Every assembly the item sits in at `at`, at any level."""
    return set(session.scalars(top_level_chain(item_id, at)))


def top_level_chain(item_id: str, at: datetime) -> Select:
    link = aliased(ComponentLink)
    up = select(cast(literal(item_id), String(36)).label("item_id"), literal(0).label("depth")).cte(
        "chain", recursive=True
    )
    up = up.union(
        select(link.parent_item_id, up.c.depth + 1)
        .join(up, link.child_item_id == up.c.item_id)
        .where(_active(link, at), up.c.depth < MAX_DEPTH)
    )
    return select(up.c.item_id).where(up.c.item_id != item_id)


@dataclass(frozen=True)
class Kin:
    """An item an item is joined to now by links not removed: an assembly it sits in (`up`), at any
    level, or a component installed in it (`down`), at any level."""

    up: bool
    item: Item

    @property
    def serial(self) -> str:
        return self.item.serial


# Written out rather than built: custody asks on every event, and compiling the built statement cost
# milliseconds a time. Both directions in one statement, one round trip.
_KIN = """
    WITH RECURSIVE kin_up(item_id, depth) AS (
        SELECT CAST(:item_id AS VARCHAR(36)), 0
        UNION
        SELECT link.parent_item_id, kin_up.depth + 1 FROM component_link AS link
        JOIN kin_up ON link.child_item_id = kin_up.item_id
        WHERE {active} AND kin_up.depth < :max_depth
    ), kin_down(item_id, depth) AS (
        SELECT CAST(:item_id AS VARCHAR(36)), 0
        UNION
        SELECT link.child_item_id, kin_down.depth + 1 FROM component_link AS link
        JOIN kin_down ON link.parent_item_id = kin_down.item_id
        WHERE {active} AND kin_down.depth < :max_depth
    )
    SELECT DISTINCT 1, item_id FROM kin_up WHERE item_id <> :item_id
    UNION ALL
    SELECT DISTINCT 0, item_id FROM kin_down WHERE item_id <> :item_id
    """
_KIN_NOW = text(_KIN.format(active="link.removed_at IS NULL"))
_KIN_AT = text(
    _KIN.format(active="link.installed_at < :at AND (link.removed_at IS NULL OR link.removed_at >= :at)")
).bindparams(bindparam("at", type_=UTCDateTime))


def linked(item_id) -> ColumnElement[bool]:
    """Whether the item was ever in an assembly or took a component (two index look-ups)."""
    return or_(
        exists().where(ComponentLink.child_item_id == item_id),
        exists().where(ComponentLink.parent_item_id == item_id),
    )


def kin(session: Session, item_id: str, at: datetime | None = None) -> list[Kin]:
    """The item's assemblies and components at `at` (a link installed before it and not removed by
    then), or now. The items come from the session, so a status changed earlier in the same
    transaction (a group of writes) is the one read."""
    statement, values = (_KIN_NOW, {}) if at is None else (_KIN_AT, {"at": at})
    with session.no_autoflush:
        rows = session.execute(statement, {"item_id": item_id, "max_depth": MAX_DEPTH, **values}).all()
        found = [Kin(bool(up), session.get(Item, other)) for up, other in rows]
    return sorted(found, key=lambda kin: (not kin.up, kin.serial, kin.item.id))
