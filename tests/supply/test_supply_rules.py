"""Each supply rule accepted and refused through the service; a refusal appends nothing. Stock on
hand per lot and location, and the replenishment proposals with their purchase orders."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from registry.custody.models import Item
from registry.supply import genealogy, stock
from registry.supply.models import ItemPart, LotConsumption, Part, PurchaseOrderLine
from tests.supply.factories import ACTOR, NOW, hour

A = {"actor": ACTOR, "now": NOW}
AFTER_ORDER = date(2026, 9, 3)  # the orders of these tests are drafted on 2026-09-02


def level(service, lot, location: str) -> int:
    """The lot's quantity on hand at the location, in thousandths."""
    found = [row["quantity"] for row in stock.levels(service.session, lot_id=lot.id) if row["location"] == location]
    return found[0] if found else 0


# -- parts and lots --------------------------------------------------------------------------------


def test_a_duplicate_part_number_is_refused(make, refused):
    make.part("HSG-01")
    refused("duplicate_part", lambda: make.part("HSG-01", tracking="lot"))


def test_a_part_tracked_by_serial_is_counted_in_each(make, refused):
    refused("invalid_field", lambda: make.part(tracking="serial", unit="kg"))


def test_a_lot_of_a_serial_part_is_refused(make, refused):
    housing = make.part(tracking="serial")
    refused("serial_part", lambda: make.lot(housing, "10"))


def test_a_supplier_lot_of_a_lot_tracked_part_needs_the_suppliers_code(make, refused):
    resin, supplier = make.part(tracking="lot"), make.supplier()
    refused("missing_field", lambda: make.lot(resin, "10", supplier_id=supplier.id))


def test_a_valid_gs1_lot_code_is_stored_as_printed(make):
    resin, supplier = make.part(tracking="lot"), make.supplier()
    lot = make.lot(resin, "10", supplier_id=supplier.id, supplier_lot_code="KE2608-04/b", lot_scheme="gs1")
    assert (lot.supplier_lot_code, lot.lot_scheme) == ("KE2608-04/b", "gs1")


@pytest.mark.parametrize("code", ["A" * 21, "LOT\u00c41", "AB~1"], ids=["21-characters", "non-gs1-letter", "tilde"])
def test_a_lot_code_outside_gs1_ai_10_is_refused(make, refused, code):
    resin, supplier = make.part(tracking="lot"), make.supplier()
    error = refused(
        "invalid_lot_code",
        lambda: make.lot(resin, "10", supplier_id=supplier.id, supplier_lot_code=code, lot_scheme="gs1"),
    )
    assert error.field == "supplier_lot_code"


def test_a_gs1_lot_code_with_a_space_is_refused(make, refused):
    # The space is outside the GS1 character set (CSET 82).
    resin, supplier = make.part(tracking="lot"), make.supplier()
    refused(
        "invalid_lot_code",
        lambda: make.lot(resin, "10", supplier_id=supplier.id, supplier_lot_code="AB 12", lot_scheme="gs1"),
    )


def test_a_gs1_lot_code_with_parentheses_is_kept_whole_not_read_as_another_element(make):
    # "(" and ")" belong to GS1 character set 82, so they are part of the lot value.
    resin, supplier = make.part(tracking="lot"), make.supplier()
    lot = make.lot(resin, "10", supplier_id=supplier.id, supplier_lot_code="AB(21)12345", lot_scheme="gs1")
    assert lot.supplier_lot_code == "AB(21)12345"


def test_a_plain_lot_code_is_taken_as_given(make):
    resin, supplier = make.part(tracking="lot"), make.supplier()
    lot = make.lot(resin, "10", supplier_id=supplier.id, supplier_lot_code="AB 12 \u00c4", lot_scheme="plain")
    assert lot.supplier_lot_code == "AB 12 \u00c4"


def test_an_unknown_lot_scheme_is_refused(make, refused):
    resin = make.part(tracking="lot")
    refused("invalid_field", lambda: make.lot(resin, "10", supplier_lot_code="AB12", lot_scheme="hibc"))


