"""Compliance signals: multiple handgun sales, theft deadlines, open acquisitions, trace requests."""

from __future__ import annotations

from datetime import date

import pytest

from registry.custody.rules import within_business_days


# November 2026: the 6th is a Friday, the 7th and 8th a weekend.
@pytest.mark.parametrize(
    "first, last, inside",
    [
        ("2026-11-06", "2026-11-12", True),  # Fri .. Thu: five business days
        ("2026-11-06", "2026-11-13", False),  # Fri .. Fri: six
        ("2026-11-07", "2026-11-13", True),  # Sat counts from Monday: Mon .. Fri is five
        ("2026-11-09", "2026-11-13", True),  # Mon .. Fri
        ("2026-11-09", "2026-11-16", False),  # Mon .. next Mon: six
        ("2026-11-10", "2026-11-10", True),  # the same day
        ("2026-11-07", "2026-11-08", True),  # a weekend alone
        ("2026-11-02", "2026-11-07", False),  # Mon .. Sat, which counts as the next Mon: six
        ("2026-11-02", "2026-11-08", False),  # Mon .. Sun, the same
        ("2026-11-03", "2026-11-07", True),  # Tue .. Sat (Mon): five
        ("2026-11-06", "2026-11-07", True),  # Fri .. Sat (Mon): two
        ("2026-11-13", "2026-11-06", False),  # order does not matter
    ],
)
def test_five_consecutive_business_days(first, last, inside):
    assert within_business_days(date.fromisoformat(first), date.fromisoformat(last)) is inside


def sell(officer, world, item, on, to="person", form="TX-1"):
    response = officer.post(
        f"/api/v1/items/{item}/dispositions",
        json={"date": on, "from_party_id": world["us"], "transferee_party_id": world[to], "form_4473": form},
    )
    assert response.status_code == 201, response.get_json()


def flags(officer):
    return officer.get("/api/v1/signals").get_json()["multiple_sales"]


def test_a_second_handgun_to_one_person_within_five_business_days_is_flagged(officer, world, firearm):
    first, second = firearm("H-1"), firearm("H-2", type_="revolver")
    sell(officer, world, first, "2026-11-06")
    assert flags(officer) == []
    sell(officer, world, second, "2026-11-12")
    [flag] = flags(officer)
    assert flag["party_id"] == world["person"] and sorted(flag["item_ids"]) == sorted([first, second])
    assert (flag["first_date"], flag["last_date"]) == ("2026-11-06", "2026-11-12")


@pytest.mark.parametrize("case", ["sixth business day", "rifle", "another person", "a licensee"])
def test_what_is_not_a_multiple_sale(officer, world, firearm, case):
    first = firearm("H-1")
    second = firearm("R-2", type_="rifle") if case == "rifle" else firearm("H-2")
    sell(officer, world, first, "2026-11-06")
    on = "2026-11-13" if case == "sixth business day" else "2026-11-09"
    to = {"another person": "person2", "a licensee": "maker"}.get(case, "person")
    sell(officer, world, second, on, to=to)
    assert flags(officer) == []


def test_handguns_returned_to_the_person_they_came_from_are_no_multiple_sale(officer, world, firearm):
    """27 CFR 478.126a leaves out handguns returned to the person they were received from (a pawn
    redeemed): two pistols pawned by Jane Doe and given back to her raise no flag; a third bought
    from stock in the same week makes a set with neither of them."""
    pawned = [firearm(f"PW-{n}", acquired=None) for n in (1, 2)]
    for item in pawned:
        got = officer.post(
            f"/api/v1/items/{item}/acquisitions",
            json={"date": "2026-11-03", "source_party_id": world["person"], "recipient_party_id": world["us"]},
        )
        assert got.status_code == 201, got.get_json()
        sell(officer, world, item, "2026-11-09")
    assert flags(officer) == []
    bought = firearm("PW-3")
    sell(officer, world, bought, "2026-11-10")
    assert flags(officer) == []
    another = firearm("PW-4")
    sell(officer, world, another, "2026-11-11")
    [flag] = flags(officer)
    assert sorted(flag["item_ids"]) == sorted([bought, another])


def test_a_theft_shows_its_48_hour_deadline(officer, firearm):
    item = firearm()
    officer.post(
        f"/api/v1/items/{item}/status",
        json={
            "status": "stolen",
            "date": "2026-11-04",
            "police_report": "APD-1",
            "atf_incident": "I-1",
            "discovered_at": "2026-11-04T08:00:00Z",
        },
    )
    [theft] = officer.get("/api/v1/signals").get_json()["thefts"]
    assert theft["item_id"] == item and theft["deadline"] == "2026-11-06T08:00:00+00:00" and theft["overdue"] is True


def test_open_acquisitions_are_listed_oldest_first(officer, world, firearm):
    older, newer = firearm("A-1", acquired="2026-11-03"), firearm("A-2", acquired="2026-11-04")
    sold = firearm("A-3")
    sell(officer, world, sold, "2026-11-05")
    listed = [o["item_id"] for o in officer.get("/api/v1/signals").get_json()["open_acquisitions"]]
    assert listed == [older, newer]


def test_a_trace_request_answers_with_source_and_disposition(officer, world, firearm):
    item = firearm("TR-900")
    sell(officer, world, item, "2026-11-05", form="TX-900")
    answer = officer.get("/api/v1/trace", query_string={"serial": "tr-900", "manufacturer": "demo arms co."}).get_json()
    assert answer["received_at"] and len(answer["items"]) == 1
    [found] = answer["items"]
    assert found["acquisition"]["source"]["ffl"] == "987654078A00001"
    assert (
        found["disposition"]["transferee"]["name"] == "Jane Doe"
        and found["disposition"]["details"]["form_4473"] == "TX-900"
    )


def test_a_trace_after_a_theft_and_recovery_names_the_original_source(officer, world, firearm):
    item = firearm("TR-902")
    officer.post(
        f"/api/v1/items/{item}/status",
        json={
            "status": "stolen",
            "date": "2026-11-04",
            "police_report": "APD-2",
            "atf_incident": "I-2",
            "discovered_at": "2026-11-04T08:00:00Z",
        },
    )
    officer.post(f"/api/v1/items/{item}/status", json={"status": "recovered", "date": "2026-11-05"})
    sell(officer, world, item, "2026-11-06", form="TX-902")
    [found] = officer.get("/api/v1/trace", query_string={"serial": "TR-902"}).get_json()["items"]
    assert (found["acquisition"]["type"], found["acquisition"]["date"]) == ("acquired", "2026-11-03")
    assert found["acquisition"]["source"]["ffl"] == "987654078A00001"
    assert found["disposition"]["details"]["form_4473"] == "TX-902"


def test_a_trace_shows_private_persons_only_to_readers_of_personal_data(api_as, officer, world, firearm):
    item = firearm("TR-901")
    sell(officer, world, item, "2026-11-05", form="TX-901")
    answer = api_as("regulator").get("/api/v1/trace", query_string={"serial": "TR-901"}).get_json()
    transferee = answer["items"][0]["disposition"]["transferee"]
    assert transferee["name"] == "(private person)" and "Jane" not in str(answer)


def test_an_unknown_party_is_404(officer):
    response = officer.get("/api/v1/parties/no-such-party")
    assert response.status_code == 404 and response.get_json()["field"] == "party_id"
