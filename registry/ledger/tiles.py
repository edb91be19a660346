"""The ledger as C2SP tlog-tiles, read from the stored tree: level-0 tiles from the entries' leaf
hashes, higher levels from the complete subtrees `ledger_node` keeps, entry bundles from the bodies.

Only what a signed checkpoint covers is served: a tile beyond the latest checkpoint's size does not
exist yet, and a partial tile exists only up to the width that size gives it. Every tile that
exists never changes, so it is served (and exported) as immutable.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from audit import tiles
from registry.ledger.models import LedgerCheckpoint, LedgerEntry, LedgerNode, node_key
from registry.ledger.tree import TreeCorruptError


def signed_size(session: Session) -> int:
    """The size of the latest signed checkpoint (0 when none is signed yet)."""
    return session.scalar(select(LedgerCheckpoint.tree_size).order_by(LedgerCheckpoint.tree_size.desc()).limit(1)) or 0


def exists(tile: tiles.Tile, size: int) -> bool:
    level = 0 if tile.is_entries else tile.level
    return 0 < tile.width <= tiles.available_width(level, tile.index, size)


def read(session: Session, tile: tiles.Tile) -> bytes:
    """The tile's bytes: its hashes, or its entry bundle (the caller checked that it exists)."""
    first, stop = tile.node_range()
    if tile.is_entries:
        bodies = session.scalars(
            select(LedgerEntry.body)
            .where(LedgerEntry.entry_index >= first, LedgerEntry.entry_index < stop)
            .order_by(LedgerEntry.entry_index)
        ).all()
        return tiles.bundle(list(bodies))
    if tile.level == 0:
        hashes = session.scalars(
            select(LedgerEntry.leaf_hash)
            .where(LedgerEntry.entry_index >= first, LedgerEntry.entry_index < stop)
            .order_by(LedgerEntry.entry_index)
        ).all()
    else:
        height = tiles.HEIGHT * tile.level
        keys = [node_key(height, index) for index in range(first, stop)]
        rows = session.execute(select(LedgerNode.node_key, LedgerNode.hash).where(LedgerNode.node_key.in_(keys)))
        found = {key: value for key, value in rows}
        hashes = [found[key] for key in keys if key in found]
    if len(hashes) != tile.width:
        raise TreeCorruptError(f"{tile.path}: {len(hashes)} of its {tile.width} hashes are stored")
    return b"".join(hashes)


def export(
    session: Session, folder: Path, checkpoint: str, size: int, progress: Callable[[int], None] | None = None
) -> int:
    """Write every hash tile and entry bundle of a tree of `size` leaves, and the checkpoint, under
    `folder` as a static tlog-tiles log. Files already there (an earlier export of a smaller tree)
    are kept: a tile never changes. Returns the number of files written."""
    written = 0
    wanted = tiles.tiles_for_size(size)
    wanted += [tiles.Tile(-1, tile.index, tile.width) for tile in wanted if tile.level == 0]
    for tile in wanted:
        path = folder / tile.path
        if not path.exists():
            _write(path, read(session, tile))
            written += 1
        if progress:
            progress(1)
    _write(folder / "checkpoint", checkpoint.encode())
    return written + 1


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
