"""Firearm serial numbers as marked under 27 CFR 478.92 (US) or Directive (EU) 2021/555 (EU).

US: Roman letters A-Z, Arabic numerals and hyphens, at least one numeral. A privately made firearm
marked by a licensee begins with the licensee's abbreviated licence number (first 3 and last 5 digits
of the FFL) and a hyphen; pass it as `ffl_prefix`. EU: the Latin, Greek or Cyrillic alphabet and
numerals. Uniqueness (per marking licensee or manufacturer) is the registry's check, not this one's.

MAX_LENGTH is our bound, not a regulation's: longer than serials are marked in practice, short enough
to catch a pasted sentence.
"""

from __future__ import annotations

import re
import unicodedata

from registry.serials.result import Option, Problem, Result, Scheme

MAX_LENGTH = 40
JURISDICTIONS = ("US", "EU")
_US_CHARACTER = re.compile(r"[A-Z0-9-]")
_NOT_US_CHARACTER = re.compile(r"[^A-Z0-9-]")
_EU_LETTER_RANGES = ((0x0391, 0x03A9), (0x0410, 0x042F), (0x0400, 0x040F))  # Greek, Cyrillic capitals
AMBIGUOUS = {"O": "0", "I": "1"}


def _upper_each(text: str) -> str:
    """Upper case character by character, so that positions keep counting the marked characters."""
    return "".join(u if len(u := c.upper()) == 1 else c for c in text)


def _eu_allowed(character: str) -> bool:
    if _US_CHARACTER.match(character):
        return True
    code = ord(character)
    return any(low <= code <= high for low, high in _EU_LETTER_RANGES)


def check(value: str, jurisdiction: str = "US", ffl_prefix: str | None = None) -> Result:
    stripped = value.strip()
    serial = _upper_each(stripped)
    errors, warnings = [], []
    result = Result("firearm", serial, errors, warnings, {"jurisdiction": jurisdiction, "length": len(serial)})
    if serial != stripped:
        warnings.append(Problem("normalized_case", "lower-case letters were changed to upper case"))
    if not serial:
        errors.append(Problem("empty", "the serial number is empty"))
        return result
    if len(serial) > MAX_LENGTH:
        errors.append(Problem("length", f"{len(serial)} characters; at most {MAX_LENGTH} are accepted"))
    allowed = _eu_allowed if jurisdiction == "EU" else _US_CHARACTER.match
    if jurisdiction == "EU" or _NOT_US_CHARACTER.search(serial):
        for position, character in enumerate(serial, start=1):
            if not allowed(character):
                errors.append(Problem("charset", _charset_message(character, position, jurisdiction), position))
    if jurisdiction == "US" and not any(c.isdigit() for c in serial):
        errors.append(Problem("no_digit", "a US firearm serial must contain at least one numeral"))
    if ffl_prefix is not None:
        _check_prefix(serial, ffl_prefix, errors, result.info)
    for position, character in enumerate(serial, start=1):
        if character in AMBIGUOUS:
            warnings.append(
                Problem(
                    "ambiguous_characters",
                    f"'{character}' at position {position} is easily "
                    f"read as '{AMBIGUOUS[character]}': check it against the marking",
                    position,
                )
            )
    return result


def _check_prefix(serial: str, prefix: str, errors: list, info: dict) -> None:
    if not (len(prefix) == 8 and prefix.isascii() and prefix.isdigit()):
        errors.append(
            Problem(
                "ffl_prefix",
                f"the licence prefix {prefix!r} is not 8 digits (the first 3 and last 5 digits of the licence number)",
            )
        )
    elif not serial.startswith(prefix + "-"):
        missing_hyphen = serial.startswith(prefix)
        errors.append(
            Problem(
                "ffl_prefix",
                f"the serial must begin with the licence prefix {prefix} followed by a hyphen"
                + (" (the hyphen is missing)" if missing_hyphen else ""),
                len(prefix) + 1 if missing_hyphen else 1,
            )
        )
    else:
        info["ffl_prefix"] = prefix


def _charset_message(character: str, position: int, jurisdiction: str) -> str:
    name = unicodedata.name(character, f"U+{ord(character):04X}")
    allowed = (
        "Latin, Greek or Cyrillic letters, numerals and hyphens"
        if jurisdiction == "EU"
        else "only A-Z, 0-9 and hyphens"
    )
    if character.isalnum() and not character.isascii():
        return f"'{character}' at position {position} is {name}, a look-alike: {allowed} are allowed"
    return f"'{character}' ({name}) at position {position} is not allowed: {allowed}"


SCHEME = Scheme(
    name="firearm",
    label="Firearm serial number",
    description="Serial as marked on a firearm frame or receiver (27 CFR 478.92; EU Directive 2021/555).",
    check=check,
    example="BXR-4471",
    options=(
        Option(
            "jurisdiction",
            "US: A-Z, 0-9 and hyphen, at least one numeral; EU: also Greek and Cyrillic",
            default="US",
            choices=JURISDICTIONS,
        ),
        Option(
            "ffl_prefix",
            "abbreviated licence number (8 digits) a privately made firearm's serial "
            "must begin with, followed by a hyphen",
        ),
    ),
    errors={
        "empty": "nothing was given",
        "length": f"more than {MAX_LENGTH} characters",
        "charset": "a character the jurisdiction does not allow (look-alikes from other alphabets included)",
        "no_digit": "no numeral (US)",
        "ffl_prefix": "does not begin with the licence prefix and a hyphen",
    },
    warnings={
        "normalized_case": "lower case was changed to upper case",
        "ambiguous_characters": "O or I, easily confused with 0 or 1",
    },
)
