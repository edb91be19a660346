"""A C2SP tlog-witness (https://c2sp.org/tlog-witness) that an auditor or a regulator runs on their
own machine with nothing but `audit/` and its requirements:

    python -m audit witness init STATE --name witness.example/w1     # prints the witness's vkey
    python -m audit witness add-log STATE --vkey 'LOG+ID+KEY'        # a log it will cosign
    python -m audit witness serve STATE --listen 127.0.0.1:7380

It cosigns a checkpoint only if it is signed by the log's key and consistent with the last one it
cosigned for that log, so a log that shows two histories cannot get both cosigned by one witness.

State, in the folder STATE: `witness.key` (0600, the cosigner key), `logs` (one log vkey a line),
and `checkpoints/<sha256 of the origin>`, the last cosigned checkpoint of each log with the log's
signature and the cosignature. Comparing the stored size with the request's `old` and storing the
new checkpoint happen under one file lock, the new file written aside and renamed over the old one
after fsync: two requests racing cannot roll the witness back, and a crash leaves the old or the new
state, never half of one.

    POST /add-checkpoint            old N, consistency proof lines, a blank line, the signed checkpoint
      200  the cosignature line     409  the size it holds (text/x.tlog.size)   404  unknown log
      403  not signed by the log    400  malformed, or old > size               422  inconsistent
    GET /<sha256(origin) hex>/checkpoint   the last cosigned checkpoint, or 404
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from audit import merkle
from audit.checkpoint import Checkpoint, CheckpointError, parse_checkpoint
from audit.cosignature import ED25519_COSIGNATURE, Cosigner
from audit.errors import VerificationError
from audit.note import NoteError, decode_base64, signature_identity, signed_by

KEY_FILE, LOGS_FILE, CHECKPOINTS, LOCK_FILE = "witness.key", "logs", "checkpoints", ".lock"
MAX_BODY = 256 * 1024
MAX_PROOF = 63


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


def init(state: Path, name: str, kind: int = ED25519_COSIGNATURE) -> str:
    """Create the state folder and the witness's key; return its verifier key."""
    state.mkdir(parents=True, exist_ok=True)
    (state / CHECKPOINTS).mkdir(exist_ok=True)
    cosigner = Cosigner.generate(name, kind)
    descriptor = os.open(state / KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(cosigner.skey + "\n")
    (state / LOGS_FILE).touch()
    return cosigner.key.vkey


def add_log(state: Path, vkey: str) -> str:
    """Add a log (by its verifier key) to those the witness cosigns; return its origin."""
    verify_key_shape = vkey.split("+", 2)
    if len(verify_key_shape) != 3:
        raise ValueError("a log's verifier key is origin+keyid+base64")
    from audit.note import parse_vkey

    parse_vkey(vkey)
    with open(state / LOGS_FILE, "a") as handle:
        handle.write(vkey + "\n")
    return verify_key_shape[0]


class Witness:
    def __init__(self, state: Path):
        self.state = state
        self.cosigner = Cosigner.from_skey((state / KEY_FILE).read_text().strip())
        self.logs: dict[str, list[str]] = {}
        for line in (state / LOGS_FILE).read_text().splitlines():
            if line.strip():
                self.logs.setdefault(line.split("+", 1)[0], []).append(line.strip())

    @property
    def vkey(self) -> str:
        return self.cosigner.key.vkey

    def _stored_path(self, origin: str) -> Path:
        return self.state / CHECKPOINTS / hashlib.sha256(origin.encode()).hexdigest()

    def latest(self, origin_hash: str) -> str | None:
        path = self.state / CHECKPOINTS / origin_hash
        if len(origin_hash) != 64 or not all(c in "0123456789abcdef" for c in origin_hash) or not path.exists():
            return None
        return path.read_text()

    def add_checkpoint(self, body: bytes) -> Answer:
        try:
            old, proof, note = _parse_request(body)
        except ValueError as error:
            return Answer(400, f"bad request: {error}\n")
        origin = note.split("\n", 1)[0]
        if origin not in self.logs:
            return Answer(404, "unknown log origin\n")
        try:
            text, verified = signed_by(note, self.logs[origin])
            checkpoint = parse_checkpoint(text)
        except (NoteError, CheckpointError, ValueError):
            return Answer(403, "no valid signature from a trusted key for this log\n")
        if old > checkpoint.size:
            return Answer(400, f"bad request: old size {old} is beyond the checkpoint's size {checkpoint.size}\n")
        with open(self.state / LOCK_FILE, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            stored_path = self._stored_path(origin)
            stored = parse_checkpoint(_text(stored_path.read_text())) if stored_path.exists() else None
            held = stored.size if stored else 0
            if old != held:
                return Answer(409, f"{held}\n", "text/x.tlog.size")
            problem = _inconsistency(old, proof, stored, checkpoint)
            if problem:
                return Answer(422, problem + "\n")
            last = self._last_timestamp(stored_path.read_text()) if stored else 0
            line = self.cosigner.cosign(_text(note), max(int(time.time()), last))
            _store(stored_path, _verified_lines(note, verified) + line)
        return Answer(200, line)

    def _last_timestamp(self, stored: str) -> int:
        """The time of the last cosignature for a log: a clock set back never makes a witness sign
        an earlier time than one it already signed."""
        prefix = f"— {self.cosigner.name} "
        for line in stored.split("\n"):
            if line.startswith(prefix):
                return int.from_bytes(decode_base64(line[len(prefix) :])[4:12], "big")
        return 0


def _text(note: str) -> str:
    return note[: note.rfind("\n\n") + 1]


def _verified_lines(note: str, verified: set[tuple[str, bytes]]) -> str:
    """The checkpoint text and the log's signature lines that verified: nothing a requester added
    (another witness's line, a bad signature) is stored or served again."""
    text, rest = note[: note.rfind("\n\n") + 1], note[note.rfind("\n\n") + 2 :]
    kept = [line + "\n" for line in rest.rstrip("\n").split("\n") if signature_identity(line) in verified]
    return text + "\n" + "".join(kept)


def _parse_request(body: bytes) -> tuple[int, list[bytes], str]:
    text = body.decode("utf-8")
    head, blank, note = text.partition("\n\n")
    if not blank:
        raise ValueError("no blank line between the old size and proof and the checkpoint")
    lines = head.split("\n")
    if not lines[0].startswith("old "):
        raise ValueError("the first line is `old <size>`")
    written = lines[0][4:]
    if not (written.isascii() and written.isdigit()) or str(int(written)) != written:
        raise ValueError("the old size is a decimal without leading zeroes")
    proof = [decode_base64(line) for line in lines[1:]]
    if len(proof) > MAX_PROOF or any(len(node) != merkle.HASH_SIZE for node in proof):
        raise ValueError(f"a proof is at most {MAX_PROOF} lines of 32-byte hashes")
    return int(written), proof, note


def _inconsistency(old: int, proof: list[bytes], stored: Checkpoint | None, new: Checkpoint) -> str | None:
    if old == 0:
        if proof:
            return "a request from size 0 carries no proof"
        if new.size == 0 and new.root != merkle.EMPTY_ROOT:
            return "an empty tree has the root of the empty string"
        return None
    assert stored is not None
    if old == new.size:
        return None if new.root == stored.root else "the same size as the last cosigned checkpoint, another root"
    try:
        merkle.verify_consistency(old, new.size, proof, stored.root, new.root)
    except VerificationError:
        return f"the consistency proof from size {old} to {new.size} does not verify"
    return None


def _store(path: Path, content: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "w") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def serve(state: Path, host: str, port: int) -> ThreadingHTTPServer:
    """An HTTP server for the witness (call serve_forever on it)."""
    witness = Witness(state)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 30  # seconds a client may take to send its request

        def _answer(self, answer: Answer) -> None:
            data = answer.body.encode()
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)
            length = self.headers.get("Content-Length") or ""
            if self.path != "/add-checkpoint" or not re.fullmatch(r"[0-9]{1,9}", length) or int(length) > MAX_BODY:
                self.close_connection = True  # the body is not read: it must not pass for the next request
                if self.path != "/add-checkpoint":
                    return self._answer(Answer(404, "not found\n"))
                if not re.fullmatch(r"[0-9]{1,9}", length):
                    return self._answer(Answer(411, "a Content-Length is required\n"))
                return self._answer(Answer(413, "request too large\n"))
            self._answer(witness.add_checkpoint(self.rfile.read(int(length))))

        def do_GET(self) -> None:  # noqa: N802
            parts = self.path.strip("/").split("/")
            note = witness.latest(parts[0]) if len(parts) == 2 and parts[1] == "checkpoint" else None
            self._answer(Answer(200, note) if note else Answer(404, "not found\n"))

        def log_message(self, format: str, *args: object) -> None:
            pass

    return ThreadingHTTPServer((host, port), Handler)
