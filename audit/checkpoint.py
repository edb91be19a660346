"""C2SP tlog-checkpoints (https://c2sp.org/tlog-checkpoint): the signed statement of a log's size and root."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from audit import note
from audit.errors import VerificationError
from audit.merkle import HASH_SIZE

MAX_SIZE = 2**64 - 1  # sizes are uint64 in the Go implementations that read our checkpoints
_DECIMAL = re.compile("0|[1-9][0-9]*")
_CONTROL = re.compile("[\x00-\x1f]")


class CheckpointError(VerificationError):
    """A checkpoint body is malformed or is not the one expected (wrong origin)."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()


def parse_decimal(text: str) -> int:
    """Read a uint64 written in ASCII decimal without leading zeroes ("0" itself allowed); ValueError otherwise."""
    if len(text) > 20 or not _DECIMAL.fullmatch(text) or int(text) > MAX_SIZE:
        raise ValueError(f"{text[:24]!r} is not a decimal uint64 without leading zeroes")
    return int(text)


def _line_problem(line: str) -> str | None:
    if not line:
        return "is empty"
    if _CONTROL.search(line):
        return "contains a control character"
    return None


def format_checkpoint(checkpoint: Checkpoint) -> str:
    """Return the note text of checkpoint: origin, size, base64 root, then extension lines.

    Raises ValueError if the checkpoint cannot be written so that parse_checkpoint reads it back.
    """
    for what, line in [("origin", checkpoint.origin), *(("extension line", ext) for ext in checkpoint.extensions)]:
        problem = _line_problem(line) if isinstance(line, str) else "is not a string"
        if problem:
            raise ValueError(f"checkpoint {what} {problem}")
    if not isinstance(checkpoint.size, int) or not 0 <= checkpoint.size <= MAX_SIZE:
        raise ValueError(f"checkpoint size {checkpoint.size!r} is not a uint64")
    if not isinstance(checkpoint.root, bytes) or len(checkpoint.root) != HASH_SIZE:
        raise ValueError(f"checkpoint root is not a {HASH_SIZE}-byte hash")
    root = note.encode_base64(checkpoint.root)
    lines = [checkpoint.origin, str(checkpoint.size), root, *checkpoint.extensions]
    return "".join(line + "\n" for line in lines)


def parse_checkpoint(text: str) -> Checkpoint:
    """Read a checkpoint body; raises CheckpointError on anything the specification does not allow.

    Requires a final newline, a non-empty origin, a decimal size without leading zeroes that fits a
    uint64, a canonical base64 32-byte root, and non-empty extension lines.
    """
    if not isinstance(text, str) or not text.endswith("\n"):
        raise CheckpointError("checkpoint does not end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise CheckpointError("checkpoint has fewer than three lines")
    origin, size_text, root_text, *extensions = lines
    for what, line in [("origin", origin), *(("extension line", ext) for ext in extensions)]:
        problem = _line_problem(line)
        if problem:
            raise CheckpointError(f"checkpoint {what} {problem}")
    try:
        size = parse_decimal(size_text)
    except ValueError as error:
        raise CheckpointError(f"checkpoint size {error}") from error
    try:
        root = note.decode_base64(root_text)
    except ValueError as error:
        raise CheckpointError(f"checkpoint root: {error}") from error
    if len(root) != HASH_SIZE:
        raise CheckpointError(f"checkpoint root is {len(root)} bytes, not {HASH_SIZE}")
    return Checkpoint(origin, size, root, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, skey: str) -> str:
    """Return the checkpoint as a note signed by skey; ValueError if checkpoint or key is malformed."""
    return note.sign(format_checkpoint(checkpoint), skey)


def open_checkpoint(
    signed: str, vkeys: Iterable[str], origin: str | None = None, *, all_keys: bool = False
) -> Checkpoint:
    """Verify a signed checkpoint with vkeys (every one of them, with `all_keys`) and return it.

    Raises NoteError if no known key verifies the note, CheckpointError if the body is malformed
    or, when origin is given, names a different log.
    """
    checkpoint = parse_checkpoint(note.verify(signed, vkeys, all_keys=all_keys))
    if origin is not None and checkpoint.origin != origin:
        raise CheckpointError(f"checkpoint is from {checkpoint.origin!r}, expected {origin!r}")
    return checkpoint
