"""Errors reach clients as problem+json on the API and as a page elsewhere, never as a stack trace."""

from __future__ import annotations

from registry.auth.permissions import public


def test_an_unexpected_error_is_a_500_problem_without_internals(app):
    @app.get("/api/v1/boom")
    @public
    def boom():
        raise RuntimeError("secret internal detail")

    response = app.test_client().get("/api/v1/boom")
    assert response.status_code == 500 and response.mimetype == "application/problem+json"
    text = response.get_data(as_text=True)
    assert "secret internal detail" not in text and "Traceback" not in text
    assert response.get_json()["code"] == "internal_error"


def test_an_unexpected_error_on_a_page_is_a_friendly_500_page(app):
    @app.get("/boom")
    @public
    def boom_page():
        raise RuntimeError("secret internal detail")

    response = app.test_client().get("/boom", headers={"Accept": "text/html"})
    assert response.status_code == 500 and response.mimetype == "text/html"
    assert "secret internal detail" not in response.get_data(as_text=True)


def test_json_clients_get_problem_json_for_unknown_pages(client):
    response = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.get_json()["code"] == "not_found"
