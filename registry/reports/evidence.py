"""The evidence a report carries: the ledger entries it shows, their inclusion proofs and the
signed checkpoint they are proved against (format: `audit.report`)."""

from __future__ import annotations

from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from audit import merkle
from audit.canonical import canonical_bytes
from audit.policy import Policy
from audit.report import EVIDENCE_FORMAT
from registry.ledger import tree
from registry.ledger.models import LedgerCheckpoint, LedgerEntry

BATCH = 1000


class EvidenceError(RuntimeError):
    """The ledger has no signed checkpoint covering the entries a report shows."""


def latest_checkpoint(session: Session) -> LedgerCheckpoint:
    found = session.scalars(
        select(LedgerCheckpoint).order_by(LedgerCheckpoint.tree_size.desc(), LedgerCheckpoint.id.desc()).limit(1)
    ).first()
    if found is None:
        raise EvidenceError("the ledger has no signed checkpoint yet")
    return found


def build(
    session: Session,
    indices: Iterable[int],
    *,
    report: dict,
    origin: str,
    vkey: str,
    checkpoint: LedgerCheckpoint | None = None,
    policy: Policy | None = None,
) -> dict:
    """The evidence object for these entry indices, proved against `checkpoint`: by default the
    largest checkpoint that holds them all and that the witnesses cosigned (to the quorum of
    `policy`, an audit.policy.Policy, when the instance has one), else the latest. The checkpoint note
    carries the cosignatures gathered for it, so a reader can check them against a witness policy."""
    from registry.ledger.witnesses import cosigned_note, witnessed_checkpoint

    wanted = sorted(set(indices))
    covering = wanted[-1] + 1 if wanted else 0
    checkpoint = checkpoint or witnessed_checkpoint(session, covering, policy) or latest_checkpoint(session)
    size = checkpoint.tree_size
    if wanted and wanted[-1] >= size:
        raise EvidenceError(f"entry {wanted[-1]} is not covered by the checkpoint at size {size}")
    bodies: dict[int, bytes] = {}
    for start in range(0, len(wanted), BATCH):
        chunk = wanted[start : start + BATCH]
        bodies.update(
            session.execute(
                select(LedgerEntry.entry_index, LedgerEntry.body).where(LedgerEntry.entry_index.in_(chunk))
            ).all()
        )
    ranges = sorted({span for index in wanted for span in merkle.inclusion_ranges(index, size)})
    hashes: dict[str, str] = {}
    for start in range(0, len(ranges), BATCH):
        chunk = ranges[start : start + BATCH]
        for (first, end), value in zip(chunk, tree.range_hashes(session, chunk)):
            hashes[f"{first}-{end}"] = value.hex()
    return {
        "format": EVIDENCE_FORMAT,
        "report": report,
        "log": {"origin": origin, "vkey": vkey, "checkpoint": cosigned_note(session, checkpoint)},
        "entries": [{"index": index, "body": bytes(bodies[index]).decode("utf-8")} for index in wanted],
        "proof": {"size": size, "ranges": hashes},
    }


def encode(evidence: dict) -> bytes:
    """RFC 8785 canonical JSON: the same evidence always gives the same bytes."""
    return canonical_bytes(evidence)
