"""The log's signing keys, kept in the instance folder in the C2SP signed-note text form.

Every checkpoint is signed with Ed25519 (`ledger.key`, signed-note type 0x01) and, once the log has
one, with ML-DSA-44 (`ledger-pq.key`, type 0x06, the timestamped `subtree/v1` signature C2SP
tlog-checkpoint recommends): a post-quantum signature beside the one every verifier knows today.
Both keys are named by the log's origin, the string every checkpoint starts with. Private key files
are created with mode 0600 and never overwritten; each verifier key is written beside its key
(`ledger.vkey`, `ledger-pq.vkey`) for auditors. A new ledger gets both keys at `init` and names both
in its genesis entry; an older ledger adds the ML-DSA key with `flask ledger add-pq-key`, which
records `ledger.key_added`, and signs every later checkpoint with both.
"""

from __future__ import annotations

import os
import secrets
import threading
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

from audit import note
from audit.checkpoint import Checkpoint, format_checkpoint, sign_checkpoint
from audit.cosignature import ML_DSA_44, Cosigner


class LogKeyError(RuntimeError):
    """The signing key is missing or unreadable."""


@dataclass(frozen=True)
class LogKey:
    skey: str
    vkey: str
    pq: Cosigner | None = None  # the ML-DSA-44 key, when the log has one

    @property
    def origin(self) -> str:
        return self.vkey.split("+", 1)[0]

    @property
    def pq_vkey(self) -> str | None:
        return self.pq.key.vkey if self.pq else None

    @property
    def vkeys(self) -> list[str]:
        return [self.vkey] + ([self.pq.key.vkey] if self.pq else [])

    def sign(self, checkpoint: Checkpoint, now: datetime) -> str:
        """The checkpoint as a signed note: Ed25519, then ML-DSA-44 when the log has that key."""
        note = sign_checkpoint(checkpoint, self.skey)
        if self.pq is not None:
            note += self.pq.cosign(format_checkpoint(checkpoint), _cosigned_at(now))
        return note

    def sign_soon(self, checkpoint: Checkpoint, now: datetime, pool: Executor, *, hand_over: bool) -> Callable[[], str]:
        """Start signing the checkpoint; the function returned gives the note (as `sign` would) once
        it is signed. The caller's own work (its inserts) runs meanwhile.

        Only the ML-DSA-44 signature (half a millisecond) goes to a thread of `pool`, as one call
        into the library, which lets go of the GIL while it signs; its message is built here, and the
        Ed25519 signature (about 30 µs) is made here while the thread signs. Anything more in Python
        on the thread (the whole note, say) waits for the GIL behind the caller's own work: measured
        in an append on PostgreSQL, the thread then took twice as long and the append waited 0.8 ms
        for the note, against 0.05 ms now.

        A pool thread also needs the GIL to pick up its task. A caller about to wait on a network
        round trip lets it in; one whose waits are too short for that (SQLite's calls return within
        microseconds) asks for `hand_over`: this waits until the thread is inside the signature
        before going on. A log without the ML-DSA-44 key signs here and now."""
        if self.pq is None:
            note = self.sign(checkpoint, now)
            return lambda: note
        cosigner, timestamp = self.pq, _cosigned_at(now)
        signed = cosigner.to_sign(checkpoint, timestamp)
        started = threading.Event()

        def run() -> bytes:
            started.set()
            return cosigner.private_key.sign(signed)

        signature = pool.submit(run)
        if hand_over:
            signature.add_done_callback(lambda _: started.set())  # a task cancelled or failed before it ran
            started.wait()
        note = sign_checkpoint(checkpoint, self.skey)  # while the thread signs
        return lambda: note + cosigner.line(timestamp, signature.result())


def _cosigned_at(now: datetime) -> int:
    """The time a cosignature line states: whole seconds since the epoch, at least 1."""
    return max(1, int(now.timestamp()))


def default_origin() -> str:
    """A unique origin for an instance that was not given one (`LEDGER_ORIGIN`)."""
    return f"serial-ledger.localhost/{secrets.token_hex(6)}"


def vkey_path(key_path: Path) -> Path:
    return key_path.with_suffix(".vkey")


def pq_key_path(key_path: Path) -> Path:
    return key_path.with_name(f"{key_path.stem}-pq{key_path.suffix}")


def _write_private(path: Path, content: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(content + "\n")


def create_pq_key(key_path: Path, origin: str) -> Cosigner:
    """Write a new ML-DSA-44 key beside `key_path` (mode 0600); FileExistsError if one is there."""
    cosigner = Cosigner.generate(origin, ML_DSA_44)
    _write_private(pq_key_path(key_path), cosigner.skey)
    vkey_path(pq_key_path(key_path)).write_text(cosigner.key.vkey + "\n")
    return cosigner


def create_log_key(key_path: Path, origin: str) -> LogKey:
    """Write a new key to `key_path` (mode 0600). Raises FileExistsError if one is already there."""
    # The ML-DSA-44 key first: an init that stops between the two leaves no Ed25519 key, so the next
    # one starts again and keeps the ML-DSA-44 key it finds.
    try:
        pq = create_pq_key(key_path, origin)
    except FileExistsError:
        pq = Cosigner.from_skey(pq_key_path(key_path).read_text().strip())
        vkey_path(pq_key_path(key_path)).write_text(pq.key.vkey + "\n")
    skey, vkey = note.generate_key(origin)
    _write_private(key_path, skey)
    vkey_path(key_path).write_text(vkey + "\n")
    return LogKey(skey=skey, vkey=vkey, pq=pq)


def load_log_key(key_path: Path) -> LogKey:
    try:
        skey = key_path.read_text().strip()
    except FileNotFoundError:
        raise LogKeyError(f"no ledger signing key at {key_path.name}: run `flask --app wsgi init`") from None
    pq_path = pq_key_path(key_path)
    pq = Cosigner.from_skey(pq_path.read_text().strip()) if pq_path.exists() else None
    return LogKey(skey=skey, vkey=note.vkey_from_skey(skey), pq=pq)
