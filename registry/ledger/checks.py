"""Full verification and export of the stored ledger.

Verification reads one consistent snapshot. On large ledgers it spreads the work over two cores:
this process checks the bodies of the first 80% of entries against their stored leaf hashes and
their predecessors (`audit.verify.verify_entries`); a second process rebuilds the tree from the
stored leaf hashes, checks every stored node and checkpoint (`audit.verify.verify_tree`), and checks
the remaining bodies. Rows below the snapshot's size never change, so the second process, reading
them on its own connection, sees the same ledger.
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

from audit import export
from audit.checkpoint import CheckpointError, parse_checkpoint
from audit.verdict import first_problem
from audit.verify import Problem, Verdict, check_claims, combine, verify_entries, verify_log, verify_tree
from registry import clock
from registry.config import PROJECT_ROOT
from registry.ledger.models import MAX_LEVEL, LedgerCheckpoint, LedgerCosignature, LedgerEntry, LedgerNode

STREAM_BATCH = 20_000
PARALLEL_FROM = 200_000  # entries; below this, starting a second process costs more than it saves


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


def _entry_records(connection, below: int | None = None, start: int = 0) -> Iterator[tuple]:
    where = f" WHERE entry_index >= {int(start)}" + (f" AND entry_index < {int(below)}" if below is not None else "")
    return _rows(
        connection,
        f"SELECT entry_index, body, leaf_hash, event_type, item_ref FROM ledger_entry{where} ORDER BY entry_index",
        "ledger_verify_entries",
    )


def _node_records(connection, below: int | None = None) -> Iterator[tuple[int, int, bytes]]:
    where = f" WHERE node_key < {int(below) * MAX_LEVEL}" if below is not None else ""
    for key, value in _rows(
        connection, f"SELECT node_key, hash FROM ledger_node{where} ORDER BY node_key", "ledger_verify_nodes"
    ):
        level = key % MAX_LEVEL
        yield level, ((key // MAX_LEVEL + 1) >> level) - 1, bytes(value)


def _leaf_hashes(connection, below: int) -> Iterator[bytes]:
    for _, leaf in _rows(
        connection,
        f"SELECT entry_index, leaf_hash FROM ledger_entry WHERE entry_index < {below} ORDER BY entry_index",
        "ledger_verify_leaves",
    ):
        yield bytes(leaf)


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


def second_half(url: str, size: int, split: int, notes: list[str], vkeys: list[str], held_notes: list[str]) -> dict:
    """The second process's share: the tree of all `size` entries, and the bodies from `split` on."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            tree = verify_tree(
                _leaf_hashes(connection, size),
                notes,
                vkeys,
                held_notes=held_notes,
                nodes=_node_records(connection, size),
            )
            prev_leaf = connection.scalar(select(LedgerEntry.leaf_hash).where(LedgerEntry.entry_index == split - 1))
            tail, chains = verify_entries(
                _entry_records(connection, size, start=split),
                start=split,
                prev_leaf=None if prev_leaf is None else bytes(prev_leaf),
                stop=size,
            )
        return {"tree": tree.to_dict(), "tail": tail.to_dict(), "claims": chains.claims}
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
    PARALLEL_FROM entries on. The second process rebuilds the tree and checks the last 20% of
    the bodies while this one checks the rest (80%): about the same work each on a 2-core machine
    (measured at 1,000,000 entries on both engines; the tree costs about as much as 40% of the bodies).
    """
    connection = _snapshot(session)
    try:
        notes = _checkpoint_notes(connection)
        size = tree_size(connection)
        columns = _checkpoint_column_problem(connection)
        if not (parallel if parallel is not None else size >= PARALLEL_FROM):
            verdict = verify_log(
                _entry_records(connection),
                notes,
                vkeys,
                held_notes=held_notes,
                nodes=_node_records(connection),
                progress=progress,
            )
            verdict.problem = first_problem([(verdict.problem, 0), (columns, 1)])
            return verdict
        split = size * 4 // 5
        beyond = connection.scalar(
            select(func.count()).select_from(LedgerNode).where(LedgerNode.node_key >= size * MAX_LEVEL)
        )
        url = connection.engine.url.render_as_string(hide_password=False)
        scaled = None if progress is None or split == 0 else (lambda done: progress(done * size // split))
        with (
            tempfile.TemporaryFile("w+") as errors,
            subprocess.Popen(
                [sys.executable, "-m", "registry.ledger.tree_worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
                cwd=PROJECT_ROOT,
            ) as worker,
        ):
            worker.stdin.write(
                json.dumps(
                    {
                        "url": url,
                        "size": size,
                        "split": split,
                        "notes": notes,
                        "vkeys": list(vkeys),
                        "held_notes": list(held_notes),
                    }
                )
            )
            worker.stdin.close()
            head, chains = verify_entries(_entry_records(connection, split), progress=scaled, stop=split)
            out = worker.stdout.read()
            if worker.wait() != 0:
                errors.seek(0)
                raise RuntimeError(f"verification worker failed: {errors.read().strip()[-500:]}")
        second = json.loads(out)
        claims = {item: tuple(claim) for item, claim in second["claims"].items()}
        extra = [
            check_claims(chains, claims) if head.ok else None,
            columns,
            Problem("node", f"{beyond} stored nodes lie beyond the log's end", size) if beyond else None,
        ]
        return combine(Verdict.from_dict(second["tree"]), head, Verdict.from_dict(second["tail"]), extra=extra)
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
