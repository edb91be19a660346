"""The founding scenario, end to end over the API: eight suppliers deliver the same resin in lots,
housings are moulded from those lots, built into pump modules, the modules into finished units
sold to holders; one supplier's lot is faulty. The recall's population is exactly the units that
contain that lot at the cut-off, three assembly levels up, including a unit whose faulty housing
was replaced before the cut-off (not affected) and one that received it as a repair (affected)."""

from __future__ import annotations

import csv
import io

import pytest

SUPPLIERS = ["Aldane", "Brightwater", "Corvex", "Dunmore", "Kestrel", "Lumen", "Meridian", "Northgate"]
BAD = 4  # Kestrel's lot
UNITS = 16


@pytest.fixture
def officer(api_as):
    return api_as("officer")


def ok(response, status=201):
    assert response.status_code == status, response.get_json()
    return response.get_json()


@pytest.fixture
def scenario(officer):
    post = officer.post
    works = ok(
        post("/api/v1/parties", json={"kind": "organisation", "name": "Clearflow Works", "address": "1 Mill Ln"})
    )
    buyers = [
        ok(post("/api/v1/parties", json={"kind": "organisation", "name": f"Buyer {n}", "address": f"{n} Main St"}))
        for n in range(3)
    ]
    part = {
        name: ok(post("/api/v1/parts", json=body))["id"]
        for name, body in {
            "resin": {"number": "RM-1", "description": "PA66 resin", "tracking": "lot", "unit": "kg"},
            "housing": {"number": "HSG-1", "description": "Housing", "tracking": "serial"},
            "module": {"number": "PM-1", "description": "Pump module", "tracking": "serial"},
            "unit": {"number": "WF-1", "description": "Filtration unit", "tracking": "serial"},
        }.items()
    }
    lots = []
    for number, name in enumerate(SUPPLIERS):
        supplier = ok(post("/api/v1/suppliers", json={"name": f"{name} Resins"}))
        lots.append(
            ok(
                post(
                    "/api/v1/lots",
                    json={
                        "part_id": part["resin"],
                        "supplier_id": supplier["id"],
                        "supplier_lot_code": f"{name[:3].upper()}-L{number}",
                        "lot_scheme": "gs1",
                        "quantity": "10",
                        "date": "2026-09-01",
                        "location": "RAW",
                    },
                )
            )
        )
    units = []
    for n in range(UNITS):
        at = f"2026-09-{n + 2:02d}T10:00:00Z"

        def make(kind, serial, lots_used=()):
            return ok(
                post(f"/api/v1/parts/{part[kind]}/items", json={"serial": serial, "at": at, "lots": list(lots_used)})
            )["id"]

        housing = make("housing", f"H-{n:03d}", [{"lot_id": lots[n % 8]["id"], "quantity": "0.5", "location": "RAW"}])
        module, unit = make("module", f"M-{n:03d}"), make("unit", f"U-{n:03d}")
        ok(post(f"/api/v1/items/{module}/components", json={"child_item_id": housing, "at": at}))
        ok(post(f"/api/v1/items/{unit}/components", json={"child_item_id": module, "at": at}))
        ok(
            post(
                f"/api/v1/items/{unit}/acquisitions",
                json={"date": at[:10], "source_party_id": works["id"], "recipient_party_id": works["id"]},
            )
        )
        ok(
            post(
                f"/api/v1/items/{unit}/dispositions",
                json={"date": "2026-09-25", "from_party_id": works["id"], "transferee_party_id": buyers[n % 3]["id"]},
            )
        )
        units.append(
            {
                "unit": unit,
                "module": module,
                "housing": housing,
                "serial": f"U-{n:03d}",
                "holder": buyers[n % 3]["name"],
            }
        )
    # Unit 4 has the bad lot; its housing is swapped on 10-01 for a spare from a good lot, and the
    # removed housing goes into unit 1 as a repair on 10-05 (unit 1's own housing was good).
    spare = ok(
        post(
            f"/api/v1/parts/{part['housing']}/items",
            json={
                "serial": "H-SPARE",
                "at": "2026-10-01T09:00:00Z",
                "lots": [{"lot_id": lots[0]["id"], "quantity": "0.5", "location": "RAW"}],
            },
        )
    )["id"]
    swapped, repaired = units[BAD], units[1]
    ok(
        post(
            f"/api/v1/items/{swapped['module']}/components/{swapped['housing']}/removal",
            json={"at": "2026-10-01T10:00:00Z", "reason": "cracked"},
        )
    )
    ok(
        post(
            f"/api/v1/items/{swapped['module']}/components", json={"child_item_id": spare, "at": "2026-10-01T10:00:00Z"}
        )
    )
    ok(
        post(
            f"/api/v1/items/{repaired['module']}/components/{repaired['housing']}/removal",
            json={"at": "2026-10-05T10:00:00Z", "reason": "worn"},
        )
    )
    ok(
        post(
            f"/api/v1/items/{repaired['module']}/components",
            json={"child_item_id": swapped["housing"], "at": "2026-10-05T10:00:00Z"},
        )
    )
    return {"units": units, "lots": lots, "bad_lot": lots[BAD], "swapped": swapped, "repaired": repaired}


def expected_population(scenario) -> set[str]:
    from_lot = {u["unit"] for n, u in enumerate(scenario["units"]) if n % 8 == BAD}
    return from_lot - {scenario["swapped"]["unit"]} | {scenario["repaired"]["unit"]}