@pytest.mark.parametrize(
    "quantity", ["0", "-1", "1.2345", "ten"], ids=["zero", "negative", "four-decimals", "not-a-number"]
)
def test_a_lot_quantity_must_be_positive_with_at_most_three_decimals(make, refused, quantity):
    resin = make.part(tracking="lot")
    refused("invalid_quantity", lambda: make.lot(resin, quantity))


def test_a_duplicate_internal_lot_code_is_refused(make, refused):
    resin = make.part(tracking="lot")
    make.lot(resin, "10", internal_code="LOT-1")
    refused("duplicate_lot", lambda: make.lot(resin, "10", internal_code="LOT-1"))


def test_an_automatic_lot_code_skips_a_code_taken_by_hand(make):
    resin = make.part("RESIN", tracking="lot")
    make.lot(resin, "10", on=date(2026, 9, 1), internal_code="RESIN-260901-0002")
    automatic = make.lot(resin, "10", on=date(2026, 9, 1))
    assert automatic.internal_code not in ("RESIN-260901-0002", None)


# -- stock -----------------------------------------------------------------------------------------


@pytest.fixture
def resin_lot(make):
    resin = make.part("RESIN", tracking="lot")
    return make.lot(resin, "10", location="RAW")


def test_a_received_lot_is_on_hand_where_it_was_received(service, resin_lot):
    assert level(service, resin_lot, "RAW") == 10_000


def test_on_hand_is_received_less_consumed(service, make, resin_lot):
    make.item(make.part(), at=hour(1), lots=[{"lot_id": resin_lot.id, "quantity": "2.5", "location": "RAW"}])
    make.item(make.part(), at=hour(2), lots=[{"lot_id": resin_lot.id, "quantity": "0.125", "location": "RAW"}])
    assert level(service, resin_lot, "RAW") == 7_375


def test_a_move_takes_from_one_location_and_adds_to_the_other(service, resin_lot):
    service.move_stock(
        lot_id=resin_lot.id, quantity_="3", from_location="RAW", to_location="LINE", on="2026-09-02", **A
    )
    assert (level(service, resin_lot, "RAW"), level(service, resin_lot, "LINE")) == (7_000, 3_000)


def test_an_adjustment_sets_the_counted_quantity_at_its_location_only(service, resin_lot):
    service.move_stock(
        lot_id=resin_lot.id, quantity_="3", from_location="RAW", to_location="LINE", on="2026-09-02", **A
    )
    service.adjust_stock(
        lot_id=resin_lot.id, location="LINE", counted="2.75", reason="cycle count", on="2026-09-03", **A
    )
    assert (level(service, resin_lot, "RAW"), level(service, resin_lot, "LINE")) == (7_000, 2_750)


def test_on_hand_per_lot_and_location_after_a_mix(service, make, resin_lot):
    resin = service.session.get(Part, resin_lot.part_id)
    other = make.lot(resin, "4", location="LINE")
    service.move_stock(
        lot_id=resin_lot.id, quantity_="6", from_location="RAW", to_location="LINE", on="2026-09-02", **A
    )
    make.item(
        make.part(),
        at=hour(30),
        lots=[
            {"lot_id": resin_lot.id, "quantity": "1.5", "location": "LINE"},
            {"lot_id": other.id, "quantity": "1", "location": "LINE"},
        ],
    )
    service.adjust_stock(lot_id=resin_lot.id, location="RAW", counted="3.9", reason="spill", on="2026-09-03", **A)
    assert {
        (row["internal_code"], row["location"]): row["quantity"]
        for row in stock.levels(service.session, part_id=resin.id)
    } == {
        (resin_lot.internal_code, "RAW"): 3_900,
        (resin_lot.internal_code, "LINE"): 4_500,
        (other.internal_code, "LINE"): 3_000,
    }


def test_consuming_more_than_is_on_hand_is_refused(make, refused, resin_lot):
    item = make.item(make.part(), at=hour(1))
    refused(
        "insufficient_stock",
        lambda: make.service.consume(
            lot_id=resin_lot.id, item_id=item.id, quantity_="10.001", location="RAW", at=hour(2), **A
        ),
    )


