"""IMEI (3GPP TS 23.003): 15 digits with a Luhn check digit, 14 without it, or a 16-digit IMEISV."""

from __future__ import annotations

from stdnum import imei, luhn

from registry.serials.result import Result, Scheme
from registry.serials.stdnum_rules import checked


def check(value: str) -> Result:
    result = checked(
        "imei",
        imei,
        value,
        lengths="14, 15 or 16 digits",
        check_character=lambda number: luhn.calc_check_digit(number[:14]),
    )
    if result.valid:
        number = result.normalized
        result.info = {
            "type": imei.imei_type(number),
            "tac": number[:8],
            "serial": number[8:14],
            "check_digit": number[14] if len(number) == 15 else None,
            "software_version": number[14:] if len(number) == 16 else None,
        }
    return result


SCHEME = Scheme(
    name="imei",
    label="IMEI (mobile equipment identity)",
    description="IMEI of 14 or 15 digits (Luhn check digit) or 16-digit IMEISV; decodes the type allocation code.",
    check=check,
    example="490154203237518",
    errors={
        "empty": "nothing was given",
        "length": "not 14, 15 or 16 digits",
        "charset": "a character that is not a digit",
        "check_digit": "the Luhn check digit does not match",
        "format": "not an IMEI",
    },
)
