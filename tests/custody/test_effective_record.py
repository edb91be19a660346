"""The effective record: every rule, signal and view reads a record with its corrections folded in, and
a correction is held to the same rules as the record it corrects."""

from __future__ import annotations

import pytest

from registry.ledger.runtime import reader

PROBLEM = "application/problem+json"


def refused(response, status: int, code: str):
    assert response.status_code == status, response.get_json()
    assert response.mimetype == PROBLEM and response.get_json()["code"] == code, response.get_json()
    return response.get_json()


def entry_of(officer, item, record_type, nth=-1):
    timeline = officer.get(f"/api/v1/items/{item}").get_json()["timeline"]
    return [r["entry_index"] for r in timeline if r["type"] == record_type][nth]


def correct(officer, item, corrects, fields, reason="typed wrongly"):
    return officer.post(
        f"/api/v1/items/{item}/corrections", json={"corrects": corrects, "fields": fields, "reason": reason}
    )


def dispose(officer, world, item, on, to="person", form="TX-1"):
    return officer.post(
        f"/api/v1/items/{item}/dispositions",
        json={"date": on, "from_party_id": world["us"], "transferee_party_id": world[to], "form_4473": form},
    )


def stolen(officer, item, on):
    return officer.post(
        f"/api/v1/items/{item}/status",
        json={
            "status": "stolen",
            "date": on,
            "police_report": "APD-9",
            "atf_incident": "T-9",
            "discovered_at": f"{on}T08:00:00Z",
        },
    )


def book(officer, view, date_from="2026-11-01", date_to="2026-11-30", **extra):
    return officer.get(
        "/api/v1/bound-book", query_string={"from": date_from, "to": date_to, "view": view, **extra}
    ).get_json()["rows"]


def test_a_corrected_acquisition_date_unblocks_every_later_event(officer, world, firearm, size):
    item = firearm("EF-1", acquired="2026-11-28")  # a typo for the 3rd
    refused(stolen(officer, item, "2026-11-10"), 422, "date_before_previous_event")
    refused(dispose(officer, world, item, "2026-11-10"), 422, "date_before_previous_event")
    fixed = correct(officer, item, entry_of(officer, item, "acquired"), {"date": "2026-11-03"})
    assert fixed.status_code == 201, fixed.get_json()
    assert fixed.get_json()["item"]["last_event_date"] == "2026-11-03"
    assert stolen(officer, item, "2026-11-10").status_code == 201


def test_a_corrected_date_can_block_later_events_too(officer, world, firearm):
    item = firearm("EF-2", acquired="2026-11-03")
    correct(officer, item, entry_of(officer, item, "acquired"), {"date": "2026-11-20"})
    refused(dispose(officer, world, item, "2026-11-10"), 422, "date_before_previous_event")
    assert dispose(officer, world, item, "2026-11-20").status_code == 201


def test_a_correction_that_would_put_a_later_record_before_it_is_refused(officer, world, firearm, size):
    item = firearm("EF-3", acquired="2026-11-03")
    dispose(officer, world, item, "2026-11-05")
    before = size()
    problem = refused(
        correct(officer, item, entry_of(officer, item, "acquired"), {"date": "2026-11-06"}),
        422,
        "date_before_previous_event",
    )
    assert problem["field"] == "fields.date" and "later disposed record" in problem["detail"] and size() == before


def test_a_correction_is_checked_like_an_original(officer, world, firearm, size):
    item = firearm("EF-4", acquired="2026-11-03")
    dispose(officer, world, item, "2026-11-05", to="maker", form=None)
    before = size()
    # A private transferee needs the Form 4473 that the licensee transferee did not.
    refused(
        correct(officer, item, entry_of(officer, item, "disposed"), {"transferee_party_id": world["person"]}),
        422,
        "missing_field",
    )
    refused(
        correct(officer, item, entry_of(officer, item, "disposed"), {"date": "2026-11-02"}),
        422,
        "date_before_previous_event",
    )
    refused(
        correct(officer, item, entry_of(officer, item, "acquired"), {"recipient_party_id": world["fleet"]}),
        422,
        "recipient_not_licensee",
    )
    refused(correct(officer, item, entry_of(officer, item, "acquired"), {"date": "2026-11-03"}), 422, "no_change")
    assert size() == before


@pytest.mark.parametrize("field", ["transferee_name", "transferee_address", "transferee_ffl"])
def test_corrections_name_parties_by_id_only(officer, world, firearm, field):
    item = firearm("EF-5")
    dispose(officer, world, item, "2026-11-05")
    problem = refused(
        correct(officer, item, entry_of(officer, item, "disposed"), {field: "John Smith, 1 Elm St"}),
        422,
        "not_correctable",
    )
    assert problem["field"] == f"fields.{field}"


