"""Pure supply rules: quantities, lot codes, identifiers, times as events store them. Every refusal is a
SupplyError naming its field; text, dates and moments are `registry.fields`."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from decimal import Decimal

from registry.errors import INVALID, DomainError
from registry.supply import quantities

TRACKING = ("serial", "lot", "none")
LOT_SCHEMES = ("plain", "gs1")
# GS1 General Specifications, figure 7.11-1: the characters of set 82, which AI (10) allows 1 to 20 of.
GS1_LOT = re.compile(r"[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}")
PURCHASE_ORDER_CHANGES = {"placed": ("draft",), "cancelled": ("draft", "placed")}


class SupplyError(DomainError):
    """A request the supply rules refuse."""

    titles = {**DomainError.titles, INVALID: "Refused by a supply rule"}


def quantity(value, field: str = "quantity", *, allow_zero: bool = False) -> Decimal:
    if value is None or value == "":
        raise SupplyError(f"{field!r} is required", code="missing_field", field=field)
    try:
        return quantities.parse(value, allow_zero=allow_zero)
    except quantities.QuantityError as error:
        raise SupplyError(f"{field!r}: {error}", code="invalid_quantity", field=field) from None


def whole_number(value, field: str, *, minimum: int = 0, maximum: int = 100_000) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise SupplyError(f"{field!r} must be a whole number", code="invalid_field", field=field) from None
    if not minimum <= number <= maximum:
        raise SupplyError(f"{field!r} must be between {minimum} and {maximum}", code="invalid_field", field=field)
    return number


def identifier(value, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SupplyError(
            f"{field!r} must name an id", code="missing_field" if not value else "invalid_field", field=field
        )
    return value.strip()


def stamp(moment_: datetime) -> str:
    """The event's form of a time: UTC, seconds, Z."""
    return moment_.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def lot_code(code: str, scheme: str, field: str = "supplier_lot_code") -> str:
    """A lot code as printed; under `gs1` it must be a valid GS1 AI (10) batch/lot value. It is
    stored as given, never rewritten."""
    if scheme not in LOT_SCHEMES:
        raise SupplyError(
            f"'lot_scheme' must be one of {', '.join(LOT_SCHEMES)}", code="invalid_field", field="lot_scheme"
        )
    if scheme == "gs1" and not GS1_LOT.fullmatch(code):
        raise SupplyError(
            f"{field!r} is not a GS1 AI (10) batch/lot: 1 to 20 characters of the GS1 character set 82 (no spaces)",
            code="invalid_lot_code",
            field=field,
        )
    return code
