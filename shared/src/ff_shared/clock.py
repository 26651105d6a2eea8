"""The one place that reads the wall clock. Times are UTC; customers' dates are London's."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def now_utc() -> datetime:
    """Now, to the millisecond: the precision MongoDB keeps, so a stored time reads back equal."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def london_date(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


def london_today() -> date:
    return london_date(now_utc())
