"""Custody meets genealogy: a component goes where its assembly goes. An assembly cannot leave its
holder while a component in it is held on its own record (a firearm in a goods case would stay in
the bound book after the case was sold); nothing is recorded of a component inside an assembly that
has left; a component held on its own record goes only into an assembly still held. Each refusal
appends nothing, and the way round it is the one the message names."""

from __future__ import annotations

from datetime import date

import pytest

from registry.custody import queries
from tests.supply.factories import ACTOR, NOW, hour

A = {"actor": ACTOR, "now": NOW}
ACQUIRED, SOLD = "2026-09-02", "2026-09-05"


@pytest.fixture
def custody(service):
    return service.custody


@pytest.fixture
def parties(custody):
    return {
        "us": custody.register_licensee(
            ffl="8-23-091-01-7F-14245", name="Riverside Sporting Goods", address="1 Main St, Austin TX", **A
        ).id,
        "maker": custody.register_licensee(
            ffl="9-87-654-07-8A-00001", name="Demo Arms Co.", address="2 Factory Rd, Waco TX", **A
        ).id,
        "buyer": custody.register_person(
            full_name="Jane Doe", address="3 Elm St, Austin TX", id_type="DL", id_issuer="TX", id_number="1234567", **A
        ).id,
    }


@pytest.fixture
def held(custody, parties):
    """held(kind, serial): an item registered on 2026-09-01 and, unless `acquire` is false, acquired
    by our licensee on 2026-09-02."""

    def make(kind: str, serial: str, *, acquire: bool = True):
        facts = (
            {"scheme": "firearm", "manufacturer": "Demo Arms Co.", "model": "DA-9", "type": "pistol", "caliber": "9mm"}
            if kind == "firearm"
            else {"scheme": "plain", "description": f"{serial} for a test"}
        )
        item = custody.register_item(kind=kind, serial=serial, on="2026-09-01", **facts, **A)
        if acquire:
            custody.acquire(
                item.id, on=ACQUIRED, source_party_id=parties["maker"], recipient_party_id=parties["us"], **A
            )
        return item

    return make


def sell(custody, parties, item, on=SOLD, **extra):
    return custody.dispose(item.id, on=on, transferee_party_id=parties["buyer"], **extra, **A)


def test_a_case_does_not_leave_with_a_firearm_still_in_the_book(custody, make, held, parties, refused):
    case, pistol = held("goods", "CASE-1"), held("firearm", "BXR-4471")
    make.install(case, pistol, hour(30))
    error = refused("component_in_custody", lambda: sell(custody, parties, case))
    assert "BXR-4471" in str(error)
    refused("component_in_custody", lambda: custody.change_status(case.id, status="exported", on=SOLD, **A))
    # The firearm's own disposition goes first, while the case is still held; then the case follows.
    sell(custody, parties, pistol, form_4473="2026-0001")
    sell(custody, parties, case)
    assert (custody.item(case.id).status, custody.item(pistol.id).status) == ("disposed", "disposed")
    book = queries.bound_book(custody.session, date_from=date(2026, 9, 1), date_to=date(2026, 9, 30), view="corrected")
    [line] = [queries.book_row_dict(row) for row in book if row.item.id == pistol.id]
    assert (line["disposition_date"], line["form_4473"]) == ("2026-09-05", "2026-0001")


def test_a_stolen_case_needs_its_firearm_reported_first(custody, make, held, refused):
    case, pistol = held("goods", "CASE-2"), held("firearm", "BXR-4472")
    make.install(case, pistol, hour(30))
    theft = {"on": "2026-09-06", "police_report": "APD-26-1", "discovered_at": "2026-09-06T08:00:00+00:00", **A}
    refused("component_in_custody", lambda: custody.change_status(case.id, status="stolen", **theft))
    custody.change_status(pistol.id, status="stolen", atf_incident="I-26-0042", **theft)
    custody.change_status(case.id, status="stolen", **theft)
    # Nothing more is recorded of the pistol while it is inside the stolen case; the case comes back first.
    recovery = {"status": "recovered", "on": "2026-09-09", **A}
    refused("assembly_left_custody", lambda: custody.change_status(pistol.id, **recovery))
    custody.change_status(case.id, **recovery)
    custody.change_status(pistol.id, **recovery)
    assert custody.item(pistol.id).status == "in_custody"