def test_consuming_at_a_location_that_holds_none_of_the_lot_is_refused(make, refused, resin_lot):
    item = make.item(make.part(), at=hour(1))
    refused(
        "insufficient_stock",
        lambda: make.service.consume(
            lot_id=resin_lot.id, item_id=item.id, quantity_="1", location="LINE", at=hour(2), **A
        ),
    )


def test_consuming_before_the_lot_was_received_is_refused(make, refused):
    resin = make.part(tracking="lot")
    lot = make.lot(resin, "10", on=date(2026, 9, 5))
    item = make.item(make.part(), at=hour(1))
    refused(
        "before_receipt",
        lambda: make.service.consume(lot_id=lot.id, item_id=item.id, quantity_="1", location="RAW", at=hour(2), **A),
    )


def test_moving_more_than_is_on_hand_is_refused(service, refused, resin_lot):
    refused(
        "insufficient_stock",
        lambda: service.move_stock(
            lot_id=resin_lot.id, quantity_="11", from_location="RAW", to_location="LINE", on="2026-09-02", **A
        ),
    )


def test_moving_to_the_same_location_is_refused(service, refused, resin_lot):
    refused(
        "same_location",
        lambda: service.move_stock(
            lot_id=resin_lot.id, quantity_="1", from_location="RAW", to_location="RAW", on="2026-09-02", **A
        ),
    )


def test_an_item_whose_lots_run_short_is_not_made_at_all(service, make, refused, resin_lot):
    part = make.part()
    refused(
        "insufficient_stock",
        lambda: make.item(
            part,
            "H-SHORT",
            at=hour(1),
            lots=[
                {"lot_id": resin_lot.id, "quantity": "4", "location": "RAW"},
                {"lot_id": resin_lot.id, "quantity": "7", "location": "RAW"},
            ],
        ),
    )
    assert (
        service.session.scalars(select(Item.id).where(Item.serial == "H-SHORT")).all(),
        service.session.scalars(select(LotConsumption.entry_index)).all(),
        level(service, resin_lot, "RAW"),
    ) == ([], [], 10_000)


def test_a_made_item_records_its_part_and_time(service, make):
    part = make.part()
    item = make.item(part, at=hour(7))
    row = service.session.get(ItemPart, item.id)
    assert (row.part_id, row.made_at) == (part.id, hour(7))


def test_an_item_is_made_only_of_a_serial_part(make, refused):
    resin = make.part(tracking="lot")
    refused("not_serial_part", lambda: make.item(resin))


# -- install and remove ----------------------------------------------------------------------------


@pytest.fixture
def chain(make):
    """unit > module > housing, installed at hours 2 and 3; a spare unit."""
    part = make.part()
    items = SimpleNamespace(
        **{name: make.item(part, name.upper(), at=hour(1)) for name in ("unit", "module", "housing", "spare")}
    )
    make.install(items.module, items.housing, hour(2))
    make.install(items.unit, items.module, hour(3))
    return items


def test_an_item_cannot_be_installed_in_itself(make, refused, chain):
    refused("cycle", lambda: make.install(chain.spare, chain.spare, hour(4)))


def test_an_assembly_cannot_be_installed_in_its_own_component(make, refused, chain):
    make.remove(chain.unit, chain.module, hour(4))
    refused("cycle", lambda: make.install(chain.housing, chain.module, hour(5)))


def test_an_assembly_cannot_be_installed_anywhere_below_itself(make, refused, chain):
    refused("cycle", lambda: make.install(chain.housing, chain.unit, hour(4)))


def test_an_install_backdated_into_a_past_cycle_is_refused(make, refused):
    # The module held the housing from hour 10 to hour 20; putting the module into the housing
    # from hour 5 on would make each contain the other between hours 10 and 20.
    part = make.part()
    module, housing = make.item(part, "MODULE"), make.item(part, "HOUSING")
    make.install(module, housing, hour(10))
    make.remove(module, housing, hour(20))
    refused("cycle", lambda: make.install(housing, module, hour(5)))


def test_an_installed_component_cannot_be_installed_again(make, refused, chain):
    refused("already_installed", lambda: make.install(chain.spare, chain.housing, hour(4)))


def test_removing_a_component_that_is_not_installed_is_refused(make, refused, chain):
    refused("not_installed", lambda: make.remove(chain.unit, chain.spare, hour(4)))


