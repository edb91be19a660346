"""The outcome of a verification: counts, the latest checkpoint, and the first problem found."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from audit.checkpoint import Checkpoint


@dataclass(frozen=True)
class Problem:
    """What is wrong, and where: `index` is the first bad entry. A root mismatch only shows that
    something in [index, until) changed; a precise problem found inside that span is preferred."""

    check: str
    message: str
    index: int | None = None
    until: int | None = None

    def __str__(self) -> str:
        where = f"entry {self.index}: " if self.index is not None else ""
        return f"{where}{self.message} [{self.check}]"

    def to_list(self) -> list[Any]:
        """The problem as JSON can carry it (for a pass run in another process)."""
        return [self.check, self.message, self.index, self.until]

    @classmethod
    def from_list(cls, data: list[Any]) -> Problem:
        return cls(*data)


@dataclass
class Verdict:
    entries: int = 0
    checkpoints: int = 0
    nodes: int = 0
    latest: Checkpoint | None = None
    problem: Problem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def summary(self) -> str:
        if self.problem:
            return f"INVALID: {self.problem}"
        latest = f"; latest checkpoint {self.latest.origin} size {self.latest.size}" if self.latest else ""
        nodes = f", {self.nodes} stored nodes" if self.nodes else ""
        return f"OK: {self.entries} entries, {self.checkpoints} checkpoints{nodes} verified{latest}"


class Failed(Exception):
    """Raised inside a verification pass to stop at the first problem."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


def first_problem(ranked: Iterable[tuple[Problem | None, int]]) -> Problem | None:
    """The first problem of (problem or None, rank) pairs: lowest entry index, then lowest rank.

    A problem with no index (malformed input) comes first. A span problem (`until` set) gives way to
    a precise problem inside its span, which is what a one-pass verification would have met first.
    """
    present = [(p, rank) for p, rank in ranked if p is not None]
    if not present:
        return None
    best = min(present, key=lambda pr: (-1 if pr[0].index is None else pr[0].index, pr[1]))[0]
    if best.until is not None:
        inside = [(p.index, p) for p, _ in present if p.until is None and p.index is not None and p.index < best.until]
        if inside:
            return min(inside, key=lambda pair: pair[0])[1]
    return best
