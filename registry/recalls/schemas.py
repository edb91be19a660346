"""What the recalls API takes and answers (see `registry.contract`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from registry.contract import Answer, Body, Day, FreeObject, Id, LongText, Moment, Page, Text, needed
from registry.custody.schemas import PartyLabel

MAX_LISTED = 100_000


class RecallBasis(Body):
    type: Text | None = needed("lots, part or serials")
    lot_ids: list[Text] | None = Field(None, max_length=MAX_LISTED, description="type lots: lot ids or lot codes")
    part_id: Id | None = Field(None, description="type part: the part")
    made_from: Day | None = Field(None, description="type part: made on or after")
    made_to: Day | None = Field(None, description="type part: made on or before")
    serials: list[Text] | None = Field(None, max_length=MAX_LISTED, description="type serials: serials or item ids")


class NewRecallCampaign(Body):
    number: Text | None = needed("the campaign number (e.g. NHTSA 26V-123)")
    title: Text | None = needed()
    defect: LongText | None = needed()
    remedy: LongText | None = None
    basis: RecallBasis | None = needed("which items are affected")
    as_of: Moment | None = Field(None, description="the time the population is traced at (default: now)")
    date: Day | None = Field(None, description="the opening date (default: today)")


class Replacement(Body):
    removed: Text | None = needed("the component taken out of the unit (item id or serial)")
    installed: Text | None = needed("the one put in (item id or serial)")
    at: Moment | None = Field(None, description="when (default: the remedy date at noon UTC)")


class RecallUnitUpdate(Body):
    state: Text | None = needed("notified, remedied, unreachable or destroyed")
    date: Day | None = needed()
    note: LongText | None = None
    replacement: Replacement | None = Field(
        None, description="a remedy that replaces a component, recorded as a removal and an installation"
    )


class RecallUnitsUpdate(Body):
    item_ids: list[Id] | None = needed("the units (item ids)", max_length=MAX_LISTED)
    state: Text | None = needed()
    date: Day | None = needed()
    note: LongText | None = None


class RecallClosing(Body):
    date: Day | None = needed()
    confirm: bool = Field(False, description="must be true: closing cannot be undone")
    note: LongText | None = None


class UnitsQuery(Page):
    state: Literal["identified", "notified", "remedied", "unreachable", "destroyed"] | None = None


class UnitCounts(Answer):
    identified: int
    notified: int
    remedied: int
    unreachable: int
    destroyed: int


class RecallCampaignOut(Answer):
    id: str
    number: str
    title: str
    defect: str
    remedy: str | None
    basis: FreeObject
    as_of: str
    opened_on: str
    opened_entry: int
    status: Literal["open", "closed"]
    closed_on: str | None
    closing_note: str | None
    population_size: int
    population_sha256: str
    counts: UnitCounts
    completion: float = Field(description="share of units remedied, destroyed or unreachable, 0-1")


class CompletionDay(Answer):
    date: str
    complete: int


class RecallCampaignDetail(RecallCampaignOut):
    history: list[CompletionDay]


class RecallCampaigns(Answer):
    campaigns: list[RecallCampaignOut]
    next_cursor: str | None


class RecallUnitOut(Answer):
    item_id: str
    serial: str
    kind: str
    description: str | None
    item_status: str
    state: str
    updated_on: str
    note: str | None
    holder_when_identified: PartyLabel | None
    holder: PartyLabel | None


class RecallUnits(Answer):
    units: list[RecallUnitOut]
    next_cursor: str | None


class Part573(Answer):
    campaign_number: str
    title: str
    defect: str
    remedy: str | None
    involved_components: list[FreeObject]
    population_size: int
    population_sha256: str
    population_by_kind: dict[str, int]
    as_of: str
    production_from: str | None
    production_to: str | None


class EntryIndex(Answer):
    entry_index: int


class UnitsUpdated(Answer):
    updated: int
