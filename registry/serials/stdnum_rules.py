"""Running a python-stdnum validator and turning its exceptions into our problems.

python-stdnum raises one exception per failed rule; `checked` maps each to a stable code and a message
that names the expected check character where there is one.
"""

from __future__ import annotations

import unicodedata
from types import ModuleType
from typing import Callable

from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError

from registry.serials.result import Problem, Result

DIGITS = "the digits 0-9"


def checked(
    scheme: str,
    module: ModuleType,
    value: str,
    *,
    lengths: str,
    check_character: Callable[[str], str] | None = None,
    charset: str = DIGITS,
) -> Result:
    """Validate `value` with `module` (a stdnum number module); the result's info is left to the caller.

    `lengths` and `charset` describe the rule for messages; `check_character(compact)` gives the
    expected check character of a number of valid length and characters.
    """
    compact = module.compact(value)
    result = Result(scheme, compact)
    if not compact:
        result.errors.append(Problem("empty", "nothing was given"))
        return result
    # python-stdnum's patterns take any Unicode letter or digit for a Latin one (and ISO 6346's check
    # then fails inside the library): every scheme here is ASCII, so anything else is refused first.
    foreign = next((i for i, c in enumerate(compact, start=1) if not c.isascii()), None)
    if foreign is not None:
        character = compact[foreign - 1]
        name = unicodedata.name(character, f"U+{ord(character):04X}")
        message = f"'{character}' ({name}) at position {foreign}: only {charset} are allowed here"
        result.errors.append(Problem("charset", message, foreign))
        return result
    try:
        module.validate(compact)
    except InvalidChecksum:
        expected = check_character(compact) if check_character is not None else None
        given = compact[-1]
        message = (
            f"the check digit is '{given}'; the other characters require '{expected}'"
            if expected is not None
            else "the check digit does not match"
        )
        result.errors.append(Problem("check_digit", message, len(compact)))
    except InvalidLength:
        result.errors.append(Problem("length", f"{len(compact)} characters; {lengths} are required"))
    except (InvalidFormat, InvalidComponent) as error:
        position = _first_bad(compact, charset)
        if position is None:
            result.errors.append(Problem("format", _sentence(error)))
        else:
            result.errors.append(
                Problem(
                    "charset",
                    f"'{compact[position - 1]}' at position {position}: only {charset} are allowed here",
                    position,
                )
            )
    except ValidationError as error:  # any rule stdnum adds later
        result.errors.append(Problem("format", _sentence(error)))
    return result


def _first_bad(compact: str, charset: str) -> int | None:
    if charset != DIGITS:
        return None
    return next((i for i, c in enumerate(compact, start=1) if not ("0" <= c <= "9")), None)


def _sentence(error: ValidationError) -> str:
    return str(error).rstrip(".").lower()
