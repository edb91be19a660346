"""What a registration (or a corrected serial or fact) must be: the serial under its scheme, with an
override where it fails a rule, its uniqueness key; the model year; the firearm type. Pure but for
the serial schemes; the service checks uniqueness under the write lock."""

from __future__ import annotations

from datetime import datetime

from audit import canonical
from registry import serials
from registry.custody import rules
from registry.custody.rules import CustodyError


def checked_serial(kind: str, scheme: str, serial, options, override: str | None, *, facts: dict, item_id: str) -> dict:
    """The serial fields of a registration (or of a corrected serial): as marked, normalised, the
    uniqueness key, the decoded facts and, for a serial that fails a rule, the override."""
    if not isinstance(serial, str):
        raise CustodyError("the serial must be text", code="invalid_field", field="serial")
    if options is not None and not isinstance(options, dict):
        raise CustodyError(
            "the options must be an object of option names and values", code="invalid_field", field="options"
        )
    if not serial.strip():
        raise CustodyError(
            "the serial is empty: a firearm without a serial is recorded as NSN with a justification"
            if kind == "firearm"
            else "the serial is empty",
            code="serial_empty",
            field="serial",
        )
    if kind == "firearm" and serial.strip().upper() == rules.NO_SERIAL:
        if not override:
            raise CustodyError(
                "a firearm recorded without a serial (NSN) needs a written justification",
                code="missing_field",
                field="override_justification",
            )
        # Each firearm without a serial is its own item: its key is its id.
        return {
            "serial": rules.NO_SERIAL,
            "serial_normalized": rules.NO_SERIAL,
            "attributes": {},
            "uniqueness_key": f"{NO_SERIAL_KEY}{item_id}",
            "override": {"codes": ["no_serial"], "justification": override},
        }
    try:
        checked = serials.validate(scheme, serial, **(options or {}))
    except serials.SerialsError as error:
        raise CustodyError(str(error), code=error.code, field=error.field) from None
    if not checked.valid:
        first = checked.errors[0]
        if not override:
            raise CustodyError(
                f"serial: {first.message}"
                + (f" (position {first.position})" if first.position else "")
                + "; an officer may record it with an override and a written justification",
                code=f"serial_{first.code}",
                field="serial",
            )
    fields = {
        "serial": serial.strip(),
        # the search form reads the serial as it looks: a trace typed in Latin letters finds an EU
        # serial marked in Greek ones ("ΑΒ-12" is searched as "AB-12")
        "serial_normalized": serials.reading(checked.normalized),
        "attributes": _json_safe(checked.info),
        "uniqueness_key": uniqueness_key(
            kind,
            scheme,
            checked.normalized,
            checked.info,
            facts.get("manufacturer") or checked.info.get("manufacturer"),
        ),
    }
    if not checked.valid:
        fields["override"] = {"codes": checked.codes, "justification": override}
    return fields


def model_year(value, *, now: datetime) -> int | None:
    """A model year: a whole number from 1886 (the first motor car) to next year but one."""
    if value in (None, ""):
        return None
    latest = now.year + 2
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, str))
        or (isinstance(value, str) and not (value.strip().isascii() and value.strip().isdigit()))
    ):
        raise CustodyError("the model year must be a year such as 2024", code="invalid_field", field="model_year")
    year = int(value)
    if not rules.FIRST_MODEL_YEAR <= year <= latest:
        raise CustodyError(
            f"the model year must lie between {rules.FIRST_MODEL_YEAR} and {latest}",
            code="invalid_field",
            field="model_year",
        )
    return year


def firearm_type(value: str | None) -> str:
    if not value or value.lower() not in rules.FIREARM_TYPES:
        raise CustodyError(
            f"the type must be one of {', '.join(rules.FIREARM_TYPES)}", code="invalid_field", field="type"
        )
    return value.lower()


def uniqueness_key(kind: str, scheme: str, normalized: str, info: dict, manufacturer: str | None) -> str:
    """What makes two items the same one, from the serial's normal form and decoded facts (`info`)
    under its scheme and the item's manufacturer. The serial in it is read as it looks (a full-width
    letter as a plain one, a Greek or Cyrillic letter that looks like a Latin one as that one): an EU
    firearm may be marked in either alphabet, and an override may record a look-alike, but neither
    may register a serial that reads the same as one already registered."""
    serial = serials.reading(normalized)
    maker = " ".join((manufacturer or "").casefold().split())
    if kind == "firearm":  # 27 CFR 478.92: unique per manufacturer (or importer) marking it
        return f"firearm|{maker}|{serial}"
    if scheme == "vin":
        return f"vin|{serial}"
    if scheme == "gs1":
        return f"gs1|{info.get('gtin', '')}|{serials.reading(info.get('serial', serial))}"
    if scheme == "vehicle_legacy":
        return f"vehicle_legacy|{maker}|{serial}"
    return f"{scheme}|{serial}"


# Names that search and the uniqueness key compare with their runs of white space folded, which they
# are therefore stored with ("Smith  &  Wesson" is "Smith & Wesson").
FOLDED_NAMES = ("manufacturer", "importer")


def folded_name(value: str | None) -> str | None:
    """The name with each run of white space one space; None for a name of none."""
    return " ".join(value.split()) if value else None


# What a registration's key is made of, besides its serial.
KEY_FACTS = ("manufacturer",)
# The key of a firearm without a serial (NSN) starts so and ends with the item's id.
NO_SERIAL_KEY = "firearm|nsn|"


def duplicate_message(kind: str, serial: str) -> str:
    scope = {"firearm": "for this manufacturer", "vehicle": "(VINs are unique)"}.get(kind, "in this scheme")
    return f"an item with serial {serial} is registered already {scope}"


def _json_safe(info: dict) -> dict:
    return canonical.loads(canonical.canonical_bytes({k: v for k, v in info.items() if k != "elements"}))
