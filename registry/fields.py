"""The fields every domain takes from its users: text, calendar dates, moments, quantities and whole
numbers. One parser each, so a date means the same thing on every form, API call and import, and a
refusal names its field with a stable code: `missing_field`, `invalid_field`, `invalid_quantity`,
`invalid_date` (not a date, or outside 1900-2999) and `future_date` (a date no place on Earth has
reached yet, or a moment beyond the clock's skew). Also how events write and read times (`stamp`,
`stored_moment`).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timezone
from decimal import Decimal

from registry import clock
from registry.errors import INVALID, DomainError
from registry.supply import quantities

EARLIEST_YEAR, LATEST_YEAR = 1900, 2999  # beyond these a date is a typo, and date arithmetic near 9999 overflows
# C0 controls other than tab, line feed and carriage return, and lone surrogates: no stored text holds them.
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


class FieldError(DomainError):
    """A value the registry cannot take for its field."""

    titles = {**DomainError.titles, INVALID: "Invalid field"}


def _name(field: str) -> str:
    return field.rsplit(".", 1)[-1].replace("_", " ")


def text(value, field: str, *, required: bool = False, limit: int = 200) -> str | None:
    """Stripped text of at most `limit` characters, or None when empty (refused when `required`)."""
    if value is not None and not isinstance(value, str):
        raise FieldError(f"the {_name(field)} must be text", code="invalid_field", field=field)
    value = (value or "").strip()
    if required and not value:
        raise FieldError(f"the {_name(field)} is required", code="missing_field", field=field)
    if len(value) > limit:
        raise FieldError(f"the {_name(field)} is longer than {limit} characters", code="invalid_field", field=field)
    if _FORBIDDEN.search(value):
        raise FieldError(f"the {_name(field)} holds a control character", code="invalid_field", field=field)
    return value or None


# What does not print: format characters (zero-width space, bidirectional overrides), controls,
# private-use and unassigned code points, line and paragraph separators.
NOT_PRINTED = ("Cf", "Cc", "Co", "Cn", "Zl", "Zp")


def not_printed(value: str) -> str | None:
    """The first character of `value` that does not print, or None."""
    return next((c for c in value if unicodedata.category(c) in NOT_PRINTED), None)


def _odd_space(value: str) -> str | None:
    """The first space of `value` other than the plain one (a no-break or an em space), or None."""
    return next((c for c in value if unicodedata.category(c) == "Zs" and c != " "), None)


def label(value, field: str, *, required: bool = False, limit: int = 64) -> str | None:
    """A code people read off a label or a shelf (a part number, a lot code, a location, a campaign
    number): text as `text` takes it, with every character one that prints, so two codes that look
    the same are the same."""
    found = text(value, field, required=required, limit=limit)
    hidden = not_printed(found or "") or _odd_space(found or "")
    if hidden is not None:
        raise FieldError(
            f"the {_name(field)} holds {unicodedata.name(hidden, f'U+{ord(hidden):04X}')}, a character that does "
            "not print as itself: it would not match the code as printed",
            code="invalid_field",
            field=field,
        )
    return found


def _in_range(found: date, field: str) -> date:
    if not EARLIEST_YEAR <= found.year <= LATEST_YEAR:
        raise FieldError(
            f"the {_name(field)} must lie between {EARLIEST_YEAR} and {LATEST_YEAR}", code="invalid_date", field=field
        )
    return found


def not_future_day(found: date, field: str, *, now: datetime) -> date:
    latest = clock.latest_day(now)
    if found > latest:
        raise FieldError(
            f"the {_name(field)} {found.isoformat()} lies in the future: no place on Earth has "
            f"reached it yet (the latest date today is {latest.isoformat()})",
            code="future_date",
            field=field,
        )
    return found


def not_future_moment(found: datetime, field: str, *, now: datetime) -> datetime:
    if found > clock.latest_moment(now):
        raise FieldError(
            f"the {_name(field)} {found.isoformat()} lies in the future (the registry's clock reads "
            f"{now.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC)",
            code="future_date",
            field=field,
        )
    return found


_CALENDAR_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def day(value, field: str = "date", *, now: datetime | None) -> date:
    """A calendar date from a date or an ISO 8601 date (YYYY-MM-DD). With `now`, a date that no
    place on Earth has reached at `now` is refused; `now=None` takes any date (a period's end)."""
    if isinstance(value, datetime):
        found = value.date()
    elif isinstance(value, date):
        found = value
    elif isinstance(value, str) and value.strip():
        try:
            if not _CALENDAR_DATE.fullmatch(value.strip()):  # fromisoformat also reads 20261201 and 2026-W48-1
                raise ValueError
            found = date.fromisoformat(value.strip())
        except ValueError:
            raise FieldError(
                f"the {_name(field)} must be a date (YYYY-MM-DD), not {value.strip()[:40]!r}",
                code="invalid_date",
                field=field,
            ) from None
    elif value in (None, ""):
        raise FieldError(f"the {_name(field)} is required", code="missing_field", field=field)
    else:
        raise FieldError(f"the {_name(field)} must be a date (YYYY-MM-DD)", code="invalid_date", field=field)
    _in_range(found, field)
    return found if now is None else not_future_day(found, field, now=now)


def moment(value, field: str, *, now: datetime | None) -> datetime:
    """A UTC time from an aware datetime, an ISO 8601 time with a zone, or a date (its midnight UTC).
    With `now`, a time beyond the clock's skew is refused."""
    if isinstance(value, datetime):
        found = value
    elif isinstance(value, date):
        found = datetime.combine(value, time(), timezone.utc)
    elif isinstance(value, str) and value.strip():
        raw = value.strip()
        try:
            found = (
                datetime.combine(date.fromisoformat(raw), time(), timezone.utc)
                if len(raw) == 10
                else stored_moment(raw)
            )
        except ValueError:
            raise FieldError(
                f"the {_name(field)} must be a date or an ISO 8601 time, not {raw[:40]!r}",
                code="invalid_date",
                field=field,
            ) from None
    elif value in (None, ""):
        raise FieldError(f"the {_name(field)} is required", code="missing_field", field=field)
    else:
        raise FieldError(f"the {_name(field)} must be an ISO 8601 time", code="invalid_date", field=field)
    if found.tzinfo is None:
        raise FieldError(f"the {_name(field)} needs a time zone (e.g. Z or +02:00)", code="invalid_date", field=field)
    _in_range(found.date(), field)
    try:
        found = found.astimezone(timezone.utc)
    except OverflowError:
        raise FieldError(
            f"the {_name(field)} must lie between {EARLIEST_YEAR} and {LATEST_YEAR}", code="invalid_date", field=field
        ) from None
    return found if now is None else not_future_moment(found, field, now=now)


def quantity(value, field: str = "quantity", *, allow_zero: bool = False) -> Decimal:
    """A positive decimal quantity (zero when `allow_zero`), as `registry.supply.quantities` reads it."""
    if value is None or value == "":
        raise FieldError(f"{field!r} is required", code="missing_field", field=field)
    try:
        return quantities.parse(value, allow_zero=allow_zero)
    except quantities.QuantityError as error:
        raise FieldError(f"{field!r}: {error}", code="invalid_quantity", field=field) from None


def whole_number(value, field: str, *, minimum: int = 0, maximum: int = 100_000) -> int:
    if value is None or value == "":
        raise FieldError(f"the {_name(field)} is required", code="missing_field", field=field)
    given = value if isinstance(value, int) and not isinstance(value, bool) else str(value).strip()
    # int() reads any script's digits and underscores ("١٢", "1_2"): only ASCII digits are a number here.
    if isinstance(given, str) and not re.fullmatch(r"-?[0-9]+", given):
        raise FieldError(f"{field!r} must be a whole number", code="invalid_field", field=field)
    number = int(given)
    if not minimum <= number <= maximum:
        raise FieldError(f"{field!r} must be between {minimum} and {maximum}", code="invalid_field", field=field)
    return number


# A list page's number stops here: a number beyond it would only ask the database for an offset
# past the largest integer it holds (PostgreSQL refused it, and the page answered 500).
MAX_PAGE = 1_000_000


def page_number(value: str | None) -> int:
    """A list page's number from the query string, from 0: anything but digits 0-9 is the first page,
    and a number past MAX_PAGE is MAX_PAGE (an empty page)."""
    if value is None or not (value.isascii() and value.isdigit()):
        return 0
    return MAX_PAGE if len(value) > 7 else min(int(value), MAX_PAGE)


def iso_day(value: date | None, default: date | None = None) -> str | None:
    """A form's date as events write it (YYYY-MM-DD), or `default`'s, or None."""
    chosen = value or default
    return chosen.isoformat() if chosen else None


def stamp(moment_: datetime) -> str:
    """How an event writes a time: UTC, to the second, with Z."""
    return moment_.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def stored_moment(text: str) -> datetime:
    """A time as an event wrote it (`stamp`, or the entry's own time), back as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
