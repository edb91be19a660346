"""Recall tables: projections of `recall.opened`, `recall.unit_updated` and `recall.closed`."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from registry.db import Base, UTCDateTime


class RecallCampaign(Base):
    __tablename__ = "recall_campaign"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    number: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)  # the regulator's campaign number
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    defect: Mapped[str] = mapped_column(Text, nullable=False)
    remedy: Mapped[str | None] = mapped_column(Text)
    basis: Mapped[dict] = mapped_column(JSON, nullable=False)
    as_of: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    opened_on: Mapped[date] = mapped_column(Date, nullable=False)
    opened_entry: Mapped[int] = mapped_column(BigInteger, nullable=False)
    population_size: Mapped[int] = mapped_column(Integer, nullable=False)
    population_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[str] = mapped_column(String(8), nullable=False)  # open, closed
    closed_on: Mapped[date | None] = mapped_column(Date)
    closing_note: Mapped[str | None] = mapped_column(Text)


class RecallUnit(Base):
    """One affected item of a campaign, frozen at opening, with its remedy state."""

    __tablename__ = "recall_unit"

    campaign_id: Mapped[str] = mapped_column(ForeignKey("recall_campaign.id"), primary_key=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("item.id"), primary_key=True, index=True)
    holder_party_id: Mapped[str | None] = mapped_column(ForeignKey("party.id"))  # the holder when identified
    state: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    updated_on: Mapped[date] = mapped_column(Date, nullable=False)
    note: Mapped[str | None] = mapped_column(String(400))


class RecallUnitChange(Base):
    """Each state change of a unit, for the campaign's history and its completion chart."""

    __tablename__ = "recall_unit_change"

    entry_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("recall_campaign.id"), nullable=False, index=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("item.id"), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    on: Mapped[date] = mapped_column(Date, nullable=False)
