"""Reading recalls: campaign counts, the completion history, the units with their holders, and a
Part 573-style summary of what is involved."""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.custody.models import Item
from registry.custody.queries import party_label
from registry.recalls.models import RecallCampaign, RecallUnit, RecallUnitChange
from registry.recalls.rules import COMPLETE, UNIT_STATES
from registry.supply.models import ItemPart, Lot, Part, Supplier, SupplierPart


def campaigns(session: Session, *, offset: int = 0, limit: int | None = None) -> list[RecallCampaign]:
    return list(
        session.scalars(select(RecallCampaign).order_by(RecallCampaign.opened_entry.desc()).offset(offset).limit(limit))
    )


def counts(session: Session, campaign_id: str) -> dict[str, int]:
    found = dict(
        session.execute(
            select(RecallUnit.state, func.count())
            .where(RecallUnit.campaign_id == campaign_id)
            .group_by(RecallUnit.state)
        ).all()
    )
    return {state: found.get(state, 0) for state in UNIT_STATES}


def completion(counted: dict[str, int]) -> float:
    total = sum(counted.values())
    return sum(counted[state] for state in COMPLETE) / total if total else 0.0


def history(session: Session, campaign: RecallCampaign) -> list[tuple[date, int]]:
    """(day, units complete by the end of that day), from the opening day to the last change."""
    rows = session.execute(
        select(RecallUnitChange.on, func.count())
        .where(RecallUnitChange.campaign_id == campaign.id, RecallUnitChange.state.in_(COMPLETE))
        .group_by(RecallUnitChange.on)
        .order_by(RecallUnitChange.on)
    ).all()
    series, done = [(campaign.opened_on, 0)], 0
    for day, count in rows:
        done += count
        if day == series[-1][0]:
            series[-1] = (day, done)
        else:
            series.append((day, done))
    return series


def unit_ids(session: Session, campaign_id: str, state: str) -> list[str]:
    return list(
        session.scalars(
            select(RecallUnit.item_id).where(RecallUnit.campaign_id == campaign_id, RecallUnit.state == state)
        )
    )


def units(
    session: Session,
    campaign_id: str,
    *,
    personal: bool,
    state: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict]:
    query = (
        select(RecallUnit, Item)
        .join(Item, Item.id == RecallUnit.item_id)
        .where(RecallUnit.campaign_id == campaign_id)
        .order_by(Item.serial, Item.id)
        .offset(offset)
    )
    if state:
        query = query.where(RecallUnit.state == state)
    if limit is not None:
        query = query.limit(limit)
    labels: dict[str | None, dict | None] = {}

    def label(party_id):
        if party_id not in labels:
            labels[party_id] = party_label(session, party_id, personal=personal)
        return labels[party_id]

    return [
        {
            "item_id": item.id,
            "serial": item.serial,
            "kind": item.kind,
            "description": item.description,
            "item_status": item.status,
            "state": unit.state,
            "updated_on": unit.updated_on.isoformat(),
            "note": unit.note,
            "holder_when_identified": label(unit.holder_party_id),
            "holder": label(item.holder_party_id),
        }
        for unit, item in session.execute(query)
    ]


def part_573(session: Session, campaign: RecallCampaign) -> dict:
    """What a Part 573-style defect report names: the involved components (part numbers, supplier,
    lot), the population and the production period of the affected units."""
    basis, components = campaign.basis, []
    if basis["type"] == "lots":
        for lot, part, supplier in session.execute(
            select(Lot, Part, Supplier)
            .join(Part, Part.id == Lot.part_id)
            .outerjoin(Supplier, Supplier.id == Lot.supplier_id)
            .where(Lot.id.in_(basis["lot_ids"]))
            .order_by(Lot.internal_code)
        ):
            components.append(
                {
                    "part_number": part.number,
                    "description": part.description,
                    "supplier": supplier.name if supplier else None,
                    "supplier_lot_code": lot.supplier_lot_code,
                    "internal_lot_code": lot.internal_code,
                    "received_on": lot.received_on.isoformat(),
                }
            )
    elif basis["type"] == "part":
        part = session.get(Part, basis["part_id"])
        makers = session.scalars(
            select(Supplier.name)
            .join(SupplierPart, SupplierPart.supplier_id == Supplier.id)
            .where(SupplierPart.part_id == part.id)
            .order_by(Supplier.name)
        ).all()
        components.append(
            {
                "part_number": part.number,
                "description": part.description,
                "supplier": ", ".join(makers) or None,
                "made_from": basis["made_from"],
                "made_to": basis["made_to"],
            }
        )
    else:
        for part_number, description, count in session.execute(
            select(Part.number, Part.description, func.count())
            .join(ItemPart, ItemPart.part_id == Part.id)
            .where(ItemPart.item_id.in_(basis["item_ids"]))
            .group_by(Part.number, Part.description)
        ):
            components.append({"part_number": part_number, "description": description, "units_named": count})
    made = session.execute(
        select(func.min(ItemPart.made_at), func.max(ItemPart.made_at))
        .join(RecallUnit, RecallUnit.item_id == ItemPart.item_id)
        .where(RecallUnit.campaign_id == campaign.id)
    ).one()
    kinds = Counter(
        dict(
            session.execute(
                select(Item.kind, func.count())
                .join(RecallUnit, RecallUnit.item_id == Item.id)
                .where(RecallUnit.campaign_id == campaign.id)
                .group_by(Item.kind)
            ).all()
        )
    )
    return {
        "campaign_number": campaign.number,
        "title": campaign.title,
        "defect": campaign.defect,
        "remedy": campaign.remedy,
        "involved_components": components,
        "population_size": campaign.population_size,
        "population_sha256": campaign.population_sha256,
        "population_by_kind": dict(kinds),
        "as_of": campaign.as_of.isoformat(),
        "production_from": made[0].date().isoformat() if made[0] else None,
        "production_to": made[1].date().isoformat() if made[1] else None,
    }


def open_recall_marks(session: Session, tree) -> set[str]:
    """In a genealogy tree: the items that are units of an open campaign and the lots an open
    campaign names, so the drawing can mark them."""
    if tree is None:
        return set()
    nodes = [node.item_id for node in tree.walk()]
    marked = set(
        session.scalars(
            select(RecallUnit.item_id)
            .join(RecallCampaign, RecallCampaign.id == RecallUnit.campaign_id)
            .where(RecallCampaign.status == "open", RecallUnit.item_id.in_(nodes))
        )
    )
    lots = {lot["lot_id"] for node in tree.walk() for lot in node.lots}
    if lots:
        for basis in session.scalars(select(RecallCampaign.basis).where(RecallCampaign.status == "open")):
            if basis.get("type") == "lots":
                marked |= lots & set(basis["lot_ids"])
    return marked
