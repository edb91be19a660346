"""Projection handlers of the recall events."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.bulk import insert_rows
from registry.custody.models import Item
from registry.fields import stored_moment
from registry.recalls import population
from registry.recalls.models import RecallCampaign, RecallUnit, RecallUnitChange


class PopulationMismatchError(RuntimeError):
    """Replaying `recall.opened` found another population than the one the event froze."""


def recall_opened(session: Session, index: int, event: dict) -> None:
    p = event["payload"]
    as_of, opened_on = stored_moment(p["as_of"]), date.fromisoformat(p["date"])
    if p["trace_version"] != population.TRACE_VERSION:
        raise PopulationMismatchError(f"entry {index}: trace version {p['trace_version']} is not known here")
    found = population.population(session, p["basis"], as_of)
    if len(found) != p["population_size"] or population.digest(found) != p["population_sha256"]:
        raise PopulationMismatchError(
            f"entry {index}: the trace finds {len(found)} units, the campaign froze {p['population_size']}"
        )
    session.add(
        RecallCampaign(
            id=p["campaign_id"],
            number=p["number"],
            title=p["title"],
            defect=p["defect"],
            remedy=p.get("remedy"),
            basis=p["basis"],
            as_of=as_of,
            opened_on=opened_on,
            opened_entry=index,
            population_size=p["population_size"],
            population_sha256=p["population_sha256"],
            status="open",
        )
    )
    session.flush()
    holders = {}
    for start in range(0, len(found), 500):
        chunk = found[start : start + 500]
        holders.update(session.execute(select(Item.id, Item.holder_party_id).where(Item.id.in_(chunk))).all())
    insert_rows(
        session,
        RecallUnit.__table__,
        ("campaign_id", "item_id", "holder_party_id", "state", "updated_on"),
        [(p["campaign_id"], item_id, holders.get(item_id), "identified", opened_on) for item_id in found],
    )


def recall_unit_updated(session: Session, index: int, event: dict) -> None:
    p = event["payload"]
    unit = session.get(RecallUnit, (p["campaign_id"], p["item_id"]))
    unit.state, unit.updated_on, unit.note = p["state"], date.fromisoformat(p["date"]), p.get("note")
    session.add(
        RecallUnitChange(
            entry_index=index, campaign_id=p["campaign_id"], item_id=p["item_id"], state=p["state"], on=unit.updated_on
        )
    )


def recall_closed(session: Session, index: int, event: dict) -> None:
    p = event["payload"]
    campaign = session.get(RecallCampaign, p["campaign_id"])
    campaign.status, campaign.closed_on, campaign.closing_note = "closed", date.fromisoformat(p["date"]), p.get("note")


HANDLERS = {"recall.opened": recall_opened, "recall.unit_updated": recall_unit_updated, "recall.closed": recall_closed}
TABLES = (RecallCampaign, RecallUnit, RecallUnitChange)
