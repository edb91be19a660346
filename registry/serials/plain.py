"""Plain serials: any printable text, for goods whose serials follow no public scheme.

The marked form may hold anything printable; the search form trims it, folds runs of white space to
one space and upper-cases it, so that "ab 12" and " AB  12" find the same item.
"""

from __future__ import annotations

import re

from registry.serials.result import Problem, Result, Scheme

MAX_LENGTH = 100
_WHITESPACE = re.compile(r"\s+")


def check(value: str) -> Result:
    serial = _WHITESPACE.sub(" ", value.strip()).upper()
    errors: list[Problem] = []
    result = Result("plain", serial, errors, info={"length": len(serial)})
    if not serial:
        errors.append(Problem("empty", "nothing was given"))
        return result
    if len(serial) > MAX_LENGTH:
        errors.append(Problem("length", f"{len(serial)} characters; at most {MAX_LENGTH} are accepted"))
    for position, character in enumerate(serial, start=1):
        if not character.isprintable():
            errors.append(
                Problem(
                    "charset", f"character U+{ord(character):04X} at position {position} is not printable", position
                )
            )
    return result


SCHEME = Scheme(
    name="plain",
    label="Plain serial",
    description="Any printable text, trimmed; the search form folds white space and case.",
    check=check,
    example="SN-00042",
    errors={
        "empty": "nothing was given",
        "length": f"more than {MAX_LENGTH} characters",
        "charset": "a character that is not printable",
    },
)
