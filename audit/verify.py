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

import hashlib
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

    def to_dict(self) -> dict:
        latest = None if self.latest is None else {
            "origin": self.latest.origin, "size": self.latest.size, "root": self.latest.root.hex(),
            "extensions": list(self.latest.extensions)}
        problem = None if self.problem is None else {
            "check": self.problem.check, "message": self.problem.message, "index": self.problem.index}
        return {"entries": self.entries, "checkpoints": self.checkpoints, "nodes": self.nodes,
                "latest": latest, "problem": problem}

    @classmethod
    def from_dict(cls, data: dict) -> Verdict:
        latest = data.get("latest")
        problem = data.get("problem")
        return cls(
            entries=data["entries"], checkpoints=data["checkpoints"], nodes=data["nodes"],
            latest=None if latest is None else Checkpoint(latest["origin"], latest["size"],
                                                          bytes.fromhex(latest["root"]), tuple(latest["extensions"])),
            problem=None if problem is None else Problem(problem["check"], problem["message"], problem["index"]))

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


def _open_all(checkpoint_notes, held_notes, vkeys, origin) -> tuple[list[_SignedSize], int, Problem | None]:
    """Signed checkpoints (stored and held) by size, the number of stored ones, and any signature problem."""
    signed, failed = open_checkpoints(checkpoint_notes, vkeys, origin, "stored")
    stored = len(signed)
    origin = signed[0].checkpoint.origin if signed else origin
    held, held_failed = open_checkpoints(held_notes, vkeys, origin, "held")
    signed = sorted(signed + held, key=lambda s: s.checkpoint.size)
    return signed, stored, _signature_problem(signed, failed + held_failed)


def _finish(verdict: Verdict, signed: list[_SignedSize], signature_problem: Problem | None) -> Verdict:
    """A bad signature wins unless an entry before the span it claims is already bad."""
    if signature_problem is not None and (verdict.problem is None or verdict.problem.index >= signature_problem.index):
        verdict.problem = signature_problem
    if signed:
        verdict.latest = signed[-1].checkpoint
    return verdict


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
    """Verify a whole ledger in one pass and return the verdict; never raises for a bad ledger.

    `entries` must be in storage order (the verifier checks the numbering). `held_notes` are
    checkpoints an auditor kept from earlier: they must be covered too, which catches a truncation
    that also removed the stored checkpoints. `progress` is called with the number of entries done.
    A checkpoint that fails its signature is left out and reported unless an entry before it is bad.
    """
    verdict = Verdict()
    signed, verdict.checkpoints, signature_problem = _open_all(checkpoint_notes, held_notes, vkeys, origin)
    if signature_problem is not None and signature_problem.index is None:
        verdict.problem = signature_problem
        return verdict
    try:
        _tree_pass(_entry_pass(entries, verdict, progress), signed, nodes, verdict)
    except _Failed as failure:
        verdict.problem = failure.problem
    return _finish(verdict, signed, signature_problem)


def verify_entries(entries: Iterable[EntryRecord], *, progress: Callable[[int], None] | None = None) -> Verdict:
    """Steps 1-6 only: each entry against its stored leaf hash and its predecessors."""
    verdict = Verdict()
    try:
        for _ in _entry_pass(entries, verdict, progress):
            pass
    except _Failed as failure:
        verdict.problem = failure.problem
    return verdict


def verify_tree(leaves: Iterable[bytes], checkpoint_notes: Iterable[str], vkeys: Sequence[str], *,
                origin: str | None = None, held_notes: Iterable[str] = (),
                nodes: Iterable[NodeRecord] | None = None) -> Verdict:
    """Steps 7-10 only, over stored leaf hashes that `verify_entries` checks against the bodies.

    Together the two verdicts (see `combine`) check what `verify_log` checks; a database verifier
    runs them in parallel.
    """
    verdict = Verdict()
    signed, verdict.checkpoints, signature_problem = _open_all(checkpoint_notes, held_notes, vkeys, origin)
    if signature_problem is not None and signature_problem.index is None:
        verdict.problem = signature_problem
        return verdict
    try:
        _tree_pass(leaves, signed, nodes, verdict)
    except _Failed as failure:
        verdict.problem = failure.problem
    return _finish(verdict, signed, signature_problem)


def combine(entries: Verdict, tree: Verdict) -> Verdict:
    """One verdict from the two halves: the problem at the lower entry index wins."""
    problems = [p for p in (entries.problem, tree.problem) if p is not None]
    problem = min(problems, key=lambda p: -1 if p.index is None else p.index, default=None)
    if entries.problem is None and tree.problem is None and entries.entries != tree.entries:
        problem = Problem("sequence", f"{entries.entries} bodies but {tree.entries} leaf hashes",
                          min(entries.entries, tree.entries))
    return Verdict(entries=entries.entries, checkpoints=tree.checkpoints, nodes=tree.nodes, latest=tree.latest,
                   problem=problem)


