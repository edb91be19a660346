"""Plain serials: any printable text, for goods whose serials follow no public scheme.

The marked form may hold anything printable. The search form, which is also what makes two serials
the same one, reads a serial as it looks: it folds Unicode compatibility forms (NFKC: full-width
letters and digits, ligatures, circled digits), reads a character from another script that looks
like a Latin letter, digit or sign as that one (the Cyrillic "Х" in "ZХ-77001", the Unicode hyphen in
"ZX‐77001"; Unicode's confusables data, UTS #39, through `confusable_homoglyphs`), trims, folds runs
of white space to one space and upper-cases. So "ab 12", " AB  12", "ＡＢ 12" and "АВ 12" (Cyrillic)
are one serial: a look-alike cannot register a second item under a serial that reads the same as
one already registered, and a search finds either. Each fold is reported as a warning.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from confusable_homoglyphs import confusables

from registry.serials.result import Problem, Result, Scheme

MAX_LENGTH = 100
_WHITESPACE = re.compile(r"\s+")
_UPRIGHT = {"l": "I"}


def _readable(value: str) -> str:
    """Compatibility forms folded (NFKC, before and after upper-casing), trimmed, white space folded
    and upper case: the search form but for look-alikes, character for character."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).upper()).strip())


def read_as_latin(text: str) -> str:
    """Each character that looks like a Latin letter, digit or sign read as that one, one for one (so
    positions still count the same characters)."""
    if text.isascii():  # nearly every serial: nothing to read otherwise
        return text
    return "".join(ascii_lookalike(c) or c for c in text)


def reading(text: str) -> str:
    """What makes two serials of any scheme the same one: compatibility forms folded (NFKC: a
    full-width "ＷＸ" is "WX") and look-alikes read as Latin; case and spacing as given (a GS1 serial
    tells "a" from "A")."""
    if text.isascii():
        return text
    return read_as_latin(unicodedata.normalize("NFKC", text))


@functools.lru_cache(maxsize=4096)
def ascii_lookalike(character: str) -> str | None:
    """The printable ASCII character `character` (not itself ASCII) is confusable with, if any."""
    if character.isascii():
        return None
    # Unicode's data reads every upright stroke (Greek "Ι", Cyrillic "І") as a lower-case "l"; in an
    # upper-case serial that stroke is an "I". Other lower-case readings do not apply to it.
    found = [_UPRIGHT.get(h["c"], h["c"]) for h in confusables.confusables_data.get(character, ()) if len(h["c"]) == 1]
    plain = sorted(c for c in found if c.isascii() and c.isprintable() and not (c.isspace() or c.islower()))
    # A letter or a digit before a sign: "Ι" reads as "I" before it reads as "|".
    plain.sort(key=lambda c: not c.isalnum())
    return plain[0] if plain else None


def check(value: str) -> Result:
    readable = _readable(value)
    serial = read_as_latin(readable)
    errors: list[Problem] = []
    warnings: list[Problem] = []
    result = Result("plain", serial, errors, warnings, info={"length": len(serial)})
    if not serial:
        errors.append(Problem("empty", "nothing was given"))
        return result
    if unicodedata.normalize("NFKC", value) != value:
        warnings.append(
            Problem("normalized_compatibility", "full-width or other compatibility characters were read as plain ones")
        )
    for position, (character, read) in enumerate(zip(readable, serial), start=1):
        if character != read:
            name = unicodedata.name(character, f"U+{ord(character):04X}")
            warnings.append(
                Problem("lookalike", f"'{character}' at position {position} is {name}, read as '{read}'", position)
            )
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
    description="Any printable text, trimmed; the search form reads it as it looks: compatibility forms, "
    "look-alikes of Latin letters, digits and signs, white space and case are folded.",
    check=check,
    example="SN-00042",
    errors={
        "empty": "nothing was given",
        "length": f"more than {MAX_LENGTH} characters",
        "charset": "a character that is not printable",
    },
    warnings={
        "normalized_compatibility": "full-width or other compatibility characters were read as plain ones",
        "lookalike": "a character from another script was read as the Latin letter, digit or sign it looks like",
    },
)
