"""What an open recall holds back: the recalled lot goes into no item, a component that holds it
goes into no assembly, and neither counts as stock on hand, so the reorder proposal sees the gap.
The hold ends when the faulty part is out (a remedy) or the campaign closes."""

from __future__ import annotations

import pytest

from registry.supply import stock
from tests.recalls.test_recall_rules import A, open_campaign
from tests.supply.factories import hour

SHELF = {"quantity": "0.5", "location": "RAW"}


@pytest.fixture
def campaign(service, line):
    """A campaign on the faulty lot: unit U-1 (its housing H-1) and the spare housing H-3."""
    return open_campaign(service, {"type": "lots", "lot_ids": [line.faulty.id]})


def on_hand(service, part) -> int:
    service.session.expire_all()
    return stock.on_hand(service.session).get(part.id, 0)


def test_a_recalled_lot_goes_into_no_new_item_while_the_campaign_is_open(service, make, line, refused):
    make.item(line.housing_part, "H-6", at=hour(60), lots=[{"lot_id": line.faulty.id, **SHELF}])
    campaign = open_campaign(service, {"type": "lots", "lot_ids": [line.faulty.id]})
    error = refused(
        "recalled_lot",
        lambda: make.item(line.housing_part, "H-7", at=hour(24 * 10), lots=[{"lot_id": line.faulty.id, **SHELF}]),
    )
    assert error.field == "lots[0].lot_id" and "26E-041" in str(error)
    # A late record of a day before the campaign opened (2026-09-10) is not held.
    make.item(line.housing_part, "H-7b", at=hour(24 * 8), lots=[{"lot_id": line.faulty.id, **SHELF}])
    make.item(line.housing_part, "H-8", at=hour(24 * 10), lots=[{"lot_id": line.good.id, **SHELF}])
    service.close(campaign.id, on="2026-10-01", confirmed=True, **A)
    make.item(line.housing_part, "H-9", at=hour(24 * 31), lots=[{"lot_id": line.faulty.id, **SHELF}])


def test_a_component_holding_the_recalled_lot_goes_into_no_assembly(service, make, line, campaign, refused):
    spare, empty = line.housings[2], line.units[2]  # H-3, moulded from the faulty lot; U-3 holds nothing
    error = refused("recalled_component", lambda: make.install(empty, spare, hour(24 * 10)))
    assert error.field == "child_item_id"
    # An assembly that holds a faulty part is held as a whole.
    top = make.item(line.unit_part, "RACK-1", at=hour(24 * 10))
    refused("recalled_component", lambda: make.install(top, line.units[0], hour(24 * 10)))
    make.install(top, line.units[1], hour(24 * 10))


def test_held_material_is_not_on_hand_and_the_proposal_sees_the_gap(service, make, line):
    # Each resin lot has 9 kg left; the loose housing H-3 and the four units are on hand.
    make.service.set_reorder(line.resin.id, reorder_point="10", reorder_quantity="25", **A)
    assert (on_hand(service, line.resin), on_hand(service, line.housing_part), on_hand(service, line.unit_part)) == (
        18_000,
        1_000,
        4_000,
    )
    assert not [p for p in stock.replenishment(service.session) if p.part.id == line.resin.id]
    campaign = open_campaign(service, {"type": "lots", "lot_ids": [line.faulty.id]})
    # The faulty lot's 9 kg, the spare H-3 and U-1 (which holds H-1) are held.
    assert (on_hand(service, line.resin), on_hand(service, line.housing_part), on_hand(service, line.unit_part)) == (
        9_000,
        0,
        3_000,
    )
    [proposal] = [p for p in stock.replenishment(service.session) if p.part.id == line.resin.id]
    assert proposal.on_hand == 9_000
    levels = {level["lot_id"]: level["held_by"] for level in stock.levels(service.session, part_id=line.resin.id)}
    assert levels == {line.faulty.id: "26E-041", line.good.id: None}
    # Remedied, U-1 holds a sound housing and is stock again; the housing taken out stays held.
    sound = make.item(line.housing_part, "H-5", at=hour(24 * 9), lots=[{"lot_id": line.good.id, **SHELF}])
    replacement = {"removed": line.housings[0].id, "installed": sound.id}
    service.update_unit(campaign.id, line.units[0].id, state="remedied", on="2026-09-12", replacement=replacement, **A)
    assert (on_hand(service, line.unit_part), on_hand(service, line.housing_part)) == (4_000, 0)
    service.close(campaign.id, on="2026-10-01", confirmed=True, **A)
    assert (on_hand(service, line.resin), on_hand(service, line.housing_part)) == (17_500, 2_000)


