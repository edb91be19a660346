"""US Federal Firearms Licence numbers: X-XX-XXX-XX-XX-XXXXX.

region (ATF region, 1 digit), IRS district (2 digits), county (3 digits), licence type (2 digits),
expiration code (last digit of the year, then the month as a letter A-L), sequence (5 digits). The
abbreviated number that 27 CFR 478.92 uses as a serial prefix is the first 3 and last 5 digits.
Licence types are those of 27 CFR 478.41 as ATF numbers them (there is no 04 or 05).
"""

from __future__ import annotations

from registry.serials.result import Problem, Result, Scheme

LICENSE_TYPES = {
    "01": "Dealer in firearms other than destructive devices (includes gunsmiths)",
    "02": "Pawnbroker in firearms other than destructive devices",
    "03": "Collector of curios and relics",
    "06": "Manufacturer of ammunition for firearms other than destructive devices",
    "07": "Manufacturer of firearms other than destructive devices",
    "08": "Importer of firearms or ammunition other than destructive devices",
    "09": "Dealer in destructive devices",
    "10": "Manufacturer of destructive devices",
    "11": "Importer of destructive devices",
}
MONTHS = "ABCDEFGHIJKL"
DIGITS = "0123456789"
# (name, the characters allowed at each of its places, what it must be)
FIELDS = (
    ("region", ("123456789",), "a digit 1-9"),
    ("district", (DIGITS,) * 2, "two digits"),
    ("county", (DIGITS,) * 3, "three digits"),
    ("license_type", (DIGITS,) * 2, "two digits"),
    ("expires", (DIGITS, MONTHS), "a digit and a month letter A-L"),
    ("sequence", (DIGITS,) * 5, "five digits"),
)
LENGTH = sum(len(f[1]) for f in FIELDS)
_SEPARATORS = str.maketrans("", "", " -")


def check(value: str) -> Result:
    compact = value.translate(_SEPARATORS).strip().upper()
    errors: list[Problem] = []
    result = Result("ffl", compact, errors)
    if len(compact) != LENGTH:
        errors.append(
            Problem(
                "length",
                f"a licence number has {LENGTH} characters without hyphens "
                f"(X-XX-XXX-XX-XX-XXXXX); this one has {len(compact)}",
            )
        )
        return result
    start, parts = 0, {}
    for name, places, what in FIELDS:
        part = compact[start : start + len(places)]
        bad = next((i for i, (c, allowed) in enumerate(zip(part, places)) if c not in allowed), None)
        if bad is not None:
            errors.append(Problem("format", f"{name.replace('_', ' ')} {part!r} must be {what}", start + bad + 1))
        parts[name] = part
        start += len(places)
    if errors:
        return result
    if parts["license_type"] not in LICENSE_TYPES:
        errors.append(
            Problem(
                "license_type",
                f"there is no licence type {parts['license_type']} (known: {', '.join(LICENSE_TYPES)})",
                7,
            )
        )
    result.info = {
        **parts,
        "license_type_name": LICENSE_TYPES.get(parts["license_type"]),
        "expires_year_digit": int(parts["expires"][0]),
        "expires_month": MONTHS.index(parts["expires"][1]) + 1,
        "abbreviated": compact[:3] + compact[-5:],
        "formatted": "-".join((compact[0], compact[1:3], compact[3:6], compact[6:8], compact[8:10], compact[10:])),
    }
    return result


SCHEME = Scheme(
    name="ffl",
    label="Federal Firearms Licence number (US)",
    description="ATF licence number X-XX-XXX-XX-XX-XXXXX; decodes region, district, county, type, expiry.",
    check=check,
    example="8-23-091-01-7F-14245",
    errors={
        "length": "not 15 characters without hyphens",
        "format": "a field has the wrong kind of character",
        "license_type": "a licence type ATF does not issue",
    },
)
