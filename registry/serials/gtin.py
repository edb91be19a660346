"""GS1 Global Trade Item Numbers: GTIN-8, -12 (UPC-A), -13 (EAN) and -14, GS1 mod-10 check digit."""

from __future__ import annotations

from biip.gtin import Gtin
from stdnum import ean

from registry.serials.result import Result, Scheme
from registry.serials.stdnum_rules import checked

LENGTHS = {8: "GTIN-8", 12: "GTIN-12", 13: "GTIN-13", 14: "GTIN-14"}


def describe(number: str) -> dict:
    """Facts of a valid GTIN: its format, GS1 prefix and what the prefix is used for."""
    parsed = Gtin.parse(number)
    return {
        "format": LENGTHS[len(number)],
        "gtin14": number.zfill(14),
        "gs1_prefix": parsed.prefix.value if parsed.prefix else None,
        "gs1_prefix_usage": parsed.prefix.usage if parsed.prefix else None,
        "check_digit": number[-1],
    }


def check(value: str) -> Result:
    result = checked(
        "gtin",
        ean,
        value,
        lengths="8, 12, 13 or 14 digits",
        check_character=lambda number: ean.calc_check_digit(number[:-1]),
    )
    if result.valid:
        result.info = describe(result.normalized)
    return result


SCHEME = Scheme(
    name="gtin",
    label="GTIN (EAN/UPC)",
    description="GS1 Global Trade Item Number of 8, 12, 13 or 14 digits with the GS1 mod-10 check digit.",
    check=check,
    example="09506000134352",
    errors={
        "empty": "nothing was given",
        "length": "not 8, 12, 13 or 14 digits",
        "charset": "a character that is not a digit",
        "check_digit": "the GS1 check digit does not match",
        "format": "not a GTIN",
    },
)
