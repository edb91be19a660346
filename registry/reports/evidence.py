"""The evidence a report carries: the ledger entries it shows, their inclusion proofs and the
signed checkpoint they are proved against (format: `audit.report`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

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


@dataclass
class Streamed:
    """The evidence as `chunks`, its RFC 8785 bytes piece by piece, and what the report records of it."""

    chunks: Iterator[bytes]
    checkpoint_size: int
    entries: int


def stream(
    session: Session,
    indices: Iterable[int],
    *,
    report: dict,
    origin: str,
    vkey: str,
    checkpoint: LedgerCheckpoint | None = None,
    policy: Policy | None = None,
) -> Streamed:
    """The evidence object for these entry indices (format `audit.report`), proved against
    `checkpoint`: by default the largest checkpoint that holds them all and that the witnesses
    cosigned (to the quorum of `policy`, an audit.policy.Policy, when the instance has one), else the
    latest; its note carries the cosignatures gathered for it. Written as it is read: a long book's
    entries and proofs never stand in memory as objects, nor their JSON as a whole. The members are
    written in RFC 8785 order (entries, format, log, proof, report; the proof's ranges sorted as
    strings), each value with `canonical_bytes`."""
    from registry.ledger.witnesses import cosigned_note, witnessed_checkpoint

    wanted = sorted(set(indices))
    covering = wanted[-1] + 1 if wanted else 0
    checkpoint = checkpoint or witnessed_checkpoint(session, covering, policy) or latest_checkpoint(session)
    size = checkpoint.tree_size
    if wanted and wanted[-1] >= size:
        raise EvidenceError(f"entry {wanted[-1]} is not covered by the checkpoint at size {size}")
    log = {"origin": origin, "vkey": vkey, "checkpoint": cosigned_note(session, checkpoint)}

    def chunks() -> Iterator[bytes]:
        yield b'{"entries":['
        for start in range(0, len(wanted), BATCH):
            chunk = wanted[start : start + BATCH]
            bodies = dict(
                session.execute(
                    select(LedgerEntry.entry_index, LedgerEntry.body).where(LedgerEntry.entry_index.in_(chunk))
                ).all()
            )
            entries = (
                canonical_bytes({"index": index, "body": bytes(bodies[index]).decode("utf-8")}) for index in chunk
            )
            yield (b"," if start else b"") + b",".join(entries)
        yield b'],"format":' + canonical_bytes(EVIDENCE_FORMAT) + b',"log":' + canonical_bytes(log)
        yield b',"proof":{"ranges":{'
        keyed = sorted(
            (f"{first}-{end}", (first, end))
            for first, end in {span for index in wanted for span in merkle.inclusion_ranges(index, size)}
        )
        for start in range(0, len(keyed), BATCH):
            chunk = keyed[start : start + BATCH]
            values = tree.range_hashes(session, [span for _, span in chunk])
            pairs = (f'"{key}":"{value.hex()}"'.encode() for (key, _), value in zip(chunk, values))
            yield (b"," if start else b"") + b",".join(pairs)
        yield b'},"size":' + str(size).encode() + b'},"report":' + canonical_bytes(report) + b"}"

    return Streamed(chunks(), size, len(wanted))
