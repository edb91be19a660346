"""Vehicle identification numbers (49 CFR 565, ISO 3779): 17 characters, check digit, model year, WMI.

`market="na"` applies the North-American rules of 49 CFR 565.15: the check digit in position 9 is
mandatory, position 10 must be a model-year code, and for light vehicles a digit in position 7 places
the year in 1980-2009 and a letter in 2010-2039. `market="intl"` follows ISO 3779 alone: a check-digit
mismatch or a position 10 that is no year code is a warning, and every candidate year is returned.
"""

from __future__ import annotations

import re

from registry.serials import wmi
from registry.serials.result import Option, Problem, Result, Scheme

LENGTH = 17
# 49 CFR 565.15(c), Table IV: letters' values; digits stand for themselves. I, O and Q are never used.
TRANSLITERATION = {
    **{str(d): d for d in range(10)},
    "A": 1,
    "B": 2,
    "C": 3,
    "D": 4,
    "E": 5,
    "F": 6,
    "G": 7,
    "H": 8,
    "J": 1,
    "K": 2,
    "L": 3,
    "M": 4,
    "N": 5,
    "P": 7,
    "R": 9,
    "S": 2,
    "T": 3,
    "U": 4,
    "V": 5,
    "W": 6,
    "X": 7,
    "Y": 8,
    "Z": 9,
}
WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)  # Table V; position 9 is the check digit
# Position 10: 1980 + offset, repeating every 30 years. U, Z and 0 are never year codes.
YEAR_CODES = {code: offset for offset, code in enumerate("ABCDEFGHJKLMNPRSTVWXY123456789")}
FIRST_YEAR, CYCLE = 1980, 30
_NOT_VIN_CHARACTER = re.compile(r"[^A-HJ-NPR-Z0-9]")
_SEPARATORS = str.maketrans("", "", " -")

MARKETS = ("na", "intl")


def check_digit(vin: str) -> str:
    """The check character for 17 VIN characters (requires every character to be a VIN character)."""
    remainder = sum(TRANSLITERATION[c] * w for c, w in zip(vin, WEIGHTS)) % 11
    return "X" if remainder == 10 else str(remainder)


def check(value: str, market: str = "na") -> Result:
    vin = value.translate(_SEPARATORS).strip()
    warnings = []
    if len(vin) != len(value.strip()):
        warnings.append(Problem("normalized_separators", "spaces and hyphens were removed"))
    upper = vin.upper()
    if upper != vin:
        vin = upper
        warnings.append(Problem("normalized_case", "lower-case letters were changed to upper case"))
    errors = []
    result = Result("vin", vin, errors, warnings)
    if len(vin) != LENGTH:
        errors.append(Problem("length", f"a VIN has {LENGTH} characters; this one has {len(vin)}"))
    bad = _NOT_VIN_CHARACTER.search(vin)
    if bad is not None:
        for position, character in enumerate(vin, start=1):
            if _NOT_VIN_CHARACTER.match(character):
                errors.append(Problem("charset", _charset_message(character, position), position))
    if errors:
        if len(vin) >= 3 and bad is None:
            result.info = wmi.describe(vin)
        return result
    info = result.info = wmi.describe(vin)
    expected = check_digit(vin)
    info["check_digit"] = expected
    if vin[8] != expected:
        problem = Problem(
            "check_digit", f"the check digit (position 9) is '{vin[8]}'; the other characters require '{expected}'", 9
        )
        (errors if market == "na" else warnings).append(problem)
    _decode_year(vin, market, result)
    low_volume = vin[2] == "9"
    info["low_volume"] = low_volume
    if low_volume:
        info["low_volume_manufacturer"] = vin[11:14]
    info["serial"] = vin[14:] if low_volume else vin[11:]
    return result


def _decode_year(vin: str, market: str, result: Result) -> None:
    offset = YEAR_CODES.get(vin[9])
    if offset is None:
        problem = Problem(
            "model_year_code", f"'{vin[9]}' in position 10 is no model-year code (U, Z and 0 are never used)", 10
        )
        (result.errors if market == "na" else result.warnings).append(problem)
        result.info["model_year"], result.info["model_year_candidates"] = None, []
        return
    candidates = [FIRST_YEAR + offset, FIRST_YEAR + CYCLE + offset]
    if market == "na":
        # 49 CFR 565.15(a)(3): position 7 numeric -> 1980-2009, alphabetic -> 2010-2039.
        candidates = [candidates[0] if vin[6].isdigit() else candidates[1]]
    result.info["model_year"] = candidates[0] if len(candidates) == 1 else None
    result.info["model_year_candidates"] = candidates


def _charset_message(character: str, position: int) -> str:
    if character in "IOQ":
        return f"'{character}' at position {position} is never used in a VIN (I, O and Q look like 1 and 0)"
    return f"'{character}' at position {position} is not a VIN character (A-Z without I, O, Q, and 0-9)"


SCHEME = Scheme(
    name="vin",
    label="Vehicle identification number (VIN)",
    description="17-character VIN of 49 CFR 565 / ISO 3779 (model year 1981 on); check digit, model year, WMI.",
    check=check,
    example="1M8GDM9AXKP042788",
    options=(
        Option(
            "market",
            "na: 49 CFR 565 rules (check digit mandatory, position-7 model-year rule); "
            "intl: ISO 3779 (check-digit mismatch is a warning, every candidate year)",
            default="na",
            choices=MARKETS,
        ),
    ),
    errors={
        "length": "not 17 characters",
        "charset": "a character that is not A-Z (without I, O, Q) or 0-9",
        "check_digit": "position 9 does not match the other characters (mandatory in North America)",
        "model_year_code": "position 10 is not a model-year code",
    },
    warnings={
        "normalized_case": "lower case was changed to upper case",
        "normalized_separators": "spaces or hyphens were removed",
        "check_digit": "check digit does not match (intl market)",
        "model_year_code": "position 10 is not a model-year code (intl market)",
    },
)
