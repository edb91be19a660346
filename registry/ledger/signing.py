"""The log's Ed25519 signing key, kept in the instance folder in the C2SP signed-note text form.

The key's name is the log's origin, the string every checkpoint starts with. The private key file is
created with mode 0600 and never overwritten; the verifier key is also written beside it for auditors.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from audit import note


class LogKeyError(RuntimeError):
    """The signing key is missing or unreadable."""


@dataclass(frozen=True)
class LogKey:
    skey: str
    vkey: str

    @property
    def origin(self) -> str:
        return self.vkey.split("+", 1)[0]


def default_origin() -> str:
    """A unique origin for an instance that was not given one (`LEDGER_ORIGIN`)."""
    return f"serial-ledger.localhost/{secrets.token_hex(6)}"


def vkey_path(key_path: Path) -> Path:
    return key_path.with_suffix(".vkey")


def create_log_key(key_path: Path, origin: str) -> LogKey:
    """Write a new key to `key_path` (mode 0600). Raises FileExistsError if one is already there."""
    skey, vkey = note.generate_key(origin)
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(skey + "\n")
    vkey_path(key_path).write_text(vkey + "\n")
    return LogKey(skey=skey, vkey=vkey)


def load_log_key(key_path: Path) -> LogKey:
    try:
        skey = key_path.read_text().strip()
    except FileNotFoundError:
        raise LogKeyError(f"no ledger signing key at {key_path.name}: run `flask --app wsgi init`") from None
    return LogKey(skey=skey, vkey=note.vkey_from_skey(skey))
