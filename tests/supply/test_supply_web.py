"""Supply and recalls over HTTP: refusals are problem+json naming the field (API) or an error on the
form field (pages), and append nothing; who may write; the pages a stock keeper uses."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest

from registry import clock
from tests.supply.factories import created, offered, problem


@pytest.mark.parametrize(
    "body, status, code, field",
    [
        ({"supplier_lot_code": "KR 2608~", "lot_scheme": "gs1"}, 422, "invalid_lot_code", "supplier_lot_code"),
        ({"quantity": "-1"}, 422, "invalid_quantity", "quantity"),
        ({"quantity": "1.2345"}, 422, "invalid_quantity", "quantity"),
        ({"date": "01/09/2026"}, 422, "invalid_date", "date"),
        ({"location": ""}, 422, "missing_field", "location"),
        ({"supplier_id": "nope"}, 422, "unknown_supplier", "supplier_id"),
    ],
    ids=["gs1-lot-code", "negative", "four-decimals", "date-format", "no-location", "unknown-supplier"],
)
def test_a_bad_lot_receipt_is_a_problem_naming_its_field(officer, stock, ledger_size, body, status, code, field):
    before = ledger_size()
    request = {
        "part_id": stock["resin"]["id"],
        "supplier_id": stock["supplier"]["id"],
        "supplier_lot_code": "KR-1",
        "quantity": "5",
        "date": "2026-09-02",
        "location": "RAW",
        **body,
    }
    problem(officer.post("/api/v1/lots", json=request), status, code, field)
    assert ledger_size() == before


def test_consuming_more_than_is_on_hand_is_refused(officer, stock, ledger_size):
    housing = created(
        officer.post(
            f"/api/v1/parts/{stock['housing']['id']}/items", json={"serial": "H-1", "at": "2026-09-02T10:00:00Z"}
        )
    )
    before = ledger_size()
    problem(
        officer.post(
            f"/api/v1/lots/{stock['lot']['id']}/consumptions",
            json={"item_id": housing["id"], "quantity": "10.5", "location": "RAW", "at": "2026-09-02T11:00:00Z"},
        ),
        409,
        "insufficient_stock",
        "quantity",
    )
    assert ledger_size() == before
    created(
        officer.post(
            f"/api/v1/lots/{stock['lot']['id']}/consumptions",
            json={"item_id": housing["id"], "quantity": "10", "location": "RAW", "at": "2026-09-02T11:00:00Z"},
        )
    )
    levels = officer.get(f"/api/v1/lots/{stock['lot']['id']}").get_json()["levels"]
    assert levels == []  # nothing left anywhere


def test_an_assembly_cannot_be_installed_in_its_own_component(officer, stock, ledger_size):
    def make(serial):
        return created(
            officer.post(f"/api/v1/parts/{stock['housing']['id']}/items", json={"serial": serial, "at": "2026-09-02"})
        )["id"]

    outer, inner = make("A-1"), make("A-2")
    created(officer.post(f"/api/v1/items/{outer}/components", json={"child_item_id": inner, "at": "2026-09-03"}))
    before = ledger_size()
    problem(
        officer.post(f"/api/v1/items/{inner}/components", json={"child_item_id": outer, "at": "2026-09-04"}),
        409,
        "cycle",
        "child_item_id",
    )
    problem(
        officer.post(f"/api/v1/items/{outer}/components", json={"child_item_id": inner, "at": "2026-09-04"}),
        409,
        "already_installed",
        "child_item_id",
    )
    assert ledger_size() == before


def test_where_used_needs_exactly_one_thing_to_trace(officer, stock):
    problem(officer.get("/api/v1/where-used"), 422, "invalid_query", "lot")
    problem(officer.get("/api/v1/where-used?lot=nope"), 404, "unknown_lot", "lot")
    assert officer.get("/api/v1/where-used?lot=KR-2608").get_json()["count"] == 0


def test_where_used_of_a_serial_longer_than_any_is_nothing_found(client_as, officer, stock):
    """A serial past the longest the registry takes answered 500 on the where-used page."""
    page = client_as("officer").get("/supply/where-used", query_string={"serial": "X" * 5000})
    assert page.status_code == 400 and "no item" in page.get_data(as_text=True).lower()


def test_a_body_that_is_not_an_object_is_refused(officer, stock):
    problem(officer.post("/api/v1/parts", data="[]", content_type="application/json"), 400, "invalid_body", None)


def test_a_regulator_reads_supply_and_recalls_but_writes_nothing(api_as, stock, ledger_size):
    regulator = api_as("regulator")
    assert regulator.get("/api/v1/parts").status_code == 200
    assert regulator.get("/api/v1/recalls").status_code == 200
    before = ledger_size()
    assert (
        regulator.post("/api/v1/parts", json={"number": "X", "description": "x", "tracking": "none"}).status_code == 403
    )
    assert regulator.post("/api/v1/recalls", json={}).status_code == 403
    assert ledger_size() == before


def test_the_replenishment_proposal_becomes_a_draft_order(officer, stock):
    offered(officer, stock, pack_size="25", unit_price="3.20")
    proposals = officer.get("/api/v1/replenishment").get_json()["proposals"]
    assert [(p["part"]["number"], p["quantity"], p["supplier"]["name"]) for p in proposals] == [
        ("RM-1", "50", "Kestrel Resins")
    ]  # 10 on hand <= 20; 50 is two packs of 25
    order = created(officer.post("/api/v1/purchase-orders", json={"from_proposals": True}))["purchase_orders"][0]
    assert order["status"] == "draft" and order["lines"][0]["quantity"] == "50"
    assert officer.get("/api/v1/replenishment").get_json()["proposals"] == []  # 50 on order now
    problem(
        officer.post(f"/api/v1/purchase-orders/{order['id']}/status", json={"status": "received"}),
        422,
        "invalid_status",
        "status",
    )


# -- pages ---------------------------------------------------------------------------------------------------
def form_error(html: str, field_id: str) -> str:
    found = re.search(rf'id="{re.escape(field_id)}-error">([^<]+)<', html)
    assert found, f"no error on {field_id}"
    return unescape(found.group(1))


def test_the_part_form_shows_the_refusal_on_its_field(client_as, csrf, ledger_size):
    officer = client_as("officer")
    token, before = csrf(officer, "/supply/"), ledger_size()
    response = officer.post(
        "/supply/",
        data={"csrf_token": token, "number": "", "description": "Housing", "tracking": "serial", "unit": "ea"},
    )
    assert response.status_code == 400
    assert "the number is required" in form_error(response.get_data(as_text=True), "number")
    assert ledger_size() == before
    response = officer.post(
        "/supply/",
        data={"csrf_token": token, "number": "HSG-9", "description": "Housing", "tracking": "serial", "unit": "ea"},
    )
    assert response.status_code == 302 and "/supply/parts/" in response.headers["Location"]


def test_the_lot_form_shows_a_bad_quantity_on_its_field(client_as, csrf, officer, stock, ledger_size):
    page = client_as("officer")
    token, before = csrf(page, "/supply/lots"), ledger_size()
    response = page.post(
        "/supply/lots",
        data={
            "csrf_token": token,
            "lot-csrf_token": token,
            "lot-part_id": stock["resin"]["id"],
            "lot-quantity": "lots",
            "lot-location": "RAW",
            "lot-lot_scheme": "plain",
        },
    )
    assert response.status_code == 400
    assert "not a number" in form_error(response.get_data(as_text=True), "lot-quantity")
    assert ledger_size() == before


def test_the_install_form_on_the_item_page_names_an_unknown_component(client_as, csrf, officer, stock, ledger_size):
    assembly = created(
        officer.post(f"/api/v1/parts/{stock['housing']['id']}/items", json={"serial": "ASM-1", "at": "2026-09-02"})
    )
    page = client_as("officer")
    token, before = csrf(page, f"/items/{assembly['id']}"), ledger_size()
    response = page.post(
        f"/items/{assembly['id']}/components/install",
        data={"install-csrf_token": token, "install-child": "NO-SUCH", "install-at": "2026-09-03"},
    )
    assert response.status_code == 400
    assert "no item has the serial 'NO-SUCH'" in form_error(response.get_data(as_text=True), "install-child")
    assert ledger_size() == before


def test_the_item_page_draws_the_genealogy_and_marks_an_open_recall(client_as, officer, stock):
    housing = created(
        officer.post(
            f"/api/v1/parts/{stock['housing']['id']}/items",
            json={
                "serial": "H-7",
                "at": "2026-09-02T10:00:00Z",
                "lots": [{"lot_id": stock["lot"]["id"], "quantity": "1", "location": "RAW"}],
            },
        )
    )
    created(
        officer.post(
            "/api/v1/recalls",
            json={
                "number": "26E-1",
                "title": "t",
                "defect": "d",
                "basis": {"type": "lots", "lot_ids": [stock["lot"]["id"]]},
            },
        )
    )
    html = client_as("auditor").get(f"/items/{housing['id']}").get_data(as_text=True)
    svg = html[html.index('<svg xmlns="http://www.w3.org/2000/svg" class="genealogy"') :]
    assert f'class="lot affected" data-lot="{stock["lot"]["id"]}"' in svg
    assert f'class="node affected" data-item="{housing["id"]}"' in svg


def test_the_campaign_form_names_an_unknown_lot(client_as, csrf, stock, ledger_size):
    page = client_as("officer")
    token, before = csrf(page, "/recalls/"), ledger_size()
    response = page.post(
        "/recalls/",
        data={
            "csrf_token": token,
            "number": "26E-2",
            "title": "t",
            "defect": "d",
            "basis": "lots",
            "lots": "NOT-A-LOT",
        },
    )
    assert response.status_code == 400
    assert "matches 0 lots" in form_error(response.get_data(as_text=True), "lots")
    assert ledger_size() == before


def housing_recalled(officer, stock, serial: str, number: str) -> tuple[dict, dict]:
    """A housing moulded from the stock's lot, and a campaign on that lot: (housing, campaign)."""
    housing = created(
        officer.post(
            f"/api/v1/parts/{stock['housing']['id']}/items",
            json={
                "serial": serial,
                "at": "2026-09-02T10:00:00Z",
                "lots": [{"lot_id": stock["lot"]["id"], "quantity": "1", "location": "RAW"}],
            },
        )
    )
    campaign = created(
        officer.post(
            "/api/v1/recalls",
            json={
                "number": number,
                "title": "Housing may crack",
                "defect": "cracks",
                "date": "2026-11-02",
                "basis": {"type": "lots", "lot_ids": [stock["lot"]["id"]]},
            },
        )
    )
    return housing, campaign


