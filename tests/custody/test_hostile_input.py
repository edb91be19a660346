"""No input breaks the registry: each of these answered 500 on one engine or both; each is now a 4xx
problem that names what was wrong, and the ledger is unchanged."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD, make_account

PROBLEM = "application/problem+json"


def refused(response, status: int, code: str, field: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:300])
    problem = response.get_json()
    assert response.mimetype == PROBLEM and problem["code"] == code, problem
    if field is not None:
        assert problem["field"] == field, problem
    return problem


VIN = {"kind": "vehicle", "scheme": "vin", "serial": "1M8GDM9AXKP042788", "date": "2026-11-01"}


@pytest.mark.parametrize(
    "body, field",
    [
        ({**VIN, "options": {"": 1}}, "options."),
        ({**VIN, "options": ["na"]}, "options"),
        ({**VIN, "model_year": 1e30}, "model_year"),
        ({**VIN, "model_year": 2**70}, "model_year"),
        ({**VIN, "serial": ["1M8GDM9AXKP042788"]}, "serial"),
        ({**VIN, "kind": {"vehicle": True}}, "kind"),
    ],
    ids=[
        "options-object-of-numbers",
        "options-list",
        "model-year-1e30",
        "model-year-2^70",
        "serial-list",
        "kind-object",
    ],
)
def test_item_registration_refuses_the_wrong_shapes(officer, size, body, field):
    before = size()
    problem = refused(officer.post("/api/v1/items", json=body), 400, "invalid_body", field)
    assert problem["pointer"] == "/" + field.replace(".", "/")
    assert size() == before


@pytest.mark.parametrize(
    "raw, why",
    [
        (b'{"kind": "organisation", "name": "\\ud800", "address": "x"}', "no low surrogate"),
        (b'{"kind": "vehicle", "model_year": 1e400}', "infinity"),
        (b"[" * 100_000 + b"]" * 100_000, "depth"),
        (b'{"a":' * 5_000 + b"1" + b"}" * 5_000, "depth"),
        (b'{"kind": "organisation", "name": "a",}', "trailing comma"),
    ],
    ids=["lone-surrogate", "1e400", "array-100000-deep", "object-5000-deep", "trailing-comma"],
)
def test_json_that_cannot_be_read_is_refused(officer, size, raw, why):
    before = size()
    for url in ("/api/v1/parties", "/api/v1/items"):
        problem = refused(officer.post(url, data=raw, content_type="application/json"), 400, "invalid_body")
        assert why in problem["detail"]
    assert size() == before


def test_nesting_within_what_orjson_reads_is_still_bounded(officer, size):
    before = size()
    deep = {"kind": "goods", "scheme": "plain", "serial": "D-1", "date": "2026-11-01", "options": {}}
    node = deep["options"]
    for _ in range(40):
        node["x"] = {}
        node = node["x"]
    problem = refused(officer.post("/api/v1/items", json=deep), 400, "invalid_body")
    assert "deeper than 32" in problem["detail"]
    assert size() == before


def test_a_licence_number_must_be_text(officer, size):
    before = size()
    refused(
        officer.post("/api/v1/parties", json={"kind": "licensee", "ffl": 823091017, "name": "X", "address": "Y"}),
        400,
        "invalid_body",
        "ffl",
    )
    assert size() == before


def test_ids_must_be_text(officer, world, firearm, size):
    item = firearm(acquired=None)
    before = size()
    for value in ([world["maker"]], {"id": world["maker"]}, 7, True):
        refused(
            officer.post(
                f"/api/v1/items/{item}/acquisitions",
                json={"date": "2026-11-03", "source_party_id": value, "recipient_party_id": world["us"]},
            ),
            400,
            "invalid_body",
            "source_party_id",
        )
    refused(
        officer.post("/api/v1/recalls/x/units", json={"item_ids": [[item]], "state": "notified", "date": "2026-11-20"}),
        400,
        "invalid_body",
        "item_ids.0",
    )
    assert size() == before


def test_corrections_refuse_what_is_not_a_record_or_a_field(officer, world, firearm, size):
    item = firearm()
    timeline = officer.get(f"/api/v1/items/{item}").get_json()["timeline"]
    acquisition = next(r["entry_index"] for r in timeline if r["type"] == "acquired")
    registration = next(r["entry_index"] for r in timeline if r["type"] == "registered")
    before = size()
    for corrects in (1e30, True, "7", 2**60):
        refused(
            officer.post(
                f"/api/v1/items/{item}/corrections",
                json={"corrects": corrects, "fields": {"date": "2026-11-04"}, "reason": "typo"},
            ),
            400,
            "invalid_body",
            "corrects",
        )
    refused(
        officer.post(
            f"/api/v1/items/{item}/corrections",
            json={"corrects": registration, "fields": {"model_year": [2020]}, "reason": "typo"},
        ),
        400,
        "invalid_body",
        "fields.model_year",
    )
    refused(
        officer.post(
            f"/api/v1/items/{item}/corrections",
            json={"corrects": registration, "fields": {"model_year": "abc"}, "reason": "typo"},
        ),
        422,
        "invalid_field",
        "fields.model_year",
    )
    refused(
        officer.post(
            f"/api/v1/items/{item}/corrections", json={"corrects": acquisition, "fields": ["date"], "reason": "typo"}
        ),
        400,
        "invalid_body",
        "fields",
    )
    assert size() == before


def test_a_nul_character_in_a_json_string_or_name_is_refused(officer, size):
    before = size()
    refused(
        officer.post("/api/v1/parties", json={"kind": "organisation", "name": "Acme\x00", "address": "x"}),
        400,
        "invalid_body",
        "name",
    )
    refused(officer.post("/api/v1/items", json={**VIN, "options": {"mar\x00ket": "na"}}), 400, "invalid_body")
    assert size() == before


def test_a_huge_csv_field_is_a_problem_not_a_crash(officer, world, size):
    before = size()
    text = f"kind,scheme,serial,acquired_on,description\ngoods,plain,G-1,2026-11-02,{'X' * 200_000}\n"
    response = officer.post(
        f"/api/v1/items/import?recipient_party_id={world['us']}", data=text, content_type="text/csv"
    )
    problem = refused(response, 422, "invalid_csv", "file")
    assert "field larger than field limit" in problem["detail"]
    assert size() == before


@pytest.mark.parametrize(
    "url, field",
    [
        ("/api/v1/reports?limit=-5", "limit"),
        ("/api/v1/reports?limit=1e3", "limit"),
        ("/api/v1/ledger/proofs/consistency?from=0", "from"),
        ("/api/v1/ledger/entries?limit=0", "limit"),
        ("/api/v1/items?limit=501", "limit"),
        ("/api/v1/bound-book?from=2026-11-01&to=2026-11-30&view=all", "view"),
        ("/api/v1/recalls/x/units?limit=-1", "limit"),
        ("/api/v1/security-log?limit=99999999999999999999", "limit"),
    ],
)
def test_out_of_range_query_parameters_are_refused(api_as, url, field):
    problem = refused(api_as("auditor").get(url), 400, "invalid_parameter", field)
    assert problem["pointer"] == "/" + field


def test_a_nul_character_is_refused_in_every_path_and_query_of_every_route(app, api_as, client_as, csrf):
    """Each route, each method, with NUL in every path segment it takes and in a query parameter: 400,
    before any handler (or PostgreSQL) sees it; the pages as well as the API."""
    api, page = api_as("admin"), client_as("admin")
    token = csrf(page, "/")
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.startswith("bootstrap"):
            continue
        path = rule.rule
        for name in rule.arguments:
            path = re.sub(rf"<int(\([^)]*\))?:{name}>", "1", path.replace(f"<{name}>", "x%00y"))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            client = api if rule.rule.startswith("/api/") else page
            headers = {"X-CSRFToken": token}
            targets = ([path] if "%00" in path else []) + [path.replace("x%00y", "x") + "?q=a%00b"]
            for target in targets:
                response = client.open(target, method=method, headers=headers)
                assert response.status_code == 400, (method, target, response.status_code)
                checked += 1
    assert checked > 150


def test_a_nul_character_in_a_form_is_refused_even_signed_out(app, anon_client, csrf):
    account = make_account(app, "officer")
    token = csrf(anon_client)
    response = anon_client.post(
        "/login", data={"csrf_token": token, "email": account.email + "\x00", "password": PASSWORD}
    )
    assert response.status_code == 400 and "NUL" in response.get_data(as_text=True)
    response = anon_client.post(
        "/login", data={"csrf_token": token, "email": account.email, "password": PASSWORD + "\x00"}
    )
    assert response.status_code == 400
