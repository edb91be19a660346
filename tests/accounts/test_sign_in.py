"""Signing in and out, throttling, CSRF, sessions, tokens and the headers every answer carries."""

from __future__ import annotations

import re

import pytest

from registry.accounts.runtime import accounts
from tests.conftest import PASSWORD, bearer_client, issue_token, make_account, signed_in


def sign_in(client, csrf, email, password, **kwargs):
    return client.post(
        "/login" + kwargs.pop("query", ""),
        data={"csrf_token": csrf(client), "email": email, "password": password},
        **kwargs,
    )


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


def test_five_failures_for_an_account_from_an_address_are_throttled_and_logged(app, csrf):
    account = make_account(app, "officer")
    attacker = {"REMOTE_ADDR": "10.0.0.9"}
    statuses = [
        sign_in(app.test_client(), csrf, account.email, "wrong password!", environ_base=attacker).status_code
        for _ in range(6)
    ]
    assert statuses == [401] * 5 + [429]
    refused = sign_in(app.test_client(), csrf, account.email, PASSWORD, environ_base=attacker)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) == 60
    page = refused.get_data(as_text=True)
    assert re.search(r"Try again in 60 seconds \(after \d\d:\d\d UTC\)", page) and 'id="password-error"' in page
    # The throttle is keyed by the pair: the owner, from an address of their own, is not locked out.
    assert (
        sign_in(app.test_client(), csrf, account.email, PASSWORD, environ_base={"REMOTE_ADDR": "10.0.1.1"}).status_code
        == 302
    )
    assert log_kinds(app).count("login_throttled") == 2 and log_kinds(app).count("login_failed") == 5


def test_failures_from_one_address_are_throttled_across_accounts(app, csrf):
    app.config["LOGIN_FAILURES_PER_ADDRESS"] = 6
    emails = [make_account(app, "officer").email for _ in range(7)]
    statuses = [sign_in(app.test_client(), csrf, email, "wrong password!").status_code for email in emails]
    assert statuses == [401] * 6 + [429]
    assert (
        sign_in(app.test_client(), csrf, emails[0], PASSWORD, environ_base={"REMOTE_ADDR": "10.0.3.1"}).status_code
        == 302
    )


def test_successful_sign_ins_are_not_throttled(app, csrf):
    account = make_account(app, "officer")
    for _ in range(7):
        assert sign_in(app.test_client(), csrf, account.email, PASSWORD).status_code == 302


def test_the_throttle_is_shared_by_every_worker(app, database_url, instance_path, csrf):
    """Two app processes (gunicorn's workers) on one database count the same failures: the throttle
    reads the security log, not a counter in one worker's memory."""
    from registry import create_app

    other = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "REGISTRY_INSTANCE": str(instance_path),
            "SESSION_COOKIE_SECURE": False,
            "ARGON2_PARAMETERS": {"time_cost": 1, "memory_cost": 8, "parallelism": 1},
        }
    )
    account = make_account(app, "officer")
    statuses = [
        sign_in((app if n % 2 else other).test_client(), csrf, account.email, "wrong password!").status_code
        for n in range(6)
    ]
    assert statuses == [401] * 5 + [429]
    with other.app_context():
        from registry.extensions import db

        db.session.remove()
        db.engine.dispose()


def test_sign_out_ends_the_session_on_the_server(app, csrf):
    """A copy of the cookie taken before signing out does not work after it."""
    account = make_account(app, "officer")
    client = app.test_client()
    assert sign_in(client, csrf, account.email, PASSWORD).status_code == 302
    saved = client.get_cookie("serial_ledger_session").value
    assert client.post("/logout", data={"csrf_token": csrf(client, "/")}).status_code == 302
    thief = app.test_client()
    thief.set_cookie("serial_ledger_session", saved)
    assert thief.get("/ledger/").status_code == 302
    assert thief.get("/api/v1/ledger").status_code == 401
    # another session of the same account carries on
    second = app.test_client()
    assert sign_in(second, csrf, account.email, PASSWORD).status_code == 302
    assert second.get("/ledger/").status_code == 200


def test_sign_in_takes_as_long_for_an_unknown_account(app, csrf):
    """The time of a refusal does not tell whether the account exists: an unknown e-mail is checked
    against a dummy hash made once, not a new one per attempt (the production hasher's cost here)."""
    import statistics
    import time

    from argon2 import PasswordHasher

    app.config["ARGON2_PARAMETERS"] = {"time_cost": 2, "memory_cost": 19456, "parallelism": 1}
    app.extensions.pop("password_hasher", None)
    app.config["LOGIN_FAILURES_PER_ACCOUNT"] = app.config["LOGIN_FAILURES_PER_ADDRESS"] = 1000
    account = make_account(app, "officer")
    with app.app_context():
        from registry.accounts.models import Account
        from registry.extensions import db

        db.session.get(Account, account.id).password_hash = PasswordHasher(
            time_cost=2, memory_cost=19456, parallelism=1
        ).hash(PASSWORD)
        db.session.commit()
        db.session.remove()

    def attempt(email) -> float:
        client = app.test_client()
        token = csrf(client)
        started = time.perf_counter()
        assert (
            client.post("/login", data={"csrf_token": token, "email": email, "password": "wrong password!"}).status_code
            == 401
        )
        return time.perf_counter() - started

    attempt("nobody@example.test")  # the dummy hash is made on the first attempt
    # Alternated, so whatever else the machine does (the suite runs on every core) weighs on both.
    pairs = [(attempt(account.email), attempt("nobody-else@example.test")) for _ in range(15)]
    known, unknown = statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)
    assert 0.7 < unknown / known < 1.4, (known, unknown)