def test_the_campaign_page_shows_counts_chart_summary_and_holders(client_as, csrf, officer, stock):
    housing, campaign = housing_recalled(officer, stock, "H-8", "26E-3")
    page = client_as("officer")
    assert page.get(f"/recalls/{campaign['id']}").status_code == 200  # with the unit's state form
    token = csrf(page, f"/recalls/{campaign['id']}")
    response = page.post(
        f"/recalls/{campaign['id']}/units/{housing['id']}",
        data={"unit-csrf_token": token, "unit-state": "remedied", "unit-date": "2026-11-09"},
    )
    assert response.status_code == 302
    html = page.get(f"/recalls/{campaign['id']}").get_data(as_text=True)
    assert 'data-state="remedied">remedied 1<' in html and "1 / 1 complete (100.0%)" in html
    assert "KR-2608" in html and "Kestrel Resins" in html and "H-8" in html
    response = page.post(
        f"/recalls/{campaign['id']}/units/{housing['id']}",
        data={"unit-csrf_token": token, "unit-state": "notified", "unit-date": "2026-11-10"},
    )
    assert response.status_code == 409 and "a unit that is remedied can become nothing" in response.get_data(
        as_text=True
    )


def test_a_time_ahead_of_the_clock_is_refused(officer, stock, ledger_size):
    before = ledger_size()
    problem(
        officer.post(f"/api/v1/parts/{stock['housing']['id']}/items", json={"serial": "H-F", "at": "2062-01-01"}),
        422,
        "future_date",
        "at",
    )
    problem(
        officer.post(f"/api/v1/parts/{stock['housing']['id']}/items", json={"serial": "H-F", "at": "9999-12-31"}),
        422,
        "invalid_date",
        "at",
    )
    problem(
        officer.post(
            f"/api/v1/parts/{stock['housing']['id']}/items", json={"serial": "H-F", "at": "2026-09-02", "lots": 5}
        ),
        400,
        "invalid_body",
        "lots",
    )
    assert ledger_size() == before


