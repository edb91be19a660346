"""Fast multi-row inserts: COPY on PostgreSQL for many rows (an executemany there costs a round trip
per row), one INSERT for a few (COPY's own exchange costs more than it saves), a plain executemany
on SQLite, where it is already a tight loop inside the driver."""

from __future__ import annotations

from typing import Sequence

from sqlalchemy import Table
from sqlalchemy.orm import Session

COPY_FROM = 16  # rows


def insert_rows(session: Session, table: Table, columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """Insert `rows` (tuples in `columns` order) into `table` within the session's transaction."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql" and len(rows) >= COPY_FROM:
        cursor = connection.connection.driver_connection.cursor()
        statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
        with cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
        return
    # The Core statement on the session's connection: the ORM's bulk path adds its own planning per call.
    connection.execute(table.insert(), [dict(zip(columns, row)) for row in rows])
