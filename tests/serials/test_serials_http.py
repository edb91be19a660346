"""The JSON endpoints and the "Check a serial" page."""

from __future__ import annotations

import pytest

PROBLEM = "application/problem+json"


def post(api, body, **kwargs):
    return api.post("/api/v1/serials/validate", json=body, **kwargs)


def test_validate_returns_the_result_as_json(api):
    response = post(api, {"scheme": "vin", "value": "1m8gdm9a0kp042788", "options": {"market": "na"}})
    assert response.status_code == 200
    body = response.get_json()
    assert body["valid"] is False and body["normalized"] == "1M8GDM9A0KP042788"
    assert body["errors"] == [{"code": "check_digit", "position": 9, "message": body["errors"][0]["message"]}]
    assert [w["code"] for w in body["warnings"]] == ["normalized_case"]
    assert body["info"]["model_year"] == 1989 and body["value"] == "1m8gdm9a0kp042788"


@pytest.mark.parametrize(
    "body, field, code",
    [
        ({"scheme": "dna", "value": "X"}, "scheme", "invalid_body"),
        ({"value": "X"}, "scheme", "invalid_body"),
        ({"scheme": "vin"}, "value", "invalid_body"),
        ({"scheme": "vin", "value": 17}, "value", "invalid_body"),
        ({"scheme": "vin", "value": "X", "options": []}, "options", "invalid_body"),
        ({"scheme": "vin", "value": "X", "options": {"market": "mars"}}, "options.market", "invalid_option"),
        ({"scheme": "vin", "value": "X", "options": {"colour": "red"}}, "options.colour", "unknown_option"),
        ({"scheme": "vin", "value": "X", "extra": 1}, "extra", "invalid_body"),
        ({"scheme": "plain", "value": "X" * 1001}, "value", "value_too_long"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_requests_are_problems_naming_the_field(api, body, field, code):
    response = post(api, body)
    # the body's shape is the schema's (400); what a scheme makes of its options and value, its own (422)
    assert response.status_code == (400 if code == "invalid_body" else 422) and response.mimetype == PROBLEM
    problem = response.get_json()
    assert (problem["field"], problem["code"]) == (field, code)
    assert problem["type"] == f"urn:serial-ledger:problem:{code}" and problem["detail"]


@pytest.mark.parametrize(
    "data, content_type",
    [
        ("not json", "application/json"),
        ("[1, 2]", "application/json"),
        ("scheme=vin", "application/x-www-form-urlencoded"),
    ],
)
def test_malformed_bodies_are_refused(api, data, content_type):
    response = api.post("/api/v1/serials/validate", data=data, content_type=content_type)
    assert response.status_code == 400 and response.mimetype == PROBLEM
    assert response.get_json()["code"] in ("invalid_json", "invalid_body")


def test_schemes_lists_every_scheme_with_options_and_codes(client):
    schemes = {s["name"]: s for s in client.get("/api/v1/serials/schemes").get_json()["schemes"]}
    assert set(schemes) == {"vin", "vehicle_legacy", "firearm", "ffl", "imei", "gtin", "gs1", "hin", "iso6346", "plain"}
    assert schemes["vin"]["options"][0]["choices"] == ["na", "intl"]
    assert "check_digit" in schemes["vin"]["errors"] and "ambiguous_characters" in schemes["firearm"]["warnings"]


def test_check_page_marks_the_wrong_character_without_script(client):
    page = client.get("/serials/check?scheme=vin&value=1M8GDM9A0KP042788").get_data(as_text=True)
    assert 'data-verdict="invalid"' in page
    assert '<span class="bad"\n          title="position 9">0</span>' in page
    assert 'data-code="check_digit"' in page and "require &#39;X&#39;" in page


def test_check_page_shows_options_of_the_chosen_scheme_and_examples(client):
    page = client.get("/serials/check?scheme=firearm").get_data(as_text=True)
    assert 'name="jurisdiction"' in page and 'name="ffl_prefix"' in page and 'name="market"' not in page
    assert "/serials/check?scheme=gs1" in page and 'src="/static/serials.js"' in page


def test_check_page_reports_a_bad_option_in_the_page(client):
    response = client.get("/serials/check?scheme=vin&value=X&market=mars")
    assert response.status_code == 200 and "must be one of na, intl" in response.get_data(as_text=True)
