"""The ledger export: a folder an auditor can verify with nothing but this package.

    manifest.json      {"format": "serial-ledger-export", "version": 1, "origin": ..., "vkeys": [...],
                        "size": N, "checkpoints": M, "entries_sha256": ..., "exported_at": ...}
    entries.jsonl      N lines; line i is the exact canonical body of entry i (RFC 8785 JSON never
                       contains a raw newline, so a line is a body)
    checkpoints.jsonl  M lines; each a JSON string holding one signed checkpoint note, by size

The manifest is a convenience, not evidence: the verifier recomputes everything from the entries and
trusts only the keys it is given (or, failing that, says it trusted the manifest's).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

FORMAT = "serial-ledger-export"
VERSION = 1
MANIFEST, ENTRIES, CHECKPOINTS = "manifest.json", "entries.jsonl", "checkpoints.jsonl"


class ExportFormatError(ValueError):
    """The folder is not a readable Serial Ledger export."""


@dataclass(frozen=True)
class Manifest:
    origin: str
    vkeys: list[str]
    size: int
    checkpoints: int
    entries_sha256: str
    exported_at: str


def write_export(
    folder: Path,
    bodies: Iterable[bytes],
    checkpoint_notes: Iterable[str],
    *,
    origin: str,
    vkeys: list[str],
    exported_at: str,
) -> Manifest:
    """Write an export into `folder` (created if needed; existing export files are replaced)."""
    folder.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with open(folder / ENTRIES, "wb") as handle:
        for body in bodies:
            if b"\n" in body:
                raise ExportFormatError(f"entry {size} contains a newline and is not canonical")
            line = body + b"\n"
            handle.write(line)
            digest.update(line)
            size += 1
    count = 0
    with open(folder / CHECKPOINTS, "w", encoding="utf-8") as handle:
        for text in checkpoint_notes:
            handle.write(json.dumps(text, ensure_ascii=False) + "\n")
            count += 1
    manifest = Manifest(origin, vkeys, size, count, digest.hexdigest(), exported_at)
    document = {"format": FORMAT, "version": VERSION, **manifest.__dict__}
    (folder / MANIFEST).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return manifest


def read_manifest(folder: Path) -> Manifest:
    try:
        raw = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ExportFormatError(f"{folder} has no {MANIFEST}: not a ledger export") from None
    except ValueError as error:
        raise ExportFormatError(f"{MANIFEST} is not JSON: {error}") from None
    if raw.get("format") != FORMAT or raw.get("version") != VERSION:
        raise ExportFormatError(f"{MANIFEST} is not a {FORMAT} version {VERSION}")
    try:
        return Manifest(
            raw["origin"],
            list(raw["vkeys"]),
            int(raw["size"]),
            int(raw["checkpoints"]),
            raw["entries_sha256"],
            raw["exported_at"],
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ExportFormatError(f"{MANIFEST} lacks a field: {error}") from None


def read_entries(folder: Path) -> Iterator[tuple[int, bytes, None, None, None]]:
    """Entry records for `audit.verify.verify_log`, numbered by line."""
    with open(folder / ENTRIES, "rb") as handle:
        for index, line in enumerate(handle):
            if not line.endswith(b"\n"):
                raise ExportFormatError(f"{ENTRIES} line {index + 1} is cut short")
            yield index, line[:-1], None, None, None


def read_checkpoint_notes(folder: Path) -> list[str]:
    notes = []
    with open(folder / CHECKPOINTS, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                text = json.loads(line)
            except ValueError:
                raise ExportFormatError(f"{CHECKPOINTS} line {number} is not a JSON string") from None
            if not isinstance(text, str):
                raise ExportFormatError(f"{CHECKPOINTS} line {number} is not a JSON string")
            notes.append(text)
    return notes
