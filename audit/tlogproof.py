"""C2SP tlog-proofs (https://c2sp.org/tlog-proof): an entry's index, inclusion proof and signed checkpoint in one text.

In Serial Ledger the optional extra data carries the entry's canonical body bytes, so a proof
file alone lets anyone recompute the leaf hash (leaf_hash(extra)) and check it against the log.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from audit import merkle, note
from audit.checkpoint import MAX_SIZE, Checkpoint, open_checkpoint, parse_decimal
from audit.errors import VerificationError

HEADER = "c2sp.org/tlog-proof@v1"
MAX_PROOF_HASHES = 64  # a path in a tree of at most 2**64 leaves


class TlogProofError(VerificationError):
    """A tlog-proof is malformed or carries no entry data to check."""


@dataclass(frozen=True)
class TlogProof:
    index: int
    hashes: list[bytes]
    checkpoint_note: str
    extra: bytes | None = None


def format_tlog_proof(proof: TlogProof) -> str:
    """Return the proof's text; ValueError if a field could not be read back by parse_tlog_proof."""
    if not 0 <= proof.index <= MAX_SIZE:
        raise ValueError(f"leaf index {proof.index} is not a uint64")
    if len(proof.hashes) > MAX_PROOF_HASHES or any(len(h) != merkle.HASH_SIZE for h in proof.hashes):
        raise ValueError(f"proof must be at most {MAX_PROOF_HASHES} hashes of {merkle.HASH_SIZE} bytes")
    lines = [HEADER]
    if proof.extra is not None:
        lines.append(f"extra {note.encode_base64(proof.extra)}")
    lines.append(f"index {proof.index}")
    lines += [note.encode_base64(h) for h in proof.hashes]
    return "".join(line + "\n" for line in lines) + "\n" + proof.checkpoint_note


def _field(line: str, name: str) -> str:
    prefix = name + " "
    if not line.startswith(prefix):
        raise TlogProofError(f"expected the {name!r} line, got {line[:60]!r}")
    return line[len(prefix) :]


def _decode(text: str, what: str) -> bytes:
    try:
        return note.decode_base64(text)
    except ValueError as error:
        raise TlogProofError(f"{what}: {error}") from error


def parse_tlog_proof(text: str) -> TlogProof:
    """Read a proof without verifying it; raises TlogProofError if malformed.

    The checkpoint note is everything after the first empty line, returned verbatim.
    """
    if not isinstance(text, str):
        raise TlogProofError("a tlog-proof must be text")
    # Every line before the checkpoint is non-empty, so the first blank line is the separator.
    cut = text.find("\n\n")
    if cut < 0:
        raise TlogProofError("tlog-proof has no empty line before its checkpoint")
    lines, checkpoint_note = text[:cut].split("\n"), text[cut + 2 :]
    if lines[0] != HEADER:
        raise TlogProofError(f"tlog-proof does not start with {HEADER!r}")
    extra = None
    position = 1
    if position < len(lines) and lines[position].startswith("extra "):
        extra = _decode(_field(lines[position], "extra"), "extra data")
        position += 1
    if position == len(lines):
        raise TlogProofError("tlog-proof has no index line")
    try:
        index = parse_decimal(_field(lines[position], "index"))
    except ValueError as error:
        raise TlogProofError(f"index {error}") from error
    hash_lines = lines[position + 1 :]
    if len(hash_lines) > MAX_PROOF_HASHES:
        raise TlogProofError(f"tlog-proof has more than {MAX_PROOF_HASHES} hashes")
    hashes = [_decode(line, f"proof hash {i}") for i, line in enumerate(hash_lines)]
    if any(len(h) != merkle.HASH_SIZE for h in hashes):
        raise TlogProofError(f"a proof hash is not {merkle.HASH_SIZE} bytes")
    return TlogProof(index, hashes, checkpoint_note, extra)


def verify_tlog_proof(
    text: str, leaf_hash: bytes | None, vkeys: Iterable[str], origin: str | None = None
) -> Checkpoint:
    """Check that the entry is in the log and return the checkpoint it was proved against.

    Steps: parse the proof; open the checkpoint with vkeys (and origin, if given); take leaf_hash,
    or when it is None compute leaf_hash(extra), the entry's canonical body; verify inclusion at
    the proof's index. Extra is unauthenticated until this succeeds, and ignored when leaf_hash
    is given. Raises TlogProofError, NoteError, CheckpointError or ProofError, all
    VerificationErrors; ValueError if a verifier key is malformed.
    """
    proof = parse_tlog_proof(text)
    checkpoint = open_checkpoint(proof.checkpoint_note, vkeys, origin, all_keys=True)
    if leaf_hash is None:
        if proof.extra is None:
            raise TlogProofError("no leaf hash given and the proof carries no extra data")
        leaf_hash = merkle.leaf_hash(proof.extra)
    merkle.verify_inclusion(leaf_hash, proof.index, checkpoint.size, proof.hashes, checkpoint.root)
    return checkpoint
