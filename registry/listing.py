"""What list pages share: reading the filters of the query string. A filter that cannot be read is
named in a message above the list and left out, so the list still shows."""

from __future__ import annotations

from datetime import date

from flask import flash
from werkzeug.datastructures import MultiDict

from registry import fields
from registry.errors import RegistryError

DAY_WORDS = {"from": "first day", "to": "last day"}


def days(args: MultiDict, names: tuple[str, ...] = ("from", "to")) -> dict[str, date | None]:
    """The list's day filters (YYYY-MM-DD, as a date input sends them); a bad one is flashed and ignored."""
    found: dict[str, date | None] = {}
    for name in names:
        given = (args.get(name) or "").strip()
        found[name] = None
        if given:
            try:
                found[name] = fields.day(given[:40], DAY_WORDS.get(name, name), now=None)
            except RegistryError as error:
                words = str(error)
                flash(f"{words[:1].upper()}{words[1:]}: the list is shown without it.", "danger")
    return found


def page_number(args: MultiDict, name: str = "page") -> int:
    """A page number from 0, reading anything else as the first page."""
    number = args.get(name, 0, type=int)
    return number if number is not None and 0 <= number < 1_000_000 else 0