def test_unticking_every_proposal_orders_nothing(client_as, csrf, officer, stock, ledger_size):
    offered(officer, stock)
    page = client_as("officer")
    token, before = csrf(page, "/supply/replenishment"), ledger_size()
    answer = page.post("/supply/replenishment", data={"csrf_token": token})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 409 and "no part needs ordering" in html and ledger_size() == before
    assert 'name="part_id"' in html and "checked" not in html  # the boxes stay as the user left them
    assert officer.get("/api/v1/purchase-orders").get_json()["purchase_orders"] == []


def test_a_lot_received_against_an_order_comes_from_the_orders_supplier(officer, stock):
    offered(officer, stock)
    order = created(
        officer.post(
            "/api/v1/purchase-orders",
            json={
                "supplier_id": stock["supplier"]["id"],
                "lines": [{"part_id": stock["resin"]["id"], "quantity": "5"}],
            },
        )
    )
    order = order["purchase_orders"][0]
    officer.post(f"/api/v1/purchase-orders/{order['id']}/status", json={"status": "placed"})
    lot = created(
        officer.post(
            "/api/v1/lots",
            json={
                "part_id": stock["resin"]["id"],
                "supplier_lot_code": "KR-9",
                "quantity": "5",
                "date": clock.now().date().isoformat(),  # received after the order was drafted, today
                "location": "RAW",
                "purchase_order_id": order["id"],
            },
        )
    )
    assert lot["supplier"] == "Kestrel Resins"
    assert officer.get(f"/api/v1/purchase-orders/{order['id']}").get_json()["status"] == "received"


