"""`flask users ...` and `flask tokens ...`."""

from __future__ import annotations

from registry.accounts.runtime import accounts
from registry.ledger.runtime import reader


def test_create_with_a_generated_password_prints_it_once(ctx, runner):
    result = runner.invoke(args=["users", "create", "ops@example.test", "--role", "officer", "--generate-password"])
    assert result.exit_code == 0, result.output
    password = result.output.split("password (shown once): ")[1].strip()
    assert len(password) >= 12 and accounts().authenticate("ops@example.test", password) is not None
    assert (
        reader()
        .item_history(f"account:{accounts().by_email('ops@example.test').id}")[0]
        .event["actor"]
        .startswith("cli:")
    )


def test_create_prompts_for_the_password_and_enforces_its_length(ctx, runner):
    short = runner.invoke(args=["users", "create", "a@example.test", "--role", "auditor"], input="short\nshort\n")
    assert short.exit_code == 1 and "at least 12 characters" in short.output
    assert accounts().by_email("a@example.test") is None
    good = runner.invoke(
        args=["users", "create", "a@example.test", "--role", "auditor"],
        input="a long enough password\na long enough password\n",
    )
    assert good.exit_code == 0 and accounts().authenticate("a@example.test", "a long enough password")


def test_role_changes_and_listing(ctx, runner):
    runner.invoke(args=["users", "create", "b@example.test", "--role", "officer", "--generate-password"])
    assert runner.invoke(args=["users", "set-role", "b@example.test", "auditor"]).exit_code == 0
    assert "b@example.test" in runner.invoke(args=["users", "list"]).output
    assert accounts().by_email("b@example.test").role == "auditor"
    unknown = runner.invoke(args=["users", "set-role", "nobody@example.test", "auditor"])
    assert unknown.exit_code == 1 and "no account for nobody@example.test" in unknown.output


def test_tokens_are_created_listed_and_revoked(ctx, runner):
    runner.invoke(args=["users", "create", "c@example.test", "--role", "auditor", "--generate-password"])
    created = runner.invoke(args=["tokens", "create", "c@example.test", "--name", "nightly export"])
    secret = created.output.strip().splitlines()[-1]
    assert secret.startswith("slt_") and accounts().token_account(secret) is not None
    token_id = runner.invoke(args=["tokens", "list", "c@example.test"]).output.split()[0]
    assert runner.invoke(args=["tokens", "revoke", token_id]).exit_code == 0
    assert accounts().token_account(secret) is None