def test_removing_a_component_from_an_assembly_that_does_not_hold_it_is_refused(make, refused, chain):
    refused("not_installed", lambda: make.remove(chain.unit, chain.housing, hour(4)))


def test_removing_a_component_twice_is_refused(make, refused, chain):
    make.remove(chain.module, chain.housing, hour(4))
    refused("not_installed", lambda: make.remove(chain.module, chain.housing, hour(5)))


def test_a_removal_before_the_install_is_refused(make, refused, chain):
    refused("before_previous_event", lambda: make.remove(chain.module, chain.housing, hour(1.5)))


def test_a_reinstall_before_the_last_removal_is_refused(make, refused, chain):
    make.remove(chain.module, chain.housing, hour(10))
    refused("before_previous_event", lambda: make.install(chain.spare, chain.housing, hour(9)))


def test_a_removed_component_can_be_installed_in_another_assembly(service, make, chain):
    make.remove(chain.module, chain.housing, hour(10))
    make.install(chain.spare, chain.housing, hour(10))
    assert genealogy.where_used(service.session, genealogy.items_by_id([chain.housing.id]), hour(11)) == [
        chain.spare.id
    ]


def test_a_destroyed_component_cannot_be_installed(make, refused, chain):
    make.service.custody.change_status(chain.spare.id, status="destroyed", on="2026-09-02", **A)
    refused("item_destroyed", lambda: make.install(chain.unit, chain.spare, hour(30)))


def test_an_install_with_no_time_zone_is_refused(make, refused, chain):
    refused("invalid_date", lambda: make.install(chain.spare, chain.unit, "2026-09-02T10:00:00"))


# -- purchase orders -------------------------------------------------------------------------------


@pytest.fixture
def buying(make):
    """A lot-tracked resin with a reorder point of 100 and a quantity of 130; one supplier offers it."""
    resin = make.part("RESIN", tracking="lot", reorder_point="100", reorder_quantity="130")
    supplier = make.supplier("Dunmore Plastics")
    offer = make.offer(supplier, resin, lead_time_days=7, pack_size="25")
    return SimpleNamespace(resin=resin, supplier=supplier, offer=offer)


def receive(make, buying, order, quantity: str, code: str, supplier=None):
    """A lot of the resin received against `order`, from its supplier unless another is named."""
    return make.lot(
        buying.resin,
        quantity,
        supplier_id=(supplier or buying.supplier).id,
        supplier_lot_code=code,
        purchase_order_id=order.id,
        on=AFTER_ORDER,
    )


def draft(service, buying, quantity: str = "60"):
    return service.draft_purchase_order(
        supplier_id=buying.supplier.id, lines=[{"part_id": buying.resin.id, "quantity": quantity}], on="2026-09-02", **A
    )


def status_of(service, order) -> str:
    service.session.expire_all()
    return service.session.get(type(order), order.id).status


@pytest.mark.parametrize(
    "changes",
    [["placed"], ["cancelled"], ["placed", "cancelled"]],
    ids=["draft-placed", "draft-cancelled", "placed-cancelled"],
)
def test_a_purchase_order_makes_its_allowed_changes(service, buying, changes):
    order = draft(service, buying)
    for change in changes:
        service.change_purchase_order(order.id, status=change, **A)
    assert status_of(service, order) == changes[-1]


@pytest.mark.parametrize(
    "changes, refused_change",
    [
        (["placed"], "placed"),
        (["cancelled"], "placed"),
        (["cancelled"], "cancelled"),
        ([], "received"),
        (["placed", "received"], "cancelled"),
        (["placed", "received"], "placed"),
    ],
    ids=[
        "placed-twice",
        "cancelled-then-placed",
        "cancelled-twice",
        "received-by-hand",
        "received-then-cancelled",
        "received-then-placed",
    ],
)
def test_a_purchase_order_refuses_changes_its_status_does_not_allow(
    service, make, buying, refused, changes, refused_change
):
    order = draft(service, buying)
    for change in changes:
        if change == "received":
            receive(make, buying, order, "60", "L1")
        else:
            service.change_purchase_order(order.id, status=change, **A)
    code = "invalid_status" if refused_change == "received" else "invalid_transition"
    refused(code, lambda: service.change_purchase_order(order.id, status=refused_change, **A))


