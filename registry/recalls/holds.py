"""What an open recall holds back from use: the supplier lots its basis names, and every item its
basis names (a housing moulded from a recalled lot, a serial on the campaign's list) or that holds
one. Held material goes into nothing new and is not stock the stock keeper can count on, so the
reorder proposals see the gap; and a unit of the campaign still held by its holder is not sold,
transferred or exported until it is remedied (49 CFR 573.11 and 573.12). The hold lasts while the
campaign is open, from the day it opened (a late record of an earlier day is not held); a remedied
unit holds nothing once its faulty part is out.

Read by supply (consumption, installation, stock on hand), by custody (sales) and by the recall's
own remedies."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ColumnElement, Select, exists, select, union
from sqlalchemy.orm import Session

from registry.recalls import population
from registry.recalls.models import RecallCampaign, RecallUnit
from registry.supply import genealogy


def open_campaigns(session: Session, on: date | None = None) -> list[RecallCampaign]:
    """The campaigns open now; with `on`, those of them already open on that day (a record of an
    earlier day, made late, is held to what was open then)."""
    query = select(RecallCampaign).where(RecallCampaign.status == "open")
    if on is not None:
        query = query.where(RecallCampaign.opened_on <= on)
    return list(session.scalars(query.order_by(RecallCampaign.number)))


def held_lots(session: Session, on: date | None = None) -> dict[str, str]:
    """Lot id -> the number of the first open campaign (open on `on`, if given) whose basis names the lot."""
    held: dict[str, str] = {}
    for campaign in open_campaigns(session, on):
        if campaign.basis["type"] == "lots":
            for lot_id in campaign.basis["lot_ids"]:
                held.setdefault(lot_id, campaign.number)
    return held


def named_items(session: Session, at: datetime) -> Select | None:
    """Select of `item_id`: the items some open campaign's basis names at `at`; None when no
    campaign is open."""
    # Each start as a plain select of its own: a part basis is itself a compound select, which
    # SQLite will not take bracketed inside another.
    starts = [select(population.start(campaign.basis, at).subquery().c.item_id) for campaign in open_campaigns(session)]
    if not starts:
        return None
    return starts[0] if len(starts) == 1 else select(union(*starts).subquery().c.item_id)


def _unremedied_unit(item_id) -> tuple:
    """The item as a unit of an open campaign that is not remedied. A unit the campaign counts as
    destroyed is still held: custody records the item's own destruction, and an item recorded
    destroyed is sold by nobody."""
    return (
        RecallUnit.item_id == item_id,
        RecallUnit.state != "remedied",
        RecallCampaign.id == RecallUnit.campaign_id,
        RecallCampaign.status == "open",
    )


def unremedied(item_id) -> ColumnElement[bool]:
    """Whether the item is an unremedied unit of an open campaign (`_unremedied_unit`)."""
    return exists().where(*_unremedied_unit(item_id))


def open_unit(session: Session, item_id: str, on: date) -> tuple[str, str] | None:
    """(campaign number, unit state) of the first campaign, open now and on `on`, in which the item
    is an unremedied unit."""
    row = session.execute(
        select(RecallCampaign.number, RecallUnit.state)
        .where(*_unremedied_unit(item_id), RecallCampaign.opened_on <= on)
        .order_by(RecallCampaign.number)
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else None


def recalls(session: Session, campaign: RecallCampaign, item_id: str, at: datetime) -> bool:
    """Whether the item, or anything built into it at `at`, is what the campaign's basis names."""
    return _names_any(session, campaign, _inside(session, item_id, at), at)


def holding(session: Session, item_id: str, at: datetime) -> RecallCampaign | None:
    """The first campaign, open now and on the day of `at`, that recalls the item or anything built
    into it at `at` (the tree is built once for all of them)."""
    campaigns = open_campaigns(session, at.date())
    inside = _inside(session, item_id, at) if campaigns else []
    return next((campaign for campaign in campaigns if _names_any(session, campaign, inside, at)), None)


def _inside(session: Session, item_id: str, at: datetime) -> list[str]:
    """The item and everything built into it at `at`."""
    tree = genealogy.as_built(session, item_id, at)
    return sorted({node.item_id for node in tree.walk()} if tree else {item_id})


def _names_any(session: Session, campaign: RecallCampaign, item_ids: list[str], at: datetime) -> bool:
    found = population.start(campaign.basis, at).subquery()
    return session.scalar(select(found.c.item_id).where(found.c.item_id.in_(item_ids)).limit(1)) is not None
