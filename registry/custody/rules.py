"""Pure rules of custody, without the database: statuses, what may follow what, business days."""

from __future__ import annotations

from datetime import date, timedelta

from registry.errors import CONFLICT, INVALID, DomainError

KINDS = ("firearm", "vehicle", "goods")
SCHEMES_BY_KIND = {
    "firearm": ("firearm",),
    "vehicle": ("vin", "vehicle_legacy"),
    "goods": ("gs1", "imei", "hin", "iso6346", "plain"),
}
HANDGUN_TYPES = ("pistol", "revolver")
FIREARM_TYPES = ("pistol", "revolver", "rifle", "shotgun", "receiver", "frame", "other")
STATUSES = ("registered", "in_custody", "disposed", "stolen", "lost", "destroyed", "exported", "quarantined")
# Status changes an officer may record; which may follow which state is `states.ALLOWED`.
STATUS_CHANGES = ("stolen", "lost", "recovered", "released", "destroyed", "exported", "quarantined")
NO_SERIAL = "NSN"  # a firearm that bears no serial (e.g. made before 1968) is recorded under this mark
FIRST_MODEL_YEAR = 1886
THEFT_REPORT_HOURS = 48  # 27 CFR 478.39a: report a theft or loss within 48 hours of discovery
MULTIPLE_SALE_BUSINESS_DAYS = 5  # 27 CFR 478.126a: two or more handguns within five consecutive business days


class CustodyError(DomainError):
    """A request the custody rules refuse."""

    titles = {**DomainError.titles, INVALID: "Refused by a custody rule", CONFLICT: "Conflict with the item's state"}


def business_days_between(first: date, last: date) -> int:
    """Business days (Monday-Friday) from `first` to `last`, both counted (requires first <= last)."""
    days, day = 0, first
    while day <= last:
        if day.weekday() < 5:
            days += 1
        day += timedelta(days=1)
    return days


def within_business_days(first: date, last: date, limit: int = MULTIPLE_SALE_BUSINESS_DAYS) -> bool:
    """True when both dates fall within `limit` consecutive business days. A weekend day counts as
    the business day after it (a sale on Saturday is in the window that Monday opens)."""
    start, end = (_business_day_of(day) for day in sorted((first, last)))
    return business_days_between(start, end) <= limit


def _business_day_of(day: date) -> date:
    """The day itself, or for a Saturday or Sunday the Monday after it."""
    return day + timedelta(days=(7 - day.weekday()) % 7 if day.weekday() >= 5 else 0)


def check_status_details(kind: str, details: dict) -> None:
    """What a theft or loss must carry (Form 3310.11 for a firearm)."""
    if details["status"] not in ("stolen", "lost"):
        return
    for name in ("discovered_at", "police_report"):
        if not details.get(name):
            raise CustodyError(f"a theft or loss needs the {name.replace('_', ' ')}", code="missing_field", field=name)
    if kind == "firearm" and not details.get("atf_incident"):
        raise CustodyError(
            "a firearm theft or loss needs the ATF incident number (Form 3310.11)",
            code="missing_field",
            field="atf_incident",
        )
