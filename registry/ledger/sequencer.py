"""Group commit: concurrent writes of one process share one transaction and one signed checkpoint.

A request thread hands its write to the process's sequencer as a function (`work`) that checks its
rules and appends its events through the services, as it would alone. The first thread to arrive
leads: it takes the ledger's write lock (the database's: `BEGIN IMMEDIATE` on SQLite, the advisory
lock on PostgreSQL, so processes and hosts still take turns), runs every write waiting at that
moment one after the other in one ledger batch, signs one checkpoint for the group and commits;
then each caller gets its own answer (its entry index, or its own refusal). Writes that arrive
while a group commits wait for the next group, which one of them leads.

What this keeps true:
- Durable before any answer: no caller hears back before the group's commit has returned.
- Rules see the state the group has reached: each write runs after the ones before it in the group,
  in the same transaction, and reads what their projections wrote.
- A refusal refuses only its own write: a write that raises before appending anything (a custody
  rule, a missing item) gets its error and the group goes on. A write that fails after appending
  would leave the batch half-applied, so the whole group is rolled back and each write is run again
  alone, in its own transaction, and gets its own outcome.
- Nothing is lost or doubled if the process dies mid-group: the group is one transaction, so it
  commits whole or not at all, and no caller of an uncommitted group has been answered.

`work` runs on the leader's thread, in the leader's app context and session: it must take what it
needs from its own request (the actor, the time) before it is handed over, never from `current_user`
or `request` while it runs.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from typing import Callable, Generic, TypeVar

from registry import clock
from registry.ledger.locking import write_transaction
from registry.ledger.service import LedgerService

T = TypeVar("T")
log = logging.getLogger(__name__)

# The most writes one group takes: a longer queue is served by the next group, so one group's
# transaction (and the wait of its first caller) stays short.
MAX_GROUP = 64


class _GroupSpoilt(Exception):
    """A write failed after it had appended to the group's batch: the group cannot commit."""


@dataclass
class _Ticket(Generic[T]):
    work: Callable[[], T]
    woken: threading.Event = field(default_factory=threading.Event)
    done: bool = False
    lead: bool = False
    result: T | None = None
    error: BaseException | None = None

    def outcome(self) -> T:
        if self.error is not None:
            raise self.error
        return self.result  # type: ignore[return-value]


@dataclass
class GroupStats:
    """What the sequencer has done in this process (for the benchmark and the tests)."""

    groups: int = 0
    writes: int = 0
    largest: int = 0
    replayed: int = 0  # groups rolled back and run again write by write


class Sequencer:
    """The group commit of one process (one per app: `registry.ledger.runtime.sequencer()`).
    `open_ledger` gives the ledger service of the calling thread's session: the leader's."""

    def __init__(self, open_ledger: Callable[[], LedgerService], max_group: int = MAX_GROUP):
        self.open_ledger = open_ledger
        self.max_group = max_group
        self.stats = GroupStats()
        self._start()

    def _start(self) -> None:
        self._pid = os.getpid()
        self._mutex = threading.Lock()
        self._waiting: list[_Ticket] = []
        self._leading = False

    def waiting(self) -> int:
        """How many writes wait for a group (the one being committed not counted)."""
        with self._mutex:
            return len(self._waiting)

    def run(self, work: Callable[[], T]) -> T:
        """Run `work` under the ledger's write lock, in a group with the writes waiting beside it, and
        return what it returned (or raise what it raised) once the group is durable."""
        ticket: _Ticket[T] = _Ticket(work)
        if self._pid != os.getpid():
            self._start()  # a forked child: the parent's leader and waiting writes are not in it
        with self._mutex:
            self._waiting.append(ticket)
            if not self._leading:
                self._leading = ticket.lead = True
        while not ticket.lead and not ticket.done:
            ticket.woken.wait()
            ticket.woken.clear()
        if not ticket.done:
            self._lead()
        return ticket.outcome()

    def _lead(self) -> None:
        """Commit one group (the writes waiting now, this thread's first), then pass the lead to the
        first write still waiting, or give it up."""
        with self._mutex:
            group, self._waiting = self._waiting[: self.max_group], self._waiting[self.max_group :]
        try:
            self._commit(group)
        except Exception:
            pass  # every ticket of the group holds the error; each caller raises it on its own thread
        finally:
            with self._mutex:
                successor = next((t for t in self._waiting), None)
                if successor is None:
                    self._leading = False
                else:
                    successor.lead = True
            for ticket in group:
                ticket.done = True
                ticket.woken.set()
            if successor is not None:
                successor.woken.set()

    def _commit(self, group: list[_Ticket]) -> None:
        service = self.open_ledger()
        session = service.session
        try:
            with service.batch(now=clock.now()):
                for ticket in group:
                    session.flush()  # the writes before this one are in the transaction, not pending
                    size = service.pending()
                    try:
                        ticket.result = ticket.work()
                    except Exception as error:
                        if service.pending() != size or session.new or session.dirty or session.deleted:
                            raise _GroupSpoilt from error
                        ticket.error = error
        except _GroupSpoilt as spoilt:
            self._one_by_one(group, spoilt.__cause__)
            return
        except BaseException as error:
            # The database or the signing failed: the group is rolled back (or, if the commit itself
            # failed, its outcome is unknown), so nobody is told their write is recorded, and nothing
            # is run again here, which could record it twice.
            for ticket in group:
                ticket.result, ticket.error = None, error
            raise
        self._count(group)

    def _one_by_one(self, group: list[_Ticket], error: BaseException | None) -> None:
        """The group was rolled back: run each write in a transaction of its own."""
        log.warning("group commit of %d writes rolled back (%s); running them one by one", len(group), error)
        self.stats.replayed += 1
        session = self.open_ledger().session
        for ticket in group:
            ticket.result, ticket.error = None, None
            try:
                with write_transaction(session):
                    ticket.result = ticket.work()
            except Exception as failure:
                ticket.error = failure

    def _count(self, group: list[_Ticket]) -> None:
        self.stats.groups += 1
        self.stats.writes += len(group)
        self.stats.largest = max(self.stats.largest, len(group))
