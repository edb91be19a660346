"""Appending: numbering, hash chain, item chains, signed checkpoints, refusals that change nothing."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from audit import checkpoint, merkle
from registry import projections
from registry.bulk import COPY_FROM, insert_together
from registry.extensions import db
from registry.ledger.events import EventError, NewEvent
from registry.ledger.models import LedgerCheckpoint, LedgerEntry, LedgerEntryFact, LedgerNode
from registry.ledger.runtime import ledger, log_key
from registry.ledger.service import LedgerService
from tests.registry.helpers import append_single_events


def all_leaves() -> list[bytes]:
    return list(db.session.scalars(select(LedgerEntry.leaf_hash).order_by(LedgerEntry.entry_index)))


def test_init_appends_a_genesis_entry_naming_the_key(ctx):
    entry = ledger().entry(0)
    assert entry.event["type"] == "ledger.created"
    assert entry.event["prev"] is None
    assert entry.event["payload"]["vkey"] == log_key().vkey


def test_batch_gets_consecutive_indexes_chained_by_prev(ctx, clock):
    result = ledger().append([NewEvent("item.noted", {"n": str(n)}) for n in range(5)], actor="user:1", now=clock)
    assert [e.index for e in result.entries] == [1, 2, 3, 4, 5]
    leaves = all_leaves()
    for entry in result.entries:
        assert entry.event["prev"] == leaves[entry.index - 1].hex()
        assert entry.leaf_hash == merkle.leaf_hash(entry.body)


def test_item_prev_links_each_event_to_the_items_previous_one(ctx, clock):
    service = ledger()
    service.append(
        [
            NewEvent("item.noted", {}, item="a"),
            NewEvent("item.noted", {}, item="b"),
            NewEvent("item.noted", {}, item="a"),
        ],
        actor="user:1",
        now=clock,
    )
    later = service.append([NewEvent("item.noted", {}, item="b")], actor="user:1", now=clock)
    assert [e.event["item_prev"] for e in service.item_history("a")] == [None, 1]
    assert later.entries[0].event["item_prev"] == 2


def test_body_is_rfc8785_bytes_of_the_event(ctx, clock):
    entry = ledger().append([NewEvent("item.noted", {"z": "1", "a": "é"})], actor="user:1", now=clock).entries[0]
    assert entry.body.startswith(b'{"actor":"user:1","index":1,"payload":{"a":"\xc3\xa9","z":"1"}')
    assert entry.event["time"] == "2026-11-25T09:30:00.000000Z"


def test_every_append_signs_a_checkpoint_over_the_new_root(ctx, clock):
    result = ledger().append([NewEvent("item.noted", {})] * 3, actor="user:1", now=clock)
    opened = checkpoint.open_checkpoint(result.checkpoint_note, [log_key().vkey], origin=log_key().origin)
    assert opened.size == 4
    assert opened.root == merkle.root(all_leaves())


@pytest.mark.parametrize(
    "event, message",
    [
        (NewEvent("Item Registered", {}), "dotted lower-case"),
        (NewEvent("item.noted", {"amount": 1.5}), "not storable"),
        (NewEvent("item.noted", {}, item="has space"), "item reference"),
    ],
    ids=["bad-type", "float-amount", "bad-item-ref"],
)
def test_a_bad_event_appends_nothing_of_its_batch(ctx, clock, event, message):
    service = ledger()
    with pytest.raises(EventError, match=message):
        service.append([NewEvent("item.noted", {}), event], actor="user:1", now=clock)
    assert service.size() == 1
    assert db.session.scalar(select(LedgerCheckpoint.tree_size).order_by(LedgerCheckpoint.id.desc()).limit(1)) == 1


def test_a_failing_transaction_leaves_no_entry_node_or_checkpoint(ctx, clock):
    service = ledger()
    before = (service.size(), len(db.session.scalars(select(LedgerCheckpoint.id)).all()))
    with pytest.raises(RuntimeError, match="boom"):
        from registry.ledger.locking import write_transaction

        with write_transaction(db.session):
            service.append([NewEvent("item.noted", {})] * 4, actor="user:1", now=clock)
            raise RuntimeError("boom")
    assert (service.size(), len(db.session.scalars(select(LedgerCheckpoint.id)).all())) == before


def test_a_projection_that_refuses_after_the_signature_began_leaves_nothing(ctx, clock):
    """Outside a batch the checkpoint is signed on the signer's thread while the entries are
    projected: a projection that refuses leaves no entry, node or checkpoint, and the next append
    signs the size it reaches, with both keys."""
    refused = LedgerService(db.session(), log_key(), _refusing_second_entry)
    before = (refused.size(), len(db.session.scalars(select(LedgerCheckpoint.id)).all()))
    with pytest.raises(RuntimeError, match="refused"):
        refused.append([NewEvent("item.noted", {"n": str(n)}) for n in range(3)], actor="user:1", now=clock)
    assert (refused.size(), len(db.session.scalars(select(LedgerCheckpoint.id)).all())) == before
    result = ledger().append([NewEvent("item.noted", {})], actor="user:1", now=clock)
    opened = checkpoint.open_checkpoint(result.checkpoint_note, log_key().vkeys, all_keys=True)
    assert (opened.size, opened.root) == (before[0] + 1, merkle.root(all_leaves()))
    # The refused entries' author rows went with them: every entry has its one row, no more.
    facts = db.session.execute(select(LedgerEntryFact.entry_index, LedgerEntryFact.actor)).all()
    assert sorted(index for index, _ in facts) == list(range(before[0] + 1))
    assert dict(facts)[before[0]] == "user:1"


def test_rows_for_several_tables_are_inserted_together_with_their_types_applied(ctx, clock):
    """A few rows for each of three tables reach PostgreSQL in one statement (SQLite, with no round
    trips to save, takes one per table); a table with many rows goes by COPY. Each column's own
    conversion applies (a checkpoint's time is stored in UTC whatever zone it was given in)."""
    from datetime import timedelta, timezone

    from sqlalchemy import event

    from registry.ledger.locking import write_transaction

    statements: list[str] = []
    engine = db.engine

    def count(connection, cursor, statement, *args) -> None:
        if statement.lstrip().startswith(("INSERT", "WITH")):  # not the write lock's
            statements.append(statement)

    zone = timezone(timedelta(hours=-5))
    signed_at = clock.astimezone(zone)
    nodes = [(2**40 + n, bytes([n]) * 32) for n in range(COPY_FROM + 2)]
    parts = [
        (
            LedgerCheckpoint.__table__,
            ("tree_size", "root_hash", "note", "signed_at"),
            [(99, b"r" * 32, "n", signed_at)],
        ),
        (
            LedgerEntryFact.__table__,
            ("entry_index", "actor", "recorded_on"),
            [(10**9, "user:a", clock.date()), (10**9 + 1, "user:b", clock.date())],
        ),
        (LedgerNode.__table__, ("node_key", "hash"), nodes[:2]),
    ]
    event.listen(engine, "before_cursor_execute", count)
    try:
        with write_transaction(db.session):
            insert_together(db.session, parts)
        few = len(statements)
        statements.clear()
        with write_transaction(db.session):
            insert_together(
                db.session,
                [
                    (LedgerNode.__table__, ("node_key", "hash"), nodes[2:]),
                    parts[1][:2] + ([(10**9 + 2, "user:c", clock.date())],),
                ],
            )
    finally:
        event.remove(engine, "before_cursor_execute", count)
    postgresql = engine.dialect.name == "postgresql"
    assert few == (1 if postgresql else 3)
    # Many rows by COPY (no statement the engine's events see on PostgreSQL), the other table alone.
    assert len(statements) == (1 if postgresql else 2)
    stored = db.session.execute(
        select(LedgerCheckpoint.signed_at, LedgerCheckpoint.note).where(LedgerCheckpoint.tree_size == 99)
    ).one()
    assert stored == (clock, "n") and stored[0].utcoffset() == timedelta(0)
    assert db.session.execute(
        select(LedgerEntryFact.actor).where(LedgerEntryFact.entry_index >= 10**9).order_by(LedgerEntryFact.entry_index)
    ).scalars().all() == ["user:a", "user:b", "user:c"]
    assert dict(
        db.session.execute(select(LedgerNode.node_key, LedgerNode.hash).where(LedgerNode.node_key >= 2**40)).all()
    ) == dict(nodes)


def test_rows_inserted_together_are_converted_by_their_column_types_few_or_many(ctx):
    """A JSON document, an exact decimal and a UTC time come back as given, whether their table's
    rows went in the statement shared with other tables or by COPY (PostgreSQL, 16 rows or more)."""
    from datetime import datetime, timedelta, timezone
    from decimal import Decimal

    from sqlalchemy import JSON, Column, Integer, MetaData, Numeric, Table

    from registry.db import UTCDateTime
    from registry.ledger.locking import write_transaction

    probe = Table(
        "insert_probe",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("doc", JSON),
        Column("amount", Numeric(30, 10)),
        Column("at", UTCDateTime),
    )
    probe.create(db.engine)
    postgresql = db.engine.dialect.name == "postgresql"
    columns = ("id", "doc", "amount", "at")
    at = datetime(2026, 11, 25, 4, 30, tzinfo=timezone(timedelta(hours=-5)))

    def amount(n: int) -> Decimal:
        # 30 digits on PostgreSQL, where a float on the way would lose the last ten; SQLite keeps a
        # decimal as a float whatever the driver is given.
        return Decimal(f"{12345678901234567890 + n}.1234567891" if postgresql else f"{1234 + n}.5")

    def rows(start: int, count: int) -> list[tuple]:
        return [
            (n, {"n": n, "tags": ["a", "ü"]} if n % 2 else "text", amount(n), at) for n in range(start, start + count)
        ]

    with write_transaction(db.session):
        insert_together(
            db.session,
            [
                (probe, columns, rows(0, 2)),
                (LedgerEntryFact.__table__, ("entry_index", "actor", "recorded_on"), [(10**9, "user:a", at.date())]),
            ],
        )
        insert_together(db.session, [(probe, columns, rows(2, COPY_FROM))])
    stored = db.session.execute(select(probe).order_by(probe.c.id)).all()
    assert [tuple(row) for row in stored] == rows(0, 2 + COPY_FROM)
    assert all(row.at.utcoffset() == timedelta(0) for row in stored)


def test_author_rows_of_a_transaction_that_never_committed_are_not_written_by_the_next(ctx, clock):
    """Rows waiting for their entries go with a transaction that ends without committing, even when
    the session is just closed (no rollback event): the next transaction writes only its own."""
    from registry.ledger import projection as ledger_projection

    service = ledger()
    size = service.size()
    ledger_projection.entry_fact(db.session(), size, {"time": "2026-11-25T09:30:00Z", "actor": "user:ghost"})
    db.session.close()
    service.append([NewEvent("item.noted", {})], actor="user:1", now=clock)
    facts = dict(db.session.execute(select(LedgerEntryFact.entry_index, LedgerEntryFact.actor)).all())
    assert facts[size] == "user:1" and "user:ghost" not in facts.values()


def test_a_checkpoint_held_for_the_commit_goes_with_a_transaction_that_never_committed(ctx, clock):
    """An append that ends its own transaction sends its checkpoint with the COMMIT (on PostgreSQL):
    when the commit fails before it is sent, the checkpoint goes with the transaction, and the next
    transaction on the same connection writes only its own."""
    from sqlalchemy import event as orm_event
    from sqlalchemy.orm import Session

    service = ledger()
    before = (service.size(), db.session.scalars(select(LedgerCheckpoint.tree_size)).all())

    def refuse(_session) -> None:
        raise RuntimeError("the commit is refused")

    orm_event.listen(Session, "before_commit", refuse)
    try:
        with pytest.raises(RuntimeError, match="refused"):
            service.append([NewEvent("item.noted", {})], actor="user:1", now=clock)
    finally:
        orm_event.remove(Session, "before_commit", refuse)
    assert (service.size(), db.session.scalars(select(LedgerCheckpoint.tree_size)).all()) == before
    result = service.append([NewEvent("item.noted", {})], actor="user:1", now=clock)
    sizes = db.session.scalars(select(LedgerCheckpoint.tree_size).order_by(LedgerCheckpoint.id)).all()
    assert sizes == before[1] + [before[0] + 1]
    opened = checkpoint.open_checkpoint(result.checkpoint_note, log_key().vkeys, all_keys=True)
    assert (opened.size, opened.root) == (before[0] + 1, merkle.root(all_leaves()))


def test_a_row_the_database_refuses_at_commit_fails_the_commit_and_leaves_nothing(ctx, clock):
    """A row sent with the COMMIT that the database refuses (here a checkpoint without its note)
    fails the commit with SQLAlchemy's own error: nothing of the transaction is stored, and the
    session goes on. (On SQLite the row is inserted at once and fails there.)"""
    from registry.bulk import insert_at_commit
    from registry.ledger.locking import write_transaction
    from registry.ledger.service import CHECKPOINT_COLUMNS

    service = ledger()
    before = (service.size(), len(db.session.scalars(select(LedgerCheckpoint.id)).all()))
    with pytest.raises(DBAPIError, match="note"):
        with write_transaction(db.session):
            service.append([NewEvent("item.noted", {})] * 2, actor="user:1", now=clock)
            no_note = (10**6, b"r" * 32, None, clock)
            insert_at_commit(db.session, LedgerCheckpoint.__table__, CHECKPOINT_COLUMNS, [no_note])
    assert (service.size(), len(db.session.scalars(select(LedgerCheckpoint.id)).all())) == before
    service.append([NewEvent("item.noted", {})], actor="user:1", now=clock)
    assert service.size() == before[0] + 1


def test_statements_read_together_fail_as_sqlalchemy_statements_do(ctx):
    """A statement of a group sent in one round trip that the database refuses raises SQLAlchemy's
    error, as the same statement run alone would; the session rolls back and goes on."""
    from registry.db import read_together

    connection = db.session.connection()
    first = select(LedgerEntry.entry_index).order_by(LedgerEntry.entry_index).limit(1)
    rows = read_together(connection, [(text("SELECT :a + 1"), {"a": 1}), (first, {})])
    assert rows == [(2,), (0,)]
    with pytest.raises(DBAPIError, match="no_such_table"):
        read_together(connection, [(text("SELECT 1"), {}), (text("SELECT * FROM no_such_table"), {})])
    db.session.rollback()
    assert ledger().size() >= 1


def _refusing_second_entry(session, index: int, event: dict) -> None:
    projections.apply(session, index, event)
    if event["payload"].get("n") == "1":
        raise RuntimeError("refused by the projection")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_entry SET body = body",
        "DELETE FROM ledger_entry",
        "UPDATE ledger_node SET hash = hash",
        "DELETE FROM ledger_node",
        "UPDATE ledger_checkpoint SET note = note",
        "DELETE FROM ledger_checkpoint",
    ],
)
def test_triggers_refuse_changes_to_ledger_tables(ctx, clock, statement):
    append_single_events(4, clock)
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text(statement))
    db.session.rollback()
    assert ledger().size() == 5


