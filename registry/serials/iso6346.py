"""ISO 6346 freight container codes: owner code (3 letters), category (U, J or Z), 6-digit serial and a
check digit (letters valued 10-38 skipping multiples of 11, weights 2^position, mod 11, 10 -> 0)."""

from __future__ import annotations

from stdnum import iso6346

from registry.serials.result import Result, Scheme
from registry.serials.stdnum_rules import checked

CATEGORIES = {
    "U": "freight container",
    "J": "detachable freight container-related equipment",
    "Z": "trailer or chassis",
}


def check(value: str) -> Result:
    result = checked(
        "iso6346",
        iso6346,
        value,
        lengths="11 characters",
        check_character=lambda code: iso6346.calc_check_digit(code[:10]),
        charset="the letters A-Z and the digits 0-9",
    )
    if result.errors and result.errors[0].code == "format":
        shape = "the code must be 3 owner letters, a category letter U, J or Z, 6 digits and a check digit"
        result.errors[0].message = shape
    if result.valid:
        code = result.normalized
        result.info = {
            "owner": code[:3],
            "category": code[3],
            "category_name": CATEGORIES.get(code[3]),
            "serial": code[4:10],
            "check_digit": code[10],
        }
    return result


SCHEME = Scheme(
    name="iso6346",
    label="Container code (ISO 6346)",
    description="Intermodal container identification: owner, category, serial and check digit.",
    check=check,
    example="CSQU3054383",
    errors={
        "empty": "nothing was given",
        "length": "not 11 characters",
        "format": "not owner + category + 6 digits + check digit",
        "charset": "a character that is not a letter A-Z or a digit",
        "check_digit": "the check digit does not match",
    },
)