def test_an_order_for_a_part_the_supplier_does_not_offer_is_refused(service, make, buying, refused):
    other = make.part("SEAL", tracking="none")
    refused(
        "no_supplier_part",
        lambda: service.draft_purchase_order(
            supplier_id=buying.supplier.id, lines=[{"part_id": other.id, "quantity": "5"}], on="2026-09-02", **A
        ),
    )


def test_an_order_without_lines_is_refused(service, buying, refused):
    refused(
        "missing_field",
        lambda: service.draft_purchase_order(supplier_id=buying.supplier.id, lines=[], on="2026-09-02", **A),
    )


def test_a_lot_received_against_a_draft_order_is_refused(service, make, buying, refused):
    order = draft(service, buying)
    refused(
        "order_not_placed",
        lambda: receive(make, buying, order, "60", "L1"),
    )


def test_a_lot_from_another_supplier_than_the_orders_is_refused(service, make, buying, refused):
    order = draft(service, buying)
    service.change_purchase_order(order.id, status="placed", **A)
    stranger = make.supplier("Kestrel Polymers")
    refused(
        "wrong_supplier",
        lambda: receive(make, buying, order, "60", "L1", supplier=stranger),
    )


def test_a_lot_received_against_a_placed_order_updates_its_line(service, make, buying):
    order = draft(service, buying)
    service.change_purchase_order(order.id, status="placed", **A)
    receive(make, buying, order, "40", "L1")
    line = service.session.get(PurchaseOrderLine, (order.id, 1))
    assert (line.quantity, line.received, status_of(service, order)) == (60_000, 40_000, "placed")


def test_an_order_whose_lines_are_all_received_is_marked_received(service, make, buying):
    order = draft(service, buying)
    service.change_purchase_order(order.id, status="placed", **A)
    receive(make, buying, order, "40", "L1")
    receive(make, buying, order, "20", "L2")
    assert status_of(service, order) == "received"


def test_a_received_order_takes_no_more_lots(service, make, buying, refused):
    order = draft(service, buying)
    service.change_purchase_order(order.id, status="placed", **A)
    receive(make, buying, order, "60", "L1")
    refused(
        "order_not_placed",
        lambda: receive(make, buying, order, "5", "L2"),
    )


# -- replenishment ---------------------------------------------------------------------------------


def proposals(service) -> dict:
    return {proposal.part.number: proposal for proposal in stock.replenishment(service.session)}


def test_a_part_below_its_reorder_point_is_proposed_with_its_only_supplier(service, make, buying):
    make.lot(buying.resin, "40")
    proposal = proposals(service)["RESIN"]
    assert (proposal.supplier.name, proposal.on_hand, proposal.quantity) == ("Dunmore Plastics", 40_000, 150_000)


def test_a_part_exactly_at_its_reorder_point_is_proposed(service, make, buying):
    make.lot(buying.resin, "100")
    assert "RESIN" in proposals(service)


def test_a_part_above_its_reorder_point_is_not_proposed(service, make, buying):
    make.lot(buying.resin, "100.001")
    assert "RESIN" not in proposals(service)


def test_a_part_without_a_reorder_point_is_never_proposed(service, make):
    make.part("SEAL", tracking="none")
    assert "SEAL" not in proposals(service)


def test_the_preferred_supplier_is_proposed_over_a_shorter_lead_time(service, make, buying):
    make.offer(make.supplier("Quickship Resins"), buying.resin, lead_time_days=2)
    make.offer(make.supplier("Meridian Materials"), buying.resin, lead_time_days=20, preferred=True)
    proposal = proposals(service)["RESIN"]
    assert (proposal.supplier.name, proposal.reason) == ("Meridian Materials", "preferred supplier")


def test_without_a_preferred_supplier_the_shortest_lead_time_is_proposed(service, make, buying):
    make.offer(make.supplier("Quickship Resins"), buying.resin, lead_time_days=2, pack_size="50")
    make.offer(make.supplier("Slowboat Resins"), buying.resin, lead_time_days=30)
    assert proposals(service)["RESIN"].supplier.name == "Quickship Resins"