def _entry_pass(entries, verdict: Verdict, progress) -> Iterator[bytes]:
    """Steps 1-6 for each entry, yielding its leaf hash. Runs a million times per verification, so
    the common path is one combined field test and no function calls of ours."""
    item_heads: dict[str, int] = {}
    expected, prev_hex = 0, None
    sha256, loads, compact, four_byte = hashlib.sha256, canonical.loads, canonical.sorted_compact, _FOUR_BYTE_UTF8.search
    for index, body, stored_leaf, stored_type, stored_item in entries:
        if index != expected:
            what = f"entry {expected} is missing" if index > expected else f"entry {index} appears twice or out of order"
            raise _Failed(Problem("sequence", f"{what} (found {index} after {expected - 1})", min(index, expected)))
        leaf = sha256(b"\x00" + body).digest()
        if stored_leaf is not None and stored_leaf != leaf:
            raise _Failed(Problem("leaf", "stored leaf hash does not match the body", index))
        try:
            event = loads(body)
        except ValueError:
            raise _Failed(Problem("body", "body is not UTF-8 JSON", index)) from None
        # The sorted compact encoding equals JCS unless a 4-byte UTF-8 character occurs.
        if type(event) is not dict or not (
                (body.isascii() or not four_byte(body)) and compact(event) == body or canonical.is_canonical(body)):
            raise _Failed(Problem("body", "body is not an RFC 8785 canonical JSON object", index))
        if not (event.get("index") == index and event.get("prev", 0) == prev_hex and event.get("v") == 1
                and type(event.get("type")) is str and type(event.get("time")) is str
                and type(event.get("actor")) is str and type(event.get("payload")) is dict):
            _diagnose_fields(event, index, prev_hex)
        item = event.get("item")
        if item is not None:
            if event.get("item_prev", 0) != item_heads.get(item):
                raise _Failed(Problem("item", f"item_prev is {event.get('item_prev')!r}, "
                                              f"the item's previous event is {item_heads.get(item)!r}", index))
            item_heads[item] = index
        elif "item_prev" in event:
            raise _Failed(Problem("item", "item_prev given without an item", index))
        if stored_type is not None and (stored_type != event["type"] or stored_item != item):
            raise _Failed(Problem("columns", f"stored columns ({stored_type!r}, {stored_item!r}) differ from "
                                             f"the body's ({event['type']!r}, {item!r})", index))
        expected = index + 1
        prev_hex = leaf.hex()
        verdict.entries = expected
        if progress is not None and not expected & 4095:
            progress(expected)
        yield leaf
    if progress is not None:
        progress(expected)


def _tree_pass(leaves: Iterable[bytes], signed: list[_SignedSize], nodes, verdict: Verdict) -> None:
    """Steps 7, 9 and 10: rebuild the tree leaf by leaf (a local frontier of (level, hash), largest
    first, as merkle.Frontier keeps it), compare each completed node and each checkpoint root."""
    stack: list[tuple[int, bytes]] = []
    node_iter = iter(nodes) if nodes is not None else None
    sha256 = hashlib.sha256
    pending, verified_size, size, nodes_seen = 0, 0, 0, 0
    boundary = signed[0].checkpoint.size if signed else -1
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
    verdict.entries, verdict.nodes = size, nodes_seen
    _check_coverage(signed, pending, size, verified_size)
    extra = next(node_iter, None) if node_iter is not None else None
    if extra is not None:
        raise _Failed(Problem("node", f"stored node level {extra[0]} index {extra[1]} lies beyond the log's end", size))


def _diagnose_fields(event: dict, index: int, prev_hex) -> None:
    """Name what is wrong with an entry's top-level fields (the slow path of the walk)."""
    for name, kind in EVENT_FIELDS.items():
        if type(event.get(name)) is not kind:
            raise _Failed(Problem("body", f"field {name!r} is missing or not a {kind.__name__}", index))
    if event["v"] != 1:
        raise _Failed(Problem("body", f"body version {event['v']} is not 1", index))
    if event["index"] != index:
        raise _Failed(Problem("body", f"body names index {event['index']}, stored at {index}", index))
    raise _Failed(Problem("chain", "prev does not match the leaf hash of the previous entry", index))


def _node_problem(stored, level: int, node_index: int, index: int) -> None:
    if stored is None or stored[0] != level or stored[1] != node_index:
        raise _Failed(Problem("node", f"stored node level {level} index {node_index} is missing", index))
    raise _Failed(Problem("node", f"stored node level {level} index {node_index} does not match the leaves", index))


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