def test_a_held_assembly_may_be_quarantined_with_its_components(custody, make, held):
    case, pistol = held("goods", "CASE-3"), held("firearm", "BXR-4473")
    make.install(case, pistol, hour(30))
    custody.change_status(case.id, status="quarantined", on=SOLD, **A)
    assert custody.item(case.id).status == "quarantined"


def test_a_component_held_deeper_in_the_assembly_also_holds_it_back(custody, make, held, parties, refused):
    unit, module = held("goods", "UNIT-1"), held("goods", "MODULE-1", acquire=False)
    housing = held("goods", "HOUSING-1")
    make.install(module, housing, hour(30))
    make.install(unit, module, hour(31))
    error = refused("component_in_custody", lambda: sell(custody, parties, unit))
    assert "HOUSING-1" in str(error)
    refused("component_in_custody", lambda: custody.transfer(unit.id, on=SOLD, to_party_id=parties["buyer"], **A))
    make.remove(module, housing, hour(40))
    sell(custody, parties, unit)


def test_nothing_is_recorded_of_a_component_inside_a_sold_assembly(custody, make, held, parties, refused):
    unit, module = held("goods", "UNIT-2"), held("goods", "MODULE-2", acquire=False)
    board = held("goods", "BOARD-2", acquire=False)
    make.install(unit, module, hour(30))
    make.install(module, board, hour(30))
    sell(custody, parties, unit)
    acquire = {"on": "2026-09-06", "source_party_id": parties["maker"], "recipient_party_id": parties["us"], **A}
    for component in (module, board):
        error = refused("assembly_left_custody", lambda c=component: custody.acquire(c.id, **acquire))
        assert "UNIT-2" in str(error)
        refused(
            "assembly_left_custody",
            lambda c=component: custody.change_status(c.id, status="destroyed", **A | {"on": "2026-09-06"}),
        )
    # Taken out of the sold unit (a repair in service), the module is on a record of its own again
    # from the day it came out.
    make.remove(unit, module, hour(24 * 6 + 9))
    refused("assembly_left_custody", lambda: custody.acquire(module.id, **acquire))
    custody.acquire(module.id, **acquire | {"on": "2026-09-07"})
    assert custody.item(module.id).status == "in_custody"


def test_a_held_component_goes_only_into_a_held_assembly(custody, make, held, parties, refused):
    unit, spare = held("goods", "UNIT-3"), held("goods", "SPARE-3")
    sell(custody, parties, unit)
    error = refused("component_in_custody", lambda: make.install(unit, spare, hour(24 * 6)))
    assert error.field == "child_item_id"
    # Sold to the unit's owner first, the spare is fitted in service; a part never acquired
    # (made for the repair) is fitted as it is.
    sell(custody, parties, spare, on="2026-09-06")
    make.install(unit, spare, hour(24 * 6))
    fresh = held("goods", "FRESH-3", acquire=False)
    make.install(unit, fresh, hour(24 * 6))


def test_a_part_sold_to_someone_else_is_not_fitted(custody, make, held, parties, refused):
    unit, spare = held("goods", "UNIT-4"), held("goods", "SPARE-4")
    other = custody.register_organisation(name="Northline Fleet Ltd.", address="5 Depot Rd, Dallas TX", **A)
    sell(custody, parties, unit)
    custody.dispose(spare.id, on="2026-09-06", transferee_party_id=other.id, **A)
    refused("item_disposed", lambda: make.install(unit, spare, hour(24 * 6)))


def test_a_held_component_does_not_enter_an_assembly_inside_a_sold_one(custody, make, held, parties, refused):
    unit, module = held("goods", "UNIT-5"), held("goods", "MODULE-5", acquire=False)
    spare = held("goods", "SPARE-5")
    make.install(unit, module, hour(30))
    sell(custody, parties, unit)
    error = refused("component_in_custody", lambda: make.install(module, spare, hour(24 * 6)))
    assert "UNIT-5" in str(error)


