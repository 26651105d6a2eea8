"""The one place that reads the wall clock. Times are UTC; customers' dates are London's."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def now_utc() -> datetime:
    return datetime.now(UTC)


def london_date(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


def london_today() -> date:
    return london_date(now_utc())
