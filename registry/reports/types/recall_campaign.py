"""The recall campaign report: involved components, population, status counts, completion chart
and holder list."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.recalls import drawing as recall_drawing
from registry.recalls import queries as recall_queries
from registry.recalls.models import RecallCampaign, RecallUnitChange
from registry.reports.types import base


def parse_recall(session: Session, params: dict) -> dict:
    campaign_id = base.text(params, "campaign_id", limit=36)
    base.existing(session, RecallCampaign, campaign_id, "campaign_id", "recall campaign")
    return {"campaign_id": campaign_id}


def build_recall(session: Session, params: dict, *, personal: bool, now: datetime, origin: str, **_) -> base.Draft:
    campaign = session.get(RecallCampaign, params["campaign_id"])
    counted = recall_queries.counts(session, campaign.id)
    series = recall_queries.history(session, campaign)
    until = campaign.closed_on or max(now.date(), series[-1][0])
    units = recall_queries.units(session, campaign.id, personal=personal)
    changes = set(
        session.scalars(select(RecallUnitChange.entry_index).where(RecallUnitChange.campaign_id == campaign.id))
    )
    return base.Draft(
        title=f"Recall campaign {campaign.number}: {campaign.title}",
        template="reports/pdf/recall_campaign.html",
        context={
            "campaign": campaign,
            "summary": recall_queries.part_573(session, campaign),
            "counts": counted,
            "completion": recall_queries.completion(counted),
            "chart": recall_drawing.completion_svg(series, campaign.population_size, until=until),
        },
        rows=units,
        entries={campaign.opened_entry} | changes,
    )


TYPE = base.ReportType(
    "recall_campaign",
    "Recall campaign report",
    "Involved components, population, status counts, completion chart and holder list of a campaign.",
    ("campaign_id",),
    parse_recall,
    build_recall,
)
