"""Replay: rebuild the projections from the ledger alone into a scratch database and compare them
with the live tables. Equal tables prove the projections hold nothing the events do not say.

Only the columns that events determine are compared; the personal-data vault is not a projection.
When the projection rules change (PROJECTION_VERSION), `rebuild` writes the replayed rows into the
live tables, row by row by primary key, so the vault and everything else that refers to them stay.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from sqlalchemy import and_, bindparam, create_engine, select
from sqlalchemy.orm import Session

from audit import canonical
from registry import projections
from registry.ledger.locking import write_transaction
from registry.ledger.models import LedgerEntry, ProjectionState
from registry.projections import TABLES

# The version of the projection rules; raise it when a handler changes what it writes, and `flask
# init` rebuilds the tables of an existing instance (2: the effective record and custody states; 3:
# a weekend sale counts as the Monday after it at either end of the multiple-sale window, and a
# correction's record names the counterparty it puts in, and a handgun returned to the person it
# was acquired from is no multiple sale).
PROJECTION_VERSION = 5


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


def _replayed(live: Session, scratch: Session, progress: Callable[[int], None] | None) -> int:
    events = 0
    result = live.execute(select(LedgerEntry.entry_index, LedgerEntry.body).order_by(LedgerEntry.entry_index))
    for index, body in result:
        event = canonical.loads(body)
        projections.apply(scratch, index, event)
        events += 1
        if progress is not None and not events % 1000:
            progress(events)
    scratch.commit()
    if progress is not None:
        progress(events)
    return events


def _in_scratch(live: Session, progress, then: Callable[[Session, int], ReplayReport]) -> ReplayReport:
    """Apply every ledger event, in order, to empty tables in a scratch SQLite database, then `then`."""
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(f"sqlite:///{Path(folder) / 'replay.sqlite3'}")
        try:
            for model in TABLES:
                model.__table__.create(engine)
            with Session(engine) as scratch:
                return then(scratch, _replayed(live, scratch, progress))
        finally:
            engine.dispose()


def replay(live: Session, *, progress: Callable[[int], None] | None = None) -> ReplayReport:
    """Rebuild every projection in a scratch database and compare it with the live tables."""

    def compare(scratch: Session, events: int) -> ReplayReport:
        differences, counts = [], {}
        for model in TABLES:
            rebuilt, current = _rows(scratch, model), _rows(live, model)
            counts[model.__tablename__] = len(current)
            if rebuilt != current:
                differences.append(_describe(model.__tablename__, rebuilt, current))
        return ReplayReport(events=events, tables=counts, differences=differences)

    try:
        return _in_scratch(live, progress, compare)
    finally:
        live.rollback()


def rebuild(live: Session, *, progress: Callable[[int], None] | None = None) -> ReplayReport:
    """Make the live projections equal to the replayed ones, under the write lock: rows the events
    do not give are deleted (children first), missing rows inserted, differing rows updated."""

    def write(scratch: Session, events: int) -> ReplayReport:
        counts = {}
        rebuilt = {model: _keyed(scratch, model) for model in TABLES}
        current = {model: _keyed(live, model) for model in TABLES}
        for model in reversed(TABLES):
            gone = [key for key in current[model] if key not in rebuilt[model]]
            _delete(live, model, gone)
        for model in TABLES:
            table, names = model.__table__, [c.name for c in model.__table__.columns]
            new = [row for key, row in rebuilt[model].items() if key not in current[model]]
            changed = [
                row for key, row in rebuilt[model].items() if key in current[model] and current[model][key] != row
            ]
            if new:
                live.execute(table.insert(), [dict(zip(names, row)) for row in new])
            _update(live, model, changed)
            counts[model.__tablename__] = len(rebuilt[model])
        return ReplayReport(events=events, tables=counts, differences=[])

    with write_transaction(live):
        report = _in_scratch(live, progress, write)
        _set_version(live, PROJECTION_VERSION)
    return report


def _keyed(session: Session, model) -> dict[tuple, tuple]:
    columns = list(model.__table__.columns)
    positions = [columns.index(c) for c in model.__table__.primary_key.columns]
    return {tuple(row[p] for p in positions): tuple(row) for row in _rows(session, model)}


def _key_clause(model):
    return and_(*(column == bindparam(f"key_{column.name}") for column in model.__table__.primary_key.columns))


def _delete(session: Session, model, keys: list[tuple]) -> None:
    if keys:
        names = [c.name for c in model.__table__.primary_key.columns]
        session.execute(
            model.__table__.delete().where(_key_clause(model)),
            [{f"key_{name}": value for name, value in zip(names, key)} for key in keys],
        )


def _update(session: Session, model, rows: list[tuple]) -> None:
    if not rows:
        return
    table = model.__table__
    names = [c.name for c in table.columns]
    keys = [c.name for c in table.primary_key.columns]
    statement = (
        table.update()
        .where(_key_clause(model))
        .values({name: bindparam(f"new_{name}") for name in names if name not in keys})
    )
    session.execute(
        statement,
        [
            {
                **{f"new_{name}": value for name, value in zip(names, row) if name not in keys},
                **{f"key_{name}": row[names.index(name)] for name in keys},
            }
            for row in rows
        ],
    )


def projection_version(session: Session) -> int:
    return session.scalar(select(ProjectionState.version).where(ProjectionState.id == 1)) or 0


def _set_version(session: Session, version: int) -> None:
    state = session.get(ProjectionState, 1)
    if state is None:
        session.add(ProjectionState(id=1, version=version))
    else:
        state.version = version
    session.flush()


def bring_up_to_date(session: Session, ledger_size: int, progress: Callable[[int], None] | None = None) -> bool:
    """Rebuild the projections when they were built by older rules; True when it did. An empty
    ledger projects nothing, so only the version is written."""
    if projection_version(session) >= PROJECTION_VERSION:
        return False
    if not ledger_size:
        with write_transaction(session):
            _set_version(session, PROJECTION_VERSION)
        return False
    rebuild(session, progress=progress)
    return True


def _describe(table: str, rebuilt: list[tuple], current: list[tuple]) -> str:
    missing = [row for row in rebuilt if row not in current]
    extra = [row for row in current if row not in rebuilt]
    return (
        f"{table}: {len(current)} live rows, {len(rebuilt)} rebuilt; first live row the events do not give: "
        f"{extra[0] if extra else None}; first rebuilt row missing live: {missing[0] if missing else None}"
    )
