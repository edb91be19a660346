"""`flask parties erase ID`: erase a private person's data when no retention rule forbids it."""
from __future__ import annotations

from datetime import date, datetime, timezone

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from registry.accounts.cli import _actor
from registry.custody.runtime import custody
from registry.errors import RegistryError

parties_cli = AppGroup("parties", help="Parties and their personal data.")


@parties_cli.command("erase")
@click.argument("party_id")
@click.option("--reason", required=True, help="Why, e.g. 'data subject request of 2026-11-20'.")
def erase(party_id: str, reason: str) -> None:
    """Erase a private person's name, address and identity document from the vault."""
    config = current_app.config
    ended = config.get("LICENCE_ENDED_ON")
    try:
        custody().erase_person(party_id, reason=reason, actor=_actor(), now=datetime.now(timezone.utc),
                               retention_days=int(config["PERSONAL_DATA_RETENTION_DAYS"]),
                               licence_ended_on=date.fromisoformat(ended) if ended else None)
    except RegistryError as error:
        raise click.ClickException(error.detail) from None
    click.echo(f"erased the personal data of {party_id}; the ledger keeps only its salted commitment")


def init_app(app: Flask) -> None:
    app.cli.add_command(parties_cli)