def test_over_the_api_the_case_waits_for_its_firearm(custody, make, held, parties, api_as):
    """The API's writes read the item, its links and its recalls in one statement: the same rules."""
    case, pistol = held("goods", "CASE-6"), held("firearm", "BXR-4476")
    make.install(case, pistol, hour(30))
    custody.session.commit()
    officer = api_as("officer")
    sale = {"date": SOLD, "transferee_party_id": parties["buyer"]}
    refused = officer.post(f"/api/v1/items/{case.id}/dispositions", json=sale)
    assert refused.status_code == 409 and refused.mimetype == "application/problem+json"
    assert refused.get_json()["code"] == "component_in_custody" and "BXR-4476" in refused.get_json()["detail"]
    sold = officer.post(f"/api/v1/items/{pistol.id}/dispositions", json={**sale, "form_4473": "2026-0006"})
    assert sold.status_code == 201, sold.get_json()
    assert officer.post(f"/api/v1/items/{case.id}/dispositions", json=sale).status_code == 201
    back = {"date": "2026-09-06", "source_party_id": parties["buyer"], "recipient_party_id": parties["us"]}
    inside = officer.post(f"/api/v1/items/{pistol.id}/acquisitions", json=back)
    assert inside.status_code == 409 and inside.get_json()["code"] == "assembly_left_custody"


def test_a_late_record_is_judged_by_its_own_day(custody, make, held, parties, refused):
    """The part left on 09-20; a sale of the case dated 09-10, recorded after, would have sent the
    part out inside it ten days before its own record: refused. On 09-20 or later, the case may go."""
    case, part = held("goods", "CASE-7"), held("goods", "PART-7")
    make.install(case, part, hour(30))
    refused("component_in_custody", lambda: sell(custody, parties, case, on="2026-09-10"))
    sell(custody, parties, part, on="2026-09-20")
    refused("component_in_custody", lambda: sell(custody, parties, case, on="2026-09-10"))
    sell(custody, parties, case, on="2026-09-20")


def test_a_correction_obeys_the_same_rules(custody, make, held, parties, refused):
    """Moving the part's disposition after the case's, or changing who the part went to while it
    sits in the sold case, would part the two records."""
    case, part = held("goods", "CASE-8"), held("goods", "PART-8")
    make.install(case, part, hour(30))
    sold = sell(custody, parties, part, on="2026-09-05")
    sell(custody, parties, case, on="2026-09-06")
    correct = {"corrects": sold, "reason": "typed wrong", **A}
    error = refused("assembly_left_custody", lambda: custody.correct(part.id, fields={"date": "2026-09-25"}, **correct))
    assert error.field == "fields.date"
    other = custody.register_organisation(name="Other Buyer", address="4 Side St", **A).id
    refused(
        "assembly_left_custody",
        lambda: custody.correct(part.id, fields={"transferee_party_id": other}, **correct),
    )
    custody.correct(part.id, fields={"date": "2026-09-04"}, **correct)  # earlier is still before the case


def test_a_held_component_goes_only_into_an_assembly_of_its_holder(custody, make, held, parties, refused):
    car, part = held("goods", "CAR-9"), held("goods", "PART-9")
    fleet = custody.register_organisation(name="Fleet Co", address="5 Depot Rd", **A).id
    custody.transfer(part.id, on="2026-09-03", to_party_id=fleet, **A)
    refused("other_holder", lambda: make.install(car, part, hour(24 * 3)))
    custody.transfer(car.id, on="2026-09-03", to_party_id=fleet, **A)
    make.install(car, part, hour(24 * 3))


def test_a_correction_of_a_form_number_is_not_re_judged(custody, make, held, parties):
    """The pistol went first and its case the same day, as the rules ask: a typo in the pistol's
    Form 4473 number is still corrected."""
    case, pistol = held("goods", "CASE-10"), held("firearm", "BXR-4480")
    make.install(case, pistol, hour(30))
    sold = sell(custody, parties, pistol, on="2026-09-05", form_4473="2026-0001")
    sell(custody, parties, case, on="2026-09-05")
    custody.correct(pistol.id, corrects=sold, fields={"form_4473": "2026-0002"}, reason="typo", **A)


def test_a_held_component_does_not_enter_another_partys_unit_through_a_module(custody, make, held, refused):
    """The module was never acquired: the unit it sits in, held by Fleet Co, decides."""
    unit, module, spare = held("goods", "UNIT-11"), held("goods", "MODULE-11", acquire=False), held("goods", "SPARE-11")
    fleet = custody.register_organisation(name="Fleet Co", address="5 Depot Rd", **A).id
    make.install(unit, module, hour(30))
    custody.transfer(unit.id, on="2026-09-03", to_party_id=fleet, **A)
    refused("other_holder", lambda: make.install(module, spare, hour(24 * 4)))
