"""One person is one party: a private person registered again is recognised by keyed hashes kept in
the vault, over the API and on the form, and nothing is recorded."""

from __future__ import annotations

import hashlib
import re

import pytest

from registry.custody.models import PersonalData
from registry.extensions import db
from registry.ledger.runtime import reader

PERSON = {
    "kind": "person",
    "full_name": "Maria Gonzalez",
    "address": "12 Pecan St, Austin TX",
    "id_type": "driver licence",
    "id_issuer": "TX",
    "id_number": "40123456",
}


def register(officer, **changes):
    return officer.post("/api/v1/parties", json={**PERSON, **changes})


def test_the_same_identity_document_is_refused_naming_the_party(officer, size):
    first = register(officer).get_json()["id"]
    before = size()
    again = register(
        officer,
        full_name="MARÍA  GONZÁLEZ",
        address="elsewhere",
        id_type="Driver Licence",
        id_issuer=" tx ",
        id_number="40-123 456",
    )
    problem = again.get_json()
    assert again.status_code == 409 and problem["code"] == "duplicate_person", problem
    assert problem["existing_party_id"] == first and problem["field"] == "id_number" and first in problem["detail"]
    assert size() == before


def test_a_document_given_as_one_line_is_matched_too(officer, size):
    assert (
        officer.post(
            "/api/v1/parties",
            json={"kind": "person", "full_name": "A B", "address": "1 St", "id_document": "TX DL 1234567"},
        ).status_code
        == 201
    )
    before = size()
    again = officer.post(
        "/api/v1/parties",
        json={"kind": "person", "full_name": "C D", "address": "2 St", "id_document": "tx  dl 1234567"},
    )
    assert again.status_code == 409 and again.get_json()["code"] == "duplicate_person" and size() == before


@pytest.mark.parametrize(
    "changes",
    [
        {"id_type": "driver license"},  # the US spelling
        {"id_type": "Driver's License"},
        {"id_type": "DL"},
        {"id_issuer": "Texas"},
        {"id_issuer": "texas", "id_type": "driving licence"},
        {"id_type": None, "id_issuer": None, "id_number": None, "id_document": "Driver licence, TX 40123456"},
    ],
)
def test_the_same_document_however_it_is_named_is_refused(officer, size, changes):
    first = register(officer).get_json()["id"]
    before = size()
    again = register(officer, full_name="Someone Else", address="elsewhere", **changes)
    assert again.status_code == 409 and again.get_json()["code"] == "duplicate_person", again.get_json()
    assert again.get_json()["existing_party_id"] == first and size() == before


def test_a_document_type_the_registry_does_not_know_is_refused(officer, size):
    before = size()
    response = register(officer, id_type="library card")
    assert response.status_code == 422 and response.get_json()["field"] == "id_type", response.get_json()
    assert "passport" in response.get_json()["detail"] and size() == before


def test_documents_of_two_kinds_do_not_tell_a_name_and_address_apart(officer, size):
    """A driver licence one day and a passport the next may be one person's: the officer confirms."""
    first = register(officer).get_json()["id"]
    before = size()
    passport = {"id_type": "passport", "id_issuer": "USA", "id_number": "X1234567"}
    again = register(officer, **passport)
    assert again.status_code == 409 and again.get_json()["code"] == "possible_duplicate_person"
    assert again.get_json()["existing_party_id"] == first and size() == before
    assert register(officer, **passport, confirm_distinct=True).status_code == 201


def test_the_same_name_and_address_asks_for_confirmation(officer, size):
    without = {"id_type": None, "id_issuer": None, "id_number": None}
    first = register(officer, **without).get_json()["id"]
    before = size()
    again = register(officer, full_name="maria gonzalez", address="12 Pecan St., Austin, TX", **without)
    assert again.status_code == 409 and again.get_json()["code"] == "possible_duplicate_person"
    assert again.get_json()["existing_party_id"] == first and again.get_json()["field"] == "confirm_distinct"
    assert size() == before
    confirmed = register(officer, full_name="maria gonzalez", confirm_distinct=True, **without)
    assert confirmed.status_code == 201 and confirmed.get_json()["id"] != first


def test_two_documents_tell_namesakes_at_one_address_apart(officer):
    assert register(officer).status_code == 201
    junior = register(officer, id_number="40999999")
    assert junior.status_code == 201


def test_a_bad_confirmation_flag_is_a_problem(officer):
    response = register(officer, confirm_distinct="yes")
    assert response.status_code == 400 and response.get_json()["field"] == "confirm_distinct"
    assert response.get_json()["code"] == "invalid_body" and response.get_json()["pointer"] == "/confirm_distinct"


def test_a_document_needs_all_its_parts(officer):
    response = register(officer, id_issuer="")
    assert response.status_code == 422 and response.get_json()["field"] == "id_issuer"


def test_the_keys_are_keyed_hashes_in_the_vault_only(app, officer):
    created = register(officer).get_json()
    with app.app_context():
        vault = db.session.get(PersonalData, created["id"])
        body = reader().entry(created["registered_entry"]).body.decode()
    assert vault.document_key and vault.name_address_key
    assert vault.document_key not in body and "40123456" not in body and "Gonzalez" not in body
    assert vault.document_key != hashlib.sha256(b"driver licence\x1ftx\x1f40123456").hexdigest()


def test_an_erased_person_no_longer_matches(app, runner, officer):
    first = register(officer).get_json()["id"]
    with app.app_context():
        app.config["LICENCE_ENDED_ON"] = "2026-11-01"
        app.config["PERSONAL_DATA_RETENTION_DAYS"] = 0
    result = runner.invoke(args=["parties", "erase", first, "--reason", "asked under GDPR Art. 17"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        vault = db.session.get(PersonalData, first)
        assert (vault.document_key, vault.name_address_key) == (None, None)
    assert register(officer).status_code == 201


def _form(browser, csrf, data):
    token = csrf(browser, "/parties/")
    return browser.post("/parties/", data={"csrf_token": token, "kind": "person", **data})


def test_the_form_shows_the_duplicate_on_its_field_and_asks_to_confirm_a_namesake(client_as, csrf, officer, size):
    register(officer)
    browser = client_as("officer")
    before = size()
    duplicate = _form(
        browser,
        csrf,
        {
            "full_name": "Someone",
            "address": "Else",
            "id_type": "driver licence",
            "id_issuer": "TX",
            "id_number": "40123456",
        },
    )
    html = duplicate.get_data(as_text=True)
    assert duplicate.status_code == 400 and 'id="id_number-error"' in html and "registered already" in html
    namesake = {"full_name": "Maria Gonzalez", "address": "12 Pecan St, Austin TX"}
    asked = _form(browser, csrf, namesake)
    html = asked.get_data(as_text=True)
    assert asked.status_code == 400 and re.search(r'id="confirm_distinct-error"[^>]*>[^<]*different person', html)
    assert size() == before
    confirmed = _form(browser, csrf, {**namesake, "confirm_distinct": "y"})
    assert confirmed.status_code == 302 and size() == before + 1
