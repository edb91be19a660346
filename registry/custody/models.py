"""Custody tables: projections of the `party.*`, `item.*` and `custody.*` events (see `projection`),
plus the personal-data vault, which holds what the ledger must not: private persons' names,
addresses and identity documents. The ledger carries only a salted commitment to them, so erasing
the vault leaves the ledger intact and verifiable.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from registry.db import Base, UTCDateTime


class Party(Base):
    __tablename__ = "party"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # licensee, organisation, person
    name: Mapped[str | None] = mapped_column(String(200))  # business or organisation name; None for persons
    address: Mapped[str | None] = mapped_column(String(400))  # premises address; persons' is in the vault
    ffl: Mapped[str | None] = mapped_column(String(15), unique=True)
    ffl_abbreviated: Mapped[str | None] = mapped_column(String(8))
    commitment: Mapped[str | None] = mapped_column(String(64))  # persons: SHA-256 over salt and vault data
    erased: Mapped[bool] = mapped_column(nullable=False, default=False)
    registered_entry: Mapped[int] = mapped_column(BigInteger, nullable=False)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    # The party picker searches names by prefix, case aside (registry.custody.queries.party_suggestions).
    __table_args__ = (Index("ix_party_name_lower", text("lower(name)")),)


class PersonalData(Base):
    """The vault: not a projection, never on the ledger, erasable."""

    __tablename__ = "personal_data"

    party_id: Mapped[str] = mapped_column(ForeignKey("party.id"), primary_key=True)
    salt: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    full_name: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(400))
    id_document: Mapped[str | None] = mapped_column(String(200))
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Keyed hashes that recognise the person registered again (registry.custody.identity).
    document_key: Mapped[str | None] = mapped_column(String(64), index=True)
    name_address_key: Mapped[str | None] = mapped_column(String(64), index=True)

    __table_args__ = (Index("ix_personal_data_full_name_lower", text("lower(full_name)")),)


HELD = "status IN ('in_custody', 'quarantined')"
MISSING = "status IN ('stolen', 'lost')"


class Item(Base):
    __tablename__ = "item"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # firearm, vehicle, goods
    scheme: Mapped[str] = mapped_column(String(32), nullable=False)
    serial: Mapped[str] = mapped_column(String(200), nullable=False)  # as marked
    serial_normalized: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    uniqueness_key: Mapped[str] = mapped_column(String(500), nullable=False, unique=True)
    manufacturer: Mapped[str | None] = mapped_column(String(200))
    importer: Mapped[str | None] = mapped_column(String(200))
    model: Mapped[str | None] = mapped_column(String(200))
    type: Mapped[str | None] = mapped_column(String(64))
    caliber: Mapped[str | None] = mapped_column(String(64))
    country: Mapped[str | None] = mapped_column(String(64))
    model_year: Mapped[int | None] = mapped_column()
    description: Mapped[str | None] = mapped_column(String(400))
    attributes: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)  # decoded serial facts
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    holder_party_id: Mapped[str | None] = mapped_column(ForeignKey("party.id"), index=True)
    acquired: Mapped[bool] = mapped_column(nullable=False, default=False)
    acquired_on: Mapped[date | None] = mapped_column(Date)  # the latest acquisition's effective date
    registered_entry: Mapped[int] = mapped_column(BigInteger, nullable=False)
    last_event_date: Mapped[date] = mapped_column(Date, nullable=False)

    __table_args__ = (
        Index("ix_item_kind_status", "kind", "status"),
        # The open acquisitions, oldest first, without reading the items that left custody.
        Index("ix_item_open_acquisitions", "acquired_on", "id", sqlite_where=text(HELD), postgresql_where=text(HELD)),
        Index(
            "ix_item_open_by_kind", "kind", "acquired_on", "id", sqlite_where=text(HELD), postgresql_where=text(HELD)
        ),
        Index("ix_item_reportable_loss", "id", sqlite_where=text(MISSING), postgresql_where=text(MISSING)),
        # The item list's orders (registry.custody.queries.ITEM_SORTS), each with the id as tie-breaker.
        Index("ix_item_last_event", "last_event_date", "id"),
        Index("ix_item_registered", "registered_entry", "id"),
        Index("ix_item_serial_order", "serial_normalized", "id"),
    )


class CustodyRecord(Base):
    """One custody event of an item. `on`, `party_id` and `details` are its effective values: what
    was recorded with every correction of it folded in (latest wins), which every rule, signal and
    report reads. Once corrected, `original_*` keep what was first written (ATF Ruling 2016-1's
    originals view); they are empty for a record never corrected. Corrections are records of their
    own (type `corrected`) naming the record they correct. `holder_party_id` is who holds the item
    after this event, by the effective record."""

    __tablename__ = "custody_record"

    entry_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    item_id: Mapped[str] = mapped_column(ForeignKey("item.id"), nullable=False, index=True)
    type: Mapped[str] = mapped_column(String(32), nullable=False)  # registered, acquired, disposed, ...
    on: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    party_id: Mapped[str | None] = mapped_column(ForeignKey("party.id"), index=True)
    details: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    corrects: Mapped[int | None] = mapped_column(BigInteger, index=True)
    actor: Mapped[str] = mapped_column(String(254), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    holder_party_id: Mapped[str | None] = mapped_column(ForeignKey("party.id"), index=True)
    original_on: Mapped[date | None] = mapped_column(Date, index=True)
    original_party_id: Mapped[str | None] = mapped_column(ForeignKey("party.id"))
    original_details: Mapped[dict | None] = mapped_column(JSON)

    # A party's page: the records naming it, and those in which it held the item, newest first.
    __table_args__ = (
        Index("ix_custody_record_party_entry", "party_id", "entry_index"),
        Index("ix_custody_record_holder_entry", "holder_party_id", "entry_index"),
    )

    @property
    def first_on(self) -> date:
        return self.on if self.original_on is None else self.original_on

    @property
    def first_party_id(self) -> str | None:
        return self.party_id if self.original_details is None else self.original_party_id

    @property
    def first_details(self) -> dict:
        return self.details if self.original_details is None else self.original_details


class ItemTally(Base):
    """How many items there are of each kind, status and holder (`holder` is "" for none): the
    counts the lists and the dashboard show, kept as events move items (a row whose count falls to
    zero is removed), so no page counts a million rows."""

    __tablename__ = "item_tally"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    holder: Mapped[str] = mapped_column(String(36), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, nullable=False)

    __table_args__ = (Index("ix_item_tally_holder", "holder"),)


class ImportKey(Base):
    """Idempotency keys of bulk-imported rows: a row imported once is not imported again."""

    __tablename__ = "import_key"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(36), nullable=False)
    entry_index: Mapped[int] = mapped_column(BigInteger, nullable=False)


class ImportJob(Base):
    """A bulk import running in the background: the file, how far it is, and its row report. Not a
    projection of the ledger: the rows it imports are, once it has committed them."""

    __tablename__ = "import_job"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    requested_by: Mapped[str] = mapped_column(String(254), nullable=False, index=True)
    recipient_party_id: Mapped[str] = mapped_column(String(64), nullable=False)
    skip_invalid: Mapped[bool] = mapped_column(nullable=False, default=False)
    csv_text: Mapped[str | None] = mapped_column(Text)  # dropped once the job has ended
    rows: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # queued, running, done, refused, failed
    progress: Mapped[int] = mapped_column(nullable=False, default=0)
    message: Mapped[str] = mapped_column(String(400), nullable=False, default="")
    report: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class MultipleSaleFlag(Base):
    __tablename__ = "multiple_sale_flag"

    entry_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    party_id: Mapped[str] = mapped_column(ForeignKey("party.id"), nullable=False, index=True)
    item_ids: Mapped[list] = mapped_column(JSON, nullable=False)
    first_date: Mapped[date] = mapped_column(Date, nullable=False)
    last_date: Mapped[date] = mapped_column(Date, nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
