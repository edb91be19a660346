"""Group commit: concurrent custody writes share one transaction and one checkpoint, each caller
gets its own answer, rules see the group's state, and a failing write spoils nothing else.

A gate write holds the lead until the writes under test are all waiting, so they form the next
group together, whatever the threads' timing."""

from __future__ import annotations

import threading
import time

from sqlalchemy import event, func, select

from registry import clock
from registry.extensions import db
from registry.ledger.events import NewEvent
from registry.ledger.models import LedgerCheckpoint
from registry.ledger.runtime import ledger, reader, sequencer
from tests.conftest import bearer_client, issue_token, make_account


def in_one_group(app, jobs: list) -> list:
    """Run each job (a function that writes through the sequencer) on its own thread, held back until
    all of them wait in the sequencer, so they commit as one group; returns what each returned (or
    the exception it raised), in the order given."""
    with app.app_context():
        seq = sequencer()
    leading, released = threading.Event(), threading.Event()

    def gate():
        leading.set()
        deadline = time.monotonic() + 30
        while seq.waiting() < len(jobs) and time.monotonic() < deadline:
            time.sleep(0.005)
        released.set()

    def hold():
        with app.app_context():
            seq.run(gate)

    outcomes: list = [None] * len(jobs)

    def run(n, job):
        try:
            outcomes[n] = job()
        except Exception as error:
            outcomes[n] = error

    holder = threading.Thread(target=hold)
    holder.start()
    assert leading.wait(30), "the gate leads first"
    threads = [threading.Thread(target=run, args=(n, job)) for n, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in [holder, *threads]:
        thread.join(timeout=60)
    assert released.is_set() and seq.waiting() == 0
    return outcomes


def posts(client, path, body):
    return lambda: client.post(path, json=body)


def checkpoints(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(LedgerCheckpoint))


def test_concurrent_writes_commit_as_one_group_with_one_checkpoint_and_their_own_indexes(app, officer, world, goods):
    items = [goods(f"GC-{n}") for n in range(6)]
    token_client = officer
    before_checkpoints = checkpoints(app)
    with app.app_context():
        before = reader().size()
        stats_before = sequencer().stats.groups
    responses = in_one_group(
        app,
        [
            posts(
                token_client, f"/api/v1/items/{item}/transfers", {"date": "2026-11-04", "to_party_id": world["fleet"]}
            )
            for item in items
        ],
    )
    assert [r.status_code for r in responses] == [201] * 6, [r.get_json() for r in responses]
    indexes = [r.get_json()["entry_index"] for r in responses]
    assert sorted(indexes) == list(range(before, before + 6))
    assert checkpoints(app) == before_checkpoints + 1, "one signed checkpoint for the group"
    with app.app_context():
        assert sequencer().stats.groups == stats_before + 2, "the gate's group, then theirs"
        assert sequencer().stats.largest >= 6
        for response, item in zip(responses, items):
            entry = reader().entry(response.get_json()["entry_index"]).event
            assert (entry["type"], entry["payload"]["item_id"]) == ("item.transferred", item)
            assert response.get_json()["item"]["holder"]["id"] == world["fleet"]
    assert "OK" in app.test_cli_runner().invoke(args=["ledger", "verify"]).output


def test_rules_see_the_state_the_group_has_reached_and_a_refusal_refuses_only_itself(app, officer, world, goods):
    first, other = goods("GC-A"), goods("GC-B")
    with app.app_context():
        before = reader().size()
    body = {"date": "2026-11-04", "to_party_id": world["fleet"]}
    responses = in_one_group(
        app,
        [
            posts(officer, f"/api/v1/items/{first}/transfers", body),
            posts(officer, f"/api/v1/items/{first}/transfers", body),
            posts(officer, f"/api/v1/items/{other}/transfers", body),
            posts(officer, "/api/v1/items/no-such-item/transfers", body),
        ],
    )
    same = sorted(r.status_code for r in responses[:2])
    assert same == [201, 422], [r.get_json() for r in responses]
    refused = next(r for r in responses[:2] if r.status_code == 422).get_json()
    assert refused["code"] == "same_party", "the second transfer saw the first one's holder"
    assert responses[2].status_code == 201
    assert responses[3].status_code == 404
    with app.app_context():
        assert reader().size() == before + 2
    replayed = app.test_cli_runner().invoke(args=["ledger", "replay"])
    assert "IDENTICAL" in replayed.output, replayed.output


def test_a_write_that_fails_after_appending_is_rolled_back_alone(app, officer, world, goods):
    items = [goods(f"GC-F{n}") for n in range(3)]
    with app.app_context():
        seq = sequencer()
        before, replays = reader().size(), seq.stats.replayed

    def broken():
        ledger().append([NewEvent("item.noted", {"note": "half"}, item="x")], actor="test", now=clock.now())
        raise RuntimeError("failed after appending")

    def run_broken():
        with app.app_context():
            return seq.run(broken)

    body = {"date": "2026-11-04", "to_party_id": world["fleet"]}
    outcomes = in_one_group(
        app,
        [
            posts(officer, f"/api/v1/items/{items[0]}/transfers", body),
            run_broken,
            *(posts(officer, f"/api/v1/items/{item}/transfers", body) for item in items[1:]),
        ],
    )
    assert isinstance(outcomes[1], RuntimeError) and str(outcomes[1]) == "failed after appending"
    assert [r.status_code for r in outcomes[:1] + outcomes[2:]] == [201] * 3
    with app.app_context():
        assert seq.stats.replayed == replays + 1, "the group was rolled back and run write by write"
        assert reader().size() == before + 3, "the broken write's entry is not in the ledger"
        assert [e.event["type"] for e in reader().entries(before, before + 3)] == ["item.transferred"] * 3
    assert "OK" in app.test_cli_runner().invoke(args=["ledger", "verify"]).output


def test_each_write_is_recorded_under_its_own_callers_name(app, world, officer, goods):
    item_a, item_b = goods("GC-U1"), goods("GC-U2")
    alice = bearer_client(app, issue_token(app, make_account(app, "officer", "alice@example.test")))
    bob = bearer_client(app, issue_token(app, make_account(app, "officer", "bob@example.test")))
    body = {"date": "2026-11-04", "to_party_id": world["fleet"]}
    responses = in_one_group(
        app,
        [
            posts(alice, f"/api/v1/items/{item_a}/transfers", body),
            posts(bob, f"/api/v1/items/{item_b}/transfers", body),
        ],
    )
    with app.app_context():
        actors = [reader().entry(r.get_json()["entry_index"]).event["actor"] for r in responses]
    assert actors[0].startswith("user:alice@example.test (token ")
    assert actors[1].startswith("user:bob@example.test (token ")


def test_a_transfer_reads_its_item_holder_last_entry_and_parties_in_two_statements(app, world, officer, goods):
    """The item comes with its holder and its last ledger entry in one statement, the new holder in
    one more; the rules, the projection and the append then read them from memory. The item's new
    entry links to that last entry."""
    item = goods("GC-Q1")
    reads: list[str] = []

    def seen(connection, cursor, statement, *args) -> None:
        if statement.lstrip().startswith("SELECT") and any(
            name in statement for name in ("FROM party", "JOIN party", "ledger_entry.item_ref =")
        ):
            reads.append(statement)

    with app.app_context():
        engine, before = db.engine, reader().item_history(f"item:{item}")[-1].index
    event.listen(engine, "before_cursor_execute", seen)
    try:
        response = officer.post(
            f"/api/v1/items/{item}/transfers", json={"date": "2026-11-04", "to_party_id": world["fleet"]}
        )
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert response.status_code == 201, response.get_json()
    assert len(reads) == 2, reads
    assert "FROM item LEFT OUTER JOIN party" in reads[0] and "ledger_entry.item_ref =" in reads[0]
    with app.app_context():
        assert reader().entry(response.get_json()["entry_index"]).event["item_prev"] == before
