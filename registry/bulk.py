"""Fast multi-row inserts: COPY on PostgreSQL for many rows (an executemany there costs a round trip
per row), one INSERT for a few (COPY's own exchange costs more than it saves), a plain executemany
on SQLite, where it is already a tight loop inside the driver. A few rows for several tables go to
PostgreSQL in one statement (`insert_together`)."""

from __future__ import annotations

import functools
from typing import Sequence

from sqlalchemy import Table
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from registry.db import send_with_commit

COPY_FROM = 16  # rows

# Rows for one table: the table, the columns named in the rows' order, and the rows as tuples.
Rows = tuple[Table, Sequence[str], Sequence[tuple]]


def insert_rows(session: Session, table: Table, columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """Insert `rows` (tuples in `columns` order) into `table` within the session's transaction."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql" and len(rows) >= COPY_FROM:
        processors = _processors(connection.dialect, table, tuple(columns))
        cursor = connection.connection.driver_connection.cursor()
        statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
        with cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(_bound(row, processors))
        return
    # The Core statement on the session's connection: the ORM's bulk path adds its own planning per call.
    connection.execute(table.insert(), [dict(zip(columns, row)) for row in rows])


def insert_together(session: Session, parts: Sequence[Rows]) -> None:
    """Insert rows into several tables within the session's transaction, in as few round trips as
    the engine allows. On PostgreSQL the tables with few rows go in one statement (each but the
    last in a `WITH` clause of its own: PostgreSQL runs every data-modifying clause once, whether or
    not the statement reads it); a table with many rows goes by COPY. SQLite has no round trips to
    save, so each table is one executemany there. Each way, a value is converted by its column's
    type as SQLAlchemy's own insert would."""
    connection = session.connection()
    few = []
    for table, columns, rows in parts:
        if connection.dialect.name != "postgresql" or len(rows) >= COPY_FROM:
            insert_rows(session, table, columns, rows)
        elif rows:
            few.append((table, tuple(columns), rows))
    if len(few) == 1:
        insert_rows(session, *few[0])
    elif few:
        dialect = connection.dialect
        statement = _together(dialect, tuple((table, columns, len(rows)) for table, columns, rows in few))
        values = [
            value
            for table, columns, rows in few
            for row in rows
            for value in _bound(row, _processors(dialect, table, columns))
        ]
        connection.exec_driver_sql(statement, tuple(values))


def insert_at_commit(session: Session, table: Table, columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """Insert `rows` as the last statement of the session's transaction, for rows nothing in it reads
    back: on PostgreSQL the insert goes in the round trip of the COMMIT (and is dropped if the
    transaction is rolled back instead); elsewhere it runs now."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        insert_rows(session, table, columns, rows)
        return
    processors = _processors(connection.dialect, table, tuple(columns))
    sql = _insert_sql(connection.dialect, table, tuple(columns), len(rows))
    send_with_commit(connection, sql, tuple(value for row in rows for value in _bound(row, processors)))


def _bound(row: tuple, processors: tuple) -> tuple:
    return tuple(value if process is None else process(value) for value, process in zip(row, processors))


@functools.lru_cache(maxsize=64)
def _processors(dialect: Dialect, table: Table, columns: tuple[str, ...]) -> tuple:
    """Each column's conversion of a value for the driver (None where the driver takes it as it is):
    the dialect's implementation of the column's type, as SQLAlchemy's own statements use."""
    return tuple(table.c[column].type.dialect_impl(dialect).bind_processor(dialect) for column in columns)


@functools.lru_cache(maxsize=64)
def _together(dialect: Dialect, shape: tuple[tuple[Table, tuple[str, ...], int], ...]) -> str:
    """The statement for `insert_together` of this many rows per table."""
    inserts = [_insert_sql(dialect, table, columns, count) for table, columns, count in shape]
    clauses = ", ".join(f"w{n} AS ({insert})" for n, insert in enumerate(inserts[:-1]))
    return f"WITH {clauses} {inserts[-1]}"


def _insert_sql(dialect: Dialect, table: Table, columns: tuple[str, ...], count: int) -> str:
    """An INSERT of `count` rows in PostgreSQL's driver parameter style."""
    quote = dialect.identifier_preparer.quote
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    return f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) VALUES {', '.join([row] * count)}"
