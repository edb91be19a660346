"""Merkle tree reads and writes over the stored nodes: frontier, roots and proofs in O(log n) reads.

Level-0 subtrees are the leaves themselves (the `leaf_hash` column of `ledger_entry`); every
complete subtree of level >= 1 is a row of `ledger_node`.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from sqlalchemy import literal, select, union_all
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from audit import merkle
from registry.bulk import Rows
from registry.ledger.models import LedgerEntry, LedgerNode, node_key

Key = tuple[int, int]


class TreeCorruptError(RuntimeError):
    """A stored node the tree structure requires is missing: the node table was tampered with."""


def load_subtrees(session: Session, keys: Iterable[Key]) -> dict[Key, bytes]:
    """Fetch the hashes of the given (level, index) complete subtrees in one query; TreeCorruptError
    if any is missing."""
    keys = set(keys)
    found = stored_subtrees(session, keys)
    missing = keys - found.keys()
    if missing:
        raise TreeCorruptError(f"stored tree is missing subtrees {sorted(missing)[:5]}")
    return found


def stored_subtrees(session: Session | Connection, keys: Iterable[Key]) -> dict[Key, bytes]:
    """The hashes of those of the given (level, index) complete subtrees that are stored (leaves from
    the entries, larger subtrees from the nodes), in one query."""
    keys = set(keys)
    leaves = [index for level, index in keys if level == 0]
    nodes = {node_key(level, index): (level, index) for level, index in keys if level > 0}
    found: dict[Key, bytes] = {}
    queries = []
    if leaves:
        queries.append(
            select(literal(0).label("level"), LedgerEntry.entry_index.label("key"), LedgerEntry.leaf_hash).where(
                LedgerEntry.entry_index.in_(leaves)
            )
        )
    if nodes:
        queries.append(
            select(literal(1).label("level"), LedgerNode.node_key, LedgerNode.hash).where(
                LedgerNode.node_key.in_(nodes)
            )
        )
    if queries:  # one round trip for both tables
        statement = queries[0] if len(queries) == 1 else union_all(*queries)
        for is_node, key, value in session.execute(statement):
            found[nodes[key] if is_node else (0, key)] = bytes(value)
    return found


def range_hashes(session: Session, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
    """Tree hashes of the leaf ranges [start, end), each a range of the RFC 9162 tree structure."""
    plans = [merkle.subtree_keys(start, end) for start, end in ranges]
    hashes = load_subtrees(session, (key for plan in plans for key in plan))
    return [merkle.fold_subtrees([hashes[key] for key in plan]) for plan in plans]


def root_at(session: Session, size: int) -> bytes:
    """Root of the first `size` leaves (requires 0 <= size <= tree size)."""
    if size == 0:
        return merkle.EMPTY_ROOT
    return range_hashes(session, [(0, size)])[0]


def inclusion_proof(session: Session, index: int, size: int) -> list[bytes]:
    """RFC 9162 inclusion proof (requires 0 <= index < size <= tree size)."""
    return range_hashes(session, merkle.inclusion_ranges(index, size))


def consistency_proof(session: Session, size1: int, size2: int) -> list[bytes]:
    """RFC 9162 consistency proof (requires 0 <= size1 <= size2 <= tree size)."""
    return range_hashes(session, merkle.consistency_ranges(size1, size2))


def restore_frontier(session: Session, size: int) -> merkle.Frontier:
    """The tree state after `size` leaves, read from the right-edge subtrees."""
    keys = merkle.frontier_keys(size)
    hashes = load_subtrees(session, keys)
    return merkle.Frontier.from_nodes(size, [hashes[key] for key in keys])


def node_rows(completed: Sequence[tuple[int, int, bytes]]) -> Rows:
    """The rows that store completed subtrees of level >= 1 given as (level, index, hash)."""
    return (
        LedgerNode.__table__,
        ("node_key", "hash"),
        [(node_key(level, index), value) for level, index, value in completed],
    )
