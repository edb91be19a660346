"""What every report type is made of: its checked parameters, the draft it builds (title, template,
context, long table, the ledger entries its evidence proves), and the helpers their parsers share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlalchemy.orm import Session

from registry import fields
from registry.custody import queries as custody_queries
from registry.custody.models import Item
from registry.errors import INVALID, NOT_FOUND, DomainError
from registry.reports import layout


class ReportError(DomainError):
    """A report request the registry refuses: an unknown type, a bad or missing parameter."""

    titles = {**DomainError.titles, INVALID: "Invalid report request"}

    def __init__(
        self, detail: str, *, code: str = "invalid_report_parameter", kind: str = INVALID, field: str | None = None
    ):
        super().__init__(detail, code=code, kind=kind, field=field)


@dataclass(frozen=True)
class PrelaidTable:
    """A long table the renderer lays out itself (registry/reports/layout.py): the columns, each row's
    cell texts with its band kind, the page geometry, and the head sizes the template gives."""

    columns: tuple[layout.Column, ...]
    rows: list[tuple[list[str], str]]
    geometry: layout.Geometry
    head_mm: float
    first_head_mm: float
    colours: dict
    head_size_pt: float = 6.5


@dataclass
class Draft:
    """What a report shows: its title, template and context; `rows` (when set) is the long table the
    renderer may split into parts, or `table` a long table laid out on pages before rendering;
    `entries` are the ledger indices the evidence proves."""

    title: str
    template: str
    context: dict
    entries: set[int]
    rows: list | None = None
    landscape: bool = False
    table: PrelaidTable | None = None


@dataclass(frozen=True)
class ReportType:
    name: str
    label: str
    description: str
    fields: tuple[str, ...]
    parse: Callable[[Session, dict], dict]
    build: Callable[..., Draft]
    # The request form withholds private persons unless asked otherwise: such a report is readable by
    # every regulator. Form 3310.4 exists to name the purchaser, so it shows them by default.
    withhold_by_default: bool = True


def text(params: dict, name: str, *, required: bool = True, limit: int = 200) -> str | None:
    """A text parameter (`registry.fields.text`), named by the parameter."""
    return fields.text(params.get(name), name, required=required, limit=limit)


def day(params: dict, name: str) -> str:
    """A required date parameter (`registry.fields.day`), as YYYY-MM-DD; whether the future may be
    asked for is the report type's to say."""
    return fields.day(params.get(name), name, now=None).isoformat()


def existing(session: Session, model, key: str, name: str, what: str):
    found = session.get(model, key)
    if found is None:
        raise ReportError(f"no {what} {key!r}", code="not_found", kind=NOT_FOUND, field=name)
    return found


def label(session: Session, party_id: str | None, personal: bool) -> dict | None:
    return custody_queries.party_label(session, party_id, personal=personal)


def facts(item: Item) -> list[tuple[str, str]]:
    named = [
        ("Manufacturer", item.manufacturer),
        ("Importer", item.importer),
        ("Model", item.model),
        ("Type", item.type),
        ("Caliber or gauge", item.caliber),
        ("Country", item.country),
        ("Model year", item.model_year),
        ("Description", item.description),
    ]
    decoded = [
        (key.replace("_", " ").capitalize(), value)
        for key, value in sorted((item.attributes or {}).items())
        if not isinstance(value, (dict, list))
    ]
    return [(name, str(value)) for name, value in named + decoded if value not in (None, "")]
