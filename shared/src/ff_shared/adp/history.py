"""Loans over time: each loan's schedule and payments as cumulative series, days past due, arrears
buckets and the month-end dates the arrears snapshots are taken on."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from datetime import date, timedelta

import msgspec

from ff_shared.adp.sources import InstalmentRow, TransactionRow
from ff_shared.domain.dates import add_months

BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")
PAYMENT = 3
WRITE_OFF = 6
ARREARS_DAYS = 30
DEFAULT_DAYS = 90


def bucket_of(days_past_due: int) -> str:
    if days_past_due <= 0:
        return "current"
    if days_past_due <= 30:
        return "1-30"
    if days_past_due <= 60:
        return "31-60"
    return "61-90" if days_past_due <= 90 else "90+"


def month_end(day: date) -> date:
    return add_months(day.replace(day=1), 1) - timedelta(days=1)


def snapshot_dates(as_of: date, months: int, earliest: date | None) -> list[date]:
    """Month ends in the ``months`` before ``as_of`` (none before ``earliest``), then ``as_of``."""
    dates: list[date] = []
    start = add_months(as_of.replace(day=1), -months)
    cursor = month_end(start)
    while cursor < as_of:
        if earliest is None or cursor >= earliest:
            dates.append(cursor)
        cursor = month_end(cursor + timedelta(days=1))
    dates.append(as_of)
    return dates


class LoanHistory(msgspec.Struct, kw_only=True):
    """One loan's schedule and money received, as sorted cumulative series for date look-ups."""

    due: list[date]
    cum_due: list[int]
    pay_dates: list[date]
    cum_paid: list[int]
    covered: list[date | None]
    """When cumulative payments first covered each instalment (None: not yet)."""
    written_off_date: date | None
    written_off_pence: int

    @classmethod
    def build(
        cls, instalments: Iterable[InstalmentRow], transactions: Iterable[TransactionRow]
    ) -> LoanHistory:
        due: list[date] = []
        cum_due: list[int] = []
        total = 0
        for i in sorted(instalments, key=lambda i: (i.due_date, i.number)):
            total += i.amount_pence
            due.append(i.due_date)
            cum_due.append(total)
        pay_dates: list[date] = []
        cum_paid: list[int] = []
        paid = 0
        written_off_date: date | None = None
        written_off = 0
        for t in sorted(transactions, key=lambda t: (t.transaction_date, t.transaction_id)):
            if t.type_id == PAYMENT:
                paid += t.amount_pence
                pay_dates.append(t.transaction_date)
                cum_paid.append(paid)
            elif t.type_id == WRITE_OFF:
                written_off += t.amount_pence
                written_off_date = written_off_date or t.transaction_date
        covered: list[date | None] = []
        j = 0
        for needed in cum_due:
            while j < len(cum_paid) and cum_paid[j] < needed:
                j += 1
            covered.append(pay_dates[j] if j < len(cum_paid) else None)
        return cls(
            due=due,
            cum_due=cum_due,
            pay_dates=pay_dates,
            cum_paid=cum_paid,
            covered=covered,
            written_off_date=written_off_date,
            written_off_pence=written_off,
        )

    def paid_by(self, day: date) -> int:
        k = bisect.bisect_right(self.pay_dates, day)
        return self.cum_paid[k - 1] if k else 0

    def due_by(self, day: date) -> int:
        k = bisect.bisect_right(self.due, day)
        return self.cum_due[k - 1] if k else 0

    def days_past_due(self, day: date) -> int:
        """Days the oldest instalment not covered by ``day`` has been overdue on ``day``."""
        for k, due in enumerate(self.due):
            if due >= day:
                return 0
            covered = self.covered[k]
            if covered is None or covered > day:
                return (day - due).days
        return 0

    def first_past(self, days: int, as_of: date) -> date | None:
        """The first day some instalment was more than ``days`` past due (up to ``as_of``)."""
        for k, due in enumerate(self.due):
            limit = due + timedelta(days=days)
            if limit >= as_of:
                return None
            covered = self.covered[k]
            if covered is None or covered > limit:
                return limit + timedelta(days=1)
        return None
