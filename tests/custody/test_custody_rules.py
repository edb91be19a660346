"""Each custody rule accepted and refused over the API; a refusal appends nothing."""

from __future__ import annotations

import pytest

PROBLEM = "application/problem+json"


def refused(response, status: int, code: str):
    assert response.status_code == status, response.get_json()
    assert response.mimetype == PROBLEM and response.get_json()["code"] == code
    return response.get_json()


def test_register_acquire_dispose_keeps_the_custody_chain(officer, world, firearm):
    item = firearm()
    sold = officer.post(
        f"/api/v1/items/{item}/dispositions",
        json={
            "date": "2026-11-05",
            "from_party_id": world["us"],
            "transferee_party_id": world["person"],
            "form_4473": "TX-1",
        },
    )
    assert sold.status_code == 201 and sold.get_json()["item"]["status"] == "disposed"
    detail = officer.get(f"/api/v1/items/{item}").get_json()
    assert [r["type"] for r in detail["timeline"]] == ["registered", "acquired", "disposed"]
    assert detail["item"]["holder"]["name"] == "Jane Doe"  # officers read personal data


def test_a_bad_serial_is_refused_with_its_code_and_position(officer, size):
    before = size()
    problem = refused(
        officer.post(
            "/api/v1/items",
            json={"kind": "vehicle", "scheme": "vin", "serial": "1M8GDM9A0KP042788", "date": "2026-11-01"},
        ),
        422,
        "serial_check_digit",
    )
    assert problem["field"] == "serial" and "position 9" in problem["detail"] and size() == before


def test_a_failing_serial_is_recorded_with_an_override_and_its_justification(officer, app):
    response = officer.post(
        "/api/v1/items",
        json={
            "kind": "vehicle",
            "scheme": "vin",
            "serial": "KMTGA4SCDRU227656",
            "date": "2026-11-01",
            "override_justification": "assigned VIN on NHTSA's exception list; check digit wrong as issued",
        },
    )
    assert response.status_code == 201
    from registry.ledger.runtime import reader

    with app.app_context():
        event = reader().entry(response.get_json()["registered_entry"]).event
    assert event["payload"]["override"] == {
        "codes": ["check_digit"],
        "justification": "assigned VIN on NHTSA's exception list; check digit wrong as issued",
    }


@pytest.mark.parametrize(
    "second, status", [({"manufacturer": "Demo Arms Co."}, 409), ({"manufacturer": "Other Maker Inc."}, 201)]
)
def test_firearm_serials_are_unique_per_manufacturer(firearm, officer, second, status):
    firearm("ABC-123", acquired=None)
    response = officer.post(
        "/api/v1/items",
        json={
            "kind": "firearm",
            "scheme": "firearm",
            "serial": "abc-123",
            "date": "2026-11-02",
            "model": "X",
            "type": "rifle",
            "caliber": ".308",
            **second,
        },
    )
    assert response.status_code == status
    if status == 409:
        assert response.get_json()["code"] == "duplicate_serial"


def test_vins_are_unique_everywhere(officer):
    body = {"kind": "vehicle", "scheme": "vin", "serial": "1M8GDM9AXKP042788", "date": "2026-11-01"}
    assert officer.post("/api/v1/items", json=body).status_code == 201
    refused(
        officer.post("/api/v1/items", json={**body, "serial": "1m8gdm9axkp042788", "manufacturer": "Else"}),
        409,
        "duplicate_serial",
    )


@pytest.mark.parametrize(
    "lookalike",
    [
        "ＺＸ-77001",  # full-width Latin letters
        "ZХ-77001",  # a Cyrillic capital HA for the X
        "ZX‐77001",  # U+2010 HYPHEN for the hyphen-minus
        "zх−77001",  # lower case, a Cyrillic ha and a minus sign
    ],
)
def test_a_serial_that_reads_the_same_as_a_registered_one_is_the_same_serial(officer, size, lookalike):
    """A plain serial typed with look-alike characters from another script or with compatibility
    forms reads as the one already registered: it is refused as a duplicate and nothing is recorded;
    a search in plain letters finds the registered item."""
    body = {"kind": "goods", "scheme": "plain", "serial": "ZX-77001", "date": "2026-11-01", "description": "pallet"}
    created = officer.post("/api/v1/items", json=body)
    assert created.status_code == 201, created.get_json()
    before = size()
    refused(officer.post("/api/v1/items", json={**body, "serial": lookalike}), 409, "duplicate_serial")
    assert size() == before
    found = officer.get("/api/v1/items", query_string={"serial": lookalike}).get_json()["items"]
    assert [item["id"] for item in found] == [created.get_json()["id"]]