def test_a_corrected_private_transferee_stays_in_the_vault(app, api_as, officer, world, firearm):
    item = firearm("EF-6")
    dispose(officer, world, item, "2026-11-05")
    fixed = correct(officer, item, entry_of(officer, item, "disposed"), {"transferee_party_id": world["person2"]})
    assert fixed.status_code == 201 and fixed.get_json()["item"]["holder"]["name"] == "John Roe"
    with app.app_context():
        body = reader().entry(fixed.get_json()["entry_index"]).body.decode()
    assert "Roe" not in body and world["person2"] in body
    regulator = api_as("regulator")
    for view in ("corrected", "both", "originals"):
        rows = regulator.get(
            "/api/v1/bound-book", query_string={"from": "2026-11-01", "to": "2026-11-30", "view": view}
        )
        text = rows.get_data(as_text=True)
        assert "Roe" not in text and "Jane" not in text and "(private person)" in text
    timeline = regulator.get(f"/api/v1/items/{item}").get_data(as_text=True)
    assert "Roe" not in timeline and "Jane" not in timeline
    corrected = [r for r in book(officer, "corrected") if r["serial"] == "EF-6"]
    assert [r["transferee_name"] for r in corrected] == ["John Roe"]


def test_the_bound_book_files_a_corrected_line_under_its_corrected_date(officer, firearm):
    item = firearm("EF-7", acquired="2026-10-28", date="2026-10-20")  # received on 3 November, entered as 28 October
    correct(officer, item, entry_of(officer, item, "acquired"), {"date": "2026-11-03"})
    november = {
        view: [(r["version"], r["date"]) for r in book(officer, view) if r["serial"] == "EF-7"]
        for view in ("originals", "corrected", "both")
    }
    assert november == {
        "originals": [],
        "corrected": [("corrected", "2026-11-03")],
        "both": [("original", "2026-10-28"), ("corrected", "2026-11-03")],
    }
    october = [
        (r["version"], r["date"])
        for r in book(officer, "originals", "2026-10-01", "2026-10-31")
        if r["serial"] == "EF-7"
    ]
    assert october == [("original", "2026-10-28")]
    assert [r for r in book(officer, "corrected", "2026-10-01", "2026-10-31") if r["serial"] == "EF-7"] == []


def test_the_bound_book_filters_on_the_corrected_recipient(officer, world, firearm):
    other = officer.post(
        "/api/v1/parties",
        json={"kind": "licensee", "ffl": "1-57-011-01-2A-00123", "name": "Second Store", "address": "9 Hill Rd"},
    ).get_json()["id"]
    item = firearm("EF-8")
    correct(officer, item, entry_of(officer, item, "acquired"), {"recipient_party_id": other})
    assert [r["serial"] for r in book(officer, "corrected", licensee=other)] == ["EF-8"]
    assert [r["serial"] for r in book(officer, "corrected", licensee=world["us"])] == []
    assert [r["serial"] for r in book(officer, "originals", licensee=world["us"])] == ["EF-8"]


def test_a_theft_closes_the_line_with_its_incident_and_a_recovery_opens_one(officer, firearm):
    item = firearm("EF-9")
    stolen(officer, item, "2026-11-10")
    officer.post(
        f"/api/v1/items/{item}/status",
        json={"status": "recovered", "date": "2026-11-14", "note": "returned by Austin police"},
    )
    rows = [r for r in book(officer, "both") if r["serial"] == "EF-9"]
    assert [(r["date"], r["disposition_date"], r["transferee_name"], r["transferee_address"]) for r in rows] == [
        ("2026-11-03", "2026-11-10", "Stolen", "ATF incident T-9"),
        ("2026-11-14", None, None, None),
    ]
    assert rows[1]["source_name"] == "Recovered after theft or loss"


def recovered(officer, item, on):
    return officer.post(f"/api/v1/items/{item}/status", json={"status": "recovered", "date": on})


def test_a_firearm_recovered_before_it_was_ever_acquired_opens_no_line(officer, world, firearm):
    """Stolen from the maker's shipment before it was booked in and then recovered, the firearm goes
    back to no one's stock: the recovery is no receipt, and the book shows only the acquisition that
    follows, closed by its disposition."""
    item = firearm("EF-11", acquired=None)
    assert stolen(officer, item, "2026-11-03").status_code == 201
    assert recovered(officer, item, "2026-11-04").status_code == 201
    officer.post(
        f"/api/v1/items/{item}/acquisitions",
        json={"date": "2026-11-05", "source_party_id": world["maker"], "recipient_party_id": world["us"]},
    )
    dispose(officer, world, item, "2026-11-06")
    for view in ("both", "corrected", "originals"):
        rows = [r for r in book(officer, view) if r["serial"] == "EF-11"]
        assert [(r["date"], r["disposition_date"]) for r in rows] == [("2026-11-05", "2026-11-06")], view


