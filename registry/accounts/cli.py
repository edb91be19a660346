"""`flask users ...` and `flask tokens ...`: account administration from the server's shell.

Each change is a ledger event with the actor `cli:<login name>`. Passwords are prompted for (never
an argument, where other users could read them) or generated and printed once.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from registry import clock
from registry.accounts.runtime import accounts
from registry.accounts.service import generate_password as new_password
from registry.auth.permissions import Role
from registry.errors import RegistryError
from registry.ledger.events import cli_actor

users_cli = AppGroup("users", help="Create and manage accounts.")
tokens_cli = AppGroup("tokens", help="Issue and revoke API tokens.")
ROLES = click.Choice([r.value for r in Role])


def _account(email: str):
    found = accounts(writing=False).by_email(email)
    if found is None:
        raise click.ClickException(f"no account for {email}")
    return found


def _run(action):
    try:
        return action()
    except RegistryError as error:
        raise click.ClickException(error.detail) from None


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=ROLES, required=True)
@click.option("--generate-password", is_flag=True, help="Generate a password and print it once instead of asking.")
def create_user(email: str, role: str, generate_password: bool) -> None:
    """Create an account; asks for its password (at least 12 characters) unless --generate-password."""
    generated = generate_password
    password = new_password() if generated else click.prompt("Password", hide_input=True, confirmation_prompt=True)
    account = _run(
        lambda: accounts().create(email=email, role=role, password=password, actor=cli_actor(), now=clock.now())
    )
    click.echo(f"created {account.email} ({account.role}), ledger entry {account.created_entry}")
    if generated:
        click.echo(f"password (shown once): {password}")


@users_cli.command("list")
def list_users() -> None:
    """List the accounts."""
    for account in accounts(writing=False).all():
        state = "active" if account.active else "inactive"
        grants = f" grants: {', '.join(account.grants)}" if account.grants else ""
        click.echo(f"{account.email:<40} {account.role:<10} {state}{grants}")


@users_cli.command("set-role")
@click.argument("email")
@click.argument("role", type=ROLES)
def set_role(email: str, role: str) -> None:
    """Change an account's role (its sessions end)."""
    account = _run(lambda: accounts().change_role(_account(email).id, role, actor=cli_actor(), now=clock.now()))
    click.echo(f"{account.email} is now {account.role}")


@users_cli.command("deactivate")
@click.argument("email")
def deactivate(email: str) -> None:
    """Stop an account from signing in or using its tokens."""
    _run(lambda: accounts().set_active(_account(email).id, False, actor=cli_actor(), now=clock.now()))
    click.echo(f"{email} deactivated")


@users_cli.command("activate")
@click.argument("email")
def activate(email: str) -> None:
    _run(lambda: accounts().set_active(_account(email).id, True, actor=cli_actor(), now=clock.now()))
    click.echo(f"{email} activated")


@users_cli.command("set-password")
@click.argument("email")
def set_password(email: str) -> None:
    """Set a new password (asked for twice); the account's sessions end."""
    password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    _run(lambda: accounts().set_password(_account(email).id, password, actor=cli_actor(), now=clock.now()))
    click.echo(f"password of {email} changed")


@tokens_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="What the token is for, e.g. 'dealer-system import'.")
def create_token(email: str, name: str) -> None:
    """Issue an API token for EMAIL and print it once; use it as 'Authorization: Bearer <token>'."""
    token, secret = _run(lambda: accounts().issue_token(_account(email).id, name, actor=cli_actor(), now=clock.now()))
    click.echo(f"token {token.id} ({token.name}) for {email}; shown once, store it now:")
    click.echo(secret)


@tokens_cli.command("list")
@click.argument("email")
def list_tokens(email: str) -> None:
    for token in accounts(writing=False).tokens_of(_account(email).id):
        state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "active"
        click.echo(f"{token.id}  {token.hint}...  {token.name:<30} {state}")


@tokens_cli.command("revoke")
@click.argument("token_id")
def revoke_token(token_id: str) -> None:
    """Revoke a token; it stops working at once."""
    _run(lambda: accounts().revoke_token(token_id, actor=cli_actor(), now=clock.now()))
    click.echo(f"token {token_id} revoked")


def init_app(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(tokens_cli)
