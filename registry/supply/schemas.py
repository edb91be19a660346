"""What the supply API takes and answers (see `registry.contract`). Quantities are decimal numbers
written as text ("2.5"), so no precision is lost on the way; whole numbers may be sent as numbers."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from registry.contract import Answer, Body, Day, Id, LongText, Moment, Page, Query, Text, needed
from registry.custody.schemas import ItemFacts, PartyLabel

Quantity = (
    Annotated[str, Field(max_length=40, description='a decimal number as text, e.g. "2.5"')]
    | Annotated[int, Field(ge=-(10**15), le=10**15)]
)
Option = Annotated[str, Field(max_length=100)]
MAX_LINES = 1000


class NewPart(Body):
    number: Text | None = needed("the part number")
    description: Text | None = needed()
    tracking: Text | None = needed("serial, lot or none")
    unit: Text | None = Field(None, description="unit of measure (default ea)")
    reorder_point: Quantity | None = None
    reorder_quantity: Quantity | None = None


class Reorder(Body):
    reorder_point: Quantity | None = None
    reorder_quantity: Quantity | None = None


class LotUse(Body):
    lot_id: Id | None = needed()
    quantity: Quantity | None = needed()
    location: Text | None = needed()


class MakeItem(ItemFacts):
    kind: Text | None = Field(None, description="goods (default), vehicle or firearm")
    scheme: Text | None = Field(None, description="the serial scheme (default plain)")
    serial: Text | None = needed()
    at: Moment | None = needed("when it was made")
    lots: list[LotUse] = Field(default_factory=list, max_length=MAX_LINES, description="the lot quantities it consumed")
    options: dict[str, Option] | None = None


class AssignPart(Body):
    part_id: Id | None = needed()
    made_at: Moment | None = needed()


class NewSupplier(Body):
    name: Text | None = needed()
    address: Text | None = None


class NewSupplierPart(Body):
    supplier_id: Id | None = needed()
    part_id: Id | None = needed()
    supplier_part_number: Text | None = needed()
    pack_size: Quantity | None = Field(None, description="ordered in multiples of this (default 1)")
    lead_time_days: Annotated[int, Field(ge=0, le=3650)] | Annotated[str, Field(max_length=10)] | None = needed(
        "days from order to delivery, 0 to 3650"
    )
    unit_price: Text | None = None
    preferred: bool = False


class NewLot(Body):
    part_id: Id | None = needed()
    supplier_id: Id | None = None
    supplier_lot_code: Text | None = None
    lot_scheme: Literal["plain", "gs1"] = Field("plain", description="gs1 checks the code as GS1 AI 10")
    internal_code: Text | None = None
    quantity: Quantity | None = needed()
    date: Day | None = needed("received on")
    location: Text | None = needed()
    purchase_order_id: Id | None = None


class Consumption(Body):
    item_id: Id | None = needed()
    quantity: Quantity | None = needed()
    location: Text | None = needed()
    at: Moment | None = needed()


class Move(Body):
    quantity: Quantity | None = needed()
    from_location: Text | None = needed()
    to_location: Text | None = needed()
    date: Day | None = needed()


class Count(Body):
    location: Text | None = needed()
    counted: Quantity | None = needed()
    reason: LongText | None = needed()
    date: Day | None = needed()


class Install(Body):
    child_item_id: Id | None = needed()
    at: Moment | None = needed()
    position: Text | None = None


class Removal(Body):
    at: Moment | None = needed()
    reason: LongText | None = None


class OrderLine(Body):
    part_id: Id | None = needed()
    quantity: Quantity | None = needed()


class NewPurchaseOrders(Body):
    from_proposals: bool = Field(False, description="true: one draft per proposed supplier")
    part_ids: list[Id] | None = Field(None, max_length=MAX_LINES, description="with from_proposals: only these parts")
    supplier_id: Id | None = None
    lines: list[OrderLine] | None = Field(None, max_length=MAX_LINES)
    date: Day | None = Field(None, description="default today")
    note: LongText | None = None


class OrderStatus(Body):
    status: Text | None = needed("placed or cancelled")


class LotsQuery(Page):
    part_id: Id | None = Field(None, description="only this part's lots")
    supplier_id: Id | None = Field(None, description="only this supplier's")
    code: Text | None = Field(None, description="internal or supplier lot code")


class StockQuery(Page):
    part_id: Id | None = Field(None, description="only this part")


class AtQuery(Query):
    at: Moment | None = Field(None, description="ISO 8601 time or date; default now")


class WhereUsedQuery(AtQuery):
    lot: Text | None = Field(None, description="lot id, internal or supplier lot code")
    serial: Text | None = Field(None, description="component serial or item id")
    part: Text | None = Field(None, description="part id or number")
    from_: Day | None = Field(None, alias="from", description="with part: made on or after")
    to: Day | None = Field(None, description="with part: made on or before")


# -- answers --------------------------------------------------------------------------------------
class PartOut(Answer):
    id: str
    number: str
    description: str
    tracking: Literal["serial", "lot", "none"]
    unit: str
    reorder_point: str | None
    reorder_quantity: str | None
    on_hand: str
    registered_entry: int


class SupplierOut(Answer):
    id: str
    name: str
    address: str | None
    registered_entry: int


class SupplierPartOut(Answer):
    id: str
    supplier_id: str
    part_id: str
    supplier_part_number: str
    pack_size: str
    lead_time_days: int
    unit_price: str | None
    preferred: bool


class Offer(SupplierPartOut):
    supplier: str


class Level(Answer):
    held_by: str | None = Field(
        None, description="the number of the open recall campaign that holds the lot: not on hand, goes into nothing"
    )
    location: str
    quantity: str
    lot_id: str
    internal_code: str
    supplier_lot_code: str | None
    part_id: str
    part_number: str
    unit: str
    supplier: str | None


class PartDetail(PartOut):
    offers: list[Offer]
    levels: list[Level]


class Parts(Answer):
    parts: list[PartOut]
    next_cursor: str | None


class Suppliers(Answer):
    suppliers: list[SupplierOut]
    next_cursor: str | None


class LotOut(Answer):
    id: str
    part_id: str
    part_number: str
    supplier_id: str | None
    supplier: str | None
    supplier_lot_code: str | None
    internal_code: str
    lot_scheme: str
    quantity: str
    unit: str
    received_on: str
    location: str
    purchase_order_id: str | None
    received_entry: int


class Use(Answer):
    item_id: str
    serial: str
    quantity: str
    at: str
    entry_index: int


class LotDetail(LotOut):
    levels: list[Level]
    consumed_by: list[Use]


class Lots(Answer):
    lots: list[LotOut]
    next_cursor: str | None


class EntryIndex(Answer):
    entry_index: int


class NodeLot(Answer):
    lot_id: str
    internal_code: str
    supplier_lot_code: str | None
    supplier: str | None
    part_number: str
    quantity: str
    consumed_at: str


class Node(Answer):
    item_id: str
    serial: str
    kind: str
    description: str | None
    part_number: str | None
    status: str
    position: str | None
    installed_at: str | None
    lots: list[NodeLot]
    children: list[Node]


class AsBuilt(Answer):
    at: str
    tree: Node


class Affected(Answer):
    id: str
    serial: str
    kind: str
    status: str
    description: str | None
    holder: PartyLabel | None


class WhereUsed(Answer):
    at: str
    count: int
    items: list[Affected]


class Stock(Answer):
    levels: list[Level]
    next_cursor: str | None


class ProposalOut(Answer):
    part: PartOut
    on_order: str
    quantity: str
    supplier: SupplierOut | None
    supplier_part: SupplierPartOut | None
    reason: str


class Replenishment(Answer):
    proposals: list[ProposalOut]
    next_cursor: str | None


class OrderLineOut(Answer):
    line: int
    part_id: str
    part_number: str
    supplier_part_number: str
    quantity: str
    received: str


class PurchaseOrderOut(Answer):
    id: str
    number: str
    status: str
    drafted_on: str
    note: str | None
    supplier: SupplierOut
    lines: list[OrderLineOut]


class PurchaseOrders(Answer):
    purchase_orders: list[PurchaseOrderOut]
    next_cursor: str | None = Field(None, description="null on the last page (a draft answers with all it made)")