def test_the_originals_view_files_a_recovery_under_the_licensee_first_written(officer, world, firearm):
    """The recovery goes back into the stock of the acquisition before it: in the originals view that
    is the recipient first written, whatever a later correction of the acquisition says."""
    item = firearm("EF-12")
    stolen(officer, item, "2026-11-10")
    recovered(officer, item, "2026-11-12")
    other = officer.post(
        "/api/v1/parties",
        json={"kind": "licensee", "ffl": "9-12-345-01-5G-12345", "name": "Hill Guns", "address": "8 Hill Rd"},
    ).get_json()["id"]
    fixed = correct(officer, item, entry_of(officer, item, "acquired"), {"recipient_party_id": other})
    assert fixed.status_code == 201, fixed.get_json()

    def lines(view, licensee):
        return [
            (r["date"], r["disposition_date"]) for r in book(officer, view, licensee=licensee) if r["serial"] == "EF-12"
        ]

    first_written = [("2026-11-03", "2026-11-10"), ("2026-11-12", None)]
    assert lines("originals", world["us"]) == first_written
    assert lines("originals", other) == []
    assert lines("corrected", other) == first_written
    assert lines("corrected", world["us"]) == []


def test_a_firearm_disposed_of_to_a_non_licensee_comes_back_only_by_an_acquisition(officer, world, firearm, size):
    item = firearm("EF-10")
    dispose(officer, world, item, "2026-11-05")
    before = size()
    refused(
        officer.post(f"/api/v1/items/{item}/transfers", json={"date": "2026-11-06", "to_party_id": world["maker"]}),
        409,
        "firearm_not_transferable",
    )
    refused(dispose(officer, world, item, "2026-11-06", to="person2"), 409, "item_disposed")
    refused(stolen(officer, item, "2026-11-06"), 409, "invalid_transition")
    assert size() == before
    back = officer.post(
        f"/api/v1/items/{item}/acquisitions",
        json={"date": "2026-11-07", "source_party_id": world["person"], "recipient_party_id": world["us"]},
    )
    assert back.status_code == 201 and back.get_json()["item"]["status"] == "in_custody"
    trace = officer.get("/api/v1/trace", query_string={"serial": "EF-10"}).get_json()["items"][0]
    assert trace["acquisition"]["source"]["name"] == "Jane Doe" and trace["disposition"] is None
    assert [(r["date"], r["disposition_date"]) for r in book(officer, "both") if r["serial"] == "EF-10"] == [
        ("2026-11-03", "2026-11-05"),
        ("2026-11-07", None),
    ]


def test_a_vehicle_follows_its_owners_after_a_sale(officer, world):
    coach = officer.post(
        "/api/v1/items", json={"kind": "vehicle", "scheme": "vin", "serial": "1M8GDM9AXKP042788", "date": "2026-11-01"}
    ).get_json()["id"]
    officer.post(
        f"/api/v1/items/{coach}/acquisitions",
        json={"date": "2026-11-02", "source_party_id": world["fleet"], "recipient_party_id": world["us"]},
    )
    sold = officer.post(
        f"/api/v1/items/{coach}/dispositions",
        json={"date": "2026-11-03", "from_party_id": world["us"], "transferee_party_id": world["person"]},
    )
    assert sold.status_code == 201
    resold = officer.post(
        f"/api/v1/items/{coach}/transfers", json={"date": "2026-11-09", "to_party_id": world["person2"]}
    )
    assert resold.status_code == 201 and resold.get_json()["item"]["holder"]["name"] == "John Roe"
    assert resold.get_json()["item"]["status"] == "disposed"


def test_a_corrected_transferee_moves_the_multiple_sale_flag(officer, world, firearm):
    first, second = firearm("MS-1"), firearm("MS-2", type_="revolver")
    dispose(officer, world, first, "2026-11-06")
    dispose(officer, world, second, "2026-11-09", to="person2", form="TX-2")
    assert officer.get("/api/v1/signals").get_json()["multiple_sales"] == []
    correct(officer, second, entry_of(officer, second, "disposed"), {"transferee_party_id": world["person"]})
    [flag] = officer.get("/api/v1/signals").get_json()["multiple_sales"]
    assert flag["party_id"] == world["person"] and sorted(flag["serials"]) == ["MS-1", "MS-2"]
    correct(officer, second, entry_of(officer, second, "disposed"), {"date": "2026-11-16"})
    assert officer.get("/api/v1/signals").get_json()["multiple_sales"] == []