def test_a_look_alike_is_registered_as_marked_and_found_by_its_plain_reading(officer):
    """Alone, a serial marked with a Cyrillic letter is registered as marked; a search in Latin
    letters finds it, and the answer names what was read."""
    body = {"kind": "goods", "scheme": "plain", "serial": "КX-1", "date": "2026-11-01", "description": "crate"}
    created = officer.post("/api/v1/items", json=body)
    assert created.status_code == 201, created.get_json()
    item = created.get_json()
    assert (item["serial"], item["serial_normalized"]) == ("КX-1", "KX-1")
    found = officer.get("/api/v1/items", query_string={"serial": "kx-1"}).get_json()["items"]
    assert [i["id"] for i in found] == [item["id"]]
    checked = officer.post("/api/v1/serials/validate", json={"scheme": "plain", "value": "КX-1"}).get_json()
    assert [(w["code"], w["position"]) for w in checked["warnings"]] == [("lookalike", 1)]
    assert "CYRILLIC CAPITAL LETTER KA" in checked["warnings"][0]["message"]


def test_a_firearm_serial_that_reads_the_same_in_another_alphabet_is_the_same_serial(officer, size):
    """An EU serial may be marked in Greek or Cyrillic letters, and an override may record a US one
    with a look-alike; neither registers a second firearm of the same maker under a serial that
    reads the same as one registered. Another maker's firearm may carry it."""
    firearm = {
        "kind": "firearm",
        "scheme": "firearm",
        "date": "2026-11-02",
        "model": "X",
        "type": "rifle",
        "caliber": ".308",
        "manufacturer": "Demo Arms Co.",
    }
    greek = {**firearm, "serial": "ΑΒ-12", "options": {"jurisdiction": "EU"}}  # Greek ALPHA and BETA
    registered = officer.post("/api/v1/items", json=greek).get_json()
    assert (registered["serial"], registered["serial_normalized"]) == ("ΑΒ-12", "AB-12")
    # a trace typed in Latin letters (or in Greek ones) finds the firearm as marked
    for typed in ("ab-12", "ΑΒ-12"):
        traced = officer.get("/api/v1/trace", query_string={"serial": typed, "manufacturer": "Demo Arms Co."})
        assert [answer["item"]["id"] for answer in traced.get_json()["items"]] == [registered["id"]], typed
    before = size()
    refused(officer.post("/api/v1/items", json={**greek, "serial": "AB-12"}), 409, "duplicate_serial")
    overridden = {**firearm, "serial": "ΑB-12", "override_justification": "marked so"}  # US, Greek ALPHA
    refused(officer.post("/api/v1/items", json=overridden), 409, "duplicate_serial")
    wide = {**firearm, "serial": "ＡＢ-12", "override_justification": "marked so"}  # full-width Latin
    refused(officer.post("/api/v1/items", json=wide), 409, "duplicate_serial")
    spaced = {**greek, "serial": "AB-12", "manufacturer": " demo  arms\tco. "}
    refused(officer.post("/api/v1/items", json=spaced), 409, "duplicate_serial")
    assert size() == before
    other = officer.post("/api/v1/items", json={**greek, "serial": "AB-12", "manufacturer": "Other Maker Inc."})
    assert other.status_code == 201


def test_a_manufacturer_is_stored_and_found_with_its_spaces_folded(officer):
    body = {
        "kind": "firearm",
        "scheme": "firearm",
        "serial": "SW-1",
        "date": "2026-11-02",
        "model": "M&P",
        "type": "pistol",
        "caliber": "9mm",
        "manufacturer": "Smith  &  Wesson",
    }
    created = officer.post("/api/v1/items", json=body).get_json()
    assert created["manufacturer"] == "Smith & Wesson"
    for asked in ("Smith & Wesson", " smith  &  wesson "):
        found = officer.get("/api/v1/trace", query_string={"serial": "sw-1", "manufacturer": asked}).get_json()
        assert [answer["item"]["id"] for answer in found["items"]] == [created["id"]]


