"""Signing in and out, throttling, CSRF, sessions, tokens and the headers every answer carries."""
from __future__ import annotations

import random

import pytest
import redis

from registry.accounts.runtime import accounts
from tests.conftest import PASSWORD, bearer_client, issue_token, make_account, signed_in


def sign_in(client, csrf, email, password, **kwargs):
    return client.post("/login" + kwargs.pop("query", ""), data={"csrf_token": csrf(client), "email": email,
                                                                 "password": password}, **kwargs)


def log_kinds(app) -> list[str]:
    with app.app_context():
        return [e.kind for e in reversed(accounts(writing=False).security_log())]


def test_sign_in_and_out_are_logged(app, anon_client, csrf):
    account = make_account(app, "officer")
    response = sign_in(anon_client, csrf, account.email, PASSWORD, query="?next=/ledger/")
    assert response.status_code == 302 and response.headers["Location"] == "/ledger/"
    assert anon_client.get("/ledger/").status_code == 200
    anon_client.post("/logout", data={"csrf_token": csrf(anon_client, "/")})
    assert anon_client.get("/ledger/").status_code == 302
    assert log_kinds(app) == ["login", "logout"]


def test_a_wrong_password_is_refused_on_the_field_and_logged(app, anon_client, csrf):
    account = make_account(app, "officer")
    response = sign_in(anon_client, csrf, account.email, "not the password")
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert 'id="password-error"' in page and "E-mail or password is wrong" in page
    assert anon_client.get("/").status_code == 302 and log_kinds(app) == ["login_failed"]


def test_next_may_only_point_into_the_site(app, anon_client, csrf):
    account = make_account(app, "officer")
    response = sign_in(anon_client, csrf, account.email, PASSWORD, query="?next=https://evil.example/")
    assert response.headers["Location"] == "/"


def test_a_form_without_its_csrf_token_is_refused(app, anon_client):
    account = make_account(app, "officer")
    response = anon_client.post("/login", data={"email": account.email, "password": PASSWORD})
    assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
    assert anon_client.get("/").status_code == 302


def test_an_api_post_with_a_session_needs_the_csrf_header(client, csrf):
    body = {"scheme": "vin", "value": "1M8GDM9AXKP042788"}
    refused = client.post("/api/v1/serials/validate", json=body)
    assert refused.status_code == 400 and refused.get_json()["code"] == "csrf_failed"
    accepted = client.post("/api/v1/serials/validate", json=body, headers={"X-CSRFToken": csrf(client, "/")})
    assert accepted.status_code == 200