def test_a_basic_authorization_header_is_answered_401_once(app, anon_client):
    """A proxy's Basic credentials are not ours: a page answers 401 without sending the browser round
    the sign-in page, the API a problem."""
    headers = {"Authorization": "Basic dXNlcjpwYXNz"}
    for url in ("/", "/login", "/ledger/"):
        response = anon_client.get(url, headers=headers)
        assert response.status_code == 401 and "Location" not in response.headers, url
    problem = anon_client.get("/api/v1/ledger", headers=headers)
    assert problem.status_code == 401 and problem.get_json()["code"] == "not_signed_in"
    assert "Bearer" in problem.get_json()["detail"]


def test_https_answers_carry_hsts_unless_insecure_cookies_are_asked_for(app, anon_client):
    assert "Strict-Transport-Security" not in anon_client.get("/login").headers
    app.config["SESSION_COOKIE_SECURE"] = True
    assert anon_client.get("/login").headers["Strict-Transport-Security"].startswith("max-age=31536000")


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


def test_a_session_ends_after_its_idle_time_counted_from_its_last_request(app, csrf):
    """The server judges idleness by the registry's clock (30 minutes by default): use keeps a session
    alive, 30 idle minutes end it for good, even if its cookie comes back later."""
    from datetime import datetime, timedelta, timezone

    from registry import clock

    start = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
    account = make_account(app, "officer")
    client = app.test_client()
    with clock.frozen(start):
        assert sign_in(client, csrf, account.email, PASSWORD).status_code == 302
    for minutes in (20, 45, 70):  # each request within 30 minutes of the one before
        with clock.frozen(start + timedelta(minutes=minutes)):
            assert client.get("/ledger/").status_code == 200
    with clock.frozen(start + timedelta(minutes=101)):
        assert client.get("/ledger/").status_code == 302  # 31 idle minutes
    with clock.frozen(start + timedelta(minutes=102)):
        assert client.get("/ledger/").status_code == 302  # ended: it does not come back


def test_an_administrator_cannot_deactivate_their_own_account_from_its_page(app, csrf):
    account = make_account(app, "admin")
    browser = signed_in(app, account)
    page = f"/accounts/{account.id}"
    refused = browser.post(f"{page}/active", data={"csrf_token": csrf(browser, page)}, follow_redirects=True)
    assert refused.status_code == 200 and "You cannot deactivate your own account." in refused.get_data(as_text=True)
    with app.app_context():
        assert accounts().require(account.id).active
    assert browser.get("/accounts/").status_code == 200  # still signed in


NEW_PASSWORD = "a new and longer passphrase"


def change_password(client, csrf, current: str | None, new: str = NEW_PASSWORD, **kwargs):
    data = {"csrf_token": csrf(client, "/account/password"), "password": new}
    if current is not None:
        data["current_password"] = current
    return client.post("/account/password", data=data, **kwargs)


@pytest.mark.parametrize("current", [None, "", "not the password"])
def test_a_password_is_changed_only_with_the_current_one(app, csrf, current):
    """OWASP ASVS 4.0, 2.1.6. The form took a new password alone: whoever had the session (an
    unlocked screen, a stolen cookie) could lock the owner out for good."""
    account = make_account(app, "officer")
    browser = signed_in(app, account)
    response = change_password(browser, csrf, current)
    assert response.status_code == 400
    assert 'id="current_password-error"' in response.get_data(as_text=True)
    assert browser.get("/ledger/").status_code == 200  # still signed in: nothing changed
    with app.app_context():
        assert accounts(writing=False).authenticate(account.email, PASSWORD) is not None
    assert log_kinds(app) == (["login_failed"] if current else [])


def test_the_current_password_changes_it_and_ends_the_sessions(app, csrf, anon_client):
    account = make_account(app, "officer")
    browser = signed_in(app, account)
    response = change_password(browser, csrf, PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert browser.get("/ledger/").status_code == 302
    assert sign_in(anon_client, csrf, account.email, PASSWORD).status_code == 401
    assert sign_in(app.test_client(), csrf, account.email, NEW_PASSWORD).status_code == 302


def test_wrong_current_passwords_are_throttled_with_failed_sign_ins(app, csrf):
    account = make_account(app, "officer")
    browser = signed_in(app, account)
    from_here = {"REMOTE_ADDR": "10.0.0.7"}
    statuses = [change_password(browser, csrf, "wrong password!", environ_base=from_here).status_code for _ in range(6)]
    assert statuses == [400] * 5 + [429]
    # The right one is refused too while the throttle lasts, and the password stays as it was.
    assert change_password(browser, csrf, PASSWORD, environ_base=from_here).status_code == 429
    with app.app_context():
        assert accounts(writing=False).authenticate(account.email, PASSWORD) is not None