def test_a_container_code_with_a_letter_from_another_script_is_refused_not_a_failure(officer, size):
    """python-stdnum takes a Cyrillic letter for a Latin one and then fails inside its check digit:
    the registry refuses the code on the field instead (it answered 500)."""
    before = size()
    body = {"kind": "goods", "scheme": "iso6346", "serial": "СSQU3054383", "date": "2026-11-01"}
    refused(officer.post("/api/v1/items", json={**body, "description": "box"}), 422, "serial_charset")
    assert size() == before


def test_only_the_current_holder_disposes(officer, world, firearm, size):
    item = firearm()
    before = size()
    refused(
        officer.post(
            f"/api/v1/items/{item}/dispositions",
            json={
                "date": "2026-11-05",
                "from_party_id": world["fleet"],
                "transferee_party_id": world["person"],
                "form_4473": "TX-1",
            },
        ),
        409,
        "not_holder",
    )
    assert size() == before


def test_a_disposition_that_names_no_holder_is_the_holders(officer, world, firearm):
    """The API's contract: `from_party_id` defaults to the current holder."""
    item = firearm()
    done = officer.post(
        f"/api/v1/items/{item}/dispositions",
        json={"date": "2026-11-05", "transferee_party_id": world["person"], "form_4473": "TX-1"},
    )
    assert done.status_code == 201, done.get_json()
    [disposed] = [r for r in officer.get(f"/api/v1/items/{item}").get_json()["timeline"] if r["type"] == "disposed"]
    assert disposed["details"]["from_party_id"] == world["us"]


def test_an_item_never_acquired_cannot_be_disposed(officer, world, firearm, size):
    item = firearm(acquired=None)
    before = size()
    refused(
        officer.post(
            f"/api/v1/items/{item}/dispositions",
            json={
                "date": "2026-11-05",
                "from_party_id": world["us"],
                "transferee_party_id": world["person"],
                "form_4473": "TX-1",
            },
        ),
        409,
        "not_acquired",
    )
    assert size() == before


@pytest.mark.parametrize("status", ["stolen", "destroyed", "exported"])
def test_nothing_stolen_destroyed_or_exported_is_disposed(officer, world, firearm, size, status):
    item = firearm()
    change = {"status": status, "date": "2026-11-04"}
    if status == "stolen":
        change.update(police_report="APD-77", atf_incident="I-2026-0001", discovered_at="2026-11-04T08:00:00Z")
    assert officer.post(f"/api/v1/items/{item}/status", json=change).status_code == 201
    before = size()
    refused(
        officer.post(
            f"/api/v1/items/{item}/dispositions",
            json={
                "date": "2026-11-05",
                "from_party_id": world["us"],
                "transferee_party_id": world["person"],
                "form_4473": "TX-1",
            },
        ),
        409,
        f"item_{status}",
    )
    assert size() == before


def test_dates_cannot_precede_the_previous_event(officer, world, firearm, size):
    item = firearm()
    before = size()
    problem = refused(
        officer.post(
            f"/api/v1/items/{item}/dispositions",
            json={
                "date": "2026-11-01",
                "from_party_id": world["us"],
                "transferee_party_id": world["person"],
                "form_4473": "TX-1",
            },
        ),
        422,
        "date_before_previous_event",
    )
    assert problem["field"] == "date" and size() == before


def test_a_firearm_theft_needs_its_report_numbers_and_time_of_discovery(officer, firearm, size):
    item = firearm()
    before = size()
    refused(
        officer.post(f"/api/v1/items/{item}/status", json={"status": "stolen", "date": "2026-11-04"}),
        422,
        "missing_field",
    )
    refused(
        officer.post(
            f"/api/v1/items/{item}/status",
            json={
                "status": "stolen",
                "date": "2026-11-04",
                "police_report": "APD-1",
                "discovered_at": "2026-11-04T08:00:00Z",
            },
        ),
        422,
        "missing_field",
    )
    assert size() == before
    recovered = officer.post(f"/api/v1/items/{item}/status", json={"status": "recovered", "date": "2026-11-04"})
    refused(recovered, 409, "invalid_transition")


