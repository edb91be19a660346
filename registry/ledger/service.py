"""The ledger service: the only code that appends events, and the reads that prove them."""

from __future__ import annotations

import functools
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Collection, Iterator, Sequence

from sqlalchemy import Select, String, bindparam, func, select
from sqlalchemy.orm import Session

from audit import checkpoint as checkpoints
from audit import merkle
from audit.errors import VerificationError
from audit.tiles import MAX_ENTRY as MAX_ENTRY_BYTES
from registry.bulk import insert_at_commit, insert_rows, insert_together
from registry.errors import EntryTooLargeError
from registry.ledger import projection as ledger_projection
from registry.ledger import tree
from registry.ledger.events import NewEvent, build_body, check_actor, format_time
from registry.ledger.locking import holds_write_lock, write_transaction
from registry.ledger.models import LedgerCheckpoint, LedgerEntry
from registry.ledger.signing import LogKey


class LedgerIntegrityError(RuntimeError):
    """The stored ledger differs from its last signed checkpoint; appending is refused."""


# Applies one appended entry (its index and event) to the tables, in the append's transaction.
Projector = Callable[[Session, int, dict], None]

ENTRY_COLUMNS = ("entry_index", "body", "leaf_hash", "event_type", "item_ref")
CHECKPOINT_COLUMNS = ("tree_size", "root_hash", "note", "signed_at")


@dataclass(frozen=True)
class Entry:
    index: int
    body: bytes
    leaf_hash: bytes

    @property
    def event(self) -> dict:
        return json.loads(self.body)


@dataclass(frozen=True)
class ProvenEntry:
    entry: Entry
    checkpoint: LedgerCheckpoint
    proof: list[bytes]
    verified: bool


@dataclass(frozen=True)
class AppendResult:
    entries: list[Entry]
    checkpoint_note: str

    @property
    def size(self) -> int:
        return self.entries[-1].index + 1


@dataclass
class _AppendState:
    """Where appends stand inside one transaction: the head, the tree frontier, each item's last
    entry, and what is still to be written."""

    size: int
    prev: bytes | None
    frontier: merkle.Frontier
    item_heads: dict = field(default_factory=dict)
    rows: list = field(default_factory=list)
    completed: list = field(default_factory=list)
    # The transaction was opened for these appends and ends with their write, so their checkpoint
    # can go with its COMMIT (nothing reads it back before); not inside a caller's transaction.
    ends_transaction: bool = False


@dataclass(frozen=True)
class _Signing:
    """A checkpoint and its note, signed or being signed (`note()` waits for it)."""

    checkpoint: checkpoints.Checkpoint
    note: Callable[[], str]


_BATCH = "ledger_batch"


class _Tips:
    """The head this process last signed or checked, per database and log: (size, last leaf, latest
    note) and the tree frontier there. An append that finds the database's head equal to it (the
    same size, last leaf and signed note) uses the frontier it knows instead of reading the tree
    again and checking the note's signature again: whatever it signs next is then computed from a
    state it verified itself. Any other head (another process appended, or someone wrote to the
    tables) is read and checked in full."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tips: dict[tuple[str, str], tuple[int, bytes | None, str, merkle.Frontier]] = {}
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        """In a forked child: another thread may have held the lock when the process forked."""
        self._lock = threading.Lock()
        self._tips = {}

    def get(self, where: tuple[str, str], size: int, prev: bytes | None, note: str | None) -> merkle.Frontier | None:
        with self._lock:
            tip = self._tips.get(where)
        if note is None or tip is None or tip[:3] != (size, prev, note):
            return None
        return tip[3].copy()

    def put(self, where: tuple[str, str], size: int, prev: bytes | None, note: str, frontier: merkle.Frontier) -> None:
        with self._lock:
            self._tips[where] = (size, prev, note, frontier.copy())


TIPS = _Tips()


def _new_signer() -> None:
    """The threads that sign checkpoints while the append projects its entries and sends them to
    the database (see `LogKey.sign_soon`). A forked child (an rq work horse) gets a pool of its
    own: the parent's threads are not in it."""
    global _SIGNER
    _SIGNER = ThreadPoolExecutor(max_workers=2, thread_name_prefix="checkpoint-signer")


_SIGNER: ThreadPoolExecutor
_new_signer()
os.register_at_fork(after_in_child=_new_signer)


@functools.lru_cache(maxsize=None)
def _head_statement(items: int) -> Select:
    """The statement `_open_state` runs, with `items` item parameters (`item_0`, ...): built once per
    count, so an append does not pay for building and caching the same query again."""
    last = select(LedgerEntry).order_by(LedgerEntry.entry_index.desc()).limit(1).subquery()
    return select(
        select(last.c.entry_index).scalar_subquery(),
        select(last.c.leaf_hash).scalar_subquery(),
        select(LedgerCheckpoint.note)
        .order_by(LedgerCheckpoint.tree_size.desc(), LedgerCheckpoint.id.desc())
        .limit(1)
        .scalar_subquery(),
        *_last_entries(items),
    )