def test_the_recall_population_is_exactly_the_units_containing_the_bad_lot(officer, scenario):
    campaign = ok(
        officer.post(
            "/api/v1/recalls",
            json={
                "number": "26E-900",
                "title": "Housing may crack",
                "defect": "cracks",
                "date": "2026-11-01",
                "as_of": "2026-11-01T00:00:00Z",
                "basis": {"type": "lots", "lot_ids": [scenario["bad_lot"]["id"]]},
            },
        )
    )
    units = ok(officer.get(f"/api/v1/recalls/{campaign['id']}/units"), 200)["units"]
    population = {unit["item_id"] for unit in units}
    assert population == expected_population(scenario)
    assert scenario["swapped"]["unit"] not in population and scenario["repaired"]["unit"] in population
    assert campaign["population_size"] == len(population) == 2  # units 12 and 1 (unit 4 was swapped)
    assert campaign["counts"]["identified"] == len(population)


def test_before_the_swap_the_trace_finds_the_original_units(officer, scenario):
    before = ok(officer.get(f"/api/v1/where-used?lot={scenario['bad_lot']['supplier_lot_code']}&at=2026-09-30"), 200)
    assert {item["id"] for item in before["items"]} == {
        u["unit"] for n, u in enumerate(scenario["units"]) if n % 8 == BAD
    }
    now = ok(officer.get(f"/api/v1/where-used?lot={scenario['bad_lot']['supplier_lot_code']}"), 200)
    assert {item["id"] for item in now["items"]} == expected_population(scenario)


def test_the_as_built_tree_goes_down_three_levels_to_the_supplier_lot(officer, scenario):
    repaired = scenario["repaired"]
    tree = ok(officer.get(f"/api/v1/items/{repaired['unit']}/as-built"), 200)["tree"]
    module = tree["children"][0]
    housing = module["children"][0]
    assert (tree["item_id"], module["item_id"], housing["item_id"]) == (
        repaired["unit"],
        repaired["module"],
        scenario["swapped"]["housing"],
    )
    assert housing["lots"][0]["supplier_lot_code"] == scenario["bad_lot"]["supplier_lot_code"]
    earlier = ok(officer.get(f"/api/v1/items/{repaired['unit']}/as-built?at=2026-10-02"), 200)["tree"]
    assert earlier["children"][0]["children"][0]["item_id"] == repaired["housing"]


def test_the_summary_and_holder_list_name_the_lot_and_the_holders(officer, scenario):
    campaign = ok(
        officer.post(
            "/api/v1/recalls",
            json={
                "number": "26E-901",
                "title": "Housing may crack",
                "defect": "cracks",
                "basis": {"type": "lots", "lot_ids": [scenario["bad_lot"]["id"]]},
            },
        )
    )
    summary = ok(officer.get(f"/api/v1/recalls/{campaign['id']}/part573"), 200)
    assert summary["involved_components"] == [
        {
            "part_number": "RM-1",
            "description": "PA66 resin",
            "supplier": "Kestrel Resins",
            "supplier_lot_code": scenario["bad_lot"]["supplier_lot_code"],
            "internal_lot_code": scenario["bad_lot"]["internal_code"],
            "received_on": "2026-09-01",
        }
    ]
    assert summary["population_size"] == 2 and summary["production_from"] == "2026-09-03"
    rows = list(
        csv.DictReader(io.StringIO(officer.get(f"/api/v1/recalls/{campaign['id']}/holders.csv").get_data(as_text=True)))
    )
    by_serial = {u["serial"]: u["holder"] for u in scenario["units"]}
    assert {(row["serial"], row["holder"]) for row in rows} == {
        (u["serial"], by_serial[u["serial"]]) for u in scenario["units"] if u["unit"] in expected_population(scenario)
    }


def test_a_repair_recorded_after_opening_does_not_change_a_frozen_population(officer, scenario):
    campaign = ok(
        officer.post(
            "/api/v1/recalls",
            json={
                "number": "26E-902",
                "title": "Housing may crack",
                "defect": "cracks",
                "as_of": "2026-11-01T00:00:00Z",
                "basis": {"type": "lots", "lot_ids": [scenario["bad_lot"]["id"]]},
            },
        )
    )
    # Recorded after the campaign opened, dated before its cut-off: unit 12's bad housing moved to unit 2.
    victim, donor = scenario["units"][2], scenario["units"][12]
    ok(
        officer.post(
            f"/api/v1/items/{donor['module']}/components/{donor['housing']}/removal",
            json={"at": "2026-10-19T00:00:00Z"},
        )
    )
    ok(
        officer.post(
            f"/api/v1/items/{victim['module']}/components/{victim['housing']}/removal",
            json={"at": "2026-10-19T00:00:00Z"},
        )
    )
    ok(
        officer.post(
            f"/api/v1/items/{victim['module']}/components",
            json={"child_item_id": donor["housing"], "at": "2026-10-20T00:00:00Z"},
        )
    )
    traced_now = ok(
        officer.get(f"/api/v1/where-used?lot={scenario['bad_lot']['supplier_lot_code']}&at=2026-11-01T00:00:00Z"), 200
    )
    assert victim["unit"] in {item["id"] for item in traced_now["items"]}  # a new trace sees the repair
    units = ok(officer.get(f"/api/v1/recalls/{campaign['id']}/units"), 200)["units"]
    assert {unit["item_id"] for unit in units} == expected_population(scenario)  # the campaign does not
    assert ok(officer.get(f"/api/v1/recalls/{campaign['id']}"), 200)["population_size"] == 2
