"""Full verification of a ledger, streaming: every entry, every stored node, every checkpoint.

The steps, each reported by name when it fails:
  1. sequence   entries are numbered 0, 1, 2, ... with no gap and no repeat
  2. leaf       a stored leaf hash equals SHA-256(0x00 || body)
  3. body       the body is an RFC 8785 canonical JSON object of the event shape, naming its own index
  4. chain      `prev` is the leaf hash of the previous entry (null for entry 0)
  5. item       `item_prev` is the index of the same item's previous event (null for its first)
  6. columns    columns a database repeats from the body (type, item) agree with it
  7. node       every stored Merkle node equals the one recomputed from the leaves, none missing or extra
  8. signature  every checkpoint note is signed by a trusted key for the log's origin
  9. root       every checkpoint's root equals the root recomputed at its size; this also proves
                each checkpoint consistent with every earlier one
 10. coverage   no checkpoint claims more entries than the log holds (truncation), and every entry
                is covered by a signed checkpoint (no unsigned tail)
The verdict names the first bad entry index. A root mismatch can only be placed between the last
checkpoint that verified and the failing one: the verdict names the first index of that span.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Sequence

from audit import canonical, merkle, note
from audit.checkpoint import Checkpoint, CheckpointError, parse_checkpoint
from audit.errors import VerificationError

# (index, body, stored leaf hash or None, stored event type or None, stored item ref or None)
EntryRecord = tuple
# (level, index, hash) of a stored complete subtree, in creation order
NodeRecord = tuple[int, int, bytes]

_FOUR_BYTE_UTF8 = re.compile(rb"[\xf0-\xf4]")
EVENT_FIELDS = {"v": int, "index": int, "type": str, "time": str, "actor": str, "payload": dict}


@dataclass(frozen=True)
class Problem:
    check: str
    message: str
    index: int | None = None

    def __str__(self) -> str:
        where = f"entry {self.index}: " if self.index is not None else ""
        return f"{where}{self.message} [{self.check}]"


@dataclass
class Verdict:
    entries: int = 0
    checkpoints: int = 0
    nodes: int = 0
    latest: Checkpoint | None = None
    problem: Problem | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem is None

    def summary(self) -> str:
        if self.problem:
            return f"INVALID: {self.problem}"
        latest = f"; latest checkpoint {self.latest.origin} size {self.latest.size}" if self.latest else ""
        nodes = f", {self.nodes} stored nodes" if self.nodes else ""
        return f"OK: {self.entries} entries, {self.checkpoints} checkpoints{nodes} verified{latest}"


class _Failed(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem


@dataclass(frozen=True)
class _SignedSize:
    checkpoint: Checkpoint
    source: str


def _claimed_size(text: str) -> int | None:
    """The size a note claims, read without trusting it (to place a bad signature in the log)."""
    try:
        return parse_checkpoint(text.split("\n\n", 1)[0] + "\n").size
    except (CheckpointError, ValueError):
        return None


def open_checkpoints(notes: Iterable[str], vkeys: Sequence[str], origin: str | None,
                     source: str) -> tuple[list[_SignedSize], list[tuple[int | None, str]]]:
    """Verify each note's signature and parse it; all must share one origin.

    Returns the checkpoints that verified and, for each that did not, its claimed size and the reason.
    """
    opened, failed = [], []
    for number, text in enumerate(notes):
        try:
            cp = parse_checkpoint(note.verify(text, list(vkeys)))
        except (VerificationError, CheckpointError) as error:
            failed.append((_claimed_size(text), f"{source} checkpoint #{number} does not verify: {error}"))
            continue
        if origin is not None and cp.origin != origin:
            failed.append((cp.size, f"{source} checkpoint #{number} is for origin {cp.origin!r}, not {origin!r}"))
            continue
        origin = cp.origin
        opened.append(_SignedSize(cp, source))
    return opened, failed


def _signature_problem(signed: list[_SignedSize], failed: list[tuple[int | None, str]]) -> Problem | None:
    """A bad checkpoint is placed after the largest good checkpoint below the size it claims."""
    problems = []
    for claimed, message in failed:
        index = None
        if claimed is not None:
            index = max((s.checkpoint.size for s in signed if s.checkpoint.size < claimed), default=0)
        problems.append(Problem("signature", message, index))
    return min(problems, key=lambda p: -1 if p.index is None else p.index, default=None)


def verify_log(
    entries: Iterable[EntryRecord],
    checkpoint_notes: Iterable[str],
    vkeys: Sequence[str],
    *,
    origin: str | None = None,
    held_notes: Iterable[str] = (),
    nodes: Iterable[NodeRecord] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Verdict:
    """Verify a whole ledger and return the verdict; never raises for a bad ledger.

    `entries` must be in storage order (the verifier checks the numbering). `held_notes` are
    checkpoints an auditor kept from earlier: they must be covered too, which catches a truncation
    that also removed the stored checkpoints. `progress` is called with the number of entries done.
    A checkpoint that fails its signature is left out of the walk and reported unless an entry
    before it is already bad.
    """
    verdict = Verdict()
    signed, failed = open_checkpoints(checkpoint_notes, vkeys, origin, "stored")
    verdict.checkpoints = len(signed)
    origin = signed[0].checkpoint.origin if signed else origin
    held, held_failed = open_checkpoints(held_notes, vkeys, origin, "held")
    signed = sorted(signed + held, key=lambda s: s.checkpoint.size)
    signature_problem = _signature_problem(signed, failed + held_failed)
    if signature_problem is not None and signature_problem.index is None:
        verdict.problem = signature_problem
        return verdict
    try:
        _walk(entries, signed, nodes, verdict, progress)
    except _Failed as failure:
        verdict.problem = failure.problem
    if signature_problem is not None and (verdict.problem is None or verdict.problem.index >= signature_problem.index):
        verdict.problem = signature_problem
    if signed:
        verdict.latest = signed[-1].checkpoint
    return verdict


def _walk(entries, signed, nodes, verdict, progress) -> None:
    frontier = merkle.Frontier()
    stored_nodes: Iterator[NodeRecord] | None = iter(nodes) if nodes is not None else None
    item_heads: dict[str, int] = {}
    pending = 0  # position in `signed` of the next checkpoint to reach
    verified_size = 0
    prev_hex = None
    leaf_hash, dumps, loads, astral = merkle.leaf_hash, json.dumps, json.loads, _FOUR_BYTE_UTF8.search
    expected = 0
    for record in entries:
        index, body, stored_leaf, stored_type, stored_item = record
        if index != expected:
            what = f"entry {expected} is missing" if index > expected else f"entry {index} appears twice or out of order"
            raise _Failed(Problem("sequence", f"{what} (found {index} after {expected - 1})", min(index, expected)))
        leaf = leaf_hash(body)
        if stored_leaf is not None and stored_leaf != leaf:
            raise _Failed(Problem("leaf", "stored leaf hash does not match the body", index))
        try:
            event = loads(body)
        except ValueError:
            raise _Failed(Problem("body", "body is not UTF-8 JSON", index)) from None
        if type(event) is not dict:
            raise _Failed(Problem("body", "body is not a JSON object", index))
        # Python's key order equals JCS's unless a key holds a character above U+FFFF (a 4-byte UTF-8
        # sequence): only then, or when the fast encoding differs, ask the full RFC 8785 encoder.
        if (astral(body) or dumps(event, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode() != body) \
                and not canonical.is_canonical(body):
            raise _Failed(Problem("body", "body is not in RFC 8785 canonical form", index))
        _check_event(event, index, prev_hex, item_heads, stored_type, stored_item)
        completed = frontier.append(leaf)
        if stored_nodes is not None:
            verdict.nodes += _check_nodes(completed, stored_nodes, index)
        expected = index + 1
        prev_hex = leaf.hex()
        while pending < len(signed) and signed[pending].checkpoint.size == expected:
            _check_root(signed[pending], frontier.root(), verified_size)
            verified_size = expected
            pending += 1
        if progress is not None and expected % 4096 == 0:
            progress(expected)
    if progress is not None:
        progress(expected)
    verdict.entries = expected
    _check_coverage(signed, pending, expected, verified_size)
    if stored_nodes is not None:
        extra = next(stored_nodes, None)
        if extra is not None:
            level, node_index, _ = extra
            raise _Failed(Problem("node", f"stored node level {level} index {node_index} lies beyond the log's end", expected))


def _check_event(event: dict, index: int, prev_hex, item_heads: dict, stored_type, stored_item) -> None:
    for name, kind in EVENT_FIELDS.items():
        if type(event.get(name)) is not kind:
            raise _Failed(Problem("body", f"field {name!r} is missing or not a {kind.__name__}", index))
    if event["index"] != index:
        raise _Failed(Problem("body", f"body names index {event['index']}, stored at {index}", index))
    if event.get("prev", 0) != prev_hex:
        raise _Failed(Problem("chain", "prev does not match the leaf hash of the previous entry", index))
    item = event.get("item")
    if item is not None:
        if event.get("item_prev", 0) != item_heads.get(item):
            raise _Failed(Problem(
                "item", f"item_prev is {event.get('item_prev')!r}, the item's previous event is {item_heads.get(item)!r}", index))
        item_heads[item] = index
    elif "item_prev" in event:
        raise _Failed(Problem("item", "item_prev given without an item", index))
    if stored_type is not None and stored_type != event["type"]:
        raise _Failed(Problem("columns", f"stored event type {stored_type!r} differs from the body's", index))
    if stored_type is not None and stored_item != item:
        raise _Failed(Problem("columns", f"stored item {stored_item!r} differs from the body's {item!r}", index))


def _check_nodes(completed, stored_nodes: Iterator[NodeRecord], index: int) -> int:
    for level, node_index, value in completed:
        stored = next(stored_nodes, None)
        if stored is None or (stored[0], stored[1]) != (level, node_index):
            raise _Failed(Problem("node", f"stored node level {level} index {node_index} is missing", index))
        if stored[2] != value:
            raise _Failed(Problem("node", f"stored node level {level} index {node_index} does not match the leaves", index))
    return len(completed)


def _check_root(signed: _SignedSize, root: bytes, verified_size: int) -> None:
    cp = signed.checkpoint
    if cp.root != root:
        span = f"entries {verified_size}..{cp.size - 1}" if cp.size - 1 > verified_size else f"entry {verified_size}"
        raise _Failed(Problem(
            "root", f"root recomputed at size {cp.size} differs from the {signed.source} signed checkpoint: "
                    f"{span} were changed after signing", verified_size))


def _check_coverage(signed: list[_SignedSize], pending: int, size: int, verified_size: int) -> None:
    if pending < len(signed):
        cp = signed[pending]
        raise _Failed(Problem(
            "coverage", f"{cp.source} checkpoint claims {cp.checkpoint.size} entries but the log ends at {size}: "
                        "entries were removed from the end", size))
    if size > verified_size:
        raise _Failed(Problem(
            "coverage", f"entries {verified_size}..{size - 1} are not covered by any signed checkpoint", verified_size))