def test_proofs_from_stored_nodes_equal_proofs_from_all_leaves(ctx, clock):
    service = ledger()
    for batch in (1, 2, 5, 8, 3, 13, 1, 1, 21):
        service.append([NewEvent("item.noted", {"batch": str(batch)})] * batch, actor="user:1", now=clock)
    leaves = all_leaves()
    for size in range(1, len(leaves) + 1):
        assert service.root_at(size) == merkle.root(leaves[:size])
        for index in range(0, size, 7):
            assert service.inclusion_proof(index, size) == merkle.inclusion_proof(index, leaves[:size])
        for size1 in range(0, size + 1, 5):
            assert service.consistency_proof(size1, size) == merkle.consistency_proof(size1, leaves[:size])


def test_entry_event_round_trips_through_json(ctx, clock):
    entry = (
        ledger()
        .append([NewEvent("item.noted", {"list": ["1", "2"], "flag": True})], actor="user:1", now=clock)
        .entries[0]
    )
    assert json.loads(entry.body)["payload"] == {"list": ["1", "2"], "flag": True}


def test_a_batch_of_appends_signs_one_checkpoint_and_verifies(ctx, clock):
    from registry.ledger.checks import verify_stored_ledger

    service = ledger()
    checkpoints_before = db.session.scalar(select(db.func.count()).select_from(LedgerCheckpoint))
    with service.batch(now=clock):
        for number in range(25):
            service.append(
                [NewEvent("item.noted", {"n": number}, item=f"item-{number % 4}")], actor="user:t", now=clock
            )
    assert service.size() == 26
    assert db.session.scalar(select(db.func.count()).select_from(LedgerCheckpoint)) == checkpoints_before + 1
    history = service.item_history("item-1")
    assert [e.event["item_prev"] for e in history] == [None] + [e.index for e in history[:-1]]
    assert verify_stored_ledger(db.session(), [log_key().vkey]).ok