def test_five_failures_in_a_minute_for_an_account_are_throttled_and_logged(app, csrf):
    account = make_account(app, "officer")
    statuses = [sign_in(app.test_client(), csrf, account.email, "wrong password!",
                        environ_base={"REMOTE_ADDR": f"10.0.0.{n}"}).status_code for n in range(6)]
    assert statuses == [401] * 5 + [429]
    refused = sign_in(app.test_client(), csrf, account.email, "wrong password!", environ_base={"REMOTE_ADDR": "10.0.2.1"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    # The right password from a sixth address is refused too while the account is throttled.
    assert sign_in(app.test_client(), csrf, account.email, PASSWORD, environ_base={"REMOTE_ADDR": "10.0.1.1"}
                   ).status_code == 429
    assert log_kinds(app).count("login_throttled") == 3


def test_five_failures_from_one_address_are_throttled_across_accounts(app, anon_client, csrf):
    emails = [make_account(app, "officer").email for _ in range(6)]
    statuses = [sign_in(anon_client, csrf, email, "wrong password!").status_code for email in emails]
    assert statuses[-1] == 429 and statuses[:5] == [401] * 5


def test_successful_sign_ins_are_not_throttled(app, csrf):
    account = make_account(app, "officer")
    for _ in range(7):
        assert sign_in(app.test_client(), csrf, account.email, PASSWORD).status_code == 302


def test_throttling_uses_redis_when_configured(database_url, instance_path, clock, csrf):
    from registry import create_app
    from registry.extensions import db
    from registry.instance import initialise
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    client.ping()  # Redis is part of the test environment (.ci/run starts it)
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "REGISTRY_INSTANCE": str(instance_path),
                      "SESSION_COOKIE_SECURE": False, "REDIS_URL": "redis://127.0.0.1:6379/0",
                      "ARGON2_PARAMETERS": {"time_cost": 1, "memory_cost": 8, "parallelism": 1}})
    with app.app_context():
        initialise(app, demo=False, now=clock)
        db.session.remove()
    account = make_account(app, "officer")
    address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"  # fresh counters
    statuses = [sign_in(app.test_client(), csrf, account.email, "wrong password!",
                        environ_base={"REMOTE_ADDR": address}).status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    assert client.keys(f"*account:{account.email}*")  # the counter lives in Redis, shared by every worker
    with app.app_context():
        db.engine.dispose()


def test_a_revoked_token_stops_working_at_once(app, clock):
    account = make_account(app, "auditor")
    token = issue_token(app, account)
    api = bearer_client(app, token)
    assert api.get("/api/v1/ledger").status_code == 200
    with app.app_context():
        service = accounts()
        [found] = service.tokens_of(account.id)
        service.revoke_token(found.id, actor="test", now=clock)
    response = api.get("/api/v1/ledger")
    assert response.status_code == 401 and response.get_json()["code"] == "not_signed_in"


def test_a_token_carries_its_accounts_role(app, api_as):
    assert api_as("officer").get("/api/v1/security-log").status_code == 403
    assert api_as("auditor").get("/api/v1/security-log").status_code == 200


def test_a_role_change_ends_the_accounts_sessions(app, clock):
    account = make_account(app, "admin")
    browser = signed_in(app, account)
    assert browser.get("/accounts/").status_code == 200
    with app.app_context():
        accounts().change_role(account.id, "officer", actor="test", now=clock)
    assert browser.get("/accounts/").status_code == 302  # back to sign-in, not a stale admin session


def test_session_cookie_flags(app, csrf):
    account = make_account(app, "officer")
    client = app.test_client()
    response = sign_in(client, csrf, account.email, PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 30 * 60


def test_cookies_are_secure_unless_insecure_cookies_are_asked_for(monkeypatch, tmp_path):
    from registry.config import settings_from_env
    monkeypatch.delenv("REGISTRY_INSECURE_COOKIES", raising=False)
    assert settings_from_env(tmp_path)["SESSION_COOKIE_SECURE"] is True
    monkeypatch.setenv("REGISTRY_INSECURE_COOKIES", "1")
    assert settings_from_env(tmp_path)["SESSION_COOKIE_SECURE"] is False


@pytest.mark.parametrize("url", ["/login", "/checkpoint", "/api/v1/ledger", "/no-such-page"])
def test_security_headers_on_every_answer(anon_client, url):
    headers = anon_client.get(url).headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"


def test_pages_carry_no_inline_script(client):
    for url in ("/", "/ledger/", "/serials/check", "/tokens/", "/ledger/export"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>" not in page and " onclick=" not in page and "javascript:" not in page


def test_an_oversized_body_is_413_problem(api_as, app):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = api_as("officer").post("/api/v1/serials/validate", data="x" * 4096, content_type="application/json")
    assert response.status_code == 413 and response.get_json()["code"] == "payload_too_large"


def test_a_session_ends_after_its_idle_time(app, csrf):
    import time
    from datetime import timedelta
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=1)
    account = make_account(app, "officer")
    client = app.test_client()
    assert sign_in(client, csrf, account.email, PASSWORD).status_code == 302
    assert client.get("/ledger/").status_code == 200
    time.sleep(2.1)  # idle longer than the lifetime; the signed cookie's age is checked on the server
    assert client.get("/ledger/").status_code == 302
