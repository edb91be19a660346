"""Full verification of a ledger, streaming: every entry, every stored node, every checkpoint.

The steps are CHECKS below, each reported by name when it fails. The verdict names the first bad
entry index. A root mismatch can only be placed between the last
checkpoint that verified and the failing one: the verdict names the first index of that span.
"""

from __future__ import annotations

from typing import Callable, Iterable, Sequence

from audit import note
from audit.checkpoint import CheckpointError, parse_checkpoint
from audit.errors import VerificationError
from audit.passes import EntryRecord, ItemChains, NodeRecord, SignedSize, check_claims, entry_pass, tree_pass
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
    "verify_log",
    "verify_entries",
    "verify_tree",
    "combine",
    "check_claims",
]


def _claimed_size(text: str) -> int | None:
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
            failed.append((_claimed_size(text), f"{source} checkpoint #{number} does not verify: {error}"))
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


def _open_all(
    checkpoint_notes: Iterable[str], held_notes: Iterable[str], vkeys: Sequence[str], origin: str | None
) -> tuple[list[SignedSize], int, Problem | None]:
    """Signed checkpoints (stored and held) by size, the number of stored ones, and any signature problem."""
    signed, failed = open_checkpoints(checkpoint_notes, vkeys, origin, "stored")
    stored = len(signed)
    origin = signed[0].checkpoint.origin if signed else origin
    held, held_failed = open_checkpoints(held_notes, vkeys, origin, "held")
    signed = sorted(signed + held, key=lambda s: s.checkpoint.size)
    return signed, stored, _signature_problem(signed, failed + held_failed)


def _verify(
    checkpoint_notes: Iterable[str],
    held_notes: Iterable[str],
    vkeys: Sequence[str],
    origin: str | None,
    run: Callable[[list[SignedSize], dict[str, int]], None],
) -> Verdict:
    """Open the checkpoints, run the passes, and settle which problem the verdict names: a bad
    signature wins unless an entry before the span it claims is already bad."""
    verdict = Verdict()
    signed, verdict.checkpoints, signature_problem = _open_all(checkpoint_notes, held_notes, vkeys, origin)
    if signature_problem is not None and signature_problem.index is None:
        verdict.problem = signature_problem
        return verdict
    counts: dict[str, int] = {}
    try:
        run(signed, counts)
    except Failed as failure:
        verdict.problem = failure.problem
    verdict.entries, verdict.nodes = counts.get("entries", 0), counts.get("nodes", 0)
    if signature_problem is not None and signature_problem.index is not None:  # an unplaced one returned above
        found = verdict.problem
        if found is None or (found.index is not None and found.index >= signature_problem.index):
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
    return _verify(
        checkpoint_notes,
        held_notes,
        vkeys,
        origin,
        lambda signed, counts: tree_pass(entry_pass(entries, [0], progress), signed, nodes, counts),
    )


def verify_entries(
    entries: Iterable[EntryRecord],
    *,
    progress: Callable[[int], None] | None = None,
    start: int = 0,
    prev_leaf: bytes | None = None,
    stop: int | None = None,
) -> tuple[Verdict, ItemChains]:
    """Steps 1-6 only, over entries numbered from `start` (`prev_leaf`: leaf hash of entry start-1)
    up to `stop` (exclusive; when given, a range that ends early is a missing entry).

    A range after entry 0 cannot check each item's first `item_prev` by itself: the returned
    ItemChains carries those claims for `check_claims` against the chains of the range before.
    """
    verdict, chains, counter = Verdict(), ItemChains(), [0]
    try:
        for _ in entry_pass(entries, counter, progress, start=start, prev_leaf=prev_leaf, chains=chains):
            pass
    except Failed as failure:
        verdict.problem = failure.problem
    verdict.entries = counter[0]
    if verdict.problem is None and stop is not None and start + counter[0] != stop:
        missing = start + counter[0]
        verdict.problem = Problem("sequence", f"entry {missing} is missing (the range ends at {missing - 1})", missing)
    return verdict, chains


def verify_tree(
    leaves: Iterable[bytes],
    checkpoint_notes: Iterable[str],
    vkeys: Sequence[str],
    *,
    origin: str | None = None,
    held_notes: Iterable[str] = (),
    nodes: Iterable[NodeRecord] | None = None,
) -> Verdict:
    """Steps 7-10 only, over stored leaf hashes that `verify_entries` checks against the bodies.

    With `verify_entries` over every range and `check_claims` between ranges, it checks what
    `verify_log` checks; a database verifier runs the parts in parallel.
    """
    return _verify(
        checkpoint_notes, held_notes, vkeys, origin, lambda signed, counts: tree_pass(leaves, signed, nodes, counts)
    )


def combine(tree: Verdict, *entry_ranges: Verdict, extra: Sequence[Problem | None] = ()) -> Verdict:
    """One verdict from a tree verdict and the entry verdicts of consecutive ranges covering the log.

    It names the problem a one-pass verification would have named: the lowest entry index wins; on
    a tie an entry's own problem comes before the tree's (a pass checks an entry before adding its
    leaf), except a bad checkpoint signature, which `verify_log` also reports first.
    """
    tree_rank = 0 if tree.problem is not None and tree.problem.check == "signature" else 2
    problem = first_problem(
        [*((v.problem, 1) for v in entry_ranges), (tree.problem, tree_rank), *((p, 1) for p in extra)]
    )
    bodies = sum(v.entries for v in entry_ranges)
    if problem is None and bodies != tree.entries:
        problem = Problem("sequence", f"{bodies} bodies but {tree.entries} leaf hashes", min(bodies, tree.entries))
    return Verdict(
        entries=tree.entries, checkpoints=tree.checkpoints, nodes=tree.nodes, latest=tree.latest, problem=problem
    )