def test_recovery_returns_a_stolen_item_to_custody(officer, firearm):
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
    back = officer.post(f"/api/v1/items/{item}/status", json={"status": "recovered", "date": "2026-11-06"})
    assert back.status_code == 201 and back.get_json()["item"]["status"] == "in_custody"


def test_a_transfer_moves_the_holder_and_needs_a_new_party(officer, world):
    coach = officer.post(
        "/api/v1/items", json={"kind": "vehicle", "scheme": "vin", "serial": "1M8GDM9AXKP042788", "date": "2026-11-01"}
    ).get_json()["id"]
    officer.post(
        f"/api/v1/items/{coach}/acquisitions",
        json={"date": "2026-11-02", "source_party_id": world["fleet"], "recipient_party_id": world["us"]},
    )
    moved = officer.post(f"/api/v1/items/{coach}/transfers", json={"date": "2026-11-04", "to_party_id": world["fleet"]})
    assert moved.status_code == 201 and moved.get_json()["item"]["holder"]["id"] == world["fleet"]
    refused(
        officer.post(f"/api/v1/items/{coach}/transfers", json={"date": "2026-11-04", "to_party_id": world["fleet"]}),
        422,
        "same_party",
    )


def test_a_firearm_changes_hands_only_by_a_disposition(officer, world, firearm, size):
    item = firearm()
    before = size()
    problem = refused(
        officer.post(f"/api/v1/items/{item}/transfers", json={"date": "2026-11-04", "to_party_id": world["maker"]}),
        409,
        "firearm_not_transferable",
    )
    assert "disposition" in problem["detail"] and size() == before


def test_a_correction_is_kept_beside_the_original(officer, firearm, app):
    item = firearm()
    registered = officer.get(f"/api/v1/items/{item}").get_json()["item"]["registered_entry"]
    fixed = officer.post(
        f"/api/v1/items/{item}/corrections",
        json={"corrects": registered, "fields": {"caliber": "9x19mm"}, "reason": "caliber misread from the invoice"},
    )
    assert fixed.status_code == 201 and fixed.get_json()["item"]["caliber"] == "9x19mm"
    timeline = officer.get(f"/api/v1/items/{item}").get_json()["timeline"]
    assert timeline[0]["original"]["details"]["caliber"] == "9mm"  # what was first written, kept
    assert timeline[0]["details"]["caliber"] == "9x19mm"  # the record as it reads now
    assert timeline[-1]["type"] == "corrected" and timeline[-1]["corrects"] == registered
    refused(
        officer.post(
            f"/api/v1/items/{item}/corrections",
            json={"corrects": registered, "fields": {"kind": "vehicle"}, "reason": "no"},
        ),
        422,
        "not_correctable",
    )


def test_bad_bodies_and_unknown_parties_are_problems(officer, firearm):
    item = firearm()
    refused(officer.post("/api/v1/items", data="[]", content_type="application/json"), 400, "invalid_body")
    refused(
        officer.post(f"/api/v1/items/{item}/transfers", json={"date": "2026-11-04", "to_party_id": "nobody"}),
        422,
        "unknown_party",
    )
    refused(
        officer.post(f"/api/v1/items/{item}/transfers", json={"date": "yesterday", "to_party_id": "x"}),
        422,
        "invalid_date",
    )
    assert officer.get("/api/v1/items/no-such-item").status_code == 404


def test_regulators_read_items_but_not_private_persons(api_as, officer, world, firearm):
    item = firearm()
    officer.post(
        f"/api/v1/items/{item}/dispositions",
        json={
            "date": "2026-11-05",
            "from_party_id": world["us"],
            "transferee_party_id": world["person"],
            "form_4473": "T",
        },
    )
    regulator = api_as("regulator")
    holder = regulator.get(f"/api/v1/items/{item}").get_json()["item"]["holder"]
    assert holder["name"] == "(private person)" and "Jane" not in str(
        regulator.get(f"/api/v1/parties/{world['person']}").get_json()
    )
    assert regulator.post("/api/v1/items", json={}).status_code == 403