@functools.lru_cache(maxsize=16)
def _item_heads_statement(items: int) -> Select:
    """The last entries of `items` items (parameters `item_0`, ...) as one row, built once per count:
    an index probe each, cheaper to run and to bind than a grouped `IN` over the same items."""
    return select(*_last_entries(items))


def _last_entries(items: int) -> list:
    return [_last_entry(bindparam(f"item_{n}", type_=String)) for n in range(items)]


def _last_entry(item):
    """The index of the last stored entry of `item` (a reference or a bound parameter), as a column."""
    return select(func.max(LedgerEntry.entry_index)).where(LedgerEntry.item_ref == item).scalar_subquery()


class LedgerService:
    """Ledger operations on one session, signing with one log key."""

    def __init__(self, session: Session, log_key: LogKey | None, project: Projector | None = None):
        """`project` is applied to every appended entry in the write transaction: the app passes
        `registry.projections.apply`, the one dispatcher replay uses too."""
        self.session = session
        self.log_key = log_key
        self.project = project

    # The open batch belongs to the transaction, not to one service object: every service on the
    # session (the custody service's, a report's, the group commit's) appends into the same batch.
    @property
    def _batch(self) -> _AppendState | None:
        return self.session.info.get(_BATCH)

    @_batch.setter
    def _batch(self, state: _AppendState | None) -> None:
        if state is None:
            self.session.info.pop(_BATCH, None)
        else:
            self.session.info[_BATCH] = state

    def pending(self) -> int:
        """Inside `batch()`: the size the ledger will have when the batch is written (else 0)."""
        return self._batch.size if self._batch is not None else 0

    # -- writing ---------------------------------------------------------------------------------

    def append(
        self,
        events: Sequence[NewEvent],
        *,
        actor: str,
        now: datetime,
        new_items: Collection[str] = (),
        project: bool = True,
    ) -> AppendResult:
        """Append the events as one batch in one transaction and sign a checkpoint over the new size.

        Runs inside the caller's write transaction if there is one (so projections and rule checks
        commit with the entries), otherwise in its own. Raises EventError for a malformed event,
        before anything is written. Inside `batch()`, the entries are written and signed when the
        batch ends (the returned note is then empty). `new_items` names item references the caller
        knows to have no earlier entry (a bulk import's fresh items), which saves looking them up.
        Each entry is projected as it is added, so the next one's rules see it; `project=False` is
        for a caller that writes the same rows itself in bulk (the CSV import).
        """
        if not events:
            raise ValueError("append needs at least one event")
        check_actor(actor)
        if self.log_key is None:
            raise RuntimeError("this ledger service has no signing key")
        for event in events:
            event.check()
        time = format_time(now)
        with self._state({e.item for e in events if e.item is not None}) as state:
            state.item_heads.update(dict.fromkeys(item for item in new_items if item not in state.item_heads))
            entries = self._add(state, events, actor=actor, time=time)
            # Outside a batch the new size is known now: its checkpoint is signed while the entries
            # are projected (a projection that refuses the event leaves the signature unused).
            signing = None if self._batch is not None else self._sign(state, now)
            if project and self.project is not None:
                for entry in entries:
                    self.project(self.session, entry.index, entry.event)
            if signing is None:
                return AppendResult(entries=entries, checkpoint_note="")
            note = self._write(state, now, signing)
        return AppendResult(entries=entries, checkpoint_note=note)

    @contextmanager
    def batch(self, *, now: datetime) -> Iterator[None]:
        """Many appends, one transaction, one signed checkpoint: the entries are inserted and the new
        size signed when the block ends, all or nothing. Reads of the ledger's own tables inside the
        block do not see the pending entries (the services' projections do, they are applied at once)."""
        if self._batch is not None:
            yield
            return
        with self._state(set()) as state:
            self._batch = state
            try:
                yield
            finally:
                self._batch = None
            if state.rows:
                self._write(state, now)

    @contextmanager
    def _state(self, items: set[str]) -> Iterator[_AppendState]:
        """The write transaction (the session's, if it holds one) and where appends stand in it: the
        open batch's state, or one read from the ledger's head under the lock, in the lock's round trip."""
        if self._batch is not None:
            with write_transaction(self.session):
                yield self._batch
            return
        head_items = sorted(items)[: self.HEAD_ITEMS]
        read = (_head_statement(len(head_items)), {f"item_{n}": item for n, item in enumerate(head_items)})
        opens = not holds_write_lock(self.session)
        with write_transaction(self.session, read) as head:
            state = self._open_state(head_items, head)
            state.ends_transaction = opens
            yield state

    def last_entry(self, item: str):
        """Inside `batch()`: a column giving the item's last stored entry, for a caller to read with
        its own row of the item and hand back through `know`, so the append that follows need not
        ask for it; None outside a batch, whose append reads it with the ledger's head."""
        if self._batch is None or item in self._batch.item_heads:
            return None
        return _last_entry(item)

    def know(self, item: str, last_entry: int | None) -> None:
        """Inside `batch()`: the item's last stored entry as `last_entry` read it (None: it has none)."""
        if self._batch is not None:
            self._batch.item_heads.setdefault(item, last_entry)

    def prime(self, items: Sequence[str]) -> None:
        """Inside `batch()`: look up the last entries of these items in one go, so the appends that
        follow ask the database nothing (and so do not flush a caller's pending projection rows)."""
        if self._batch is None:
            return
        unknown = [item for item in items if item not in self._batch.item_heads]
        for start in range(0, len(unknown), 500):
            chunk = unknown[start : start + 500]
            found = self._item_heads(set(chunk))
            self._batch.item_heads.update({item: found.get(item) for item in chunk})

    # Up to this many items' last entries are read in the same statement as the head.
    HEAD_ITEMS = 8

    def _open_state(self, items: list[str], head: Sequence) -> _AppendState:
        """Where appends stand, from the row of `_head_statement` for `items`: the head, the latest
        signed note and those items' last entries. The frontier comes from the process's last append
        when that one is still the head, else from the stored nodes."""
        size, prev, note = (0, None, head[2]) if head[0] is None else (head[0] + 1, head[1], head[2])
        frontier = TIPS.get(self._where(), size, prev, note)
        if frontier is None:
            frontier = tree.restore_frontier(self.session, size)
            self._require_signed_head(note, size, frontier.root())
        return _AppendState(size=size, prev=prev, frontier=frontier, item_heads=dict(zip(items, head[3:])))

    def _where(self) -> tuple[str, str]:
        return (str(self.session.get_bind().url), self.log_key.origin)

    def _add(self, state: _AppendState, events: Sequence[NewEvent], *, actor: str, time: str) -> list[Entry]:
        unknown = {e.item for e in events if e.item is not None and e.item not in state.item_heads}
        found = self._item_heads(unknown)
        state.item_heads.update({item: found.get(item) for item in unknown})  # None: the item's first entry
        entries = []
        for event in events:
            index = state.size
            body = build_body(
                event, index=index, prev=state.prev, actor=actor, time=time, item_prev=state.item_heads.get(event.item)
            )
            if len(body) > MAX_ENTRY_BYTES:
                raise EntryTooLargeError(
                    f"the {event.type} entry would be {len(body):,} bytes; a ledger entry holds at most "
                    f"{MAX_ENTRY_BYTES:,} (a tlog-tiles entry bundle gives each entry a two-byte length)",
                    field=_largest_member(event.payload),
                )
            leaf = merkle.leaf_hash(body)
            state.completed.extend(state.frontier.append(leaf))
            state.rows.append((index, body, leaf, event.type, event.item))
            entries.append(Entry(index, body, leaf))
            if event.item is not None:
                state.item_heads[event.item] = index
            state.prev, state.size = leaf, index + 1
        return entries

    def _sign(self, state: _AppendState, now: datetime) -> _Signing:
        """Start signing the checkpoint of the state's size (see `LogKey.sign_soon`)."""
        checkpoint = checkpoints.Checkpoint(self.log_key.origin, state.frontier.size, state.frontier.root())
        sqlite = self.session.get_bind().dialect.name == "sqlite"
        return _Signing(checkpoint, self.log_key.sign_soon(checkpoint, now, _SIGNER, hand_over=sqlite))

    def _write(self, state: _AppendState, now: datetime, signing: _Signing | None = None) -> str:
        """Insert the state's entries and nodes and its signed checkpoint (signing it unless `signing`
        is already under way, for the state's size); returns the note."""
        signing = signing or self._sign(state, now)
        size, root = signing.checkpoint.size, signing.checkpoint.root
        if size != state.frontier.size:  # the frontier only grows: the same size is the same tree
            raise RuntimeError("the ledger state changed after its checkpoint was signed")
        insert_together(
            self.session,
            [
                (LedgerEntry.__table__, ENTRY_COLUMNS, state.rows),
                tree.node_rows(state.completed),
                ledger_projection.take_pending(self.session),
            ],
        )
        # The projections' pending rows are written while the checkpoint is being signed, rather
        # than by the commit after it.
        self.session.flush()
        note = signing.note()
        checkpoint = (LedgerCheckpoint.__table__, CHECKPOINT_COLUMNS, [(size, root, note, now)])
        (insert_at_commit if state.ends_transaction else insert_rows)(self.session, *checkpoint)
        # A tip that is never committed is harmless: no database head will ever match its note.
        TIPS.put(self._where(), size, state.prev, note, state.frontier)
        return note

    def _head(self) -> tuple[int, bytes | None]:
        row = self.session.execute(
            select(LedgerEntry.entry_index, LedgerEntry.leaf_hash).order_by(LedgerEntry.entry_index.desc()).limit(1)
        ).first()
        return (0, None) if row is None else (row.entry_index + 1, row.leaf_hash)

    def _require_signed_head(self, note: str | None, size: int, root: bytes) -> None:
        """Refuse to extend a ledger whose stored state is not the one the log last signed (`note`,
        the latest checkpoint): signing on top of a forged or rewritten tail would turn the forgery
        into signed history."""
        if note is None:
            if size:
                raise LedgerIntegrityError(f"the ledger holds {size} entries but no signed checkpoint")
            return
        try:
            opened = checkpoints.open_checkpoint(note, [self.log_key.vkey], origin=self.log_key.origin)
        except VerificationError as error:
            raise LedgerIntegrityError(f"the latest checkpoint does not verify: {error}") from None
        if (opened.size, opened.root) != (size, root):
            raise LedgerIntegrityError(
                f"the stored ledger ({size} entries) is not the one last signed ({opened.size} entries): "
                "run `flask ledger verify`; nothing was appended"
            )

    def _item_heads(self, items: set[str]) -> dict[str, int]:
        """The last entry of each item that has one. Run on the transaction's connection, as the head
        statement is: it reads only the ledger's tables, so the session's pending rows need no flush."""
        if not items:
            return {}
        if len(items) <= self.HEAD_ITEMS:
            ordered = sorted(items)
            row = (
                self.session.connection()
                .execute(_item_heads_statement(len(ordered)), {f"item_{n}": item for n, item in enumerate(ordered)})
                .one()
            )
            return {item: index for item, index in zip(ordered, row) if index is not None}
        rows = self.session.execute(
            select(LedgerEntry.item_ref, func.max(LedgerEntry.entry_index))
            .where(LedgerEntry.item_ref.in_(items))
            .group_by(LedgerEntry.item_ref)
        )
        return dict(rows.all())

    # -- reading ---------------------------------------------------------------------------------

    def size(self) -> int:
        return self._head()[0]

    def entry(self, index: int) -> Entry | None:
        row = self.session.get(LedgerEntry, index)
        return None if row is None else Entry(row.entry_index, row.body, row.leaf_hash)

    def entries(self, start: int, stop: int) -> list[Entry]:
        rows = self.session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.entry_index >= start, LedgerEntry.entry_index < stop)
            .order_by(LedgerEntry.entry_index)
        )
        return [Entry(row.entry_index, row.body, row.leaf_hash) for row in rows]

    def item_history(self, item: str) -> list[Entry]:
        rows = self.session.scalars(
            select(LedgerEntry).where(LedgerEntry.item_ref == item).order_by(LedgerEntry.entry_index)
        )
        return [Entry(row.entry_index, row.body, row.leaf_hash) for row in rows]

    def latest_checkpoint(self) -> LedgerCheckpoint | None:
        return self.session.scalars(
            select(LedgerCheckpoint).order_by(LedgerCheckpoint.tree_size.desc(), LedgerCheckpoint.id.desc()).limit(1)
        ).first()

    def checkpoint_at(self, size: int) -> LedgerCheckpoint | None:
        return self.session.scalars(
            select(LedgerCheckpoint)
            .where(LedgerCheckpoint.tree_size == size)
            .order_by(LedgerCheckpoint.id.desc())
            .limit(1)
        ).first()

    def proven_entry(self, index: int, vkey: str) -> ProvenEntry | None:
        """Entry `index` with its inclusion proof against the latest checkpoint, and whether the proof
        verifies against that checkpoint's signed note (not the stored root column)."""
        found = self.entry(index)
        if found is None:
            return None
        signed = self.latest_checkpoint()
        proof = self.inclusion_proof(index, signed.tree_size)
        try:
            opened = checkpoints.open_checkpoint(signed.note, [vkey])
            merkle.verify_inclusion(found.leaf_hash, index, opened.size, proof, opened.root)
            verified = True
        except VerificationError:
            verified = False
        return ProvenEntry(found, signed, proof, verified)

    def root_at(self, size: int) -> bytes:
        return tree.root_at(self.session, size)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        return tree.inclusion_proof(self.session, index, size)

    def consistency_proof(self, size1: int, size2: int) -> list[bytes]:
        return tree.consistency_proof(self.session, size1, size2)


def _largest_member(payload: dict) -> str | None:
    """The payload member that takes the most room: the one to name when an entry is too large."""
    return max(payload, key=lambda name: len(json.dumps(payload[name], default=str)), default=None)
