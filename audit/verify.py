"""Full verification of a ledger, streaming: every entry, every stored node, every checkpoint.

The steps are CHECKS below, each reported by name when it fails. The verdict names the first bad
entry index. A root mismatch can only be placed between the last
checkpoint that verified and the failing one: the verdict names the first index of that span.

A verification is one or more range passes (`verify_range`: the entries of a range, and the tree
over them from the frontier where the range starts, with its root at every checkpoint size in it)
settled against the signed checkpoints (`settle`). `verify_log` is the whole log as one range; a
verifier on several cores runs consecutive ranges in parallel, each but the first starting from the
stored frontier at its start, which the range before checks as ordinary stored nodes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

from audit import merkle, note
from audit.checkpoint import CheckpointError, parse_checkpoint
from audit.errors import VerificationError
from audit.passes import (
    CHUNK_LEVELS,
    EntryRecord,
    ItemChains,
    NodeRecord,
    SignedSize,
    Tree,
    check_claims,
    entry_chunks,
    no_cycle_collection,
)
from audit.verdict import Failed, Problem, Verdict, first_problem

# Each check by the name a Problem carries, with what it proves.
CHECKS = (
    ("sequence", "entries are numbered 0, 1, 2, ... with no gap and no repeat"),
    ("leaf", "each stored leaf hash equals SHA-256(0x00 || body) (RFC 6962)"),
    ("body", "each body is an RFC 8785 canonical JSON event of the event shape, naming its own index"),
    ("chain", "each entry's `prev` is the leaf hash of the one before it (null for entry 0)"),
    ("item", "each event's `item_prev` is the index of the same item's previous event (null for its first)"),
    ("columns", "the columns a database repeats from a body (type, item) agree with it"),
    ("node", "every stored Merkle node equals the one recomputed from the leaves, none missing or extra"),
    ("signature", "every checkpoint note is signed by a trusted key for the log's origin (C2SP signed note)"),
    (
        "root",
        "every checkpoint's root equals the root recomputed at its size, which also proves it consistent "
        "with every earlier one",
    ),
    (
        "coverage",
        "no checkpoint claims more entries than the log holds (truncation), and every entry is "
        "covered by a signed checkpoint (no unsigned tail)",
    ),
)

__all__ = [
    "CHECKS",
    "Problem",
    "Verdict",
    "ItemChains",
    "RangeResult",
    "verify_log",
    "verify_range",
    "settle",
    "Opened",
    "open_all",
    "claimed_size",
]


def claimed_size(text: str) -> int | None:
    """The size a note claims, read without trusting it (to place a bad signature in the log)."""
    try:
        return parse_checkpoint(text.split("\n\n", 1)[0] + "\n").size
    except (CheckpointError, ValueError):
        return None


def open_checkpoints(
    notes: Iterable[str], vkeys: Sequence[str], origin: str | None, source: str
) -> tuple[list[SignedSize], list[tuple[int | None, str]]]:
    """Verify each note's signature and parse it; all must share one origin.

    Every key given must sign the largest stored checkpoint (whose root binds the whole log), and a
    key that signed a stored checkpoint must sign every larger one: a log adds keys (a post-quantum
    key beside Ed25519) and never drops one, so a checkpoint without it is what a forger holding only
    the older key would make.

    Returns the checkpoints that verified and, for each that did not, its claimed size and the reason.
    """
    opened, failed = [], []
    read = []
    for number, text in enumerate(notes):
        try:
            body, signers = note.signed_by(text, list(vkeys))
            read.append((number, parse_checkpoint(body), signers))
        except (VerificationError, CheckpointError) as error:
            failed.append((claimed_size(text), f"{source} checkpoint #{number} does not verify: {error}"))
    given = note.identities(list(vkeys)) if source == "stored" else set()
    required: set[tuple[str, bytes]] = set()
    last = max((cp.size for _, cp, _ in read), default=None)
    for number, cp, signers in sorted(read, key=lambda found: (found[1].size, found[0])):
        wanted = (required | (given if cp.size == last else set())) - signers
        if source == "stored" and wanted:
            missing = ", ".join(f"{name}+{key_id.hex()}" for name, key_id in sorted(wanted))
            failed.append((cp.size, f"{source} checkpoint #{number} (size {cp.size}) lacks the signature of {missing}"))
            continue
        required |= signers
        if origin is not None and cp.origin != origin:
            failed.append((cp.size, f"{source} checkpoint #{number} is for origin {cp.origin!r}, not {origin!r}"))
            continue
        origin = cp.origin
        opened.append(SignedSize(cp, source))
    return opened, failed


def _signature_problem(signed: list[SignedSize], failed: list[tuple[int | None, str]]) -> Problem | None:
    """A bad checkpoint is placed after the largest good checkpoint below the size it claims."""
    problems = []
    for claimed, message in failed:
        index = None
        if claimed is not None:
            index = max((s.checkpoint.size for s in signed if s.checkpoint.size < claimed), default=0)
        problems.append(Problem("signature", message, index))
    return min(problems, key=lambda p: -1 if p.index is None else p.index, default=None)


@dataclass(frozen=True)
class Opened:
    """The signed checkpoints (stored and held) by size, how many were stored, and the first
    signature problem, placed in the log (`index`) or not."""

    signed: list[SignedSize]
    stored: int
    problem: Problem | None

    @property
    def stops(self) -> bool:
        """A bad signature that no entry can be placed before: nothing else needs checking."""
        return self.problem is not None and self.problem.index is None

    @property
    def sizes(self) -> list[int]:
        return [entry.checkpoint.size for entry in self.signed]


def open_all(
    checkpoint_notes: Iterable[str], held_notes: Iterable[str], vkeys: Sequence[str], origin: str | None
) -> Opened:
    """Open the stored and the held checkpoints (see `open_checkpoints`)."""
    signed, failed = open_checkpoints(checkpoint_notes, vkeys, origin, "stored")
    stored = len(signed)
    origin = signed[0].checkpoint.origin if signed else origin
    held, held_failed = open_checkpoints(held_notes, vkeys, origin, "held")
    signed = sorted(signed + held, key=lambda s: s.checkpoint.size)
    return Opened(signed, stored, _signature_problem(signed, failed + held_failed))


@dataclass
class RangeResult:
    """What a pass over entries [start, start + entries) found: the first problem, if any, and the
    root of the tree at each checkpoint size in the range that the pass reached."""

    start: int
    entries: int = 0
    nodes: int = 0
    problem: Problem | None = None
    roots: dict[int, bytes] = field(default_factory=dict)
    chains: ItemChains = field(default_factory=ItemChains)
    beyond: Problem | None = None  # a stored node past the range's last leaf

    def to_dict(self) -> dict[str, Any]:
        """For a pass run in another process. The item heads are left out: only the claims of a
        range are checked against another (the one before it)."""
        return {
            "start": self.start,
            "entries": self.entries,
            "nodes": self.nodes,
            "problem": None if self.problem is None else self.problem.to_list(),
            "beyond": None if self.beyond is None else self.beyond.to_list(),
            "roots": {str(size): root.hex() for size, root in self.roots.items()},
            "claims": self.chains.claims,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RangeResult:
        return cls(
            start=data["start"],
            entries=data["entries"],
            nodes=data["nodes"],
            problem=None if data["problem"] is None else Problem.from_list(data["problem"]),
            beyond=None if data["beyond"] is None else Problem.from_list(data["beyond"]),
            roots={int(size): bytes.fromhex(root) for size, root in data["roots"].items()},
            chains=ItemChains(claims={item: tuple(claim) for item, claim in data["claims"].items()}),
        )


def verify_range(
    entries: Iterable[EntryRecord],
    *,
    start: int = 0,
    stop: int | None = None,
    prev_leaf: bytes | None = None,
    frontier: Sequence[tuple[int, bytes]] = (),
    nodes: Iterable[NodeRecord] | None = None,
    sizes: Iterable[int] = (),
    progress: Callable[[int], None] | None = None,
    chunk_levels: int = CHUNK_LEVELS,
) -> RangeResult:
    """Steps 1-7 and 9 over entries numbered from `start` (up to `stop`, exclusive, when given: a
    range that ends early is a missing entry); never raises for a bad ledger.

    `prev_leaf` is the leaf hash of entry start-1 and `frontier` the tree's frontier at `start`
    ((level, hash) of merkle.frontier_keys(start), largest first), both as stored: the range before
    checks them. `nodes` are the stored nodes whose last leaf is in the range, (key, hash) in key
    order (merkle.node_key), or None to skip step 7; any node left over is reported. The root is
    taken at each of `sizes` inside the range. A range after entry 0 cannot check each item's first
    `item_prev` by itself: the result's chains carry those claims for `settle`.
    """
    result, counter = RangeResult(start), [0]
    tree = Tree(start, frontier, nodes, sizes, chunk_levels)
    with no_cycle_collection():
        try:
            for leaves in entry_chunks(
                entries,
                counter,
                progress,
                start=start,
                prev_leaf=prev_leaf,
                chains=result.chains,
                chunk=1 << chunk_levels,
            ):
                tree.add(leaves)
            end = start + counter[0]
            if stop is not None and end != stop:
                raise Failed(Problem("sequence", f"entry {end} is missing (the range ends at {end - 1})", end))
            result.beyond = tree.finish()
        except Failed as failure:
            result.problem = failure.problem
    result.entries, result.nodes, result.roots = counter[0], tree.nodes_seen, tree.roots
    return result


_STEP = {"item": 1, "columns": 2, "node": 3, "root": 4}


def _root_problem(signed: list[SignedSize], roots: dict[int, bytes]) -> Problem | None:
    """The first signed checkpoint whose root differs from the one recomputed at its size. A size
    no pass reached ends the search: a pass stopped at a problem before it, which comes first."""
    verified_size = 0
    for entry in signed:
        cp = entry.checkpoint
        root = roots.get(cp.size)
        if root is None:
            return None
        if root != cp.root:
            last = cp.size - 1
            span = f"entries {verified_size}..{last} were" if last > verified_size else f"entry {verified_size} was"
            return Problem(
                "root",
                f"root recomputed at size {cp.size} differs from the {entry.source} signed checkpoint: "
                f"{span} changed after signing",
                verified_size,
                until=cp.size,
            )
        verified_size = cp.size
    return None


def _coverage_problem(signed: list[SignedSize], size: int) -> Problem | None:
    beyond = [entry for entry in signed if entry.checkpoint.size > size]
    if beyond:
        cp = beyond[0]
        return Problem(
            "coverage",
            f"{cp.source} checkpoint claims {cp.checkpoint.size} entries but the log ends at {size}: "
            "entries were removed from the end",
            size,
        )
    covered = signed[-1].checkpoint.size if signed else 0
    if size > covered:
        return Problem("coverage", f"entries {covered}..{size - 1} are not covered by any signed checkpoint", covered)
    return None


def settle(
    opened: Opened,
    ranges: Sequence[RangeResult],
    *,
    extra: Sequence[Problem | None] = (),
) -> Verdict:
    """One verdict from the opened checkpoints (`open_all`) and the passes over consecutive ranges
    that cover the log, naming the problem one pass over the whole log would have met first.

    Range problems, the first root mismatch and the item claims of each range against the heads of
    the ranges before it are ranked by entry index (a precise problem inside a root mismatch's span
    comes first). Coverage is checked only when nothing else is wrong, as a pass reaches it last.
    A bad checkpoint signature wins unless an entry before the span it claims is already bad.
    """
    signed, signature_problem = opened.signed, opened.problem
    verdict = Verdict(checkpoints=opened.stored)
    if opened.stops:
        verdict.problem = signature_problem
        return verdict
    found_in_ranges = [r.problem for r in ranges]
    heads: dict[str, int] = {}
    for before, after in zip(ranges, ranges[1:]):
        heads.update(before.chains.heads)
        if before.problem is None:
            found_in_ranges.append(check_claims(ItemChains(heads), after.chains.claims))
    # A checkpoint of size 0 signs the empty tree.
    roots = {0: merkle.EMPTY_ROOT, **{size: root for r in ranges for size, root in r.roots.items()}}
    found_in_ranges.append(_root_problem(signed, roots))
    # At one entry, a pass checks the body, then item_prev, then the columns, then the nodes it completes.
    found = first_problem([(p, _STEP.get(p.check, 0)) for p in found_in_ranges if p is not None])
    size = ranges[-1].start + ranges[-1].entries if ranges else 0
    if found is None:
        found = _coverage_problem(signed, size) or next((r.beyond for r in ranges if r.beyond is not None), None)
    if signature_problem is not None and signature_problem.index is not None:  # an unplaced one returned above
        if found is None or (found.index is not None and found.index >= signature_problem.index):
            found = signature_problem
    verdict.problem = first_problem([(found, 0), *((problem, 1) for problem in extra)])
    verdict.entries = sum(r.entries for r in ranges)
    verdict.nodes = sum(r.nodes for r in ranges)
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
    chunk_levels: int = CHUNK_LEVELS,
) -> Verdict:
    """Verify a whole ledger in one pass and return the verdict; never raises for a bad ledger.

    `entries` must be in storage order (the verifier checks the numbering); `nodes`, if given, are
    the stored nodes as `verify_range` takes them. `held_notes` are checkpoints an auditor kept from
    earlier: they must be covered too, which catches a truncation that also removed the stored
    checkpoints. `progress` is called with the number of entries done. A checkpoint that fails its
    signature is left out and reported unless an entry before it is bad.
    """
    opened = open_all(checkpoint_notes, held_notes, vkeys, origin)
    if opened.stops:
        return settle(opened, [])
    return settle(
        opened,
        [verify_range(entries, nodes=nodes, sizes=opened.sizes, progress=progress, chunk_levels=chunk_levels)],
    )
