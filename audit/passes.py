"""The passes of a verification over one range of entries: their bodies, and the Merkle tree.

A range pass checks entries [start, stop) against each other and rebuilds the tree over their
leaves from the frontier at `start`; a whole ledger is one range, and a verifier on several cores
runs consecutive ranges apart and settles them together (`audit.verify`).

Each step runs once per entry of a possibly million-entry ledger. The entry checks are one inlined
loop. The tree is rebuilt a chunk of 2**CHUNK_LEVELS leaves at a time, level by level, and the
stored nodes of a chunk are compared with the recomputed ones in two sequence comparisons; a chunk
whose stored nodes differ is gone through again leaf by leaf, the reference algorithm, which names
the first bad node.
"""

from __future__ import annotations

import gc
import hashlib
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain, islice, repeat
from operator import add, itemgetter
from typing import Any, Callable, Iterable, Iterator, Sequence

from audit import canonical, merkle
from audit.checkpoint import Checkpoint
from audit.verdict import Failed, Problem

_FOUR_BYTE_UTF8 = re.compile(rb"[\xf0-\xf4]")
EVENT_FIELDS = {"v": int, "index": int, "type": str, "time": str, "actor": str, "payload": dict}
CHUNK_LEVELS = 12  # the tree is rebuilt 4,096 leaves at a time
_ABSENT = object()  # a field the body lacks

# (index, body, stored leaf hash or None, stored event type or None, stored item ref or None)
EntryRecord = tuple[int, bytes, bytes | None, str | None, str | None]
# (merkle.node_key(level, index), hash) of a stored complete subtree, in key order
NodeRecord = tuple[int, bytes]


@dataclass(frozen=True)
class SignedSize:
    checkpoint: Checkpoint
    source: str  # "stored" or "held"


@dataclass
class ItemChains:
    """Where an entry pass over a range leaves the item chains.

    `heads`: each item's last event index. `claims`: for a pass that starts after entry 0, each
    item's first event in the range and the `item_prev` it names, which only a pass over the entries
    before the range can check (see `check_claims`).
    """

    heads: dict[str, int] = field(default_factory=dict)
    claims: dict[str, tuple[int, int | None]] = field(default_factory=dict)


