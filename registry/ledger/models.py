"""Ledger tables. Triggers (see the migrations) reject UPDATE and DELETE on all three.

- `ledger_entry`: one row per event; `body` is the exact RFC 8785 bytes that are hashed and exported.
  `event_type` and `item_ref` repeat fields of the body so pages and `item_prev` look-ups use an index;
  the verifier checks that they agree with the body.
- `ledger_node`: every complete Merkle subtree of level >= 1, stored when its last leaf is appended.
  Its key orders nodes by creation (last leaf covered, then level), which lets the verifier stream
  them beside the entries; proofs read O(log n) of them.
- `ledger_checkpoint`: every signed C2SP checkpoint note the log has issued.
- `ledger_entry_fact`: who recorded each entry and on which day, a projection of the bodies (so it
  is rebuilt by replay, not checked by the verifier) that lets the ledger list filter by author and date.
- `ledger_cosignature`: every witness cosignature gathered for a checkpoint, append-only like the
  checkpoints (a trigger rejects UPDATE and DELETE); `witness_state` is the operational state of
  each witness (last attempt, last error) for the dashboard.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from audit import merkle
from registry.db import Base, UTCDateTime

MAX_LEVEL = 1 << merkle.NODE_KEY_BITS  # node_key = last leaf * MAX_LEVEL + level (audit.merkle.node_key)
node_key = merkle.node_key


class LedgerEntry(Base):
    __tablename__ = "ledger_entry"

    entry_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    body: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
    event_type: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    item_ref: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_ledger_entry_item_ref_entry_index", "item_ref", "entry_index"),
        Index("ix_ledger_entry_type_entry_index", "event_type", "entry_index"),
    )


class LedgerEntryFact(Base):
    """Who recorded an entry (the actor without a token's number) and the UTC day it was recorded."""

    __tablename__ = "ledger_entry_fact"

    entry_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    actor: Mapped[str] = mapped_column(String(254), nullable=False)
    recorded_on: Mapped[date] = mapped_column(Date, nullable=False)

    __table_args__ = (
        Index("ix_ledger_entry_fact_actor", "actor", "entry_index"),
        Index("ix_ledger_entry_fact_day", "recorded_on", "entry_index"),
    )


class LedgerNode(Base):
    __tablename__ = "ledger_node"

    node_key: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)


class LedgerCheckpoint(Base):
    __tablename__ = "ledger_checkpoint"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tree_size: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class LedgerCosignature(Base):
    __tablename__ = "ledger_cosignature"
    __table_args__ = (UniqueConstraint("witness", "tree_size", name="uq_ledger_cosignature_witness_size"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tree_size: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)
    witness: Mapped[str] = mapped_column(String(254), nullable=False)  # the witness's name in the policy
    line: Mapped[str] = mapped_column(Text, nullable=False)  # the signature line, newline included
    cosigned_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)  # the time it signed
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class WitnessState(Base):
    """Where each witness of the policy stands, for the dashboard and the next round."""

    __tablename__ = "witness_state"

    witness: Mapped[str] = mapped_column(String(254), primary_key=True)
    cosigned_size: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class VerificationRun(Base):
    """One full verification of the stored ledger (CLI or page), for the dashboard: an operational
    record, not part of the ledger, so a run cannot change what it checks."""

    __tablename__ = "verification_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    actor: Mapped[str] = mapped_column(String(254), nullable=False)
    entries: Mapped[int] = mapped_column(BigInteger, nullable=False)
    ok: Mapped[bool] = mapped_column(Boolean, nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False)


class ProjectionState(Base):
    """Which version of the projection rules built the projected tables (one row). When the code's
    `registry.replay.PROJECTION_VERSION` is newer, `flask init` rebuilds them from the ledger."""

    __tablename__ = "projection_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
