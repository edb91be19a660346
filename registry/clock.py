"""The registry's one clock. Views, jobs and commands ask it the time; services receive the time as
an argument (`now=`), so the web, the API, the CLI and the tests run one path. Tests move it with
`frozen()` instead of sleeping or patching `datetime`.

What "the future" means for a record: a calendar date is in the future when no place on Earth has
reached it yet (the clock's date in UTC+14, the earliest time zone), and a moment when it lies more
than a few minutes of clock skew ahead of this clock.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from typing import Iterator

EARLIEST_ZONE = timedelta(hours=14)  # UTC+14 (Line Islands): the first place a day begins
SKEW = timedelta(minutes=5)  # how far a client's clock may run ahead of ours

_frozen: list[datetime] = []


def now() -> datetime:
    """The current time, timezone-aware UTC."""
    return _frozen[-1] if _frozen else datetime.now(timezone.utc)


def latest_day(moment: datetime) -> date:
    """The last calendar date that has begun somewhere on Earth at `moment`."""
    return (moment.astimezone(timezone.utc) + EARLIEST_ZONE).date()


def latest_moment(moment: datetime) -> datetime:
    """The latest time a record made at `moment` may carry."""
    return moment + SKEW


@contextmanager
def frozen(moment: datetime) -> Iterator[datetime]:
    """Within the block, `now()` answers `moment` (requires an aware datetime)."""
    if moment.tzinfo is None:
        raise ValueError("the frozen time needs a time zone")
    _frozen.append(moment.astimezone(timezone.utc))
    try:
        yield _frozen[-1]
    finally:
        _frozen.pop()
