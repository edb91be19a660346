"""Hull identification numbers of boats (33 CFR 181.25), 12 characters, in three formats:

- "1984" (mandatory since 1 August 1984): MIC (3) + serial (5) + month of certification A-L +
  last digit of the year of certification + model year (2 digits), e.g. ABC12345L495.
- "straight_year" (1972-1984): MIC + serial + month of production (2 digits) + year (2 digits).
- "model_year" (1972-1984): MIC + serial + "M" + model year (2 digits) + month letter A-L counted
  from August (A = August ... L = July).
The serial never holds I, O or Q. A country prefix such as "US-" is accepted and reported.
"""

from __future__ import annotations

import re

from registry.serials.result import Problem, Result, Scheme

LENGTH = 12
_SERIAL_CHARACTER = re.compile(r"[A-HJ-NPR-Z0-9]")
_MIC = re.compile(r"[A-Z0-9]{3}")
_COUNTRY_PREFIX = re.compile(r"^([A-Z]{2})-(?=.{12}$)")
_SEPARATORS = str.maketrans("", "", " ")
MONTHS = "ABCDEFGHIJKL"
FIRST_YEAR = 1972  # HINs began on 1 November 1972


def _digits(text: str) -> bool:
    """Only the digits 0-9 (`str.isdigit` also takes "²" and other digits `int` refuses)."""
    return text.isascii() and text.isdigit()


def _full_year(two_digits: str) -> int:
    year = int(two_digits)
    return 1900 + year if 1900 + year >= FIRST_YEAR else 2000 + year


def check(value: str) -> Result:
    hin = value.translate(_SEPARATORS).strip().upper()
    info: dict = {}
    if (prefix := _COUNTRY_PREFIX.match(hin)) is not None:
        info["country_prefix"], hin = prefix.group(1), hin[3:]
    errors: list[Problem] = []
    result = Result("hin", hin, errors, info=info)
    if len(hin) != LENGTH:
        errors.append(Problem("length", f"a HIN has {LENGTH} characters; this one has {len(hin)}"))
        return result
    if not _MIC.fullmatch(hin[:3]):
        errors.append(Problem("charset", f"the manufacturer code {hin[:3]!r} must be letters or digits", 1))
    for position in range(4, 9):
        character = hin[position - 1]
        if not _SERIAL_CHARACTER.match(character):
            errors.append(
                Problem(
                    "charset",
                    f"'{character}' at position {position} is not allowed in the serial "
                    "(letters without I, O, Q, and digits)",
                    position,
                )
            )
    tail = hin[8:]
    info.update(manufacturer_code=hin[:3], serial=hin[3:8])
    if tail[0] in MONTHS and _digits(tail[1:]):
        info.update(
            format="1984",
            certification_month=MONTHS.index(tail[0]) + 1,
            certification_year_digit=int(tail[1]),
            model_year=_full_year(tail[2:]),
        )
    elif _digits(tail) and 1 <= int(tail[:2]) <= 12:
        info.update(format="straight_year", production_month=int(tail[:2]), production_year=_full_year(tail[2:]))
    elif tail[0] == "M" and _digits(tail[1:3]) and tail[3] in MONTHS:
        info.update(
            format="model_year", model_year=_full_year(tail[1:3]), production_month=(MONTHS.index(tail[3]) + 7) % 12 + 1
        )
    else:
        errors.append(
            Problem(
                "date_code",
                f"positions 9-12 {tail!r} match none of the HIN formats "
                "(month letter A-L, year digit, model year: e.g. L495)",
                9,
            )
        )
    return result


SCHEME = Scheme(
    name="hin",
    label="Hull identification number (boats)",
    description="12-character HIN of 33 CFR 181.25 in the 1984 format or one of the two 1972-1984 formats.",
    check=check,
    example="ABC12345L495",
    errors={
        "length": "not 12 characters (after an optional country prefix)",
        "charset": "a character not allowed in the manufacturer code or serial",
        "date_code": "positions 9-12 match no HIN format",
    },
)
