"""Replay: rebuild the projections from the ledger alone into a scratch database and compare them
with the live tables. Equal tables prove the projections hold nothing the events do not say.

Only the columns that events determine are compared; the personal-data vault is not a projection.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from registry.custody import projection as custody_projection
from registry.custody.models import CustodyRecord, Item, MultipleSaleFlag, Party
from registry.ledger.models import LedgerEntry
from registry.recalls import projection as recall_projection
from registry.reports import projection as report_projection
from registry.supply import projection as supply_projection

# In the order of the domains: a later domain's handler may read what an earlier one projected.
PROJECTIONS = (custody_projection.apply, supply_projection.apply, recall_projection.apply, report_projection.apply)
TABLES = (Party, Item, CustodyRecord, MultipleSaleFlag, *supply_projection.TABLES, *recall_projection.TABLES,
          *report_projection.TABLES)


@dataclass
class ReplayReport:
    events: int
    tables: dict[str, int]
    differences: list[str]

    @property
    def identical(self) -> bool:
        return not self.differences


def _rows(session: Session, model) -> list[tuple]:
    columns = list(model.__table__.columns)
    key = list(model.__table__.primary_key.columns)
    return [tuple(row) for row in session.execute(select(*columns).order_by(*key))]


def replay(live: Session, *, progress: Callable[[int], None] | None = None) -> ReplayReport:
    """Apply every ledger event, in order, to empty tables in a scratch SQLite database; compare."""
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(f"sqlite:///{Path(folder) / 'replay.sqlite3'}")
        try:
            for model in TABLES:
                model.__table__.create(engine)
            events = 0
            with Session(engine) as scratch:
                result = live.execute(select(LedgerEntry.entry_index, LedgerEntry.body).order_by(LedgerEntry.entry_index))
                from audit import canonical
                for index, body in result:
                    event = canonical.loads(body)
                    for apply in PROJECTIONS:
                        apply(scratch, index, event)
                    events += 1
                    if progress is not None and not events % 1000:
                        progress(events)
                scratch.commit()
                differences, counts = [], {}
                for model in TABLES:
                    rebuilt, current = _rows(scratch, model), _rows(live, model)
                    counts[model.__tablename__] = len(current)
                    if rebuilt != current:
                        differences.append(_describe(model.__tablename__, rebuilt, current))
            if progress is not None:
                progress(events)
            return ReplayReport(events=events, tables=counts, differences=differences)
        finally:
            engine.dispose()
            live.rollback()


def _describe(table: str, rebuilt: list[tuple], current: list[tuple]) -> str:
    missing = [row for row in rebuilt if row not in current]
    extra = [row for row in current if row not in rebuilt]
    return (f"{table}: {len(current)} live rows, {len(rebuilt)} rebuilt; first live row the events do not give: "
            f"{extra[0] if extra else None}; first rebuilt row missing live: {missing[0] if missing else None}")
