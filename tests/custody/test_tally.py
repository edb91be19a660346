"""The item tally: counts by kind, status and holder, moved in one upsert per transaction; a cell
left at zero is removed, and only then does a second statement run."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import event, select

from registry.custody import projection
from registry.custody.models import ItemTally
from registry.extensions import db
from registry.ledger.locking import write_transaction


def cells() -> dict[tuple[str, str, str], int]:
    rows = db.session.execute(select(ItemTally.kind, ItemTally.status, ItemTally.holder, ItemTally.count))
    return {(kind, status, holder): count for kind, status, holder, count in rows}


def moved(changes: Counter) -> list[str]:
    """Apply `changes` in a write transaction; the tally statements it ran."""
    statements: list[str] = []

    def seen(connection, cursor, statement, *args) -> None:
        if "item_tally" in statement:
            statements.append(statement.split()[0])

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        with write_transaction(db.session):
            projection.tally(db.session, changes)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    return statements


def test_cells_move_in_one_statement_and_an_emptied_cell_is_removed_by_a_second(ctx):
    before = cells()
    assert moved(Counter({("goods", "in_custody", "dealer"): 3})) == ["INSERT"]
    # Out of a holder of several: nothing reaches zero, so nothing is removed.
    assert moved(Counter({("goods", "in_custody", "dealer"): -1, ("goods", "in_custody", "fleet"): 1})) == ["INSERT"]
    assert cells() == {**before, ("goods", "in_custody", "dealer"): 2, ("goods", "in_custody", "fleet"): 1}
    # The fleet's last item leaves: its cell goes.
    assert moved(Counter({("goods", "in_custody", "fleet"): -1, ("goods", "disposed", "dealer"): 1})) == [
        "INSERT",
        "DELETE",
    ]
    assert cells() == {**before, ("goods", "in_custody", "dealer"): 2, ("goods", "disposed", "dealer"): 1}


def test_more_cells_than_one_statement_takes_are_all_counted_and_all_removed(ctx):
    before = cells()
    many = Counter({("goods", "in_custody", f"holder-{n:05d}"): 1 + n % 3 for n in range(1_200)})
    assert moved(many) == ["INSERT"] * -(-1_200 // projection.TALLY_CELLS_PER_STATEMENT)
    assert cells() == {**before, **many}
    assert moved(Counter({cell: -count for cell, count in many.items()}))[-1] == "DELETE"
    assert cells() == before
