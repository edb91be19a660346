"""What a client sends wrong is named as the client sent it: a member left out is `missing_field`
on that member, a part of a bigger request (a lot of an item being made, a unit of a bulk change, a
remedy's replacement) is named by its place in the request, and numbers and dates are written in
ASCII digits only. Each refusal appends nothing."""

from __future__ import annotations

import pytest

from tests.supply.factories import created, offered, problem


@pytest.mark.parametrize(
    "path, body, field",
    [
        ("/api/v1/parts", {"number": "P-9", "description": "x"}, "tracking"),
        ("/api/v1/lots", {"quantity": "1", "date": "2026-09-02", "location": "RAW"}, "part_id"),
        ("/api/v1/supplier-parts", {"supplier_part_number": "S-1", "lead_time_days": 3}, "supplier_id"),
        ("/api/v1/purchase-orders", {"lines": [{"part_id": "x", "quantity": "1"}]}, "supplier_id"),
        ("/api/v1/recalls", {"number": "R-1", "title": "t", "defect": "d"}, "basis"),
    ],
    ids=["part-tracking", "lot-part", "offer-supplier", "order-supplier", "recall-basis"],
)
def test_a_member_left_out_is_missing_on_that_member(officer, stock, ledger_size, path, body, field):
    before = ledger_size()
    problem(officer.post(path, json=body), 422, "missing_field", field)
    assert ledger_size() == before


def test_an_offer_needs_its_lead_time_and_says_so(officer, stock, ledger_size):
    offer = {"supplier_id": stock["supplier"]["id"], "part_id": stock["resin"]["id"], "supplier_part_number": "S-2"}
    problem(officer.post("/api/v1/supplier-parts", json=offer), 422, "missing_field", "lead_time_days")
    schema = officer.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["NewSupplierPart"]
    assert "lead_time_days" in schema["required"]


@pytest.mark.parametrize(
    "value", ["١٢", "1_000", "５", "1e3"], ids=["arabic-indic", "underscore", "full-width", "exponent"]
)
def test_numbers_are_ascii_digits(officer, stock, ledger_size, value):
    before = ledger_size()
    lot = {"part_id": stock["resin"]["id"], "quantity": value, "date": "2026-09-02", "location": "RAW"}
    problem(officer.post("/api/v1/lots", json=lot), 422, "invalid_quantity", "quantity")
    offer = {
        "supplier_id": stock["supplier"]["id"],
        "part_id": stock["resin"]["id"],
        "supplier_part_number": "S-3",
        "lead_time_days": value,
    }
    problem(officer.post("/api/v1/supplier-parts", json=offer), 422, "invalid_field", "lead_time_days")
    assert ledger_size() == before


@pytest.mark.parametrize("value", ["20260902", "2026-W36-3", "2026-245"])
def test_a_date_is_written_yyyy_mm_dd(officer, stock, value):
    lot = {"part_id": stock["resin"]["id"], "quantity": "1", "date": value, "location": "RAW"}
    problem(officer.post("/api/v1/lots", json=lot), 422, "invalid_date", "date")


def test_a_lot_of_an_item_being_made_is_named_by_its_place(officer, stock, ledger_size):
    before = ledger_size()
    lots = [
        {"lot_id": stock["lot"]["id"], "quantity": "1", "location": "RAW"},
        {"lot_id": stock["lot"]["id"], "quantity": "100", "location": "RAW"},
    ]
    made = {"scheme": "plain", "serial": "HSG-77", "at": "2026-09-03T10:00:00Z", "lots": lots}
    problem(
        officer.post(f"/api/v1/parts/{stock['housing']['id']}/items", json=made),
        409,
        "insufficient_stock",
        "lots[1].quantity",
    )
    lots[1] = {"quantity": "1", "location": "RAW"}
    problem(
        officer.post(f"/api/v1/parts/{stock['housing']['id']}/items", json=made), 422, "missing_field", "lots[1].lot_id"
    )
    assert ledger_size() == before