def test_a_unit_still_held_is_not_sold_until_remedied(service, make, line, refused):
    """U-1 (faulty housing) and U-2 (sound) are in our custody when the campaign opens: U-1 is not
    sold, transferred or exported until its remedy; U-2 is sold at once."""
    custody = make.service.custody
    us = custody.register_licensee(ffl="8-23-091-01-7F-14245", name="Riverside", address="1 Main St", **A).id
    buyer = custody.register_organisation(name="Harbor View Hotel", address="9 Quay", **A).id
    for unit in line.units[:2]:
        custody.acquire(unit.id, on="2026-09-06", source_party_id=us, recipient_party_id=us, **A)
    campaign = open_campaign(service, {"type": "lots", "lot_ids": [line.faulty.id]})
    sale = {"on": "2026-09-12", "transferee_party_id": buyer, **A}
    error = refused("recall_unremedied", lambda: custody.dispose(line.units[0].id, **sale))
    assert "26E-041" in str(error) and "identified" in str(error)
    refused("recall_unremedied", lambda: custody.transfer(line.units[0].id, on="2026-09-12", to_party_id=buyer, **A))
    refused(
        "recall_unremedied", lambda: custody.change_status(line.units[0].id, status="exported", on="2026-09-12", **A)
    )
    custody.dispose(line.units[1].id, **sale)
    # A late record of a transfer dated before the campaign opened is not held.
    depot = custody.register_organisation(name="North Depot", address="2 Yard Rd", **A).id
    custody.transfer(line.units[0].id, on="2026-09-09", to_party_id=depot, **A)
    service.update_unit(campaign.id, line.units[0].id, state="unreachable", on="2026-09-12", **A)
    refused("recall_unremedied", lambda: custody.dispose(line.units[0].id, **sale))
    sound = make.item(line.housing_part, "H-5", at=hour(24 * 9), lots=[{"lot_id": line.good.id, **SHELF}])
    replacement = {"removed": line.housings[0].id, "installed": sound.id}
    service.update_unit(campaign.id, line.units[0].id, state="remedied", on="2026-09-13", replacement=replacement, **A)
    custody.dispose(line.units[0].id, **{**sale, "on": "2026-09-13"})
    assert custody.item(line.units[0].id).status == "disposed"


def test_an_unremedied_unit_may_go_back_to_where_it_came_from(service, make, line, refused):
    """A dealer returns a recalled unit to its maker for the remedy: that is no sale."""
    custody = make.service.custody
    us = custody.register_licensee(ffl="8-23-091-01-7F-14245", name="Riverside", address="1 Main St", **A).id
    maker = custody.register_organisation(name="Clearflow Works", address="1 Mill Ln", **A).id
    buyer = custody.register_organisation(name="Harbor View Hotel", address="9 Quay", **A).id
    custody.acquire(line.units[0].id, on="2026-09-06", source_party_id=maker, recipient_party_id=us, **A)
    open_campaign(service, {"type": "lots", "lot_ids": [line.faulty.id]})
    sale = {"on": "2026-09-12", **A}
    refused("recall_unremedied", lambda: custody.dispose(line.units[0].id, transferee_party_id=buyer, **sale))
    custody.dispose(line.units[0].id, transferee_party_id=maker, **sale)
    assert custody.item(line.units[0].id).holder_party_id == maker


