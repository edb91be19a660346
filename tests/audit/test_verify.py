"""audit.verify on synthetic ledgers: each check fails for the corruption it names, and a verification
split into ranges, with the tree rebuilt a chunk at a time, always agrees with one pass leaf by leaf."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit import checkpoint, merkle, note
from audit.canonical import canonical_bytes
from audit.verify import CHECKS, open_all, settle, verify_log, verify_range

ORIGIN = "test.example/log"
SKEY, VKEY = note.generate_key(ORIGIN)


def build(count: int, items: int = 3, checkpoint_every: int = 1, rewritten: int | None = None):
    """Entries, stored nodes and checkpoint notes of a well-formed ledger, as the registry writes them.

    `rewritten`: that entry gets another payload (to make a ledger that differs from a signed one)."""
    entries, nodes, notes, heads = [], [], [], {}
    frontier, prev = merkle.Frontier(), None
    for index in range(count):
        item = f"item-{index % items}"
        body = canonical_bytes(
            {
                "v": 1,
                "index": index,
                "prev": prev,
                "type": "item.noted",
                "time": "t",
                "actor": "a",
                "payload": {"n": "changed" if index == rewritten else str(index)},
                "item": item,
                "item_prev": heads.get(item),
            }
        )
        heads[item] = index
        leaf = merkle.leaf_hash(body)
        entries.append((index, body, leaf, "item.noted", item))
        nodes += [(merkle.node_key(level, at), value) for level, at, value in frontier.append(leaf)]
        prev = leaf.hex()
        if (index + 1) % checkpoint_every == 0 or index == count - 1:
            notes.append(
                checkpoint.sign_checkpoint(checkpoint.Checkpoint(ORIGIN, frontier.size, frontier.root()), SKEY)
            )
    return entries, nodes, notes


def rewrite(entries, position, **changes):
    """Replace fields of one body, keeping its stored leaf hash consistent (the attacker's first move)."""
    event = json.loads(entries[position][1])
    event.update(changes)
    body = canonical_bytes(event)
    entries[position] = (position, body, merkle.leaf_hash(body), entries[position][3], entries[position][4])


def verdict_of(entries, nodes, notes, **kwargs):
    return verify_log(entries, notes, [VKEY], nodes=nodes, **kwargs)


def test_a_well_formed_ledger_verifies():
    entries, nodes, notes = build(40)
    verdict = verdict_of(entries, nodes, notes)
    assert verdict.ok, verdict.summary()
    assert (verdict.entries, verdict.checkpoints, verdict.latest.size) == (40, 40, 40)


BREAKAGES = [
    (lambda e, n, c: e.pop(9), 9, "sequence"),
    (lambda e, n, c: e.__setitem__(9, e[9][:2] + (b"\0" * 32,) + e[9][3:]), 9, "leaf"),
    (lambda e, n, c: rewrite(e, 9, index=10), 9, "body"),
    (lambda e, n, c: rewrite(e, 9, prev="00" * 32), 9, "chain"),
    (lambda e, n, c: rewrite(e, 9, item_prev=3), 9, "item"),
    (lambda e, n, c: e.__setitem__(9, e[9][:3] + ("item.other", e[9][4])), 9, "columns"),
    (lambda e, n, c: n.__setitem__(7, (n[7][0], b"\1" * 32)), 9, "node"),  # node 7 is level 1 over leaves 8-9
    (lambda e, n, c: [e.pop() for _ in range(5)], 35, "coverage"),
]


def test_the_named_checks_are_the_ones_these_tests_make_fail():
    """CHECKS (what the ledger verification report lists) names exactly the checks a Problem
    carries here: the breakages above, and a rewritten root and a foreign signature below."""
    names = [name for name, _ in CHECKS]
    assert len(names) == len(set(names))
    assert set(names) == {check for _, _, check in BREAKAGES} | {"root", "signature"}


@pytest.mark.parametrize(
    "corrupt, index, check",
    BREAKAGES,
    ids=["sequence", "leaf", "body-index", "chain", "item", "columns", "node", "truncated"],
)
def test_each_check_names_the_first_bad_entry(corrupt, index, check):
    entries, nodes, notes = build(40)
    corrupt(entries, nodes, notes)
    verdict = verdict_of(entries, nodes, notes)
    assert not verdict.ok
    assert (verdict.problem.check, verdict.problem.index) == (check, index), verdict.summary()


def test_a_ledger_rewritten_without_the_key_fails_at_the_first_changed_entry():
    _, _, signed_notes = build(40)
    entries, nodes, _ = build(40, rewritten=20)
    verdict = verdict_of(entries, nodes, signed_notes)
    assert (verdict.problem.check, verdict.problem.index) == ("root", 20), verdict.summary()


def test_a_body_that_is_not_canonical_is_refused():
    entries, nodes, notes = build(5)
    body = json.dumps(json.loads(entries[2][1]), indent=1).encode()
    entries[2] = (2, body, merkle.leaf_hash(body), "item.noted", "item-2")
    verdict = verdict_of(entries, nodes, notes)
    assert (verdict.problem.check, verdict.problem.index) == ("body", 2)


def test_an_unsigned_tail_is_refused():
    entries, nodes, notes = build(10)
    verdict = verdict_of(entries, nodes, notes[:-1])
    assert (verdict.problem.check, verdict.problem.index) == ("coverage", 9)


def test_a_checkpoint_signed_by_an_untrusted_key_is_placed_after_the_last_good_one():
    entries, nodes, notes = build(10)
    other, _ = note.generate_key(ORIGIN)
    notes[-1] = checkpoint.sign_checkpoint(checkpoint.parse_checkpoint(notes[-1].split("\n\n")[0] + "\n"), other)
    verdict = verdict_of(entries, nodes, notes)
    assert (verdict.problem.check, verdict.problem.index) == ("signature", 9)


def test_a_checkpoint_of_size_0_signs_the_empty_tree_and_every_later_root_is_still_checked():
    _, _, signed = build(40)
    entries, nodes, _ = build(40, rewritten=20)
    empty = checkpoint.sign_checkpoint(checkpoint.Checkpoint(ORIGIN, 0, merkle.EMPTY_ROOT), SKEY)
    for notes, held in (([empty, *signed], []), (signed, [empty])):
        verdict = verdict_of(entries, nodes, notes, held_notes=held)
        assert (verdict.problem.check, verdict.problem.index) == ("root", 20), verdict.summary()
    entries, nodes, notes = build(10)
    assert verdict_of(entries, nodes, [empty, *notes]).ok
    other_root = checkpoint.sign_checkpoint(checkpoint.Checkpoint(ORIGIN, 0, b"\5" * 32), SKEY)
    verdict = verdict_of(entries, nodes, [other_root, *notes])
    assert (verdict.problem.check, verdict.problem.index) == ("root", 0), verdict.summary()


@pytest.mark.parametrize("position", [3, 4], ids=["previous-event-0", "previous-event-1"])
def test_an_event_about_an_item_must_name_the_items_previous_event(position):
    """Without `item_prev` an item event breaks the item's chain, even where the previous event is
    entry 0 (a missing field once read as 0)."""
    entries, nodes, notes = build(10, items=3)
    event = json.loads(entries[position][1])
    del event["item_prev"]
    body = canonical_bytes(event)
    entries[position] = (position, body, merkle.leaf_hash(body), entries[position][3], entries[position][4])
    verdict = verdict_of(entries, nodes, notes)
    assert (verdict.problem.check, verdict.problem.index) == ("item", position), verdict.summary()


def test_a_held_checkpoint_beyond_the_end_reveals_truncation():
    entries, nodes, notes = build(12)
    held = notes[-1]
    verdict = verdict_of(entries[:8], [n for n in nodes if last_leaf(n) < 8], notes[:8], held_notes=[held])
    assert (verdict.problem.check, verdict.problem.index) == ("coverage", 8)


def last_leaf(node):
    return node[0] >> merkle.NODE_KEY_BITS


def split_verdict(entries, nodes, notes, split, chunk_levels):
    """Entries [0, split) and [split, ...) verified apart, the second range from the stored frontier."""
    opened = open_all(notes, (), [VKEY], None)
    sizes = opened.sizes
    stored = dict(nodes)
    frontier = [
        (level, entries[at][2] if level == 0 else stored[merkle.node_key(level, at)])
        for level, at in merkle.frontier_keys(split)
    ]
    head = verify_range(
        entries[:split],
        stop=split,
        nodes=[n for n in nodes if last_leaf(n) < split],
        sizes=sizes,
        chunk_levels=chunk_levels,
    )
    tail = verify_range(
        entries[split:],
        start=split,
        prev_leaf=entries[split - 1][2] if split else None,
        frontier=frontier,
        nodes=[n for n in nodes if last_leaf(n) >= split],
        sizes=sizes,
        chunk_levels=chunk_levels,
    )
    return settle(opened, [head, tail])


CORRUPTIONS = ["none", "item", "chain", "leaf", "node", "missing-node", "extra-node", "body"]


@settings(max_examples=150, deadline=None, database=None)
@given(count=st.integers(2, 70), items=st.integers(1, 6), data=st.data())
def test_split_verification_agrees_with_one_pass(count, items, data):
    """Two ranges, the tree rebuilt in chunks of 2, 4 or 8 leaves (or 4,096) with stored nodes compared
    a chunk at a time, against one range rebuilt leaf by leaf: the same verdict, check and entry."""
    entries, nodes, notes = build(count, items=items, checkpoint_every=data.draw(st.integers(1, 7)))
    split = data.draw(st.integers(0, count))
    kind = data.draw(st.sampled_from(CORRUPTIONS))
    at = data.draw(st.integers(1, count - 1))
    if kind == "item":
        rewrite(
            entries,
            at,
            item_prev=json.loads(entries[at][1])["item_prev"] + 1
            if json.loads(entries[at][1])["item_prev"] is not None
            else 0,
        )
    elif kind == "chain":
        rewrite(entries, at, prev="ab" * 32)
    elif kind == "leaf":
        entries[at] = entries[at][:2] + (b"\2" * 32,) + entries[at][3:]
    elif kind == "node" and nodes:
        nodes[at % len(nodes)] = (nodes[at % len(nodes)][0], b"\3" * 32)
    elif kind == "missing-node" and nodes:
        del nodes[at % len(nodes)]
    elif kind == "extra-node":
        bogus = merkle.node_key(1, at // 2) + 8  # level 9 at a leaf where no level-9 node ends
        nodes.append((bogus, b"\4" * 32))
        nodes.sort()
    elif kind == "body":
        rewrite(entries, at, payload={"n": "rewritten"})
    one_pass = verify_log(entries, notes, [VKEY], nodes=nodes, chunk_levels=0)
    try:
        split_pass = split_verdict(entries, nodes, notes, split, data.draw(st.sampled_from([1, 2, 3, 12])))
    except KeyError:  # a frontier node the split needs is gone: the registry reports it as missing
        assert kind == "missing-node" and not one_pass.ok
        return
    assert one_pass.ok == split_pass.ok, (one_pass.summary(), split_pass.summary())
    if not one_pass.ok:
        assert (one_pass.problem.check, one_pass.problem.index) == (
            split_pass.problem.check,
            split_pass.problem.index,
        ), (
            one_pass.summary(),
            split_pass.summary(),
        )
