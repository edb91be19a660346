"""Pure supply rules: quantities, lot codes, identifiers, times as events store them. Every refusal is a
SupplyError naming its field; text, dates and moments are `registry.fields`."""

from __future__ import annotations

import re
import unicodedata

from registry.errors import INVALID, DomainError
from registry.fields import not_printed

TRACKING = ("serial", "lot", "none")
LOT_SCHEMES = ("plain", "gs1")
# GS1 General Specifications, figure 7.11-1: the characters of set 82, which AI (10) allows 1 to 20 of.
GS1_LOT = re.compile(r"[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}")
PURCHASE_ORDER_CHANGES = {"placed": ("draft",), "cancelled": ("draft", "placed")}


class SupplyError(DomainError):
    """A request the supply rules refuse."""

    titles = {**DomainError.titles, INVALID: "Refused by a supply rule"}


def identifier(value, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SupplyError(
            f"{field!r} must name an id", code="missing_field" if not value else "invalid_field", field=field
        )
    return value.strip()


def lot_code(code: str, scheme: str, field: str = "supplier_lot_code") -> str:
    """A lot code as printed; under `gs1` it must be a valid GS1 AI (10) batch/lot value. It is
    stored as given, never rewritten."""
    if scheme not in LOT_SCHEMES:
        raise SupplyError(
            f"'lot_scheme' must be one of {', '.join(LOT_SCHEMES)}", code="invalid_field", field="lot_scheme"
        )
    invisible = not_printed(code)
    if invisible is not None:
        raise SupplyError(
            f"{field!r} holds {unicodedata.name(invisible, f'U+{ord(invisible):04X}')}, a character that does not "
            "print: the code would not match the one on the label",
            code="invalid_lot_code",
            field=field,
        )
    if scheme == "gs1" and not GS1_LOT.fullmatch(code):
        raise SupplyError(
            f"{field!r} is not a GS1 AI (10) batch/lot: 1 to 20 characters of the GS1 character set 82 (no spaces)",
            code="invalid_lot_code",
            field=field,
        )
    return code