def test_the_proposed_quantity_is_rounded_up_to_the_pack_size(service, make, buying):
    make.offer(make.supplier("Quickship Resins"), buying.resin, lead_time_days=2, pack_size="50")
    assert proposals(service)["RESIN"].quantity == 150_000


def test_a_quantity_that_fills_whole_packs_is_not_rounded(service, make):
    seal = make.part("SEAL", tracking="none", reorder_point="10", reorder_quantity="200")
    make.offer(make.supplier(), seal, pack_size="50")
    assert proposals(service)["SEAL"].quantity == 200_000


def test_a_draft_order_counts_as_on_order(service, make, buying):
    make.lot(buying.resin, "40")
    draft(service, buying, "70")
    assert "RESIN" not in proposals(service)


def test_a_placed_order_counts_as_on_order(service, make, buying):
    make.lot(buying.resin, "40")
    order = draft(service, buying, "70")
    service.change_purchase_order(order.id, status="placed", **A)
    assert "RESIN" not in proposals(service)


def test_a_cancelled_order_does_not_count_as_on_order(service, make, buying):
    make.lot(buying.resin, "40")
    order = draft(service, buying, "70")
    service.change_purchase_order(order.id, status="cancelled", **A)
    assert proposals(service)["RESIN"].on_order == 0


def test_only_the_part_of_an_order_not_yet_received_counts_as_on_order(service, make, buying):
    order = draft(service, buying, "60")
    service.change_purchase_order(order.id, status="placed", **A)
    receive(make, buying, order, "45", "L1")
    assert stock.on_order(service.session)[buying.resin.id] == 15_000


def test_units_of_a_serial_part_installed_in_an_assembly_are_not_on_hand(service, make):
    housing = make.part("HSG", tracking="serial")
    unit = make.item(make.part("UNIT"))
    make.item(housing)
    make.install(unit, make.item(housing), hour(1))
    assert stock.on_hand(service.session)[housing.id] == 1_000


def test_a_lot_of_a_part_the_order_does_not_name_is_refused(service, make, buying, refused):
    order = draft(service, buying)
    service.change_purchase_order(order.id, status="placed", **A)
    other = make.part("SEAL", tracking="none")
    refused(
        "not_on_order",
        lambda: make.lot(other, "5", supplier_id=buying.supplier.id, purchase_order_id=order.id, on=AFTER_ORDER),
    )


def test_a_component_cannot_be_installed_before_it_was_made(make, refused):
    part = make.part()
    assembly, component = make.item(part, "ASM-1", at=hour(1)), make.item(part, "CMP-1", at=hour(5))
    refused("before_previous_event", lambda: make.install(assembly, component, hour(3)))
    make.install(assembly, component, hour(5))


# -- the record's order: nothing happens to stock or items before they exist ------------------------


def test_a_lot_is_not_consumed_before_the_item_was_made_nor_into_a_destroyed_one(make, refused, resin_lot):
    item = make.item(make.part(), at=hour(30))
    use = {"lot_id": resin_lot.id, "item_id": item.id, "quantity_": "1", "location": "RAW"}
    refused("before_previous_event", lambda: make.service.consume(**use, at=hour(2), **A))
    make.service.custody.change_status(item.id, status="destroyed", on="2026-09-03", **A)
    refused("item_destroyed", lambda: make.service.consume(**use, at=hour(60), **A))


def test_moves_and_counts_are_dated_after_the_receipt_and_the_last_consumption(service, make, refused, resin_lot):
    move = {"lot_id": resin_lot.id, "quantity_": "1", "from_location": "RAW", "to_location": "LINE"}
    refused("before_receipt", lambda: service.move_stock(**move, on="2026-08-31", **A))
    count = {"lot_id": resin_lot.id, "location": "RAW", "counted": "10", "reason": "stocktake"}
    refused("before_receipt", lambda: service.adjust_stock(**count, on="2026-08-01", **A))
    make.item(make.part(), at=hour(60), lots=[{"lot_id": resin_lot.id, "quantity": "4", "location": "RAW"}])
    # a count dated before that consumption would put the 4 kg back: 14 kg out of a 10 kg lot
    refused("before_previous_event", lambda: service.adjust_stock(**count, on="2026-09-02", **A))
    service.adjust_stock(**{**count, "counted": "5.5"}, on="2026-09-03", **A)
    assert level(service, resin_lot, "RAW") == 5_500


