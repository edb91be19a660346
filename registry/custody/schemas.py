"""What the custody API takes and answers (see `registry.contract`). Dates arrive as text: the
service reads them, so a wrong or future date is refused with the same code on the API and the forms."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from registry.contract import Answer, Body, Count, Day, FreeObject, Id, LongText, Moment, Page, Query, Text, needed

Year = Annotated[int, Field(ge=0, le=9999)]
Option = Annotated[str, Field(max_length=100)]


# -- bodies ---------------------------------------------------------------------------------------
class NewParty(Body):
    kind: Literal["licensee", "organisation", "person"]
    ffl: Text | None = Field(None, description="a licensee's FFL (X-XX-XXX-XX-XX-XXXXX)")
    name: Text | None = None
    address: Text | None = None
    full_name: Text | None = Field(None, description="a private person's name (kept in the vault only)")
    id_type: Text | None = Field(
        None,
        description=(
            "identity document type: driver licence, state identity card, passport, military identity card "
            "or other (usual other names, such as driver license, are read as these)"
        ),
    )
    id_issuer: Text | None = Field(None, description="the authority that issued it (e.g. TX, US)")
    id_number: Text | None = None
    id_document: Text | None = Field(None, description="the document as one line, when it is not given in parts")
    confirm_distinct: bool = Field(
        False,
        description="register a person although one with the same name and "
        "address exists (409 possible_duplicate_person)",
    )


class ItemFacts(Body):
    """What is known of an item besides its serial (a firearm needs its maker, model, type and caliber)."""

    manufacturer: Text | None = None
    importer: Text | None = None
    model: Text | None = None
    type: Text | None = Field(None, description="a firearm's type (pistol, rifle, ...)")
    caliber: Text | None = None
    country: Text | None = None
    model_year: Year | None = None
    description: LongText | None = None


class NewItem(ItemFacts):
    kind: Text | None = needed("firearm, vehicle or goods")
    scheme: Text | None = needed("the serial scheme (GET /api/v1/serials/schemes)")
    serial: Text | None = needed("the serial as marked; NSN for a firearm without one (with a justification)")
    date: Day | None = needed()
    options: dict[str, Option] = Field(default_factory=dict, description="the scheme's options")
    override_justification: LongText | None = Field(None, description="registers a serial the scheme refuses")


class Acquisition(Body):
    date: Day | None = needed()
    source_party_id: Id | None = needed("where the item came from")
    recipient_party_id: Id | None = needed("the receiving licensee")
    reference: Text | None = None


class Disposition(Body):
    date: Day | None = needed()
    from_party_id: Id | None = Field(None, description="the holder (default: the current holder)")
    transferee_party_id: Id | None = needed()
    form_4473: Text | None = Field(None, description="the Form 4473 serial, for a private transferee")


class Transfer(Body):
    date: Day | None = needed()
    to_party_id: Id | None = needed()
    from_party_id: Id | None = None


class StatusChange(Body):
    status: Text | None = needed("stolen, lost, recovered, destroyed, exported or quarantined")
    date: Day | None = needed()
    atf_incident: Text | None = None
    police_report: Text | None = None
    discovered_at: Moment | None = Field(None, description="when a theft or loss was discovered")
    note: LongText | None = None


class Correction(Body):
    corrects: Count | None = needed("the ledger index of the record it corrects")
    fields: dict[Annotated[str, Field(max_length=40)], Text | Year | None] | None = needed(
        "the corrected fields: date, discovered_at, a *_party_id, serial, model_year or a text field"
    )
    reason: LongText | None = needed()


# -- query parameters ----------------------------------------------------------------------------
class ItemSearch(Page):
    serial: Text | None = Field(None, description="serial as marked or normalised")
    kind: Text | None = Field(None, description="firearm, vehicle or goods")
    status: Text | None = None
    holder: Id | None = Field(None, description="holder party id")
    manufacturer: Text | None = Field(None, description="manufacturer (exact, any case)")
    from_: Day | None = Field(None, alias="from", description="last event on or after")
    to: Day | None = Field(None, description="last event on or before")


class ImportQuery(Query):
    recipient_party_id: Id = Field(min_length=1, description="the receiving licensee")
    skip_invalid: Literal["true", "false"] = Field(
        "false", description="true to import the good rows of a file with bad ones"
    )
    background: Literal["true", "false", "auto"] = Field(
        "auto", description="true: answer 202 with a job at once; auto: so for files of more than 2,000 rows"
    )


class BookQuery(Query):
    from_: Day = Field(alias="from", description="first day")
    to: Day = Field(description="last day")
    licensee: Id | None = Field(None, description="receiving licensee party id")
    view: Literal["originals", "corrected", "both"] = "both"
    format: Literal["json", "csv"] = "json"


class TraceQuery(Query):
    serial: Text = Field(min_length=1, description="serial")
    manufacturer: Text | None = None


# -- answers --------------------------------------------------------------------------------------
class PartyLabel(Answer):
    id: str
    kind: Literal["licensee", "organisation", "person"]
    name: str | None
    address: str | None
    ffl: str | None
    id_document: str | None = Field(None, description="a person's identity document, where a report asks for it")


class PartyOut(PartyLabel):
    registered_entry: int


class ItemOut(Answer):
    id: str
    kind: str
    scheme: str
    serial: str
    serial_normalized: str
    status: str
    holder: PartyLabel | None
    manufacturer: str | None
    importer: str | None
    model: str | None
    type: str | None
    caliber: str | None
    country: str | None
    model_year: int | None
    description: str | None
    attributes: FreeObject
    acquired: bool
    registered_entry: int
    last_event_date: str = Field(json_schema_extra={"format": "date"})


class ItemList(Answer):
    items: list[ItemOut]
    next_cursor: str | None


class OriginalRecord(Answer):
    date: str
    details: FreeObject
    party: PartyLabel | None


class RecordOut(Answer):
    entry_index: int
    type: str
    date: str
    party: PartyLabel | None
    details: FreeObject
    corrects: int | None
    actor: str
    recorded_at: str
    original: OriginalRecord | None = Field(None, description="as first written, once corrected")


class ItemDetail(Answer):
    item: ItemOut
    timeline: list[RecordOut]


class CustodyEvent(Answer):
    entry_index: int
    item: ItemOut


class ImportProblem(Answer):
    row: int
    column: str | None
    code: str
    message: str


class ImportReport(Answer):
    rows: int
    imported: int
    already_imported: int
    committed: bool
    problems: list[ImportProblem]


class ImportJobOut(Answer):
    id: str
    status: Literal["queued", "running", "done", "refused", "failed"]
    progress: int = Field(ge=0, le=100)
    message: str
    rows: int
    recipient_party_id: str
    skip_invalid: bool
    report: ImportReport | None = Field(description="the row report, once the rows are checked")
    error: str | None
    created_at: str
    updated_at: str


class BookRow(Answer):
    manufacturer: str | None
    importer: str | None
    model: str | None
    serial: str | None
    type: str | None
    caliber: str | None
    date: str | None
    source_name: str | None
    source_address: str | None
    source_ffl: str | None
    disposition_date: str | None
    transferee_name: str | None
    transferee_address: str | None
    transferee_ffl: str | None
    form_4473: str | None
    version: str
    acquisition_entry: int | None
    disposition_entry: int | None


class BoundBook(Answer):
    view: str
    columns: list[str]
    rows: list[BookRow]


class TracedRecord(RecordOut):
    source: PartyLabel | None = None
    transferee: PartyLabel | None = None


class TracedItem(Answer):
    item: ItemOut
    acquisition: TracedRecord | None
    disposition: TracedRecord | None


class Trace(Answer):
    received_at: str
    serial: str
    items: list[TracedItem]


class MultipleSale(Answer):
    entry_index: int
    party_id: str
    item_ids: list[str]
    serials: list[str | None]
    first_date: str
    last_date: str


class Theft(Answer):
    item_id: str
    serial: str
    status: str
    discovered_at: str
    deadline: str
    overdue: bool


class OpenAcquisition(Answer):
    item_id: str
    serial: str
    acquired_on: str
    age_days: int


class SignalTotals(Answer):
    multiple_sales: int
    thefts: int
    open_acquisitions: int


class Signals(Answer):
    multiple_sales: list[MultipleSale]
    thefts: list[Theft]
    open_acquisitions: list[OpenAcquisition]
    totals: SignalTotals
