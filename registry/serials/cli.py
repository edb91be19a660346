"""`flask serials validate SCHEME VALUE` and `flask serials check-file FILE.csv --scheme SCHEME`."""

from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from registry.serials import SCHEMES, SerialsError, validate

serials_cli = AppGroup("serials", help="Validate serial numbers.")


def _scheme_options(function):
    function = click.option(
        "--option",
        "-o",
        "extra",
        multiple=True,
        metavar="NAME=VALUE",
        help="Any scheme option, e.g. -o ffl_prefix=82314245.",
    )(function)
    function = click.option("--jurisdiction", help="firearm: US or EU.")(function)
    function = click.option("--market", help="vin: na or intl.")(function)
    return function


def _collect(market: str | None, jurisdiction: str | None, extra: tuple[str, ...]) -> dict:
    options = {"market": market, "jurisdiction": jurisdiction}
    for pair in extra:
        name, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--option")
        options[name] = value
    return {name: value for name, value in options.items() if value is not None}


def _check(scheme: str, value: str, options: dict):
    try:
        return validate(scheme, value, **options)
    except SerialsError as error:
        raise click.UsageError(str(error)) from None


@serials_cli.command("validate")
@click.argument("scheme", type=click.Choice(list(SCHEMES)))
@click.argument("value")
@_scheme_options
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def validate_command(scheme: str, value: str, market, jurisdiction, extra, as_json: bool) -> None:
    """Check VALUE as a SCHEME identifier; exit 1 when it is not valid."""
    result = _check(scheme, value, _collect(market, jurisdiction, extra))
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(f"{'VALID' if result.valid else 'INVALID'}: {result.normalized}")
        for kind, problems in (("error", result.errors), ("warning", result.warnings)):
            for p in problems:
                at = f" (position {p.position})" if p.position is not None else ""
                click.echo(f"  {kind} {p.code}{at}: {p.message}")
        for key, fact in result.info.items():
            if key != "elements":
                click.echo(f"  {key}: {fact}")
    sys.exit(0 if result.valid else 1)


@serials_cli.command("check-file")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--scheme", required=True, type=click.Choice(list(SCHEMES)))
@click.option("--column", help="Header of the column holding the serials (default: 'serial', else the first).")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the bad rows (default: FILE.bad.csv beside the input).",
)
@_scheme_options
def check_file_command(
    path: Path, scheme: str, column: str | None, output: Path | None, market, jurisdiction, extra
) -> None:
    """Validate every row of a CSV file with a header; write the bad rows with their codes and positions.

    Exit 0 when every row is valid, 1 when some are not.
    """
    options = _collect(market, jurisdiction, extra)
    _check(scheme, "", options)  # refuse bad options before reading a single row
    output = output or path.with_name(path.stem + ".bad.csv")
    total_bytes = os.path.getsize(path)
    rows = bad = warned = 0
    with (
        path.open(newline="", encoding="utf-8-sig") as source,
        output.open("w", newline="", encoding="utf-8") as sink,
        click.progressbar(length=total_bytes, label=f"checking {path.name}", file=sys.stderr) as bar,
    ):
        reader = csv.reader(source)
        header = next(reader, None)
        if header is None:
            raise click.ClickException(f"{path} is empty: a header row is expected")
        index = _column_index(header, column)
        writer = csv.writer(sink)
        writer.writerow(["line", "value", "normalized", "codes", "positions", "messages"])
        check, position_of = SCHEMES[scheme].check, source.buffer.tell
        done = 0
        for rows, record in enumerate(reader, start=1):
            value = record[index] if index < len(record) else ""
            result = check(value, **options)
            if result.errors:
                bad += 1
                writer.writerow(
                    [
                        reader.line_num,
                        value,
                        result.normalized,
                        " ".join(p.code for p in result.errors),
                        " ".join("" if p.position is None else str(p.position) for p in result.errors),
                        "; ".join(p.message for p in result.errors),
                    ]
                )
            elif result.warnings:
                warned += 1
            if not rows & 8191:
                now = position_of()
                bar.update(now - done)
                done = now
        bar.update(total_bytes - done)
    click.echo(f"{rows:,} rows checked: {rows - bad:,} valid ({warned:,} with warnings), {bad:,} not valid")
    click.echo(f"bad rows written to {output}" if bad else f"no bad rows; {output} holds the header only")
    sys.exit(1 if bad else 0)


def _column_index(header: list[str], column: str | None) -> int:
    names = [name.strip() for name in header]
    if column is None:
        return names.index("serial") if "serial" in names else 0
    if column not in names:
        raise click.BadParameter(f"no column {column!r}; the header has {', '.join(names)}", param_hint="--column")
    return names.index(column)


def init_app(app: Flask) -> None:
    app.cli.add_command(serials_cli)
