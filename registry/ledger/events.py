"""The shape of a ledger event body; pure functions, no database.

A body is the RFC 8785 encoding of:
    {"v": 1, "index": i, "prev": <hex leaf hash of entry i-1, or null for entry 0>,
     "type": "item.registered", "time": "2026-11-25T09:30:00.000000Z", "actor": "user:7",
     "item": "<item reference>", "item_prev": <index of the item's previous event, or null>,
     "payload": {...}}
`item` and `item_prev` appear only on events about an item. Identifiers and amounts are strings.
"""

from __future__ import annotations

import getpass
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

from audit.canonical import CanonicalError, canonical_bytes

BODY_VERSION = 1
EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
ITEM_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
MAX_ACTOR = 200


class EventError(ValueError):
    """An event that cannot be recorded as given (bad type, item reference, actor, time or payload)."""


@dataclass(frozen=True)
class NewEvent:
    type: str
    payload: dict = field(default_factory=dict)
    item: str | None = None

    def check(self) -> None:
        if not EVENT_TYPE.match(self.type) or len(self.type) > 64:
            raise EventError(f"event type {self.type!r} is not dotted lower-case words (e.g. item.registered)")
        if self.item is not None and not ITEM_REF.match(self.item):
            raise EventError(f"item reference {self.item!r} must be 1-64 letters, digits or . _ : -")
        if not isinstance(self.payload, dict):
            raise EventError("payload must be a JSON object")


def format_time(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise EventError("event time must be timezone-aware")
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def check_actor(actor: str) -> None:
    if not actor or len(actor) > MAX_ACTOR or actor != actor.strip():
        raise EventError("actor must be a non-empty string of at most 200 characters")


def cli_actor() -> str:
    """How the ledger names someone working from the server's shell: `cli:<login name>`."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def build_body(
    event: NewEvent, *, index: int, prev: bytes | None, item_prev: int | None, actor: str, time: str
) -> bytes:
    body = {
        "v": BODY_VERSION,
        "index": index,
        "prev": prev.hex() if prev is not None else None,
        "type": event.type,
        "time": time,
        "actor": actor,
        "payload": event.payload,
    }
    if event.item is not None:
        body["item"] = event.item
        body["item_prev"] = item_prev
    try:
        return canonical_bytes(body)
    except CanonicalError as error:
        raise EventError(f"payload is not storable: {error}") from None
