"""Witnesses: independent parties that cosign the ledger's checkpoints, so that nobody (the operator
included) can show one history to one inspector and another to the next (C2SP tlog-witness).

The instance reads a C2SP tlog-policy file (`LEDGER_POLICY`, default `witness.policy` in the
instance folder): its `witness NAME VKEY URL` lines are the witnesses to ask, its quorum what a
verifier should require. A round (`flask ledger witness`) sends the newest checkpoint to every
witness with a consistency proof from the size that witness last cosigned, keeps each cosignature
it gets (append-only, `ledger_cosignature`) and records where each witness stands (`witness_state`).
It runs beside the web processes: appends never wait for a witness, and one that is down is retried
next round from where it stood. A witness that answers 409 holds another size than the one recorded
here (a restored witness, a round lost in a crash): the checkpoint is sent again with a proof from
the size it names, once.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from audit.cosignature import CosignatureError
from audit.note import NoteError, encode_base64, signature_identity
from audit.policy import Policy, PolicyError, cosigners, parse_policy
from registry.ledger import tree
from registry.ledger.models import LedgerCheckpoint, LedgerCosignature, WitnessState

TIMEOUT = 10  # seconds for one witness to answer
CADENCE = 10.0  # seconds between rounds: every checkpoint of the interval is covered by the newest one


@dataclass(frozen=True)
class Outcome:
    witness: str
    ok: bool
    detail: str


def load_policy(path: Path) -> Policy | None:
    """The instance's witness policy, or None when it has none; PolicyError when it cannot be read."""
    if not path.exists():
        return None
    try:
        return parse_policy(path.read_text(encoding="utf-8"))
    except PolicyError as error:
        raise PolicyError(f"{path.name}: {error}") from None


def cosigned_note(session: Session, checkpoint: LedgerCheckpoint) -> str:
    """The checkpoint's signed note with every cosignature gathered for it appended."""
    lines = session.scalars(
        select(LedgerCosignature.line)
        .where(LedgerCosignature.tree_size == checkpoint.tree_size)
        .order_by(LedgerCosignature.witness)
    ).all()
    return checkpoint.note + "".join(lines)


def _witnesses_by_size(session: Session, covering: int = 0) -> dict[int, set[str]]:
    """The witnesses that cosigned each checkpoint size from `covering` on, largest size first."""
    rows = session.execute(
        select(LedgerCosignature.tree_size, LedgerCosignature.witness)
        .where(LedgerCosignature.tree_size >= covering)
        .order_by(LedgerCosignature.tree_size.desc())
    )
    by_size: dict[int, set[str]] = {}
    for size, witness in rows:
        by_size.setdefault(size, set()).add(witness)
    return by_size


def witnessed_checkpoint(session: Session, covering: int, policy: Policy | None = None) -> LedgerCheckpoint | None:
    """The largest checkpoint whose tree holds the first `covering` entries and whose cosignatures
    meet the policy's quorum (with no policy: that has any cosignature), or None."""
    by_size = _witnesses_by_size(session, covering)
    size = next((found for found, names in by_size.items() if policy is None or policy.met(names)), None)
    if size is None:
        return None
    return session.scalars(select(LedgerCheckpoint).where(LedgerCheckpoint.tree_size == size).limit(1)).first()


def request_body(old: int, proof: list[bytes], note: str) -> bytes:
    return (f"old {old}\n" + "".join(encode_base64(node) + "\n" for node in proof) + "\n" + note).encode()


