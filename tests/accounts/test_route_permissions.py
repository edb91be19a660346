"""Every route declares its permission, and each role gets exactly the doors the matrix opens."""

from __future__ import annotations

import pytest

from registry.auth.guard import PUBLIC_ENDPOINTS
from registry.auth.permissions import PUBLIC, declared_permission

# The only routes anyone may call. Adding one here is a security decision: review it.
EXPECTED_PUBLIC = {
    "static",
    "bootstrap.static",
    "auth.login",
    "ledger_api.checkpoint",
    "ledger_api.hash_tile",  # hashes only: what a monitor or witness reads, nothing about any item
    "pki.report_ca",  # the trust root a reader of a signed report needs
    "pki.report_crl",  # the revocation list the signing certificate names
    "main.healthz",
    "openapi.openapi_document",
}


def test_every_route_declares_a_permission(app):
    undeclared = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in PUBLIC_ENDPOINTS and declared_permission(app.view_functions[rule.endpoint]) is None
    ]
    assert undeclared == []


def test_public_routes_are_exactly_the_listed_ones(app):
    public = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint in PUBLIC_ENDPOINTS or declared_permission(app.view_functions[rule.endpoint]) == PUBLIC
    }
    assert public == EXPECTED_PUBLIC


def test_a_route_without_declaration_is_refused_even_when_signed_in(app, client_as):
    @app.get("/undeclared")
    def undeclared():
        return "open"

    assert client_as("admin").get("/undeclared").status_code == 403


# (method, url, roles that may) — written out by hand, not derived from the matrix under test.
HTML_ROUTES = [
    ("GET", "/", {"admin", "officer", "auditor", "regulator"}),
    ("GET", "/ledger/", {"admin", "officer", "auditor", "regulator"}),
    ("GET", "/ledger/entries/0", {"admin", "officer", "auditor", "regulator"}),
    ("GET", "/serials/check", {"admin", "officer", "auditor", "regulator"}),
    ("GET", "/tokens/", {"admin", "officer", "auditor", "regulator"}),
    ("GET", "/ledger/export", {"auditor"}),
    ("GET", "/ledger/export.zip", {"auditor"}),
    ("GET", "/accounts/", {"admin"}),
    ("GET", "/security-log", {"admin", "auditor"}),
]
API_ROUTES = [
    ("GET", "/api/v1/ledger", {"admin", "officer", "auditor", "regulator"}),
    ("GET", "/api/v1/ledger/entries", {"admin", "officer", "auditor", "regulator"}),
    ("GET", "/api/v1/serials/schemes", {"admin", "officer", "auditor", "regulator"}),
    ("GET", "/api/v1/ledger/export", {"auditor"}),
    ("GET", "/api/v1/accounts", {"admin"}),
    ("GET", "/api/v1/security-log", {"admin", "auditor"}),
]
ROLES = ("admin", "officer", "auditor", "regulator")


def _cases(routes):
    return [
        pytest.param(method, url, role, role in allowed, id=f"{role}-{method}-{url}")
        for method, url, allowed in routes
        for role in ROLES
    ]


@pytest.mark.parametrize("method, url, role, allowed", _cases(HTML_ROUTES))
def test_pages_by_role(client_as, method, url, role, allowed):
    response = client_as(role).open(url, method=method)
    assert response.status_code == (200 if allowed else 403)
    if not allowed:
        assert "does not have the" in response.get_data(as_text=True)


@pytest.mark.parametrize("method, url, role, allowed", _cases(API_ROUTES))
def test_api_by_role_with_tokens(api_as, method, url, role, allowed):
    response = api_as(role).open(url, method=method)
    assert response.status_code == (200 if allowed else 403)
    if not allowed:
        assert response.mimetype == "application/problem+json" and response.get_json()["code"] == "forbidden"


@pytest.mark.parametrize("method, url", [(m, u) for m, u, _ in HTML_ROUTES])
def test_pages_send_the_anonymous_to_sign_in(anon_client, method, url):
    response = anon_client.open(url, method=method)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("method, url", [(m, u) for m, u, _ in API_ROUTES])
def test_api_answers_401_problem_to_the_anonymous(anon_client, method, url):
    response = anon_client.open(url, method=method)
    assert response.status_code == 401 and response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "not_signed_in"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("role, status", [("auditor", 302), ("officer", 403), ("admin", 403), ("regulator", 403)])
def test_only_an_auditor_may_run_a_full_verification(client_as, csrf, role, status):
    client = client_as(role)
    assert client.post("/ledger/verify", data={"csrf_token": csrf(client, "/")}).status_code == status
