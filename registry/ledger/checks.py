"""Full verification and export of the stored ledger.

Verification reads one consistent snapshot. On large ledgers it spreads the work over two cores:
this process checks the checkpoint signatures and the first part of the entries (their bodies, the
tree over them and every stored node they complete, `audit.verify.verify_range`), while a second
process does the same for the rest of the entries, starting from the tree's stored frontier where
its range begins; those frontier nodes are ordinary stored nodes of the first range, which checks
them. Rows below the snapshot's size never change, so the second process, reading them on its own
connection, sees the same ledger. `audit.verify.settle` then names what one pass would have named.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Callable, Iterator

from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from audit import export, merkle
from audit.checkpoint import CheckpointError, parse_checkpoint
from audit.verify import Problem, RangeResult, Verdict, claimed_size, open_all, settle, verify_range
from registry import clock
from registry.config import PROJECT_ROOT
from registry.ledger import tree
from registry.ledger.models import MAX_LEVEL, LedgerCheckpoint, LedgerCosignature, LedgerEntry, LedgerNode

STREAM_BATCH = 20_000
PARALLEL_FROM = 200_000  # entries; below this, starting a second process costs more than it saves
FIRST_SHARE = 0.5  # of the entries, checked by this process (which also checks the signatures)


def _snapshot(session: Session):
    """A connection reading one snapshot: appends that commit meanwhile are not seen half-way."""
    if session.in_transaction():
        session.commit()
    options = {"isolation_level": "REPEATABLE READ"} if session.get_bind().dialect.name == "postgresql" else {}
    return session.connection(execution_options=options)


def _rows(connection, sql: str, name: str) -> Iterator[tuple]:
    """Stream rows through the driver's own cursor (a server-side one on PostgreSQL): the ORM's
    per-row processing would cost more than the verification itself."""
    dbapi = connection.connection.driver_connection
    postgres = connection.dialect.name == "postgresql"
    cursor = dbapi.cursor(name=name, binary=True) if postgres else dbapi.cursor()
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(STREAM_BATCH):
            yield from rows
    finally:
        cursor.close()  # a verdict can stop the walk early; release the cursor


def _between(column: str, start: int, below: int | None) -> str:
    return f" WHERE {column} >= {int(start)}" + (f" AND {column} < {int(below)}" if below is not None else "")


def _entry_records(connection, below: int | None = None, start: int = 0) -> Iterator[tuple]:
    return _rows(
        connection,
        "SELECT entry_index, body, leaf_hash, event_type, item_ref FROM ledger_entry"
        f"{_between('entry_index', start, below)} ORDER BY entry_index",
        "ledger_verify_entries",
    )


def _node_records(connection, start: int = 0, below: int | None = None) -> Iterator[tuple[int, bytes]]:
    """The stored nodes whose last leaf is in [start, below), as (key, hash) in key order."""
    return _rows(
        connection,
        "SELECT node_key, hash FROM ledger_node"
        f"{_between('node_key', start * MAX_LEVEL, None if below is None else below * MAX_LEVEL)} ORDER BY node_key",
        "ledger_verify_nodes",
    )


def _range_pass(connection, start: int, stop: int | None, *, last: bool = False, **options) -> RangeResult:
    """`verify_range` over the stored entries [start, stop) and the nodes they complete (for the
    `last` range, every node from `start` on: one beyond the log's end is reported); the cursors
    are closed here, on the connection that opened them, however the pass ends."""
    entries = _entry_records(connection, stop, start=start)
    nodes = _node_records(connection, start, None if last else stop)
    try:
        return verify_range(entries, start=start, stop=stop, nodes=nodes, **options)
    finally:
        entries.close()
        nodes.close()


def _checkpoint_notes(connection) -> list[str]:
    return list(
        connection.scalars(select(LedgerCheckpoint.note).order_by(LedgerCheckpoint.tree_size, LedgerCheckpoint.id))
    )


def _cosigned_notes(connection) -> list[str]:
    """Every checkpoint note with the witnesses' cosignatures gathered for its size appended (a
    cosignature signs the checkpoint's text, the same for every checkpoint of one size)."""
    lines: dict[int, list[str]] = {}
    for size, line in connection.execute(
        select(LedgerCosignature.tree_size, LedgerCosignature.line).order_by(LedgerCosignature.witness)
    ):
        lines.setdefault(size, []).append(line)
    rows = connection.execute(
        select(LedgerCheckpoint.tree_size, LedgerCheckpoint.note).order_by(
            LedgerCheckpoint.tree_size, LedgerCheckpoint.id
        )
    )
    return [note + "".join(lines.get(size, [])) for size, note in rows]


def _checkpoint_column_problem(connection) -> Problem | None:
    """The size and root columns that pages and proofs read must repeat the signed note's (the
    note itself is checked by the verifier)."""
    rows = connection.execute(
        select(
            LedgerCheckpoint.id, LedgerCheckpoint.tree_size, LedgerCheckpoint.root_hash, LedgerCheckpoint.note
        ).order_by(LedgerCheckpoint.tree_size, LedgerCheckpoint.id)
    )
    for row_id, size, root, text in rows:
        try:
            signed = parse_checkpoint(text.split("\n\n", 1)[0] + "\n")
        except CheckpointError:
            continue  # the verifier reports an unreadable note as a signature problem
        if (signed.size, signed.root) != (size, bytes(root)):
            return Problem(
                "columns",
                f"checkpoint row {row_id}: stored size or root differs from its signed note",
                min(size, signed.size),
            )
    return None


def tree_size(connection) -> int:
    last = connection.scalar(select(LedgerEntry.entry_index).order_by(LedgerEntry.entry_index.desc()).limit(1))
    return 0 if last is None else last + 1


def _stored_frontier(connection, size: int) -> tuple[list[tuple[int, bytes]], bytes | None, Problem | None]:
    """The tree's frontier at `size` as stored (the subtrees on its right edge, largest first), the
    leaf hash of entry size-1, and the problem if one of them is not stored."""
    keys = merkle.frontier_keys(size)
    found = tree.stored_subtrees(connection, [*keys, (0, size - 1)])
    for level, index in keys:
        if (level, index) not in found:
            last_leaf = ((index + 1) << level) - 1
            if level == 0:
                return [], None, Problem("sequence", f"entry {index} is missing", index)
            return [], None, Problem("node", f"stored node level {level} index {index} is missing", last_leaf)
    return [(level, found[level, index]) for level, index in keys], found.get((0, size - 1)), None


def later_range(url: str, start: int, stop: int, sizes: list[int]) -> RangeResult:
    """The second process's share: entries [start, stop), from the stored frontier at `start`."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            frontier, prev_leaf, missing = _stored_frontier(connection, start)
            if missing is not None:
                return RangeResult(start, problem=missing)
            # Bounded by `stop`: this connection is not the snapshot's, and appends may have
            # committed since; the snapshot's process counts the nodes beyond its end.
            return _range_pass(
                connection,
                start,
                stop,
                prev_leaf=prev_leaf,
                frontier=frontier,
                sizes=sizes,
            )
    finally:
        engine.dispose()


def verify_stored_ledger(
    session: Session,
    vkeys: list[str],
    *,
    held_notes: list[str] = (),
    progress: Callable[[int], None] | None = None,
    parallel: bool | None = None,
) -> Verdict:
    """Every check of `audit.verify` over the database, including the stored nodes and columns.

    `parallel` forces (True) or forbids (False) the two-process split; by default it is used from
    PARALLEL_FROM entries on. This process takes FIRST_SHARE of the entries and the checkpoint
    signatures, which it checks while the second process starts.
    """
    connection = _snapshot(session)
    try:
        notes = _checkpoint_notes(connection)
        size = tree_size(connection)
        columns = _checkpoint_column_problem(connection)
        if not (parallel if parallel is not None else size >= PARALLEL_FROM):
            opened = open_all(notes, held_notes, vkeys, None)
            if opened.stops:
                return settle(opened, [], extra=[columns])
            whole = _range_pass(connection, 0, None, sizes=opened.sizes, progress=progress, last=True)
            return settle(opened, [whole], extra=[columns])
        split = int(size * FIRST_SHARE)
        sizes = sorted({s for s in map(claimed_size, [*notes, *held_notes]) if s is not None})
        url = connection.engine.url.render_as_string(hide_password=False)
        scaled = None if progress is None or split == 0 else (lambda done: progress(done * size // split))
        with (
            tempfile.TemporaryFile("w+") as errors,
            subprocess.Popen(
                [sys.executable, "-m", "registry.ledger.range_worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
                cwd=PROJECT_ROOT,
            ) as worker,
        ):
            worker.stdin.write(
                json.dumps({"url": url, "start": split, "stop": size, "sizes": [s for s in sizes if s > split]})
            )
            worker.stdin.close()
            opened = open_all(notes, held_notes, vkeys, None)
            head = _range_pass(connection, 0, split, sizes=[s for s in sizes if s <= split], progress=scaled)
            out = worker.stdout.read()
            if worker.wait() != 0:
                errors.seek(0)
                raise RuntimeError(f"verification worker failed: {errors.read().strip()[-500:]}")
        tail = RangeResult.from_dict(json.loads(out))
        beyond = connection.scalar(
            select(func.count()).select_from(LedgerNode).where(LedgerNode.node_key >= size * MAX_LEVEL)
        )
        if beyond:
            tail.beyond = Problem("node", f"{beyond} stored nodes lie beyond the log's end", size)
        return settle(opened, [head, tail], extra=[columns])
    finally:
        session.rollback()


def verify_and_record(session: Session, vkeys: list[str], *, actor: str, progress: Callable[[int], None] | None = None):
    """A full verification whose outcome the dashboard shows (a `VerificationRun` row)."""
    from registry.overview import record_verification

    started = clock.now()
    verdict = verify_stored_ledger(session, vkeys, progress=progress)
    return record_verification(
        session,
        started_at=started,
        finished_at=clock.now(),
        actor=actor,
        entries=verdict.entries,
        ok=verdict.ok,
        summary=verdict.summary(),
    )


def export_archive(session: Session, *, origin: str, vkeys: list[str]) -> io.BytesIO:
    """The export of `export_ledger` as one zip file, for download."""
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as folder:
        export_ledger(session, Path(folder) / "export", origin=origin, vkeys=vkeys)
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted((Path(folder) / "export").iterdir()):
                archive.write(path, f"ledger-export/{path.name}")
    buffer.seek(0)
    return buffer


def export_ledger(
    session: Session, folder: Path, *, origin: str, vkeys: list[str], progress: Callable[[int], None] | None = None
) -> export.Manifest:
    connection = _snapshot(session)
    try:

        def bodies():
            for number, record in enumerate(_entry_records(connection), start=1):
                if progress is not None and number % 4096 == 0:
                    progress(number)
                yield bytes(record[1])

        exported_at = clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        return export.write_export(
            folder, bodies(), _cosigned_notes(connection), origin=origin, vkeys=vkeys, exported_at=exported_at
        )
    finally:
        session.rollback()
