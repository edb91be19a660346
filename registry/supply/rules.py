"""Pure supply rules: field checks, lot codes, times. Every refusal is a SupplyError naming its field."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from registry.errors import RegistryError
from registry.supply import quantities

TRACKING = ("serial", "lot", "none")
LOT_SCHEMES = ("plain", "gs1")
# GS1 General Specifications, figure 7.11-1: the characters of set 82, which AI (10) allows 1 to 20 of.
GS1_LOT = re.compile(r"[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}")
PURCHASE_ORDER_CHANGES = {"placed": ("draft",), "cancelled": ("draft", "placed")}


class SupplyError(RegistryError):
    """A request the supply rules refuse: 409 when it conflicts with recorded state, 422 otherwise."""

    def __init__(self, detail: str, *, code: str, status: int = 422, field: str | None = None):
        super().__init__(detail, field=field)
        self.code, self.status = code, status
        self.title = "Conflict with the recorded state" if status == 409 else "Refused by a supply rule"


def text(value, field: str, *, required: bool = False, limit: int = 200) -> str | None:
    if value is not None and not isinstance(value, str):
        raise SupplyError(f"{field!r} must be text", code="invalid_field", field=field)
    value = (value or "").strip()
    if required and not value:
        raise SupplyError(f"{field!r} is required", code="missing_field", field=field)
    if len(value) > limit:
        raise SupplyError(f"{field!r} is longer than {limit} characters", code="invalid_field", field=field)
    return value or None


def quantity(value, field: str = "quantity", *, allow_zero: bool = False) -> Decimal:
    if value is None or value == "":
        raise SupplyError(f"{field!r} is required", code="missing_field", field=field)
    try:
        return quantities.parse(value, allow_zero=allow_zero)
    except quantities.QuantityError as error:
        raise SupplyError(f"{field!r}: {error}", code="invalid_quantity", field=field) from None


def whole_number(value, field: str, *, minimum: int = 0, maximum: int = 100_000) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise SupplyError(f"{field!r} must be a whole number", code="invalid_field", field=field) from None
    if not minimum <= number <= maximum:
        raise SupplyError(f"{field!r} must be between {minimum} and {maximum}", code="invalid_field", field=field)
    return number


YEARS = range(1900, 3000)  # beyond these a date is a typo, and date arithmetic near year 9999 overflows


def _in_range(found: date, field: str):
    if found.year not in YEARS:
        raise SupplyError(f"{field!r} must lie between {YEARS.start} and {YEARS.stop - 1}", code="invalid_date",
                          field=field)
    return found


def day(value, field: str = "date") -> date:
    if isinstance(value, datetime):
        return _in_range(value.date(), field)
    if isinstance(value, date):
        return _in_range(value, field)
    try:
        return _in_range(date.fromisoformat(str(value)), field)
    except ValueError:
        raise SupplyError(f"{field!r} must be a date YYYY-MM-DD, got {value!r}", code="invalid_date",
                          field=field) from None


def moment(value, field: str = "at") -> datetime:
    """A UTC time from an ISO 8601 time with a zone, or a date (its midnight UTC)."""
    if isinstance(value, datetime):
        found = value
    elif isinstance(value, date):
        found = datetime.combine(value, time(), timezone.utc)
    else:
        raw = str(value or "").strip()
        try:
            found = (datetime.combine(date.fromisoformat(raw), time(), timezone.utc) if len(raw) == 10
                     else datetime.fromisoformat(raw.replace("Z", "+00:00")))
        except ValueError:
            raise SupplyError(f"{field!r} must be a date or an ISO 8601 time, got {raw!r}", code="invalid_date",
                              field=field) from None
    if found.tzinfo is None:
        raise SupplyError(f"{field!r} needs a time zone (e.g. Z)", code="invalid_date", field=field)
    _in_range(found.date(), field)
    return found.astimezone(timezone.utc)


def not_future(moment_: datetime, now: datetime, field: str = "at") -> datetime:
    """Genealogy records what happened: a time ahead of the clock (beyond a few minutes' skew) is a typo
    that would bind every later install or removal of the item."""
    if moment_ > now + timedelta(minutes=5):
        raise SupplyError(f"{field!r} is in the future", code="future_time", field=field)
    return moment_


def identifier(value, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SupplyError(f"{field!r} must name an id", code="missing_field" if not value else "invalid_field",
                          field=field)
    return value.strip()


def stamp(moment_: datetime) -> str:
    """The event's form of a time: UTC, seconds, Z."""
    return moment_.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def lot_code(code: str, scheme: str, field: str = "supplier_lot_code") -> str:
    """A lot code as printed; under `gs1` it must be a valid GS1 AI (10) batch/lot value. It is
    stored as given, never rewritten."""
    if scheme not in LOT_SCHEMES:
        raise SupplyError(f"'lot_scheme' must be one of {', '.join(LOT_SCHEMES)}", code="invalid_field",
                          field="lot_scheme")
    if scheme == "gs1" and not GS1_LOT.fullmatch(code):
        raise SupplyError(f"{field!r} is not a GS1 AI (10) batch/lot: 1 to 20 characters of the GS1 character "
                          "set 82 (no spaces)", code="invalid_lot_code", field=field)
    return code
