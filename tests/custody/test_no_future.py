"""Nothing is dated in the future: a calendar date no place on Earth has reached (UTC+14), or a time
more than five minutes ahead of the clock, is refused with `future_date` naming the field, on every
custody surface; the last date some place has reached is accepted."""

from __future__ import annotations

from datetime import timedelta

import pytest

from registry import clock

PROBLEM = "application/problem+json"


def days_ahead(days: int) -> str:
    return (clock.latest_day(clock.now()) + timedelta(days=days)).isoformat()


def future_refused(response, field: str):
    problem = response.get_json()
    assert response.status_code == 422 and response.mimetype == PROBLEM, problem
    assert (problem["code"], problem["field"]) == ("future_date", field), problem
    return problem


@pytest.fixture
def held(firearm):
    return firearm("NF-1")


def test_the_last_date_begun_somewhere_is_accepted_and_the_next_refused(officer, world, firearm, size):
    latest = days_ahead(0)
    body = {
        "kind": "firearm",
        "scheme": "firearm",
        "serial": "NF-0",
        "manufacturer": "Demo Arms Co.",
        "model": "DA-9",
        "type": "pistol",
        "caliber": "9mm",
    }
    before = size()
    problem = future_refused(officer.post("/api/v1/items", json={**body, "date": days_ahead(1)}), "date")
    assert "future" in problem["detail"] and size() == before
    assert officer.post("/api/v1/items", json={**body, "date": latest}).status_code == 201


@pytest.mark.parametrize("date", ["2099-01-01", "9999-12-31"])
def test_a_registration_far_ahead_is_refused(officer, date, size):
    before = size()
    response = officer.post("/api/v1/items", json={"kind": "goods", "scheme": "plain", "serial": "P-1", "date": date})
    assert response.status_code == 422 and response.get_json()["code"] in ("future_date", "invalid_date")
    assert size() == before


@pytest.mark.parametrize(
    "route, body",
    [
        ("acquisitions", {"source_party_id": "maker", "recipient_party_id": "us"}),
        ("dispositions", {"from_party_id": "us", "transferee_party_id": "person", "form_4473": "TX-1"}),
        ("status", {"status": "quarantined"}),
        (
            "status",
            {"status": "stolen", "police_report": "P", "atf_incident": "I", "discovered_at": "2026-11-04T08:00Z"},
        ),
    ],
)
def test_custody_events_dated_ahead_are_refused(officer, world, firearm, route, body, size):
    item = firearm("NF-2", acquired=None if route == "acquisitions" else "2026-11-03")
    body = {k: world.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    before = size()
    future_refused(officer.post(f"/api/v1/items/{item}/{route}", json={**body, "date": days_ahead(1)}), "date")
    assert size() == before


@pytest.mark.parametrize(
    "discovered_at", [lambda: (clock.now() + timedelta(minutes=10)).isoformat(), lambda: "2030-01-01T00:00:00Z"]
)
def test_a_theft_discovered_ahead_of_the_clock_is_refused(officer, held, discovered_at, size):
    before = size()
    future_refused(
        officer.post(
            f"/api/v1/items/{held}/status",
            json={
                "status": "stolen",
                "date": "2026-11-04",
                "police_report": "P",
                "atf_incident": "I",
                "discovered_at": discovered_at(),
            },
        ),
        "discovered_at",
    )
    assert size() == before


def test_a_theft_discovered_in_year_9999_is_refused_and_signals_stay_up(api_as, officer, held, size):
    before = size()
    response = officer.post(
        f"/api/v1/items/{held}/status",
        json={
            "status": "stolen",
            "date": "2026-11-04",
            "police_report": "P",
            "atf_incident": "I",
            "discovered_at": "9999-12-31T23:59:59+00:00",
        },
    )
    assert response.status_code == 422 and response.get_json()["field"] == "discovered_at" and size() == before
    for role in ("officer", "regulator"):
        assert api_as(role).get("/api/v1/signals").status_code == 200


def test_a_discovery_a_few_minutes_ahead_is_clock_skew(officer, held):
    soon = (clock.now() + timedelta(minutes=3)).isoformat()
    response = officer.post(
        f"/api/v1/items/{held}/status",
        json={
            "status": "stolen",
            "date": clock.now().date().isoformat(),
            "police_report": "P",
            "atf_incident": "I",
            "discovered_at": soon,
        },
    )
    assert response.status_code == 201, response.get_json()


def test_signals_never_show_a_negative_age(officer, firearm):
    # dated the latest day some place has reached, which is tomorrow in UTC at the tests' clock
    assert clock.latest_day(clock.now()) > clock.now().date()
    firearm("NF-3", acquired=days_ahead(0))
    ages = {o["serial"]: o["age_days"] for o in officer.get("/api/v1/signals").get_json()["open_acquisitions"]}
    assert ages["NF-3"] == 0 and min(ages.values()) >= 0


def test_a_correction_to_a_future_date_is_refused(officer, held, size):
    acquisition = officer.get(f"/api/v1/items/{held}").get_json()["timeline"][1]["entry_index"]
    before = size()
    future_refused(
        officer.post(
            f"/api/v1/items/{held}/corrections",
            json={"corrects": acquisition, "fields": {"date": days_ahead(1)}, "reason": "x"},
        ),
        "fields.date",
    )
    assert size() == before


def test_a_bulk_import_reports_a_future_row(officer, world, size):
    csv_body = (
        "kind,scheme,serial,manufacturer,model,type,caliber,acquired_on,source_party_id\n"
        f"firearm,firearm,IM-1,Demo Arms Co.,DA-9,pistol,9mm,{days_ahead(1)},{world['maker']}\n"
    )
    before = size()
    response = officer.post(
        "/api/v1/items/import", query_string={"recipient_party_id": world["us"]}, data=csv_body, content_type="text/csv"
    )
    assert response.status_code == 422
    [problem] = response.get_json()["report"]["problems"]
    assert (problem["row"], problem["column"], problem["code"]) == (2, "acquired_on", "future_date")
    assert size() == before


def test_the_bound_book_refuses_a_period_ending_in_the_future(officer):
    response = officer.get("/api/v1/bound-book", query_string={"from": "2026-11-01", "to": days_ahead(1)})
    assert response.status_code == 422 and response.get_json()["code"] == "future_date"
    assert response.get_json()["field"] == "to"


def _form(browser, csrf, page, action, data):
    token = csrf(browser, page)
    return browser.post(action, data={**{k: v for k, v in data.items()}, "csrf_token": token})


def test_the_item_forms_show_a_future_date_on_the_field(client_as, csrf, held, world, size):
    browser = client_as("officer")
    token = csrf(browser, f"/items/{held}")
    before = size()
    response = browser.post(
        f"/items/{held}/dispose",
        data={
            "dispose-csrf_token": token,
            "dispose-date": days_ahead(1),
            "dispose-party": world["person"],
            "dispose-form_4473": "TX-1",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="dispose-date-error"' in html and "future" in html
    assert size() == before


def test_the_register_form_shows_a_future_date_on_the_field(client_as, csrf, size):
    browser = client_as("officer")
    before = size()
    response = _form(
        browser,
        csrf,
        "/items/new",
        "/items/new",
        {"kind": "goods", "scheme": "plain", "serial": "P-9", "date": days_ahead(1)},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and 'id="date-error"' in html and "future" in html and size() == before
