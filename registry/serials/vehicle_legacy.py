"""Vehicle serial numbers from before the 17-character VIN (model years up to 1980).

Manufacturers used their own formats, from 5 to 13 characters mostly; there is no check digit to
test. We accept 4 to 17 letters and digits, and warn when the value is in fact a valid modern VIN,
which should be recorded with the `vin` scheme.
"""

from __future__ import annotations

import re

from registry.serials import vin
from registry.serials.result import Problem, Result, Scheme

MIN_LENGTH, MAX_LENGTH = 4, 17
_NOT_ALPHANUMERIC = re.compile(r"[^A-Z0-9]")
_SEPARATORS = str.maketrans("", "", " -")


def check(value: str) -> Result:
    serial = value.translate(_SEPARATORS).strip().upper()
    errors: list[Problem] = []
    result = Result("vehicle_legacy", serial, errors, info={"length": len(serial)})
    if not serial:
        errors.append(Problem("empty", "nothing was given"))
        return result
    if not MIN_LENGTH <= len(serial) <= MAX_LENGTH:
        errors.append(Problem("length", f"{len(serial)} characters; {MIN_LENGTH} to {MAX_LENGTH} are accepted"))
    if _NOT_ALPHANUMERIC.search(serial):
        for position, character in enumerate(serial, start=1):
            if _NOT_ALPHANUMERIC.match(character):
                errors.append(
                    Problem("charset", f"'{character}' at position {position}: only letters and digits", position)
                )
    if not errors and len(serial) == vin.LENGTH and vin.check(serial).valid:
        result.warnings.append(
            Problem(
                "looks_like_vin",
                "this is a valid 17-character VIN: record it with the vin scheme unless the vehicle predates 1981",
            )
        )
    return result


SCHEME = Scheme(
    name="vehicle_legacy",
    label="Vehicle serial before 1981",
    description="Manufacturer's vehicle serial from before the 17-character VIN: letters and digits, 4-17 long.",
    check=check,
    example="5F08C123456",
    errors={
        "empty": "nothing was given",
        "length": "fewer than 4 or more than 17 characters",
        "charset": "a character that is not a letter or digit",
    },
    warnings={"looks_like_vin": "a valid modern VIN was given"},
)
