"""Loans over time: each loan's schedule and payments as cumulative series, days past due, arrears
buckets and the month-end dates the arrears snapshots are taken on."""

from __future__ import annotations

import bisect
import sys
from collections.abc import Iterable
from datetime import date, timedelta

import msgspec

from ff_shared.adp.sources import InstalmentRow, TransactionRow
from ff_shared.domain.dates import add_months

BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")
PAYMENT = 3
WRITE_OFF = 6
PAYMENT_REVERSAL = 7
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
    """One loan's schedule and money received, as sorted cumulative series for date look-ups.

    Money received is payments net of their reversals: a charge-back takes the money back on the
    day it is reversed, so an instalment a payment had covered can fall due again."""

    due: list[date]
    cum_due: list[int]
    pay_dates: list[date]
    """Each day money was received or taken back, once, in order."""
    cum_paid: list[int]
    """Net received by the end of each of ``pay_dates``."""
    low_after: list[int]
    """The least of ``cum_paid[j:]`` for each ``j`` (and no limit past the end): whether a
    reversal ever uncovers what was covered by ``pay_dates[j - 1]``."""
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
            if t.type_id in (PAYMENT, PAYMENT_REVERSAL):
                paid += t.amount_pence if t.type_id == PAYMENT else -t.amount_pence
                if pay_dates and pay_dates[-1] == t.transaction_date:
                    cum_paid[-1] = paid
                else:
                    pay_dates.append(t.transaction_date)
                    cum_paid.append(paid)
            elif t.type_id == WRITE_OFF:
                written_off += t.amount_pence
                written_off_date = written_off_date or t.transaction_date
        low_after = [*cum_paid, sys.maxsize]
        for j in range(len(cum_paid) - 1, -1, -1):
            low_after[j] = min(low_after[j], low_after[j + 1])
        return cls(
            due=due,
            cum_due=cum_due,
            pay_dates=pay_dates,
            cum_paid=cum_paid,
            low_after=low_after,
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
        # Instalments are covered oldest first: the first one the money received by ``day``
        # does not reach is the oldest uncovered.
        k = bisect.bisect_right(self.cum_due, self.paid_by(day))
        if k == len(self.due) or self.due[k] >= day:
            return 0
        return (day - self.due[k]).days

    def _uncovered_after(self, k: int, day: date) -> date | None:
        """The first of ``pay_dates`` after ``day`` that ends with instalment ``k`` (covered on
        ``day``) no longer covered: a reversal took back what covered it."""
        needed = self.cum_due[k]
        j = bisect.bisect_right(self.pay_dates, day)
        if self.low_after[j] >= needed:
            return None
        while self.cum_paid[j] >= needed:
            j += 1
        return self.pay_dates[j]

    def first_past(self, days: int, as_of: date) -> date | None:
        """The first day some instalment was more than ``days`` past due (up to ``as_of``)."""
        first: date | None = None
        for k, due in enumerate(self.due):
            limit = due + timedelta(days=days)
            if limit >= as_of:
                break
            if self.paid_by(limit) < self.cum_due[k]:
                # Later instalments pass their limits no earlier than this one.
                found = limit + timedelta(days=1)
                return found if first is None else min(first, found)
            reversed_on = self._uncovered_after(k, limit)
            if reversed_on is not None and reversed_on <= as_of:
                first = reversed_on if first is None else min(first, reversed_on)
        return first
