"""Serial numbers: validate, normalise and decode every identifier scheme the registry records.

    from registry.serials import validate
    r = validate("vin", "1M8GDM9AXKP042788", market="na")
    r.valid, r.normalized, r.errors, r.warnings, r.info

One module per scheme, each declaring a `SCHEME` (name, options, and the codes its problems carry:
those codes are a contract). Pure functions: no database, no Flask.
"""

from __future__ import annotations

from registry.serials import ffl, firearm, gs1, gtin, hin, imei, iso6346, plain, vehicle_legacy, vin
from registry.serials.plain import read_as_latin, reading
from registry.serials.result import Option, Problem, Result, Scheme, SerialsError

__all__ = [
    "validate",
    "read",
    "read_as_latin",
    "reading",
    "SCHEMES",
    "Result",
    "Problem",
    "Scheme",
    "Option",
    "SerialsError",
    "MAX_INPUT",
]

SCHEMES: dict[str, Scheme] = {
    module.SCHEME.name: module.SCHEME
    for module in (vin, vehicle_legacy, firearm, ffl, imei, gtin, gs1, hin, iso6346, plain)
}
MAX_INPUT = 1000  # characters; a longer value is refused before any scheme looks at it


def validate(scheme: str, value: str, **options: str | None) -> Result:
    """Check `value` against `scheme` with the scheme's options (None means the default).

    Raises SerialsError for an unknown scheme, an unknown option, an option value outside its
    choices, or a value longer than MAX_INPUT; a bad serial is never an exception, only a result.
    """
    found = SCHEMES.get(scheme)
    if found is None:
        raise SerialsError(
            f"unknown scheme {scheme!r}; known: {', '.join(SCHEMES)}", field="scheme", code="unknown_scheme"
        )
    if not isinstance(value, str):
        raise SerialsError("the value must be a string", field="value", code="invalid_value")
    if len(value) > MAX_INPUT:
        raise SerialsError(
            f"the value has {len(value)} characters; at most {MAX_INPUT} are accepted",
            field="value",
            code="value_too_long",
        )
    return found.check(value, **_options(found, options))


def read(scheme: str, value) -> Result | None:
    """`validate` for what someone typed to find a thing (a search, a licence look-up): None for a
    value no serial can be (not text, or longer than MAX_INPUT), where `validate` raises to tell the
    caller of its own API."""
    if not isinstance(value, str) or len(value) > MAX_INPUT:
        return None
    return validate(scheme, value)


def _options(scheme: Scheme, given: dict) -> dict:
    known = {option.name: option for option in scheme.options}
    chosen = {}
    for name, value in given.items():
        option = known.get(name)
        if option is None:
            accepted = ", ".join(known) or "none"
            raise SerialsError(
                f"scheme {scheme.name!r} has no option {name!r} (options: {accepted})",
                field=f"options.{name}",
                code="unknown_option",
            )
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            raise SerialsError(f"option {name!r} must be a string", field=f"options.{name}", code="invalid_option")
        if option.choices and value not in option.choices:
            raise SerialsError(
                f"option {name!r} must be one of {', '.join(option.choices)}; got {value!r}",
                field=f"options.{name}",
                code="invalid_option",
            )
        chosen[name] = value
    return chosen
