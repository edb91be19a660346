"""Forward trace (where_used) and backward trace (as_built) on hand-built assemblies whose answers
are known, and a property test against a naive model of "the top-level containers at time T"."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.supply import genealogy
from registry.supply.rules import SupplyError
from tests.supply.factories import hour


def traced_from_items(service, items, at) -> list[str]:
    return genealogy.where_used(service.session, genealogy.items_by_id([item.id for item in items]), at)


def traced_from_lots(service, lots, at) -> list[str]:
    return genealogy.where_used(service.session, genealogy.items_with_lots([lot.id for lot in lots], at), at)


def shape(node) -> tuple:
    """A tree as (serial, [children's shapes]), for comparing whole trees at once."""
    return node.serial, [shape(child) for child in node.children]


def ids(*items) -> list[str]:
    return sorted(item.id for item in items)


@pytest.fixture
def rack(make):
    """A rack holding a unit holding a pump module holding a housing moulded from a resin lot:
    four levels of items and a lot below them, all assembled by hour 4."""
    resin = make.part("RESIN", tracking="lot")
    lot = make.lot(resin, "10")
    housing = make.item(
        make.part("HSG"), "H-1", at=hour(1), lots=[{"lot_id": lot.id, "quantity": "0.4", "location": "RAW"}]
    )
    module = make.item(make.part("MOD"), "M-1", at=hour(1))
    unit = make.item(make.part("UNIT"), "U-1", at=hour(1))
    rack = make.item(make.part("RACK"), "R-1", at=hour(1))
    make.install(module, housing, hour(2))
    make.install(unit, module, hour(3))
    make.install(rack, unit, hour(4))
    return SimpleNamespace(resin=resin, lot=lot, housing=housing, module=module, unit=unit, rack=rack)


# -- forward trace ---------------------------------------------------------------------------------


def test_a_lot_traces_forward_to_the_top_of_a_four_level_assembly(service, rack):
    assert traced_from_lots(service, [rack.lot], hour(5)) == [rack.rack.id]


def test_a_component_traces_forward_to_its_top_level_assembly(service, rack):
    assert traced_from_items(service, [rack.housing], hour(5)) == [rack.rack.id]


def test_an_item_in_no_assembly_is_its_own_top_level(service, make):
    loose = make.item(make.part(), "LOOSE-1")
    assert traced_from_items(service, [loose], hour(5)) == [loose.id]


def test_the_trace_stops_at_the_highest_level_assembled_by_then(service, rack):
    assert traced_from_items(service, [rack.housing], hour(3.5)) == [rack.unit.id]


def test_items_in_the_same_assembly_trace_to_it_once(service, rack):
    assert traced_from_items(service, [rack.housing, rack.module, rack.unit], hour(5)) == [rack.rack.id]


def test_the_forward_trace_lists_each_top_level_once_and_sorted(service, make):
    part = make.part()
    tops = [make.item(part, f"TOP-{n}") for n in range(3)]
    children = [make.item(part, f"CHILD-{n}") for n in range(3)]
    for top, child in zip(tops, children):
        make.install(top, child, hour(1))
    assert traced_from_items(service, children + tops, hour(2)) == ids(*tops)


def test_ancestors_are_every_assembly_above_the_item(service, rack):
    assert genealogy.ancestors(service.session, rack.housing.id, hour(5)) == {
        rack.module.id,
        rack.unit.id,
        rack.rack.id,
    }


# -- time windows ----------------------------------------------------------------------------------


def test_a_component_removed_before_t_is_not_in_the_assembly_at_t(service, make, rack):
    make.remove(rack.module, rack.housing, hour(6))
    assert traced_from_items(service, [rack.housing], hour(7)) == [rack.housing.id]


def test_a_component_installed_after_t_is_not_in_the_assembly_at_t(service, make):
    part = make.part()
    assembly, component = make.item(part, "A-1"), make.item(part, "C-1")
    make.install(assembly, component, hour(10))
    assert traced_from_items(service, [component], hour(9)) == [component.id]


def test_a_link_counts_from_the_moment_of_its_install(service, make):
    part = make.part()
    assembly, component = make.item(part, "A-1"), make.item(part, "C-1")
    make.install(assembly, component, hour(10))
    assert traced_from_items(service, [component], hour(10)) == [assembly.id]


def test_a_link_stops_counting_at_the_moment_of_its_removal(service, make, rack):
    make.remove(rack.module, rack.housing, hour(6))
    assert traced_from_items(service, [rack.housing], hour(6)) == [rack.housing.id]


def test_a_removed_assembly_takes_its_components_with_it(service, make, rack):
    make.remove(rack.unit, rack.module, hour(6))
    assert traced_from_items(service, [rack.housing], hour(7)) == [rack.module.id]


def test_the_trace_at_a_past_time_still_sees_a_link_removed_since(service, make, rack):
    make.remove(rack.module, rack.housing, hour(6))
    assert traced_from_items(service, [rack.housing], hour(5)) == [rack.rack.id]


@pytest.fixture
def swapped(make):
    """A housing in unit U-1 from hour 2 to hour 10, then in unit U-2 from hour 12."""
    housing_part, unit_part = make.part("HSG"), make.part("UNIT")
    housing = make.item(housing_part, "H-1", at=hour(1))
    first, second = make.item(unit_part, "U-1", at=hour(1)), make.item(unit_part, "U-2", at=hour(1))
    make.install(first, housing, hour(2))
    make.remove(first, housing, hour(10))
    make.install(second, housing, hour(12))
    return SimpleNamespace(housing=housing, first=first, second=second)


@pytest.mark.parametrize(
    "at, where",
    [(5, "first"), (11, "housing"), (15, "second")],
    ids=["in-the-first-unit", "between-units", "in-the-second-unit"],
)
def test_a_reinstalled_component_traces_to_the_assembly_of_each_window(service, swapped, at, where):
    assert traced_from_items(service, [swapped.housing], hour(at)) == [getattr(swapped, where).id]


def test_a_reinstalled_component_is_not_in_its_former_assembly_as_built(service, swapped):
    assert genealogy.as_built(service.session, swapped.first.id, hour(15)).children == []


def test_a_reinstalled_component_is_not_in_its_new_assembly_before_the_reinstall(service, swapped):
    assert genealogy.as_built(service.session, swapped.second.id, hour(5)).children == []


def test_a_lot_consumed_after_t_is_not_counted(service, make):
    resin = make.part("RESIN", tracking="lot")
    lot = make.lot(resin, "10")
    make.item(make.part(), "H-LATE", at=hour(30), lots=[{"lot_id": lot.id, "quantity": "1", "location": "RAW"}])
    assert traced_from_lots(service, [lot], hour(20)) == []


def test_a_lot_counts_from_the_moment_it_was_consumed(service, make):
    resin = make.part("RESIN", tracking="lot")
    lot = make.lot(resin, "10")
    made = make.item(make.part(), "H-LATE", at=hour(30), lots=[{"lot_id": lot.id, "quantity": "1", "location": "RAW"}])
    assert traced_from_lots(service, [lot], hour(30)) == [made.id]


def test_a_lot_traces_to_every_assembly_holding_an_item_made_from_it(service, make):
    resin = make.part("RESIN", tracking="lot")
    faulty, good = make.lot(resin, "10"), make.lot(resin, "10")
    housing_part, unit_part = make.part("HSG"), make.part("UNIT")
    units = [make.item(unit_part, f"U-{n}") for n in range(3)]
    for n, (unit, lot) in enumerate(zip(units, (faulty, good, faulty))):
        housing = make.item(
            housing_part, f"H-{n}", at=hour(1), lots=[{"lot_id": lot.id, "quantity": "1", "location": "RAW"}]
        )
        make.install(unit, housing, hour(2))
    assert traced_from_lots(service, [faulty], hour(3)) == ids(units[0], units[2])


# -- items of a part within dates ------------------------------------------------------------------


def test_items_of_a_part_are_those_made_from_the_start_up_to_before_the_end(service, make):
    part = make.part()
    made = {at: make.item(part, f"H-{at}", at=hour(at)) for at in (9, 10, 15, 20)}
    start = genealogy.items_of_part(part.id, hour(10), hour(20), hour(30))
    assert genealogy.where_used(service.session, start, hour(30)) == ids(made[10], made[15])


def test_items_of_a_part_leave_out_those_made_after_t(service, make):
    part = make.part()
    early = make.item(part, "H-EARLY", at=hour(10))
    make.item(part, "H-LATE", at=hour(15))
    start = genealogy.items_of_part(part.id, hour(0), hour(20), hour(12))
    assert genealogy.where_used(service.session, start, hour(12)) == [early.id]


def test_items_of_a_part_include_items_that_consumed_its_lots_in_the_window(service, make):
    resin = make.part("RESIN", tracking="lot")
    lot = make.lot(resin, "10")
    housing_part = make.part("HSG")
    inside = make.item(housing_part, "H-IN", at=hour(12), lots=[{"lot_id": lot.id, "quantity": "1", "location": "RAW"}])
    make.item(housing_part, "H-OUT", at=hour(25), lots=[{"lot_id": lot.id, "quantity": "1", "location": "RAW"}])
    start = genealogy.items_of_part(resin.id, hour(10), hour(20), hour(30))
    assert genealogy.where_used(service.session, start, hour(30)) == [inside.id]


# -- backward trace --------------------------------------------------------------------------------


def test_as_built_nests_every_level_of_the_assembly(service, rack):
    tree = genealogy.as_built(service.session, rack.rack.id, hour(5))
    assert shape(tree) == ("R-1", [("U-1", [("M-1", [("H-1", [])])])])


def test_as_built_lists_the_lots_consumed_into_each_level(service, rack):
    tree = genealogy.as_built(service.session, rack.rack.id, hour(5))
    assert {node.serial: [lot["lot_id"] for lot in node.lots] for node in tree.walk()} == {
        "R-1": [],
        "U-1": [],
        "M-1": [],
        "H-1": [rack.lot.id],
    }


def test_as_built_records_the_quantity_of_a_lot_in_thousandths(service, rack):
    housing = genealogy.as_built(service.session, rack.housing.id, hour(5))
    assert housing.lots[0]["quantity"] == 400


def test_as_built_names_each_nodes_part(service, rack):
    tree = genealogy.as_built(service.session, rack.rack.id, hour(5))
    assert [node.part_number for node in tree.walk()] == ["RACK", "UNIT", "MOD", "HSG"]


def test_as_built_before_the_last_install_stops_a_level_lower(service, rack):
    tree = genealogy.as_built(service.session, rack.rack.id, hour(3.5))
    assert shape(tree) == ("R-1", [])


def test_as_built_leaves_out_a_component_removed_before_t(service, make, rack):
    make.remove(rack.module, rack.housing, hour(6))
    tree = genealogy.as_built(service.session, rack.rack.id, hour(7))
    assert shape(tree) == ("R-1", [("U-1", [("M-1", [])])])


def test_as_built_leaves_out_lots_consumed_after_t(service, make):
    resin = make.part("RESIN", tracking="lot")
    lot = make.lot(resin, "10")
    housing = make.item(make.part(), "H-1", at=hour(30), lots=[{"lot_id": lot.id, "quantity": "1", "location": "RAW"}])
    assert genealogy.as_built(service.session, housing.id, hour(20)).lots == []


def test_as_built_orders_siblings_by_position(service, make):
    part = make.part()
    frame = make.item(part, "FRAME")
    for serial, position in (("W-1", "wheel-rear"), ("W-2", "wheel-front")):
        make.install(frame, make.item(part, serial), hour(1), position=position)
    tree = genealogy.as_built(service.session, frame.id, hour(2))
    assert [(child.serial, child.position) for child in tree.children] == [
        ("W-2", "wheel-front"),
        ("W-1", "wheel-rear"),
    ]


def test_as_built_of_an_unknown_item_is_none(service):
    assert genealogy.as_built(service.session, "no-such-item", hour(5)) is None


# -- property: the trace equals a naive model ------------------------------------------------------

ITEMS = 4
steps = st.lists(
    st.one_of(
        st.tuples(st.just("install"), st.integers(0, ITEMS - 1), st.integers(0, ITEMS - 1)),
        st.tuples(st.just("remove"), st.integers(0, ITEMS - 1), st.integers(0, ITEMS - 1)),
    ),
    min_size=1,
    max_size=12,
)


def model_top(parents: dict[int, int], item: int) -> int:
    while item in parents:
        item = parents[item]
    return item


def model_contains(parents: dict[int, int], assembly: int, item: int) -> bool:
    """Whether `item` is `assembly` or sits anywhere below it."""
    while item != assembly and item in parents:
        item = parents[item]
    return item == assembly


def run(make, operations) -> tuple[list[str], list[tuple[float, dict[int, int]]]]:
    """Apply the operations at hours 1, 2, 3...; return the items and the model's state after each."""
    part = make.part()
    items = [make.item(part, at=hour(0)).id for _ in range(ITEMS)]
    parents: dict[int, int] = {}
    history = [(0.5, {})]
    for number, (action, first, second) in enumerate(operations, start=1):
        if action == "install":
            parent, child = first, second
            allowed = child not in parents and not model_contains(parents, child, parent)
        else:
            child = first
            parent = parents.get(child, second)
            allowed = parents.get(child) == parent
        try:
            (make.install if action == "install" else make.remove)(items[parent], items[child], hour(number))
            accepted = True
        except SupplyError:
            accepted = False
        assert accepted == allowed, (action, parent, child, parents)
        if allowed and action == "install":
            parents[child] = parent
        elif allowed:
            del parents[child]
        history += [(number, dict(parents)), (number + 0.5, dict(parents))]
    return items, history


def observations(make, operations):
    """Run the operations, then yield each (time, an item's number, the items' ids, the model's
    parents at that time) to compare."""
    items, history = run(make, operations)
    for at, parents in history:
        for number in range(ITEMS):
            yield at, number, items, parents


property_settings = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@property_settings
@given(operations=steps)
def test_where_used_equals_the_model_at_every_time(service, make, operations):
    for at, number, items, parents in observations(make, operations):
        assert traced_from_items(service, [SimpleNamespace(id=items[number])], hour(at)) == [
            items[model_top(parents, number)]
        ], (at, number, parents)


@property_settings
@given(operations=steps)
def test_as_built_equals_the_model_at_every_time(service, make, operations):
    for at, number, items, parents in observations(make, operations):
        below = {items[other] for other in range(ITEMS) if model_contains(parents, number, other)}
        tree = genealogy.as_built(service.session, items[number], hour(at))
        assert {node.item_id for node in tree.walk()} == below, (at, number, parents)