def test_a_lots_stock_changes_are_recorded_in_the_order_of_their_days(service, make, refused, resin_lot):
    """A move to the line on 2026-09-05: a consumption from the line dated 2026-09-04 took from where
    the stock was not yet, and a count of the store dated 2026-09-04 would undo the move."""
    service.move_stock(
        lot_id=resin_lot.id, quantity_="3", from_location="RAW", to_location="LINE", on="2026-09-05", **A
    )
    part = make.part()
    early = [{"lot_id": resin_lot.id, "quantity": "1", "location": "LINE"}]
    error = refused("before_previous_event", lambda: make.item(part, at=hour(24 * 3 + 12), lots=early))
    assert error.field == "at" and "2026-09-05" in str(error)
    count = {"lot_id": resin_lot.id, "location": "RAW", "counted": "10", "reason": "stocktake"}
    refused("before_previous_event", lambda: service.adjust_stock(**count, on="2026-09-04", **A))
    back = {"lot_id": resin_lot.id, "quantity_": "1", "from_location": "LINE", "to_location": "RAW"}
    refused("before_previous_event", lambda: service.move_stock(**back, on="2026-09-04", **A))
    make.item(part, at=hour(24 * 4 + 8), lots=early)  # on the day of the move
    service.adjust_stock(**{**count, "counted": "7"}, on="2026-09-06", **A)
    assert (level(service, resin_lot, "RAW"), level(service, resin_lot, "LINE")) == (7_000, 2_000)


def test_a_part_is_assigned_to_an_item_only_if_tracked_by_serial_and_made_before_its_use(make, refused, resin_lot):
    goods = make.service.custody.register_item(
        kind="goods", scheme="plain", serial="CASE-1", on="2026-09-01", description="case", **A
    )
    resin = make.service.session.get(Part, resin_lot.part_id)
    assign = {"item_id": goods.id, "made_at": hour(1)}
    refused("not_serial_part", lambda: make.service.assign_part(part_id=resin.id, **assign, **A))
    housing, case_part = make.item(make.part(), at=hour(1)), make.part()
    make.install(goods, housing, hour(5))
    refused(
        "before_previous_event",
        lambda: make.service.assign_part(part_id=case_part.id, item_id=goods.id, made_at=hour(6), **A),
    )
    make.service.assign_part(part_id=case_part.id, item_id=goods.id, made_at=hour(4), **A)


def test_nothing_is_installed_before_the_items_were_registered(make, refused):
    register = make.service.custody.register_item
    case = register(kind="goods", scheme="plain", serial="CASE-2", on="2026-09-10", description="case", **A)
    lid = register(kind="goods", scheme="plain", serial="LID-2", on="2026-09-10", description="lid", **A)
    refused("before_previous_event", lambda: make.install(case, lid, hour(24)))
    make.install(case, lid, hour(24 * 9 + 1))


def test_a_lot_received_against_an_order_is_not_dated_before_the_order(service, make, refused, buying):
    order = draft(service, buying)
    service.change_purchase_order(order.id, status="placed", **A)
    lot = {"quantity": "50", "supplier_lot_code": "DP-1", "purchase_order_id": order.id}
    refused("before_previous_event", lambda: make.lot(buying.resin, **lot, on=date(2026, 9, 1)))
    assert make.lot(buying.resin, **lot, on=date(2026, 9, 2)).purchase_order_id == order.id


def test_a_lot_code_shared_by_two_suppliers_is_no_trace_and_a_code_must_print(service, make, refused):
    resin = make.part(tracking="lot")
    for supplier in (make.supplier("North"), make.supplier("South")):
        make.lot(resin, "5", supplier_id=supplier.id, supplier_lot_code="SHARED")
    from registry.supply import queries

    refused("ambiguous_lot", lambda: queries.trace_start(service.session, lot="SHARED", at=NOW))
    third = make.supplier()
    refused("invalid_lot_code", lambda: make.lot(resin, "5", supplier_id=third.id, supplier_lot_code="ABC\u200bX1"))