def post(url: str, body: bytes) -> tuple[int, str]:
    request = urllib.request.Request(
        url.rstrip("/") + "/add-checkpoint", data=body, method="POST", headers={"Content-Type": "text/plain"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:  # noqa: S310 (the operator's URL)
            return answer.status, answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def one_round(session: Session, policy: Policy, now: datetime | None = None) -> list[Outcome]:
    """Ask every witness of the policy that has a URL to cosign the newest checkpoint."""
    latest = session.scalars(
        select(LedgerCheckpoint).order_by(LedgerCheckpoint.tree_size.desc(), LedgerCheckpoint.id.desc()).limit(1)
    ).first()
    if latest is None:
        return []
    outcomes = []
    for witness in policy.witnesses.values():
        if not witness.url:
            continue
        state = session.get(WitnessState, witness.name) or WitnessState(witness=witness.name, cosigned_size=0)
        session.add(state)
        state.last_attempt_at = now or datetime.now(timezone.utc)
        if state.cosigned_size == latest.tree_size and _has(session, witness.name, latest.tree_size):
            state.last_error = None
            session.commit()
            outcomes.append(Outcome(witness.name, True, f"already cosigned size {latest.tree_size}"))
            continue
        outcome = _ask(session, policy, witness.name, witness.url, state.cosigned_size, latest, retry=True)
        if outcome.ok:
            state.cosigned_size, state.last_success_at, state.last_error = latest.tree_size, state.last_attempt_at, None
        else:
            state.last_error = outcome.detail
        session.commit()
        outcomes.append(outcome)
    return outcomes


def _has(session: Session, witness: str, size: int) -> bool:
    return (
        session.scalar(
            select(LedgerCosignature.id).where(
                LedgerCosignature.witness == witness, LedgerCosignature.tree_size == size
            )
        )
        is not None
    )


def _ask(
    session: Session, policy: Policy, name: str, url: str, old: int, latest: LedgerCheckpoint, *, retry: bool
) -> Outcome:
    size = latest.tree_size
    if old > size:
        return Outcome(name, False, f"the witness holds size {old}, beyond this ledger's {size}: a split view?")
    proof = tree.consistency_proof(session, old, size) if 0 < old < size else []
    try:
        status, text = post(url, request_body(old, proof, latest.note))
    except (OSError, ValueError) as error:
        return Outcome(name, False, f"unreachable: {error}")
    if status == 409 and retry:
        held = text.strip()
        if not (held.isascii() and held.isdigit()):
            return Outcome(name, False, f"409 without a size: {held[:80]!r}")
        return _ask(session, policy, name, url, int(held), latest, retry=False)
    if status != 200:
        return Outcome(name, False, f"answered {status}: {text.strip()[:200]}")
    lines = [line + "\n" for line in text.splitlines() if line.startswith("— ")]
    try:
        found = cosigners(latest.note + "".join(lines), policy)
    except (NoteError, CosignatureError) as error:
        return Outcome(name, False, f"its cosignature does not verify: {error}")
    if name not in found:
        return Outcome(name, False, "answered 200 without a cosignature by its key")
    own = policy.witnesses[name].key
    line = next(line for line in lines if signature_identity(line) == (own.name, own.key_id))
    try:
        cosigned_at = datetime.fromtimestamp(found[name], timezone.utc)
    except (OverflowError, ValueError, OSError):
        return Outcome(name, False, f"its cosignature carries the time {found[name]}, which is no date")
    if not _has(session, name, size):
        session.add(
            LedgerCosignature(
                tree_size=size,
                witness=name,
                line=line,
                cosigned_at=cosigned_at,
                received_at=datetime.now(timezone.utc),
            )
        )
    return Outcome(name, True, f"cosigned size {size}")


def states(session: Session, policy: Policy | None) -> list[tuple[str, WitnessState | None]]:
    """Each witness of the policy with its state (None before the first round)."""
    if policy is None:
        return []
    known = {row.witness: row for row in session.scalars(select(WitnessState))}
    return [(name, known.get(name)) for name in policy.witnesses]


def quorum_size(session: Session, policy: Policy) -> int:
    """The largest checkpoint size whose gathered cosignatures meet the policy's quorum (0: none)."""
    return next((size for size, names in _witnesses_by_size(session).items() if policy.met(names)), 0)
