"""The two passes of a verification: over the entry bodies, and over the Merkle tree.

Each runs once per entry of a possibly million-entry ledger, so the common path is inlined: one
combined field test, a local frontier, no calls into code of ours. The slow paths only name problems.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

from audit import canonical, merkle
from audit.checkpoint import Checkpoint
from audit.verdict import Failed, Problem

_FOUR_BYTE_UTF8 = re.compile(rb"[\xf0-\xf4]")
EVENT_FIELDS = {"v": int, "index": int, "type": str, "time": str, "actor": str, "payload": dict}

# (index, body, stored leaf hash or None, stored event type or None, stored item ref or None)
EntryRecord = tuple[int, bytes, bytes | None, str | None, str | None]
# (level, index, hash) of a stored complete subtree, in creation order
NodeRecord = tuple[int, int, bytes]


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


def entry_pass(
    entries: Iterable[EntryRecord],
    counter: list[int],
    progress: Callable[[int], None] | None,
    *,
    start: int = 0,
    prev_leaf: bytes | None = None,
    chains: ItemChains | None = None,
) -> Iterator[bytes]:
    """Steps 1-6 for entries numbered from `start`, yielding each leaf hash; raises Failed.

    `prev_leaf` is the leaf hash of entry start-1 (None for start 0). `counter[0]` holds the number
    of entries checked, so a caller knows how far the pass got even when it stops early.
    """
    chains = chains if chains is not None else ItemChains()
    heads, claims = chains.heads, chains.claims
    expected, prev_hex = start, prev_leaf.hex() if prev_leaf is not None else None
    sha256, loads, compact, four_byte = (
        hashlib.sha256,
        canonical.loads,
        canonical.sorted_compact,
        _FOUR_BYTE_UTF8.search,
    )
    for index, body, stored_leaf, stored_type, stored_item in entries:
        if index != expected:
            what = (
                f"entry {expected} is missing" if index > expected else f"entry {index} appears twice or out of order"
            )
            raise Failed(Problem("sequence", f"{what} (found {index} after {expected - 1})", min(index, expected)))
        leaf = sha256(b"\x00" + body).digest()
        if stored_leaf is not None and stored_leaf != leaf:
            raise Failed(Problem("leaf", "stored leaf hash does not match the body", index))
        try:
            event = loads(body)
        except ValueError:
            raise Failed(Problem("body", "body is not UTF-8 JSON", index)) from None
        # The sorted compact encoding equals JCS unless a 4-byte UTF-8 character occurs.
        if type(event) is not dict or not (
            (body.isascii() or not four_byte(body)) and compact(event) == body or canonical.is_canonical(body)
        ):
            raise Failed(Problem("body", "body is not an RFC 8785 canonical JSON object", index))
        if not (
            event.get("index") == index
            and type(event["index"]) is int
            and event.get("prev", 0) == prev_hex
            and event.get("v") == 1
            and type(event["v"]) is int
            and type(event.get("type")) is str
            and type(event.get("time")) is str
            and type(event.get("actor")) is str
            and type(event.get("payload")) is dict
        ):
            _diagnose_fields(event, index)
        item = event.get("item")
        if item is not None:
            item_prev = event.get("item_prev", 0)
            if type(item) is not str or (item_prev is not None and type(item_prev) is not int):
                raise Failed(Problem("item", "item must be a string and item_prev an integer or null", index))
            if item in heads or not start:
                if item_prev != heads.get(item):
                    raise Failed(
                        Problem(
                            "item",
                            f"item_prev is {item_prev!r}, the item's previous event is {heads.get(item)!r}",
                            index,
                        )
                    )
            elif item_prev is not None and (type(item_prev) is not int or item_prev >= start):
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
        counter[0] = expected - start
        prev_hex = leaf.hex()
        if progress is not None and not expected & 4095:
            progress(expected - start)
        yield leaf
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


def tree_pass(
    leaves: Iterable[bytes], signed: list[SignedSize], nodes: Iterable[NodeRecord] | None, counts: dict[str, int]
) -> None:
    """Steps 7, 9 and 10: rebuild the tree leaf by leaf (a frontier of (level, hash), largest first,
    as merkle.Frontier keeps it), compare each completed node and each checkpoint root; raises Failed."""
    stack: list[tuple[int, bytes]] = []
    node_iter = iter(nodes) if nodes is not None else None
    sha256 = hashlib.sha256
    pending, verified_size, size, nodes_seen = 0, 0, 0, 0
    boundary = signed[0].checkpoint.size if signed else -1
    try:
        for leaf in leaves:
            index, level, node = size, 0, leaf
            while stack and stack[-1][0] == level:
                node = sha256(b"\x01" + stack.pop()[1] + node).digest()
                level += 1
                if node_iter is not None:
                    stored = next(node_iter, None)
                    if stored is None or stored[2] != node or stored[0] != level or stored[1] != index >> level:
                        _node_problem(stored, level, index >> level, index)
                    nodes_seen += 1
            stack.append((level, node))
            size = index + 1
            while size == boundary:
                _check_root(signed[pending], merkle.fold_subtrees([h for _, h in stack]), verified_size)
                verified_size = size
                pending += 1
                boundary = signed[pending].checkpoint.size if pending < len(signed) else -1
    finally:
        counts["entries"], counts["nodes"] = size, nodes_seen
    _check_coverage(signed, pending, size, verified_size)
    extra = next(node_iter, None) if node_iter is not None else None
    if extra is not None:
        raise Failed(Problem("node", f"stored node level {extra[0]} index {extra[1]} lies beyond the log's end", size))


def _node_problem(stored: NodeRecord | None, level: int, node_index: int, index: int) -> None:
    if stored is None or stored[0] != level or stored[1] != node_index:
        raise Failed(Problem("node", f"stored node level {level} index {node_index} is missing", index))
    raise Failed(Problem("node", f"stored node level {level} index {node_index} does not match the leaves", index))


def _check_root(signed: SignedSize, root: bytes, verified_size: int) -> None:
    cp = signed.checkpoint
    if cp.root != root:
        span = f"entries {verified_size}..{cp.size - 1}" if cp.size - 1 > verified_size else f"entry {verified_size}"
        raise Failed(
            Problem(
                "root",
                f"root recomputed at size {cp.size} differs from the {signed.source} signed checkpoint: "
                f"{span} were changed after signing",
                verified_size,
                until=cp.size,
            )
        )


def _check_coverage(signed: list[SignedSize], pending: int, size: int, verified_size: int) -> None:
    if pending < len(signed):
        cp = signed[pending]
        raise Failed(
            Problem(
                "coverage",
                f"{cp.source} checkpoint claims {cp.checkpoint.size} entries but the log ends at {size}: "
                "entries were removed from the end",
                size,
            )
        )
    if size > verified_size:
        raise Failed(
            Problem(
                "coverage",
                f"entries {verified_size}..{size - 1} are not covered by any signed checkpoint",
                verified_size,
            )
        )
