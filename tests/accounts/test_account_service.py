"""Accounts and tokens: every change is a ledger event; secrets never reach the ledger."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from registry.accounts.runtime import accounts
from registry.accounts.service import AccountError
from registry.extensions import db
from registry.ledger.runtime import reader

PASSWORD = "a long enough password"


def events_of(account_id: str) -> list[dict]:
    return [entry.event for entry in reader().item_history(f"account:{account_id}")]


def test_creating_an_account_is_a_ledger_event_without_the_password(ctx, clock):
    account = accounts().create(
        email=" Officer@Example.TEST ", role="officer", password=PASSWORD, actor="cli:root", now=clock
    )
    [event] = events_of(account.id)
    assert event["type"] == "account.created" and event["actor"] == "cli:root"
    assert event["payload"] == {"account_id": account.id, "email": "officer@example.test", "role": "officer"}
    body = reader().entry(account.created_entry).body
    assert b"argon2" not in body and PASSWORD.encode() not in body
    assert account.password_hash.startswith("$argon2id$")


@pytest.mark.parametrize(
    "field, kwargs",
    [("password", {"password": "short"}), ("email", {"email": "not-an-address"}), ("role", {"role": "superuser"})],
)
def test_bad_account_data_is_refused_and_changes_nothing(ctx, clock, field, kwargs):
    size = reader().size()
    with pytest.raises(AccountError) as refused:
        accounts().create(
            **{"email": "x@example.test", "role": "officer", "password": PASSWORD, **kwargs}, actor="t", now=clock
        )
    assert refused.value.field == field and reader().size() == size


def test_a_second_account_for_one_address_is_a_conflict(ctx, clock):
    accounts().create(email="a@example.test", role="officer", password=PASSWORD, actor="t", now=clock)
    with pytest.raises(AccountError) as refused:
        accounts().create(email="A@example.test", role="auditor", password=PASSWORD, actor="t", now=clock)
    assert (refused.value.status, refused.value.field) == (409, "email")


def test_an_administrator_cannot_deactivate_their_own_account(ctx, clock):
    service = accounts()
    admin = service.create(email="boss@example.test", role="admin", password=PASSWORD, actor="t", now=clock)
    size = reader().size()
    with pytest.raises(AccountError) as refused:
        service.set_active(admin.id, False, actor="user:boss@example.test", now=clock, by_account_id=admin.id)
    assert (refused.value.code, refused.value.status, refused.value.field) == ("own_account", 403, "active")
    assert admin.active and reader().size() == size
    other = service.create(email="clerk@example.test", role="officer", password=PASSWORD, actor="t", now=clock)
    assert not service.set_active(
        other.id, False, actor="user:boss@example.test", now=clock, by_account_id=admin.id
    ).active


def test_role_changes_grants_and_deactivation_are_events(ctx, clock):
    service = accounts()
    account = service.create(email="r@example.test", role="regulator", password=PASSWORD, actor="t", now=clock)
    service.set_grant(account.id, "personal_data.read", True, actor="admin", now=clock)
    service.change_role(account.id, "auditor", actor="admin", now=clock)
    service.set_active(account.id, False, actor="admin", now=clock)
    assert [e["type"] for e in events_of(account.id)] == [
        "account.created",
        "account.grant_added",
        "account.role_changed",
        "account.deactivated",
    ]
    assert events_of(account.id)[2]["payload"]["from"] == "regulator"
    assert service.authenticate("r@example.test", PASSWORD) is None  # inactive


def test_tokens_are_stored_as_hashes_and_revocation_is_an_event(ctx, clock):
    service = accounts()
    account = service.create(email="t@example.test", role="officer", password=PASSWORD, actor="t", now=clock)
    token, secret = service.issue_token(account.id, "dealer import", actor="t", now=clock)
    assert secret.startswith("slt_") and secret.encode() not in token.token_hash
    assert service.token_account(secret) == (service.get(account.id), token.id)
    service.revoke_token(token.id, actor="t", now=clock)
    assert service.token_account(secret) is None
    issued, revoked = events_of(account.id)[1:]
    assert issued["type"] == "account.token_issued" and secret not in str(issued)
    assert revoked["type"] == "account.token_revoked" and revoked["payload"]["token_id"] == token.id


def test_authentication_checks_the_password(ctx, clock):
    accounts().create(email="p@example.test", role="officer", password=PASSWORD, actor="t", now=clock)
    assert accounts().authenticate("P@example.test", PASSWORD).email == "p@example.test"
    assert accounts().authenticate("p@example.test", PASSWORD + "x") is None
    assert accounts().authenticate("nobody@example.test", PASSWORD) is None


@pytest.mark.parametrize("statement", ["UPDATE security_log SET kind = 'x'", "DELETE FROM security_log"])
def test_the_security_log_is_append_only(ctx, clock, statement):
    accounts().log("login_failed", now=clock, email="someone@example.test", address="127.0.0.1")
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.execute(text(statement))
    db.session.rollback()
    assert [e.kind for e in accounts().security_log()] == ["login_failed"]


def test_a_regulator_reads_personal_data_only_when_granted(ctx, clock):
    from registry.auth.identity import CurrentUser
    from registry.auth.permissions import Permission

    service = accounts()
    account = service.create(email="reg@example.test", role="regulator", password=PASSWORD, actor="t", now=clock)
    assert not CurrentUser(account).can(Permission.PERSONAL_DATA_READ)
    service.set_grant(account.id, "personal_data.read", True, actor="admin", now=clock)
    assert CurrentUser(account).can(Permission.PERSONAL_DATA_READ)
    with pytest.raises(AccountError):
        service.set_grant(account.id, "accounts.manage", True, actor="admin", now=clock)
