"""Tamper detection: an attacker with database rights changes the stored ledger; both verifiers catch it.

Each test builds a ledger of single-event appends (one checkpoint per entry), drops the append-only
triggers, makes one kind of change, and expects `flask ledger verify` and `python -m audit verify`
on an export of the tampered database to fail, naming the first bad entry.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text, update

from audit import merkle
from audit.canonical import canonical_bytes
from registry.extensions import db
from registry.ledger.checks import FIRST_SHARE
from registry.ledger.models import MAX_LEVEL, LedgerCheckpoint, LedgerEntry, LedgerNode, node_key
from registry.ledger.runtime import log_key
from tests.registry.helpers import append_single_events, drop_append_only_triggers

ROOT = Path(__file__).resolve().parents[2]
ENTRIES = 12  # plus the genesis entry: indexes 0..12


@pytest.fixture
def tampered(ctx, clock):
    append_single_events(ENTRIES, clock)
    drop_append_only_triggers()
    return ctx


def app_verdict(app, *extra):
    """`flask ledger verify` in one process and split over two; both must give the same verdict."""
    verdicts = []
    for mode in ("--serial", "--parallel"):
        result = app.test_cli_runner().invoke(args=["ledger", "verify", mode, *extra])
        verdicts.append((result.exit_code, result.output.splitlines()[-1] if result.output else ""))
    where = [(code, re.sub(r"(entry \d+): .*\[", r"\1 [", line)) for code, line in verdicts]  # exit, entry and check
    assert where[0] == where[1], verdicts
    return verdicts[0]


def export_verdict(app, tmp_path, *extra):
    folder = tmp_path / "export"
    assert app.test_cli_runner().invoke(args=["ledger", "export", str(folder)]).exit_code == 0
    completed = subprocess.run(
        [sys.executable, "-m", "audit", "verify", str(folder), "--vkey", log_key().vkey, *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return completed.returncode, completed.stdout + completed.stderr


def assert_caught(verdict, index: int, check: str):
    code, output = verdict
    assert code == 1, output
    assert re.search(rf"INVALID: entry {index}: .*\[{check}\]", output), output


def body_of(index: int) -> bytes:
    return db.session.scalar(select(LedgerEntry.body).where(LedgerEntry.entry_index == index))


def test_untouched_ledger_verifies_in_app_and_from_export(tampered, tmp_path):
    code, output = app_verdict(tampered)
    assert code == 0 and f"OK: {ENTRIES + 1} entries" in output
    code, output = export_verdict(tampered, tmp_path)
    assert code == 0 and f"OK: {ENTRIES + 1} entries" in output


def test_one_changed_byte_of_a_body_is_caught(tampered, tmp_path):
    body = body_of(5).replace(b"event 4", b"event X")
    db.session.execute(update(LedgerEntry).where(LedgerEntry.entry_index == 5).values(body=body))
    db.session.commit()
    assert_caught(app_verdict(tampered), 5, "leaf")
    assert_caught(export_verdict(tampered, tmp_path), 5, "root")


def test_a_deleted_row_is_caught(tampered, tmp_path):
    db.session.execute(delete(LedgerEntry).where(LedgerEntry.entry_index == 7))
    db.session.commit()
    assert_caught(app_verdict(tampered), 7, "sequence")
    assert_caught(export_verdict(tampered, tmp_path), 7, "body")


def test_two_swapped_rows_are_caught(tampered, tmp_path):
    rows = {i: db.session.execute(select(LedgerEntry).where(LedgerEntry.entry_index == i)).scalar_one() for i in (3, 9)}
    values = {i: (rows[i].body, rows[i].leaf_hash, rows[i].event_type, rows[i].item_ref) for i in rows}
    for here, there in ((3, 9), (9, 3)):
        body, leaf, kind, item = values[there]
        db.session.execute(
            update(LedgerEntry)
            .where(LedgerEntry.entry_index == here)
            .values(body=body, leaf_hash=leaf, event_type=kind, item_ref=item)
        )
    db.session.commit()
    assert_caught(app_verdict(tampered), 3, "body")
    assert_caught(export_verdict(tampered, tmp_path), 3, "body")


def forge_next_entry() -> bytes:
    """Insert a well-formed entry after the last one, as the app would have, but without the lock or key."""
    prev = db.session.scalar(select(LedgerEntry.leaf_hash).where(LedgerEntry.entry_index == ENTRIES))
    forged = canonical_bytes(
        {
            "v": 1,
            "index": ENTRIES + 1,
            "prev": prev.hex(),
            "type": "item.noted",
            "time": "2026-11-25T10:00:00.000000Z",
            "actor": "user:test",
            "payload": {},
        }
    )
    db.session.execute(
        text("INSERT INTO ledger_entry (entry_index, body, leaf_hash, event_type) VALUES (:i, :b, :h, 'item.noted')"),
        {"i": ENTRIES + 1, "b": forged, "h": merkle.leaf_hash(forged)},
    )
    frontier = merkle.Frontier()
    for leaf in db.session.scalars(select(LedgerEntry.leaf_hash).order_by(LedgerEntry.entry_index)):
        completed = frontier.append(leaf)
    for level, index, value in completed:
        db.session.add(LedgerNode(node_key=node_key(level, index), hash=value))
    return merkle.leaf_hash(forged)


def test_a_forged_row_appended_without_the_key_is_caught(tampered, tmp_path):
    last = ENTRIES
    forge_next_entry()
    db.session.commit()
    assert_caught(app_verdict(tampered), last + 1, "coverage")
    assert_caught(export_verdict(tampered, tmp_path), last + 1, "coverage")


def test_a_forged_row_with_a_checkpoint_signed_by_another_key_is_caught(tampered, tmp_path):
    from audit import checkpoint, note

    forge_next_entry()
    leaves = list(db.session.scalars(select(LedgerEntry.leaf_hash).order_by(LedgerEntry.entry_index)))
    attacker_skey, _ = note.generate_key(log_key().origin)
    forged_note = checkpoint.sign_checkpoint(
        checkpoint.Checkpoint(origin=log_key().origin, size=len(leaves), root=merkle.root(leaves)), attacker_skey
    )
    db.session.add(
        LedgerCheckpoint(
            tree_size=len(leaves),
            root_hash=merkle.root(leaves),
            note=forged_note,
            signed_at=db.session.scalar(select(LedgerCheckpoint.signed_at).limit(1)),
        )
    )
    db.session.commit()
    assert_caught(app_verdict(tampered), ENTRIES + 1, "signature")
    assert_caught(export_verdict(tampered, tmp_path), ENTRIES + 1, "signature")


def rehash_from(start: int, mutate) -> None:
    """Rewrite entry `start` with `mutate(event)` and recompute every later leaf, link and node."""
    import json

    bodies = list(db.session.scalars(select(LedgerEntry.body).order_by(LedgerEntry.entry_index)))
    leaves = []
    frontier = merkle.Frontier()
    db.session.execute(delete(LedgerNode))
    nodes = []
    for index, body in enumerate(bodies):
        event = json.loads(body)
        if index == start:
            mutate(event)
        if index >= start:
            event["prev"] = leaves[-1].hex() if leaves else None
            body = canonical_bytes(event)
            db.session.execute(
                update(LedgerEntry)
                .where(LedgerEntry.entry_index == index)
                .values(body=body, leaf_hash=merkle.leaf_hash(body))
            )
        leaves.append(merkle.leaf_hash(body))
        nodes += [{"node_key": node_key(level, i), "hash": h} for level, i, h in frontier.append(leaves[-1])]
    db.session.execute(LedgerNode.__table__.insert(), nodes)
    db.session.commit()


def test_rehashing_everything_without_the_key_is_caught(tampered, tmp_path):
    rehash_from(6, lambda event: event["payload"].update(note="rewritten history"))
    assert_caught(app_verdict(tampered), 6, "root")
    assert_caught(export_verdict(tampered, tmp_path), 6, "root")


def test_a_changed_stored_node_is_caught(tampered):
    key = node_key(1, 2)
    db.session.execute(update(LedgerNode).where(LedgerNode.node_key == key).values(hash=b"\x00" * 32))
    db.session.commit()
    assert_caught(app_verdict(tampered), 5, "node")


def test_truncating_the_tail_is_caught_by_a_checkpoint_the_auditor_held(tampered, tmp_path):
    held = tmp_path / "held.checkpoint"
    held.write_text(tampered.test_cli_runner().invoke(args=["ledger", "checkpoint"]).output)
    cut = 8
    db.session.execute(delete(LedgerEntry).where(LedgerEntry.entry_index >= cut))
    db.session.execute(delete(LedgerNode).where(LedgerNode.node_key >= cut * MAX_LEVEL))
    db.session.execute(delete(LedgerCheckpoint).where(LedgerCheckpoint.tree_size > cut))
    db.session.commit()
    assert app_verdict(tampered)[0] == 0, "without outside evidence a clean truncation looks like a shorter log"
    assert_caught(app_verdict(tampered, "--checkpoint", str(held)), cut, "coverage")
    assert_caught(export_verdict(tampered, tmp_path, "--checkpoint", str(held)), cut, "coverage")


def test_an_append_on_top_of_a_forged_row_is_refused(tampered, clock):
    from registry.ledger.events import NewEvent
    from registry.ledger.runtime import ledger
    from registry.ledger.service import LedgerIntegrityError

    forge_next_entry()
    db.session.commit()
    with pytest.raises(LedgerIntegrityError, match="not the one last signed"):
        ledger().append([NewEvent("item.noted", {})], actor="user:test", now=clock)
    db.session.rollback()
    assert_caught(app_verdict(tampered), ENTRIES + 1, "coverage")


def test_a_stored_checkpoint_root_column_that_differs_from_its_note_is_caught(tampered):
    db.session.execute(update(LedgerCheckpoint).where(LedgerCheckpoint.tree_size == 4).values(root_hash=b"\x07" * 32))
    db.session.commit()
    assert_caught(app_verdict(tampered), 4, "columns")


def test_deleting_the_entry_before_the_parallel_split_is_named_alike_by_both_modes(tampered):
    split = int((ENTRIES + 1) * FIRST_SHARE)
    db.session.execute(delete(LedgerEntry).where(LedgerEntry.entry_index == split - 1))
    db.session.commit()
    assert_caught(app_verdict(tampered), split - 1, "sequence")


def test_deleting_a_stored_node_the_second_range_starts_from_is_named_alike_by_both_modes(tampered):
    split = int((ENTRIES + 1) * FIRST_SHARE)
    level, index = merkle.frontier_keys(split)[0]  # the largest subtree on the tree's edge there
    assert level > 0
    db.session.execute(delete(LedgerNode).where(LedgerNode.node_key == merkle.node_key(level, index)))
    db.session.commit()
    assert_caught(app_verdict(tampered), ((index + 1) << level) - 1, "node")


def test_nodes_left_past_a_truncated_end_are_named_alike_by_both_modes(tampered):
    cut = 9
    db.session.execute(delete(LedgerEntry).where(LedgerEntry.entry_index >= cut))
    db.session.execute(delete(LedgerCheckpoint).where(LedgerCheckpoint.tree_size > cut))
    db.session.commit()
    assert_caught(app_verdict(tampered), cut, "node")


def test_the_second_range_stops_at_the_size_it_was_given(tampered):
    """The second process of a parallel verification reads on a connection of its own, so it is told
    the size the first read in its snapshot: given a smaller size than the ledger holds (as if the
    entries past it had been appended during the run), it checks and reports nothing beyond it."""
    from registry.ledger import checks

    url = db.engine.url.render_as_string(hide_password=False)
    sizes = list(range(1, ENTRIES + 2))
    whole = checks.later_range(url, 6, ENTRIES + 1, sizes)
    earlier = checks.later_range(url, 6, 10, sizes)  # as if entries 10.. were appended meanwhile
    assert whole.problem is None and whole.beyond is None and whole.entries == ENTRIES + 1 - 6
    assert earlier.problem is None and earlier.beyond is None and earlier.entries == 4
    assert set(earlier.roots) == set(range(7, 11))
    assert all(whole.roots[size] == earlier.roots[size] for size in earlier.roots)