def test_over_the_api_a_unit_is_not_sold_until_remedied(service, make, line, api_as):
    custody = make.service.custody
    us = custody.register_licensee(ffl="8-23-091-01-7F-14245", name="Riverside", address="1 Main St", **A).id
    buyer = custody.register_organisation(name="Harbor View Hotel", address="9 Quay", **A).id
    custody.acquire(line.units[0].id, on="2026-09-06", source_party_id=us, recipient_party_id=us, **A)
    open_campaign(service, {"type": "lots", "lot_ids": [line.faulty.id]})
    service.session.commit()
    answer = api_as("officer").post(
        f"/api/v1/items/{line.units[0].id}/dispositions", json={"date": "2026-09-12", "transferee_party_id": buyer}
    )
    assert answer.status_code == 409 and answer.get_json()["code"] == "recall_unremedied"


def test_stock_is_counted_beside_campaigns_of_every_basis(service, make, line):
    """A part basis is a compound query of its own: beside another open campaign, stock on hand and
    the replenishment proposals still answer (they failed on SQLite)."""
    open_campaign(service, {"type": "lots", "lot_ids": [line.faulty.id]})
    made = {"type": "part", "part_id": line.housing_part.id, "made_from": "2026-09-01", "made_to": "2026-09-01"}
    open_campaign(service, made, number="26E-050")
    # H-1, H-2 and H-3 were made on 2026-09-01; only U-3 (empty) and U-4 (H-4, made on 09-03) are stock.
    assert (on_hand(service, line.housing_part), on_hand(service, line.unit_part)) == (0, 2_000)
    assert isinstance(stock.replenishment(service.session), list)


def test_a_correction_does_not_move_a_sale_into_the_hold(service, make, line, refused):
    """A late record of a sale the day before the campaign opened passes; corrected onto a day the
    campaign held the unit, it is refused as a new sale that day would be. A unit the campaign counts
    as destroyed is still held until custody records it destroyed."""
    custody = make.service.custody
    us = custody.register_licensee(ffl="8-23-091-01-7F-14245", name="Riverside", address="1 Main St", **A).id
    buyer = custody.register_organisation(name="Harbor View Hotel", address="9 Quay", **A).id
    for unit in line.units[:2]:
        custody.acquire(unit.id, on="2026-09-06", source_party_id=us, recipient_party_id=us, **A)
    campaign = open_campaign(service, {"type": "serials", "serials": ["U-1", "U-2"]})
    sold = custody.dispose(line.units[0].id, on="2026-09-09", transferee_party_id=buyer, **A)
    fix = {"corrects": sold, "reason": "date", **A}
    error = refused(
        "recall_unremedied", lambda: custody.correct(line.units[0].id, fields={"date": "2026-09-12"}, **fix)
    )
    assert error.field == "fields.date"
    service.update_unit(campaign.id, line.units[1].id, state="destroyed", on="2026-09-12", **A)
    sale = {"on": "2026-09-13", "transferee_party_id": buyer, **A}
    refused("recall_unremedied", lambda: custody.dispose(line.units[1].id, **sale))


def test_a_refused_part_of_a_bigger_request_is_named_by_its_place(service, make, line, refused):
    campaign = open_campaign(service, {"type": "lots", "lot_ids": [line.faulty.id]})
    # H-2 sits in U-2: it cannot be the replacement put into U-1.
    replacement = {"removed": line.housings[0].id, "installed": line.housings[1].id}
    update = {"state": "remedied", "on": "2026-09-12", "replacement": replacement, **A}
    error = refused("already_installed", lambda: service.update_unit(campaign.id, line.units[0].id, **update))
    assert error.field == "replacement.installed"
    units = [line.units[0].id, line.units[1].id]  # U-2 holds no faulty housing: not in the campaign
    error = refused(
        "not_in_population",
        lambda: service.update_units(campaign.id, units, state="notified", on="2026-09-12", **A),
    )
    assert error.field == "item_ids[1]"
