"""`flask parties erase ID` (erase a private person's data when no retention rule forbids it) and
`flask items import FILE.csv` (acquisitions in bulk)."""

from __future__ import annotations

import sys
from datetime import date

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from registry import clock
from registry.custody import bulk
from registry.custody.runtime import custody
from registry.errors import RegistryError
from registry.ledger.events import cli_actor

parties_cli = AppGroup("parties", help="Parties and their personal data.")


@parties_cli.command("erase")
@click.argument("party_id")
@click.option("--reason", required=True, help="Why, e.g. 'data subject request of 2026-11-20'.")
def erase(party_id: str, reason: str) -> None:
    """Erase a private person's name, address and identity document from the vault."""
    config = current_app.config
    ended = config.get("LICENCE_ENDED_ON")
    try:
        custody().erase_person(
            party_id,
            reason=reason,
            actor=cli_actor(),
            now=clock.now(),
            retention_days=int(config["PERSONAL_DATA_RETENTION_DAYS"]),
            licence_ended_on=date.fromisoformat(ended) if ended else None,
        )
    except RegistryError as error:
        raise click.ClickException(error.detail) from None
    click.echo(f"erased the personal data of {party_id}; the ledger keeps only its salted commitment")


items_cli = AppGroup("items", help="Items in bulk.")


@items_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--recipient-ffl", required=True, help="Licence number of the licensee receiving the items.")
@click.option("--skip-invalid", is_flag=True, help="Import the good rows even when some rows are bad.")
def import_items(path: str, recipient_ffl: str, skip_invalid: bool) -> None:
    """Import acquisitions from a CSV file (columns: see README); exit 1 when any row is bad."""
    recipient = custody(writing=False).find_licensee(recipient_ffl)
    if recipient is None:
        raise click.ClickException(f"no registered licensee with licence {recipient_ffl}")
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            rows = bulk.read_csv(handle.read())
    except RegistryError as error:
        raise click.ClickException(error.detail) from None
    with click.progressbar(length=len(rows), label="importing", file=sys.stderr) as bar:
        done = [0]

        def progress(count: int) -> None:
            bar.update(count - done[0])
            done[0] = count

        report = bulk.import_rows(
            custody(),
            rows,
            recipient_party_id=recipient.id,
            actor=cli_actor(),
            now=clock.now(),
            skip_invalid=skip_invalid,
            progress=progress,
        )
        progress(len(rows))
    for problem in report.problems:
        click.echo(f"row {problem.row}: {problem.column or '-'}: {problem.code}: {problem.message}")
    state = "imported" if report.committed else "NOTHING imported (use --skip-invalid to import the good rows)"
    click.echo(
        f"{report.rows} rows: {report.imported} imported, {report.already_imported} imported before, "
        f"{len(report.problems)} bad; {state}"
    )
    sys.exit(1 if report.problems else 0)


def init_app(app: Flask) -> None:
    app.cli.add_command(parties_cli)
    app.cli.add_command(items_cli)