def test_a_rule_sees_what_another_writer_committed_after_this_session_read_the_item(app, officer, world, firearm, size):
    """A session that read the item before another writer disposed of it must not dispose of it again:
    the write lock's transaction checks the rule against the committed state, not its earlier read."""
    from datetime import datetime, timezone

    from sqlalchemy.orm import Session

    from registry import projections
    from registry.custody.rules import CustodyError
    from registry.custody.service import CustodyService
    from registry.extensions import db
    from registry.ledger.runtime import log_key
    from registry.ledger.service import LedgerService

    item = firearm()
    with app.app_context(), Session(db.engine) as session:  # a second worker's own session
        service = CustodyService(session, LedgerService(session, log_key(), projections.apply))
        assert service.item(item).holder_party_id == world["us"]  # read, transaction left open
        sold = officer.post(
            f"/api/v1/items/{item}/dispositions",
            json={"date": "2026-11-05", "from_party_id": world["us"], "transferee_party_id": world["fleet"]},
        )
        assert sold.status_code == 201, sold.get_json()
        before = size()
        with pytest.raises(CustodyError) as refused:
            service.dispose(
                item,
                on="2026-11-06",
                from_party_id=world["us"],
                transferee_party_id=world["maker"],
                actor="test",
                now=datetime.now(timezone.utc),
            )
        assert refused.value.code == "item_disposed"  # the stale read said "in custody, held by us"
    assert size() == before


NSN_FIREARM = {
    "kind": "firearm",
    "scheme": "firearm",
    "date": "2026-11-02",
    "manufacturer": "Ithaca Gun Co.",
    "model": "Model 37",
    "type": "shotgun",
    "caliber": "12 gauge",
}


@pytest.mark.parametrize("serial", ["", "   "])
def test_an_empty_serial_is_refused_even_with_an_override(officer, serial, size):
    before = size()
    problem = refused(
        officer.post("/api/v1/items", json={**NSN_FIREARM, "serial": serial, "override_justification": "none marked"}),
        422,
        "serial_empty",
    )
    assert "NSN" in problem["detail"] and problem["field"] == "serial" and size() == before


def test_a_firearm_without_a_serial_is_recorded_as_nsn_with_a_justification(officer, size):
    before = size()
    refused(officer.post("/api/v1/items", json={**NSN_FIREARM, "serial": "nsn"}), 422, "missing_field")
    assert size() == before
    first = officer.post(
        "/api/v1/items",
        json={**NSN_FIREARM, "serial": "nsn", "override_justification": "made in 1952, no serial marked"},
    )
    second = officer.post(
        "/api/v1/items",
        json={**NSN_FIREARM, "serial": "NSN", "override_justification": "made in 1961, no serial marked"},
    )
    assert first.status_code == second.status_code == 201
    assert first.get_json()["serial"] == second.get_json()["serial"] == "NSN"
    found = officer.get("/api/v1/items", query_string={"serial": "NSN"}).get_json()["items"]
    assert sorted(i["id"] for i in found) == sorted([first.get_json()["id"], second.get_json()["id"]])


def test_options_and_model_years_that_are_not_what_they_claim_are_problems(officer, size):
    before = size()
    body = {"kind": "vehicle", "scheme": "vin", "serial": "1M8GDM9AXKP042788", "date": "2026-11-01"}
    # the shape is the contract's (400 invalid_body, naming the member); the range is the registry's rule
    refused(officer.post("/api/v1/items", json={**body, "options": {"": 1}}), 400, "invalid_body")
    refused(officer.post("/api/v1/items", json={**body, "options": {"": "na"}}), 422, "unknown_option")
    refused(officer.post("/api/v1/items", json={**body, "options": ["na"]}), 400, "invalid_body")
    for year in (1e30, "abc", True, [2020], 99999):
        refused(officer.post("/api/v1/items", json={**body, "model_year": year}), 400, "invalid_body")
    refused(officer.post("/api/v1/items", json={**body, "model_year": 1700}), 422, "invalid_field")
    assert size() == before