def test_an_existing_firearm_gets_its_part_and_is_traced_by_it(officer, stock):
    firearm = created(
        officer.post("/api/v1/parts", json={"number": "FA-9", "description": "Pistol DA-9", "tracking": "serial"})
    )
    made = created(
        officer.post(
            f"/api/v1/parts/{firearm['id']}/items",
            json={
                "kind": "firearm",
                "scheme": "firearm",
                "serial": "DA9-0001",
                "at": "2026-09-02",
                "manufacturer": "Demo Arms",
                "model": "DA-9",
                "type": "pistol",
                "caliber": "9mm",
            },
        )
    )
    assert (made["type"], made["caliber"]) == ("pistol", "9mm")
    other = created(
        officer.post(
            "/api/v1/items", json={"kind": "goods", "scheme": "plain", "serial": "OLD-1", "date": "2026-09-01"}
        )
    )
    created(
        officer.post(
            f"/api/v1/items/{other['id']}/part", json={"part_id": stock["housing"]["id"], "made_at": "2026-09-01"}
        )
    )
    found = officer.get("/api/v1/where-used?part=HSG-1&from=2026-09-01&to=2026-09-01").get_json()
    assert [item["serial"] for item in found["items"]] == ["OLD-1"]


def test_a_bad_as_of_time_leaves_the_item_page_up(client_as, officer, stock):
    housing = created(
        officer.post(f"/api/v1/parts/{stock['housing']['id']}/items", json={"serial": "H-9", "at": "2026-09-02"})
    )
    response = client_as("auditor").get(f"/items/{housing['id']}?at=yesterday")
    assert response.status_code == 200 and 'id="genealogy-problem"' in response.get_data(as_text=True)