def test_a_failure_inside_a_batch_appends_nothing(ctx, clock):
    service = ledger()
    with pytest.raises(RuntimeError, match="refused"):
        with service.batch(now=clock):
            service.append([NewEvent("item.noted", {"n": 1})], actor="user:t", now=clock)
            raise RuntimeError("refused by a rule")
    assert service.size() == 1 and service.latest_checkpoint().tree_size == 1


def test_a_process_forked_after_signing_signs_on_its_own(ctx, clock):
    """An rq work horse is forked from a process that may have signed already: the signing threads
    and the verified head it inherits are not its own, and it must sign without waiting on them."""
    ledger().append([NewEvent("item.noted", {"n": "before the fork"}, item="f-1")], actor="test", now=clock)
    size = ledger().size()
    db.session.remove()
    db.engine.dispose()  # the child opens connections of its own
    child = os.fork()
    if child == 0:  # pragma: no cover - the child's outcome is its exit status
        code = 1
        try:
            ledger().append([NewEvent("item.noted", {"n": "in the child"}, item="f-1")], actor="test", now=clock)
            db.session.remove()
            code = 0
        finally:
            os._exit(code)
    deadline = time.monotonic() + 60
    while (done := os.waitpid(child, os.WNOHANG)) == (0, 0) and time.monotonic() < deadline:
        time.sleep(0.05)
    if done == (0, 0):
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
        pytest.fail("the forked process hung while signing")
    assert os.waitstatus_to_exitcode(done[1]) == 0
    assert ledger().size() == size + 1
    ledger().append([NewEvent("item.noted", {"n": "after the fork"}, item="f-1")], actor="test", now=clock)
    assert "OK" in ctx.test_cli_runner().invoke(args=["ledger", "verify"]).output
