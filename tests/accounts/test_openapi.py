"""The OpenAPI document covers every JSON route, is valid OpenAPI 3.1, and the answers match it."""

from __future__ import annotations

import re

import jsonschema
import pytest
from openapi_spec_validator import validate

from registry.openapi import documented_rules
from tests.registry.helpers import append_single_events


@pytest.fixture
def spec(anon_client):
    response = anon_client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def schema(spec: dict, name: str) -> dict:
    """A component schema with the document's other components resolvable from it."""
    return {**spec["components"]["schemas"][name], "components": spec["components"]}


def test_the_document_is_valid_openapi_3_1(spec):
    assert spec["openapi"] == "3.1.0"
    validate(spec)


def test_every_json_route_and_method_is_documented(app, spec):
    missing = []
    for rule, view in documented_rules(app):
        template = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if method.lower() not in spec["paths"].get(template, {}):
                missing.append(f"{method} {rule.rule}")
    assert missing == []


PROBLEMS = [
    ("anon", "GET", "/api/v1/ledger", None, 401),
    ("officer", "GET", "/api/v1/accounts", None, 403),
    ("auditor", "GET", "/api/v1/ledger/entries/999", None, 404),
    ("auditor", "GET", "/api/v1/ledger/entries/x1", None, 400),
    ("auditor", "GET", "/api/v1/ledger/entries?cursor=bogus", None, 422),
    ("auditor", "DELETE", "/api/v1/ledger", None, 405),
    ("officer", "POST", "/api/v1/serials/validate", {"scheme": "dna", "value": "x"}, 400),
    ("anon", "GET", "/api/v1/nothing-here", None, 404),
]


@pytest.mark.parametrize("role, method, url, body, status", PROBLEMS, ids=[f"{p[4]}-{p[2]}" for p in PROBLEMS])
def test_error_answers_are_problems_as_documented(api_as, anon_client, spec, role, method, url, body, status):
    client = anon_client if role == "anon" else api_as(role)
    response = client.open(url, method=method, json=body)
    assert response.status_code == status and response.mimetype == "application/problem+json"
    problem = response.get_json()
    jsonschema.validate(problem, schema(spec, "Problem"))
    assert problem["status"] == status and problem["type"] == f"urn:serial-ledger:problem:{problem['code']}"
    documented = spec["paths"].get(url.split("?")[0], {}).get(method.lower())
    if documented is not None:
        assert str(status) in documented["responses"]


def test_a_429_is_a_documented_problem_too(app, anon_client, csrf, spec):
    for _ in range(6):
        response = anon_client.post(
            "/login",
            data={"csrf_token": csrf(anon_client), "email": "x@example.test", "password": "wrong"},
            headers={"Accept": "application/json"},
        )
    assert response.status_code == 429
    jsonschema.validate(response.get_json(), schema(spec, "Problem"))


@pytest.mark.parametrize(
    "url, name",
    [
        ("/api/v1/ledger", "LedgerSummary"),
        ("/api/v1/ledger/entries?limit=2", "EntryPage"),
        ("/api/v1/ledger/entries/0", "Entry"),
        ("/api/v1/ledger/proofs/inclusion?index=0", "InclusionProof"),
        ("/api/v1/ledger/proofs/consistency?from=1", "ConsistencyProof"),
        ("/api/v1/serials/schemes", "SchemeList"),
        ("/api/v1/accounts", "AccountList"),
        ("/healthz", "Health"),
    ],
)
def test_answers_match_their_documented_schemas(api_as, spec, url, name):
    response = api_as("admin").get(url)
    assert response.status_code == 200
    jsonschema.validate(response.get_json(), schema(spec, name))


def test_cursor_pages_walk_the_whole_ledger_in_order(api_as, app, clock):
    with app.app_context():
        append_single_events(7, clock)
    api = api_as("auditor")
    seen, cursor = [], None
    while True:
        page = api.get(
            "/api/v1/ledger/entries", query_string={"limit": 3, **({"cursor": cursor} if cursor else {})}
        ).get_json()
        seen += [entry["index"] for entry in page["entries"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    size = api.get("/api/v1/ledger").get_json()["size"]
    assert seen == list(range(size))