def check_claims(before: ItemChains, claims: dict[str, tuple[int, int | None]]) -> Problem | None:
    """Check the first `item_prev` of each item in a later range against the heads before it."""
    bad = [(index, item, claimed) for item, (index, claimed) in claims.items() if before.heads.get(item) != claimed]
    if not bad:
        return None
    index, item, claimed = min(bad)
    return Problem("item", f"item_prev is {claimed!r}, the item's previous event is {before.heads.get(item)!r}", index)


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Pause the cycle collector: a pass keeps thousands of parsed events alive at once, which made
    it run every few hundred entries, and a pass makes no reference cycles for it to find."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def entry_chunks(
    entries: Iterable[EntryRecord],
    counter: list[int],
    progress: Callable[[int], None] | None,
    *,
    start: int = 0,
    prev_leaf: bytes | None = None,
    chains: ItemChains | None = None,
    chunk: int = 1 << CHUNK_LEVELS,
) -> Iterator[list[bytes]]:
    """Steps 1-6 for entries numbered from `start`, yielding their leaf hashes in lists that end at
    multiples of `chunk`; raises Failed after yielding the leaves of the entries before the bad one.

    `prev_leaf` is the leaf hash of entry start-1 (None for start 0). `counter[0]` holds the number
    of entries checked, so a caller knows how far the pass got even when it stops early.
    """
    chains = chains if chains is not None else ItemChains()
    heads, claims = chains.heads, chains.claims
    expected, prev_hex = start, prev_leaf.hex() if prev_leaf is not None else None
    boundary = (start // chunk + 1) * chunk
    sha256, loads, compact, four_byte = (
        hashlib.sha256,
        canonical.loads,
        canonical.raw_sorted_compact,
        _FOUR_BYTE_UTF8.search,
    )
    leaves: list[bytes] = []
    failure = None
    try:
        for index, body, stored_leaf, stored_type, stored_item in entries:
            if index != expected:
                what = (
                    f"entry {expected} is missing"
                    if index > expected
                    else f"entry {index} appears twice or out of order"
                )
                raise Failed(Problem("sequence", f"{what} (found {index} after {expected - 1})", min(index, expected)))
            leaf = sha256(b"\x00" + body).digest()
            if stored_leaf is not None and stored_leaf != leaf:
                raise Failed(Problem("leaf", "stored leaf hash does not match the body", index))
            try:
                event = loads(body)
            except ValueError:
                raise Failed(Problem("body", "body is not UTF-8 JSON", index)) from None
            # The sorted compact encoding equals JCS unless a 4-byte UTF-8 character occurs; the
            # reference check settles the rest (and values the fast encoder refuses).
            try:
                canonical_form = (
                    type(event) is dict and (body.isascii() or not four_byte(body)) and compact(event) == body
                )
            except (TypeError, ValueError):
                canonical_form = False
            if not canonical_form and (type(event) is not dict or not canonical.is_canonical(body)):
                raise Failed(Problem("body", "body is not an RFC 8785 canonical JSON object", index))
            try:
                shaped = (
                    event["index"] == index
                    and type(event["index"]) is int
                    and event["prev"] == prev_hex
                    and event["v"] == 1
                    and type(event["v"]) is int
                    and type(event["type"]) is str
                    and type(event["time"]) is str
                    and type(event["actor"]) is str
                    and type(event["payload"]) is dict
                )
            except KeyError:
                shaped = False
            if not shaped:
                _diagnose_fields(event, index)
            item = event.get("item")
            if item is not None:
                item_prev = event.get("item_prev", _ABSENT)  # an event about an item always names it
                if type(item) is not str or (item_prev is not None and type(item_prev) is not int):
                    raise Failed(
                        Problem("item", "item must be a string and item_prev, given, an integer or null", index)
                    )
                if item in heads or not start:
                    if item_prev != heads.get(item):
                        raise Failed(
                            Problem(
                                "item",
                                f"item_prev is {item_prev!r}, the item's previous event is {heads.get(item)!r}",
                                index,
                            )
                        )
                elif item_prev is not None and item_prev >= start:
                    raise Failed(Problem("item", f"item_prev is {item_prev!r}, not an earlier entry", index))
                else:
                    claims[item] = (index, item_prev)
                heads[item] = index
            elif "item_prev" in event:
                raise Failed(Problem("item", "item_prev given without an item", index))
            if stored_type is not None and (stored_type != event["type"] or stored_item != item):
                raise Failed(
                    Problem(
                        "columns",
                        f"stored columns ({stored_type!r}, {stored_item!r}) differ from "
                        f"the body's ({event['type']!r}, {item!r})",
                        index,
                    )
                )
            expected = index + 1
            prev_hex = leaf.hex()
            leaves.append(leaf)
            if expected == boundary:
                counter[0] = expected - start
                if progress is not None:
                    progress(expected - start)
                yield leaves
                leaves, boundary = [], boundary + chunk
    except Failed as stop:
        failure = stop
    counter[0] = expected - start
    if leaves:
        yield leaves
    if failure is not None:
        try:
            raise failure
        finally:
            del failure  # the exception's traceback holds this frame: no cycle keeps `entries` open
    if progress is not None:
        progress(expected - start)


def _diagnose_fields(event: dict[str, Any], index: int) -> None:
    for name, kind in EVENT_FIELDS.items():
        if type(event.get(name)) is not kind:
            raise Failed(Problem("body", f"field {name!r} is missing or not a {kind.__name__}", index))
    if event["v"] != 1:
        raise Failed(Problem("body", f"body version {event['v']} is not 1", index))
    if event["index"] != index:
        raise Failed(Problem("body", f"body names index {event['index']}, stored at {index}", index))
    raise Failed(Problem("chain", "prev does not match the leaf hash of the previous entry", index))


@lru_cache(maxsize=4)
def _chunk_layout(levels: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """For a chunk of 2**levels leaves starting at leaf 0: the keys of the nodes its leaves complete
    (levels 1..`levels`), in the order they complete, which is key order; and for each, its position
    in the chunk's levels laid end to end (level 1, then level 2, ...)."""
    starts, at = [], 0
    for level in range(1, levels + 1):
        starts.append(at)
        at += 1 << (levels - level)
    keys, positions = [], []
    for leaf in range(1 << levels):
        level = 1
        while level <= levels and (leaf + 1) % (1 << level) == 0:
            keys.append(merkle.node_key(level, ((leaf + 1) >> level) - 1))
            positions.append(starts[level - 1] + ((leaf + 1) >> level) - 1)
            level += 1
    return tuple(keys), tuple(positions)


class Tree:
    """Steps 7 and 9 over one range: the tree rebuilt from the frontier at `start` (a list of
    (level, hash), largest first, as merkle.Frontier keeps it), each stored node completed by the
    range's leaves compared (`nodes`, key order, or None to skip), and the root taken at each of
    `sizes` in (start, ...]. Leaves come in lists from `add`; raises Failed at the first bad node."""

    def __init__(
        self,
        start: int,
        frontier: Sequence[tuple[int, bytes]],
        nodes: Iterable[NodeRecord] | None,
        sizes: Iterable[int],
        chunk_levels: int = CHUNK_LEVELS,
    ):
        self.size = start
        self.stack = list(frontier)
        self.roots: dict[int, bytes] = {}
        self.nodes_seen = 0
        self._sizes = sorted(s for s in set(sizes) if s > start)
        self._next = 0
        self._levels = chunk_levels
        self._checking = nodes is not None  # stored nodes to compare
        self._records: Iterator[NodeRecord] = iter(nodes if nodes is not None else ())
        self._layout = _chunk_layout(chunk_levels)

    def _next_record(self) -> NodeRecord | None:
        return next(self._records, None)

    def add(self, leaves: list[bytes]) -> None:
        chunk = 1 << self._levels
        if self.size % chunk or len(leaves) > chunk or not (self._levels and self._chunk(leaves)):
            self._leaf_by_leaf(leaves)

    def _chunk(self, leaves: list[bytes]) -> bool:
        """The chunk at an aligned start, all at once; False (nothing done) if a stored node differs."""
        start, count, levels = self.size, len(leaves), self._levels
        sha256 = hashlib.sha256
        built = [leaves]
        for _ in range(levels):
            pairs = iter(built[-1])
            built.append([sha256(b"\x01" + left + right).digest() for left, right in zip(pairs, pairs)])
        inside = count - count.bit_count()  # nodes completed inside the chunk
        if self._checking and inside:
            keys, positions = self._layout
            laid: list[bytes | None] = []
            for level in range(1, levels + 1):
                laid += built[level]
                laid += [None] * ((1 << (levels - level)) - len(built[level]))
            if inside < len(keys):
                keys, positions = keys[:inside], positions[:inside]
            stored = list(islice(self._records, inside))
            if (
                len(stored) != inside
                or tuple(map(itemgetter(0), stored)) != tuple(map(add, keys, repeat(start << merkle.NODE_KEY_BITS)))
                or tuple(map(itemgetter(1), stored)) != tuple(map(laid.__getitem__, positions))
            ):
                # Gone through again leaf by leaf, which stops at the first of them that is wrong.
                self._records = chain(stored, self._records)
                return False
            self.nodes_seen += inside
        hashes = [node for _, node in self.stack]
        sizes, end = self._sizes, start + count
        while self._next < len(sizes) and sizes[self._next] <= end:
            width = sizes[self._next] - start
            edge = [built[level][(width >> level) - 1] for level in range(levels, -1, -1) if width >> level & 1]
            self.roots[sizes[self._next]] = merkle.fold_subtrees(hashes + edge)
            self._next += 1
        self.stack += [(level, built[level][-1]) for level in range(levels, -1, -1) if count >> level & 1]
        self.size = end
        if count == 1 << levels:  # a whole chunk: one subtree, which may complete larger ones
            self._merge(end - 1)
        return True

    def _merge(self, last_leaf: int) -> None:
        """Merge equal subtrees on top of the frontier after leaf `last_leaf`, checking each node."""
        stack, sha256 = self.stack, hashlib.sha256
        while len(stack) > 1 and stack[-2][0] == stack[-1][0]:
            level, right = stack.pop()
            node = sha256(b"\x01" + stack.pop()[1] + right).digest()
            stack.append((level + 1, node))
            self._check(level + 1, last_leaf, node)

    def _check(self, level: int, last_leaf: int, node: bytes) -> None:
        if not self._checking:
            return
        stored = self._next_record()
        key = (last_leaf << merkle.NODE_KEY_BITS) | level
        if stored is None or stored[0] != key or stored[1] != node:
            if stored is not None and stored[0] < key:
                raise _stray(stored[0])
            what = "is missing" if stored is None or stored[0] != key else "does not match the leaves"
            raise Failed(Problem("node", f"stored node level {level} index {last_leaf >> level} {what}", last_leaf))
        self.nodes_seen += 1

    def _leaf_by_leaf(self, leaves: list[bytes]) -> None:
        sizes = self._sizes
        for leaf in leaves:
            self.stack.append((0, leaf))
            self._merge(self.size)
            self.size += 1
            while self._next < len(sizes) and sizes[self._next] == self.size:
                self.roots[self.size] = merkle.fold_subtrees([node for _, node in self.stack])
                self._next += 1

    def finish(self) -> Problem | None:
        """After the range's last leaf: a stored node left over is one the leaves never completed,
        raised as a problem; one beyond the range's end is returned, since a verification reports
        it only after the coverage of the checkpoints (a truncated log leaves such nodes)."""
        if not self._checking:
            return None
        extra = self._next_record()
        if extra is None:
            return None
        if extra[0] >> merkle.NODE_KEY_BITS < self.size:
            raise _stray(extra[0])
        level, index = merkle.node_of_key(extra[0])
        return Problem("node", f"stored node level {level} index {index} lies beyond the log's end", self.size)


def _stray(key: int) -> Failed:
    """A stored node at a key the tree has no node at, named at the last leaf its key gives."""
    level, last_leaf = key & ((1 << merkle.NODE_KEY_BITS) - 1), key >> merkle.NODE_KEY_BITS
    what = f"a stored node of level {level} ending at leaf {last_leaf} is not a node of the tree"
    return Failed(Problem("node", what, last_leaf))
