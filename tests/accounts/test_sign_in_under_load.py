"""Signing in while others write: every attempt is answered (no "database is locked") and logged.

The security log and the session record are written in a transaction of their own that waits for the
write lock; on SQLite, a write added to the read transaction that checked the password was refused at
once whenever another connection had written since that read began.
"""

from __future__ import annotations

import threading

from registry.accounts.runtime import accounts
from tests.conftest import PASSWORD, bearer_client, issue_token, make_account

WRITERS, SIGNERS, ATTEMPTS = 6, 3, 8


def test_sign_ins_under_concurrent_writes_all_answer_and_are_logged(app, csrf):
    app.config["LOGIN_FAILURES_PER_ACCOUNT"] = app.config["LOGIN_FAILURES_PER_ADDRESS"] = 1000
    writer_token = issue_token(app, make_account(app, "officer"))
    people = [make_account(app, "auditor") for _ in range(SIGNERS)]
    stop, errors, answers = threading.Event(), [], []

    def write(n: int) -> None:
        client = bearer_client(app, writer_token)
        k = 0
        while not stop.is_set():
            k += 1
            response = client.post(
                "/api/v1/items",
                json={
                    "kind": "goods",
                    "scheme": "plain",
                    "serial": f"W{n}-{k}",
                    "date": "2026-11-20",
                    "description": "load",
                },
            )
            if response.status_code != 201:
                errors.append(("write", response.status_code, response.get_data(as_text=True)[:200]))

    def sign_in(person) -> None:
        for attempt in range(ATTEMPTS):
            client = app.test_client()
            password = PASSWORD if attempt % 2 else "wrong password!"
            response = client.post(
                "/login", data={"csrf_token": csrf(client), "email": person.email, "password": password}
            )
            answers.append(response.status_code)
            if response.status_code not in (302, 401):
                errors.append(("sign-in", response.status_code, response.get_data(as_text=True)[:200]))

    writers = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    signers = [threading.Thread(target=sign_in, args=(p,)) for p in people]
    for thread in writers + signers:
        thread.start()
    for thread in signers:
        thread.join(timeout=300)
    stop.set()
    for thread in writers:
        thread.join(timeout=300)
    assert errors == []
    assert sorted(answers) == [302] * (SIGNERS * ATTEMPTS // 2) + [401] * (SIGNERS * ATTEMPTS // 2)
    with app.app_context():
        logged = [e for e in accounts(writing=False).security_log(1000) if e.email in {p.email for p in people}]
    assert sorted(e.kind for e in logged) == sorted(
        ["login"] * (SIGNERS * ATTEMPTS // 2) + ["login_failed"] * (SIGNERS * ATTEMPTS // 2)
    )