def test_the_holder_list_never_hands_a_spreadsheet_a_formula(officer, api_as, stock):
    buyer = created(
        officer.post(
            "/api/v1/parties", json={"kind": "organisation", "name": '=HYPERLINK("x")', "address": "1 Main St"}
        )
    )
    item = created(
        officer.post(
            f"/api/v1/parts/{stock['housing']['id']}/items",
            json={
                "serial": "H-10",
                "at": "2026-09-02",
                "lots": [{"lot_id": stock["lot"]["id"], "quantity": "1", "location": "RAW"}],
            },
        )
    )
    created(
        officer.post(
            f"/api/v1/items/{item['id']}/acquisitions",
            json={"date": "2026-09-03", "source_party_id": buyer["id"], "recipient_party_id": buyer["id"]},
        )
    )
    campaign = created(
        officer.post(
            "/api/v1/recalls",
            json={
                "number": "26E-5",
                "title": "t",
                "defect": "d",
                "basis": {"type": "lots", "lot_ids": [stock["lot"]["id"]]},
            },
        )
    )
    text = officer.get(f"/api/v1/recalls/{campaign['id']}/holders.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text


def test_a_campaign_names_its_lots_by_code_and_a_code_two_suppliers_share_is_refused(officer, stock, ledger_size):
    housing = created(
        officer.post(
            f"/api/v1/parts/{stock['housing']['id']}/items",
            json={
                "serial": "H-11",
                "at": "2026-09-02",
                "lots": [{"lot_id": stock["lot"]["id"], "quantity": "1", "location": "RAW"}],
            },
        )
    )
    other = created(officer.post("/api/v1/suppliers", json={"name": "Other Resins"}))
    created(
        officer.post(
            "/api/v1/lots",
            json={
                "part_id": stock["resin"]["id"],
                "supplier_id": other["id"],
                "supplier_lot_code": "KR-2608",
                "quantity": "1",
                "date": "2026-09-01",
                "location": "RAW",
            },
        )
    )
    before = ledger_size()
    problem(
        officer.post(
            "/api/v1/recalls",
            json={"number": "26E-7", "title": "t", "defect": "d", "basis": {"type": "lots", "lot_ids": ["KR-2608"]}},
        ),
        422,
        "ambiguous_lot",
        "basis.lot_ids[0]",
    )
    assert ledger_size() == before
    campaign = created(
        officer.post(
            "/api/v1/recalls",
            json={
                "number": "26E-7",
                "title": "t",
                "defect": "d",
                "basis": {"type": "lots", "lot_ids": [stock["lot"]["internal_code"]]},
            },
        )
    )
    assert campaign["basis"]["lot_ids"] == [stock["lot"]["id"]] and campaign["population_size"] == 1
    units = officer.get(f"/api/v1/recalls/{campaign['id']}/units").get_json()["units"]
    assert [unit["item_id"] for unit in units] == [housing["id"]]


def test_the_bulk_form_moves_every_unit_in_a_state(client_as, csrf, officer, stock):
    for serial in ("H-21", "H-22"):
        created(
            officer.post(
                f"/api/v1/parts/{stock['housing']['id']}/items",
                json={
                    "serial": serial,
                    "at": "2026-09-02",
                    "lots": [{"lot_id": stock["lot"]["id"], "quantity": "1", "location": "RAW"}],
                },
            )
        )
    campaign = created(
        officer.post(
            "/api/v1/recalls",
            json={
                "number": "26E-8",
                "title": "t",
                "defect": "d",
                "basis": {"type": "lots", "lot_ids": [stock["lot"]["id"]]},
            },
        )
    )
    page = client_as("officer")
    token = csrf(page, f"/recalls/{campaign['id']}")
    response = page.post(
        f"/recalls/{campaign['id']}/bulk",
        data={"bulk-csrf_token": token, "bulk-from_state": "identified", "bulk-state": "notified"},
    )
    assert response.status_code == 400 and "the date is required" in response.get_data(as_text=True)
    response = page.post(
        f"/recalls/{campaign['id']}/bulk",
        data={
            "bulk-csrf_token": token,
            "bulk-from_state": "identified",
            "bulk-state": "notified",
            "bulk-date": clock.now().date().isoformat(),
        },
    )
    assert response.status_code == 302, re.findall(
        r"(?:invalid-feedback|alert)[^>]*>([^<]+)<", response.get_data(as_text=True)
    )
    counts = officer.get(f"/api/v1/recalls/{campaign['id']}").get_json()["counts"]
    assert (counts["identified"], counts["notified"]) == (0, 2)
    response = page.post(
        f"/recalls/{campaign['id']}/bulk",
        data={
            "bulk-csrf_token": token,
            "bulk-from_state": "identified",
            "bulk-state": "notified",
            "bulk-date": clock.now().date().isoformat(),
        },
    )
    assert response.status_code == 400 and "no unit is identified" in unescape(response.get_data(as_text=True))


def _campaign_on_the_lot(officer, stock, number="26E-9"):
    housing = created(
        officer.post(
            f"/api/v1/parts/{stock['housing']['id']}/items",
            json={
                "serial": f"H-{number}",
                "at": "2026-09-02",
                "lots": [{"lot_id": stock["lot"]["id"], "quantity": "1", "location": "RAW"}],
            },
        )
    )
    campaign = created(
        officer.post(
            "/api/v1/recalls",
            json={
                "number": number,
                "title": "t",
                "defect": "d",
                "date": "2026-11-02",
                "basis": {"type": "lots", "lot_ids": [stock["lot"]["id"]]},
            },
        )
    )
    return housing, campaign


def test_closing_over_the_api_needs_a_date_and_a_confirmation(officer, stock, ledger_size):
    _, campaign = _campaign_on_the_lot(officer, stock)
    before = ledger_size()
    close = f"/api/v1/recalls/{campaign['id']}/close"
    problem(officer.post(close, json={"date": "2026-11-20"}), 422, "confirmation_required", "confirm")
    problem(officer.post(close, json={"confirm": True}), 422, "missing_field", "date")
    problem(officer.post(close, json={"date": "2026-11-20", "confirm": "yes"}), 400, "invalid_body", "confirm")
    assert ledger_size() == before
    closed = officer.post(close, json={"date": "2026-11-20", "confirm": True})
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"


@pytest.mark.parametrize("page_number", ["99999999999999999999", "²", "-1", "2"])
def test_a_campaign_page_past_the_last_or_not_a_number_is_a_page(client_as, officer, stock, page_number):
    """A page number past what the database can offset answered 500 on PostgreSQL."""
    _, campaign = _campaign_on_the_lot(officer, stock)
    response = client_as("officer").get(f"/recalls/{campaign['id']}", query_string={"page": page_number})
    assert response.status_code == 200


def test_the_close_form_asks_for_confirmation(client_as, csrf, officer, stock, ledger_size):
    _, campaign = _campaign_on_the_lot(officer, stock)
    page = client_as("officer")
    shown = page.get(f"/recalls/{campaign['id']}").get_data(as_text=True)
    assert 'id="close-confirm"' in shown
    token, before = csrf(page, f"/recalls/{campaign['id']}"), ledger_size()
    response = page.post(
        f"/recalls/{campaign['id']}/close", data={"close-csrf_token": token, "close-date": "2026-11-20"}
    )
    assert response.status_code == 400 and "confirm" in form_error(response.get_data(as_text=True), "close-confirm")
    assert ledger_size() == before
    response = page.post(
        f"/recalls/{campaign['id']}/close",
        data={"close-csrf_token": token, "close-date": "2026-11-20", "close-confirm": "y"},
    )
    assert response.status_code == 302 and ledger_size() == before + 1


def test_a_remedy_over_the_api_needs_a_date_and_may_replace_the_component(officer, stock, ledger_size):
    housing = created(
        officer.post(
            f"/api/v1/parts/{stock['housing']['id']}/items",
            json={
                "serial": "H-OLD",
                "at": "2026-09-02",
                "lots": [{"lot_id": stock["lot"]["id"], "quantity": "1", "location": "RAW"}],
            },
        )
    )
    assembly = created(
        officer.post(
            "/api/v1/items", json={"kind": "goods", "scheme": "plain", "serial": "ASM-1", "date": "2026-09-02"}
        )
    )
    created(
        officer.post(
            f"/api/v1/items/{assembly['id']}/components",
            json={"child_item_id": housing["id"], "at": "2026-09-03", "position": "housing"},
        )
    )
    created(officer.post(f"/api/v1/parts/{stock['housing']['id']}/items", json={"serial": "H-NEW", "at": "2026-09-04"}))
    campaign = created(
        officer.post(
            "/api/v1/recalls",
            json={
                "number": "26E-10",
                "title": "t",
                "defect": "d",
                "date": "2026-11-02",
                "basis": {"type": "lots", "lot_ids": [stock["lot"]["id"]]},
            },
        )
    )
    unit = f"/api/v1/recalls/{campaign['id']}/units/{assembly['id']}"
    before = ledger_size()
    problem(officer.post(unit, json={"state": "remedied"}), 422, "missing_field", "date")
    problem(
        officer.post(
            unit,
            json={"state": "remedied", "date": "2026-11-09", "replacement": {"removed": "H-NEW", "installed": "H-OLD"}},
        ),
        409,
        "not_installed",
        "replacement.removed",
    )
    assert ledger_size() == before
    created(
        officer.post(
            unit,
            json={"state": "remedied", "date": "2026-11-09", "replacement": {"removed": "H-OLD", "installed": "H-NEW"}},
        )
    )
    assert ledger_size() == before + 3  # the removal, the installation and the remedy
    tree = officer.get(f"/api/v1/items/{assembly['id']}/as-built").get_json()
    assert [child["serial"] for child in tree["tree"]["children"]] == ["H-NEW"]


def test_supply_dates_and_times_ahead_of_the_clock_are_refused(officer, stock, ledger_size):
    tomorrow = (clock.latest_day(clock.now()) + timedelta(days=1)).isoformat()
    soon = (clock.now() + timedelta(minutes=10)).isoformat()
    assembly = created(
        officer.post(
            "/api/v1/items", json={"kind": "goods", "scheme": "plain", "serial": "ASM-F", "date": "2026-09-02"}
        )
    )
    housing = created(
        officer.post(f"/api/v1/parts/{stock['housing']['id']}/items", json={"serial": "H-F1", "at": "2026-09-02"})
    )
    created(
        officer.post(
            f"/api/v1/items/{assembly['id']}/components", json={"child_item_id": housing["id"], "at": "2026-09-03"}
        )
    )
    lot = {"part_id": stock["resin"]["id"], "supplier_id": stock["supplier"]["id"], "quantity": "5", "location": "RAW"}
    before = ledger_size()
    problem(officer.post("/api/v1/lots", json={**lot, "date": tomorrow}), 422, "future_date", "date")
    problem(
        officer.post(
            f"/api/v1/lots/{stock['lot']['id']}/moves",
            json={"quantity": "1", "from_location": "RAW", "to_location": "LINE", "date": tomorrow},
        ),
        422,
        "future_date",
        "date",
    )
    problem(
        officer.post(
            f"/api/v1/lots/{stock['lot']['id']}/counts",
            json={"location": "RAW", "counted": "9", "reason": "count", "date": tomorrow},
        ),
        422,
        "future_date",
        "date",
    )
    problem(
        officer.post(
            "/api/v1/purchase-orders",
            json={
                "supplier_id": stock["supplier"]["id"],
                "lines": [{"part_id": stock["resin"]["id"], "quantity": "5"}],
                "date": tomorrow,
            },
        ),
        422,
        "future_date",
        "date",
    )
    problem(
        officer.post(f"/api/v1/items/{assembly['id']}/components/{housing['id']}/removal", json={"at": soon}),
        422,
        "future_date",
        "at",
    )
    problem(
        officer.post(f"/api/v1/parts/{stock['housing']['id']}/items", json={"serial": "H-F2", "at": soon}),
        422,
        "future_date",
        "at",
    )
    assert ledger_size() == before


def test_a_refused_unit_row_comes_back_as_sent_with_the_error_on_its_input(client_as, csrf, officer, stock):
    housing, campaign = housing_recalled(officer, stock, "H-9", "26E-4")
    page = client_as("officer")
    token = csrf(page, f"/recalls/{campaign['id']}")
    sent = {
        "unit-csrf_token": token,
        "unit-state": "remedied",
        "unit-date": "2026-11-09",
        "unit-note": "my careful note",
        "unit-removed": "H-9",
        "unit-installed": "CMP-NOPE",
    }
    answer = page.post(f"/recalls/{campaign['id']}/units/{housing['id']}", data=sent)
    html = unescape(answer.get_data(as_text=True))
    assert answer.status_code == 400, html[:500]
    row = html[html.index(f'data-item="{housing["id"]}"') :]
    row = row[: row.index("</tr>")]
    assert 'value="my careful note"' in row and 'value="H-9"' in row and 'value="CMP-NOPE"' in row
    assert '<option value="remedied" selected>' in row and 'value="2026-11-09"' in row
    assert re.search(r'name="unit-installed" class="[^"]*is-invalid', row) and "'CMP-NOPE' matches 0 items" in row