def test_an_internal_code_may_not_be_another_lots_id(officer, stock, ledger_size):
    before = ledger_size()
    lot = {
        "part_id": stock["resin"]["id"],
        "quantity": "1",
        "date": "2026-09-02",
        "location": "RAW",
        "internal_code": stock["lot"]["id"],
    }
    problem(officer.post("/api/v1/lots", json=lot), 409, "duplicate_lot", "internal_code")
    assert ledger_size() == before


def test_orders_from_the_proposals_take_no_lines_and_keep_the_note(officer, stock, ledger_size):
    offered(officer, stock)
    mixed = {"from_proposals": True, "supplier_id": stock["supplier"]["id"], "lines": []}
    before = ledger_size()
    problem(officer.post("/api/v1/purchase-orders", json=mixed), 422, "invalid_field", "supplier_id")
    assert ledger_size() == before
    orders = created(officer.post("/api/v1/purchase-orders", json={"from_proposals": True, "note": "weekly run"}))
    assert [order["note"] for order in orders["purchase_orders"]] == ["weekly run"]


@pytest.mark.parametrize(
    "path, body, field",
    [
        ("/api/v1/parts", {"number": "T-12\u200b", "description": "x", "tracking": "lot", "unit": "kg"}, "number"),
        ("/api/v1/lots", {"quantity": "1", "date": "2026-09-02", "location": "RAW\u200b"}, "location"),
        (
            "/api/v1/lots",
            {"quantity": "1", "date": "2026-09-02", "location": "RAW", "internal_code": "I\u2066C"},
            "internal_code",
        ),
        (
            "/api/v1/recalls",
            {"number": "R\u200b1", "title": "t", "defect": "d", "basis": {"type": "lots", "lot_ids": []}},
            "number",
        ),
    ],
    ids=["part-number", "location", "internal-code", "campaign-number"],
)
def test_a_code_read_off_a_label_holds_only_characters_that_print(officer, stock, ledger_size, path, body, field):
    """A shelf "RAW" and a shelf "RAW" with a zero-width space would look the same and hold two stocks."""
    before = ledger_size()
    if path == "/api/v1/lots":
        body = {**body, "part_id": stock["resin"]["id"]}
    problem(officer.post(path, json=body), 422, "invalid_field", field)
    assert ledger_size() == before


@pytest.mark.parametrize(
    "path, body",
    [
        ("/api/v1/lots/nope/moves", {"quantity": "1", "from_location": "A", "to_location": "B", "date": "2026-09-02"}),
        ("/api/v1/lots/nope/counts", {"location": "A", "counted": "1", "reason": "r", "date": "2026-09-02"}),
        ("/api/v1/parts/nope/items", {"scheme": "plain", "serial": "X-1", "at": "2026-09-02T10:00:00Z"}),
        ("/api/v1/parts/nope/reorder", {"reorder_point": "1", "reorder_quantity": "1"}),
        ("/api/v1/purchase-orders/nope/status", {"status": "placed"}),
        ("/api/v1/items/nope/components", {"child_item_id": "nope", "at": "2026-09-02T10:00:00Z"}),
    ],
    ids=["lot-move", "lot-count", "part-items", "part-reorder", "order-status", "assembly"],
)
def test_an_unknown_resource_in_the_path_is_not_found(officer, stock, ledger_size, path, body):
    before = ledger_size()
    answer = officer.post(path, json=body)
    assert answer.status_code == 404 and answer.mimetype == "application/problem+json", answer.get_json()
    assert answer.get_json()["code"].startswith("unknown_") and "field" not in answer.get_json()
    assert ledger_size() == before


def test_a_label_refuses_look_alike_spaces_and_a_number_one_sign(officer, stock, ledger_size):
    before = ledger_size()
    lot = {"part_id": stock["resin"]["id"], "quantity": "1", "date": "2026-09-02", "location": "BIN\u00a04"}
    problem(officer.post("/api/v1/lots", json=lot), 422, "invalid_field", "location")
    offer = {
        "supplier_id": stock["supplier"]["id"],
        "part_id": stock["resin"]["id"],
        "supplier_part_number": "S-4",
        "lead_time_days": "--5",
    }
    problem(officer.post("/api/v1/supplier-parts", json=offer), 422, "invalid_field", "lead_time_days")
    assert ledger_size() == before
