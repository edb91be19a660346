"""Quantities: decimal strings in events and on the wire, whole thousandths of a unit in the tables."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from registry.supply.models import QUANTITY_SCALE


class QuantityError(ValueError):
    pass


def parse(value, *, allow_zero: bool = False) -> Decimal:
    """A positive (or, with `allow_zero`, non-negative) quantity with at most three decimals."""
    given = str(value).strip()
    # Decimal reads any script's digits and underscores ("١٢", "1_000"): a quantity is written in
    # ASCII digits with at most a point and a sign, so it reads the same on every report.
    if not (given.isascii() and given and set(given) <= set("0123456789.+-")):
        raise QuantityError(f"not a number: {value!r}")
    try:
        amount = Decimal(given)
    except InvalidOperation:
        raise QuantityError(f"not a number: {value!r}") from None
    if not amount.is_finite() or amount.as_tuple().exponent < -3:
        raise QuantityError("a quantity has at most three decimals")
    if amount < 0 or (amount == 0 and not allow_zero):
        raise QuantityError(
            "a quantity must be greater than zero" if not allow_zero else "a quantity cannot be negative"
        )
    if amount >= Decimal(10) ** 12:
        raise QuantityError("the quantity is too large")
    return amount


def canonical(amount: Decimal) -> str:
    """The event's string form: no exponent, no trailing zeros ("12.5", "3")."""
    text = format(amount.normalize(), "f")
    return text


def to_units(text: str) -> int:
    return int(Decimal(text) * QUANTITY_SCALE)


def show(units: int | None) -> str:
    if units is None:
        return ""
    return canonical(Decimal(units) / QUANTITY_SCALE)