def test_a_corrected_type_makes_a_rifle_sale_a_handgun_sale(officer, world, firearm):
    first, second = firearm("MS-3"), firearm("MS-4", type_="rifle")
    dispose(officer, world, first, "2026-11-06")
    dispose(officer, world, second, "2026-11-09", form="TX-2")
    assert officer.get("/api/v1/signals").get_json()["multiple_sales"] == []
    correct(officer, second, entry_of(officer, second, "registered"), {"type": "pistol"})
    assert len(officer.get("/api/v1/signals").get_json()["multiple_sales"]) == 1


def test_a_corrected_discovery_moves_the_theft_deadline(officer, firearm):
    item = firearm("TH-1")
    stolen(officer, item, "2026-11-10")
    correct(officer, item, entry_of(officer, item, "status_changed"), {"discovered_at": "2026-11-11T09:00:00Z"})
    [theft] = officer.get("/api/v1/signals").get_json()["thefts"]
    assert theft["deadline"] == "2026-11-13T09:00:00+00:00"


def test_a_serial_can_be_corrected_but_not_onto_another_item(officer, firearm, size):
    item, other = firearm("SC-1"), firearm("SC-2")
    registered = entry_of(officer, item, "registered")
    before = size()
    refused(correct(officer, item, registered, {"serial": "sc-2"}), 409, "duplicate_serial")
    refused(correct(officer, item, registered, {"serial": ""}), 422, "serial_empty")
    assert size() == before
    fixed = correct(officer, item, registered, {"serial": "SC-10"}, reason="the 0 was missed")
    assert fixed.status_code == 201 and fixed.get_json()["item"]["serial"] == "SC-10"
    assert [i["id"] for i in officer.get("/api/v1/items", query_string={"serial": "sc-10"}).get_json()["items"]] == [
        item
    ]
    assert officer.get("/api/v1/items", query_string={"serial": "SC-1"}).get_json()["items"] == []
    assert other


def test_a_corrected_manufacturer_keeps_one_firearm_per_maker_and_serial(officer, firearm, size):
    ours = firearm("MK-77", manufacturer="Glock")
    theirs = firearm("MK-77", manufacturer="Sig Sauer")
    other = firearm("MK-78", manufacturer="Sig Sauer")
    registered = entry_of(officer, theirs, "registered")
    before = size()
    problem = refused(correct(officer, theirs, registered, {"manufacturer": " glock "}), 409, "duplicate_serial")
    assert problem["field"] == "fields.manufacturer"
    # nor in one go, the serial with the maker
    both = {"manufacturer": "Glock", "serial": "MK-77"}
    assert (
        refused(correct(officer, other, entry_of(officer, other, "registered"), both), 409, "duplicate_serial")["field"]
        == "fields.serial"
    )
    assert size() == before
    # a maker corrected away frees its key, and the new one is held
    moved = correct(officer, theirs, registered, {"manufacturer": "Ruger"})
    assert moved.status_code == 201, moved.get_json()
    again = officer.post(
        "/api/v1/items",
        json={
            "kind": "firearm",
            "scheme": "firearm",
            "serial": "MK-77",
            "date": "2026-11-02",
            "manufacturer": "Sig Sauer",
            "model": "P1",
            "type": "pistol",
            "caliber": "9mm",
        },
    )
    assert again.status_code == 201, again.get_json()
    refused(
        officer.post(
            "/api/v1/items",
            json={
                "kind": "firearm",
                "scheme": "firearm",
                "serial": "mk-77",
                "date": "2026-11-02",
                "manufacturer": "RUGER",
                "model": "P1",
                "type": "pistol",
                "caliber": "9mm",
            },
        ),
        409,
        "duplicate_serial",
    )
    found = officer.get("/api/v1/trace", query_string={"serial": "MK-77", "manufacturer": "Glock"}).get_json()
    assert [answer["item"]["id"] for answer in found["items"]] == [ours]


def test_replay_rebuilds_the_effective_record(app, runner, officer, world, firearm):
    item = firearm("RP-1", acquired="2026-11-20")
    correct(officer, item, entry_of(officer, item, "acquired"), {"date": "2026-11-04"})
    dispose(officer, world, item, "2026-11-06")
    correct(officer, item, entry_of(officer, item, "disposed"), {"transferee_party_id": world["person2"]})
    other = firearm("RP-2", type_="revolver")
    dispose(officer, world, other, "2026-11-09", to="person2", form="TX-3")
    result = runner.invoke(args=["ledger", "replay"])
    assert result.exit_code == 0 and "IDENTICAL" in result.output, result.output
