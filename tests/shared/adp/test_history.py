"""A loan's history with payments netted against their reversals, and, for histories with no
reversal, the same answers as the algorithm it replaced (kept here as ``_Before``)."""

from __future__ import annotations

import bisect
from datetime import UTC, date, datetime, timedelta

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from ff_shared.adp.history import LoanHistory
from ff_shared.adp.sources import InstalmentRow, TransactionRow
from ff_shared.domain.dates import add_months
from ff_shared.domain.loans import TransactionType

START = date(2026, 1, 1)
AS_OF = date(2026, 12, 31)


class _Before(msgspec.Struct, kw_only=True):
    """The history as it was before reversals were netted: payments only, cumulative."""

    due: list[date]
    cum_due: list[int]
    pay_dates: list[date]
    cum_paid: list[int]
    covered: list[date | None]

    @classmethod
    def build(cls, instalments: list[InstalmentRow], transactions: list[TransactionRow]) -> _Before:
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
        for t in sorted(transactions, key=lambda t: (t.transaction_date, t.transaction_id)):
            if t.type_id == TransactionType.PAYMENT:
                paid += t.amount_pence
                pay_dates.append(t.transaction_date)
                cum_paid.append(paid)
        covered: list[date | None] = []
        j = 0
        for needed in cum_due:
            while j < len(cum_paid) and cum_paid[j] < needed:
                j += 1
            covered.append(pay_dates[j] if j < len(cum_paid) else None)
        return cls(
            due=due, cum_due=cum_due, pay_dates=pay_dates, cum_paid=cum_paid, covered=covered
        )

    def paid_by(self, day: date) -> int:
        k = bisect.bisect_right(self.pay_dates, day)
        return self.cum_paid[k - 1] if k else 0

    def days_past_due(self, day: date) -> int:
        for k, due in enumerate(self.due):
            if due >= day:
                return 0
            covered = self.covered[k]
            if covered is None or covered > day:
                return (day - due).days
        return 0

    def first_past(self, days: int, as_of: date) -> date | None:
        for k, due in enumerate(self.due):
            limit = due + timedelta(days=days)
            if limit >= as_of:
                return None
            covered = self.covered[k]
            if covered is None or covered > limit:
                return limit + timedelta(days=1)
        return None


def _schedule(amounts: list[int]) -> list[InstalmentRow]:
    return [
        InstalmentRow(
            agreement_number="A1",
            number=n,
            due_date=add_months(START, n),
            amount_pence=amount,
            principal_pence=amount,
            interest_pence=0,
            paid_pence=0,
            status="due",
        )
        for n, amount in enumerate(amounts, start=1)
    ]


def _tx(n: int, kind: TransactionType, pence: int, on: date) -> TransactionRow:
    return TransactionRow(
        transaction_id=n,
        agreement_number="A1",
        type_id=int(kind),
        amount_pence=pence,
        transaction_date=on,
        created_at=datetime(on.year, on.month, on.day, tzinfo=UTC),
    )


PAY = TransactionType.PAYMENT
REVERSAL = TransactionType.PAYMENT_REVERSAL

_days = st.integers(min_value=0, max_value=(AS_OF - START).days).map(
    lambda d: START + timedelta(days=d)
)


@settings(max_examples=300, deadline=None)
@given(
    amounts=st.lists(st.integers(min_value=1, max_value=50_000), min_size=1, max_size=12),
    payments=st.lists(st.tuples(st.integers(min_value=1, max_value=60_000), _days), max_size=15),
    fees=st.lists(st.tuples(st.integers(min_value=1, max_value=5_000), _days), max_size=3),
    probes=st.lists(_days, min_size=1, max_size=8),
)
def test_without_reversals_every_answer_is_the_one_before(
    amounts: list[int],
    payments: list[tuple[int, date]],
    fees: list[tuple[int, date]],
    probes: list[date],
) -> None:
    schedule = _schedule(amounts)
    transactions = [_tx(n, PAY, pence, on) for n, (pence, on) in enumerate(payments, start=1)]
    transactions += [
        _tx(100 + n, TransactionType.FEE, pence, on) for n, (pence, on) in enumerate(fees)
    ]
    now = LoanHistory.build(schedule, transactions)
    before = _Before.build(schedule, transactions)
    for day in [*probes, date.max]:
        assert now.paid_by(day) == before.paid_by(day)
    for day in probes:
        assert now.days_past_due(day) == before.days_past_due(day)
        for days in (30, 90):
            assert now.first_past(days, day) == before.first_past(days, day)
            assert now.first_past(days, AS_OF) == before.first_past(days, AS_OF)


@settings(max_examples=200, deadline=None)
@given(
    amounts=st.lists(st.integers(min_value=1, max_value=50_000), min_size=1, max_size=12),
    payments=st.lists(st.tuples(st.integers(min_value=1, max_value=60_000), _days), max_size=10),
    probes=st.lists(_days, min_size=1, max_size=8),
)
def test_a_payment_reversed_the_same_day_is_as_if_it_never_came(
    amounts: list[int], payments: list[tuple[int, date]], probes: list[date]
) -> None:
    schedule = _schedule(amounts)
    kept = [_tx(n, PAY, pence, on) for n, (pence, on) in enumerate(payments, start=1)]
    bounced = [_tx(500, PAY, 12_345, probes[0]), _tx(501, REVERSAL, 12_345, probes[0])]
    netted = LoanHistory.build(schedule, kept + bounced)
    without = LoanHistory.build(schedule, kept)
    for day in probes:
        assert netted.paid_by(day) == without.paid_by(day)
        assert netted.days_past_due(day) == without.days_past_due(day)
        assert netted.first_past(30, day) == without.first_past(30, day)


def test_a_charge_back_puts_the_instalment_it_covered_back_in_arrears() -> None:
    # Three £100 instalments due 1 Feb, 1 Mar, 1 Apr; February's paid on time, charged back on
    # 10 April; March's and April's paid on time.
    schedule = _schedule([10_000, 10_000, 10_000])
    history = LoanHistory.build(
        schedule,
        [
            _tx(1, PAY, 10_000, date(2026, 2, 1)),
            _tx(2, PAY, 10_000, date(2026, 3, 1)),
            _tx(3, PAY, 10_000, date(2026, 4, 1)),
            _tx(4, REVERSAL, 10_000, date(2026, 4, 10)),
        ],
    )
    assert history.paid_by(date(2026, 4, 9)) == 30_000
    assert history.paid_by(date(2026, 4, 10)) == 20_000
    assert history.paid_by(date.max) == 20_000
    assert history.days_past_due(date(2026, 4, 9)) == 0
    # The money left covers February's and March's instalments (oldest first): April's is
    # the one unpaid, 9 days overdue on the day of the reversal.
    assert history.days_past_due(date(2026, 4, 10)) == 9
    assert history.days_past_due(date(2026, 5, 2)) == 31
    assert history.first_past(30, date(2026, 5, 1)) is None
    assert history.first_past(30, date(2026, 12, 31)) == date(2026, 5, 2)
    assert history.first_past(90, date(2026, 12, 31)) == date(2026, 7, 1)


def test_an_instalment_reversed_after_its_limit_passes_it_on_the_day_of_the_reversal() -> None:
    # February's £100 paid on time and charged back on 20 April, 78 days after it was due;
    # nothing else paid, nothing else due yet.
    schedule = _schedule([10_000])
    history = LoanHistory.build(
        schedule,
        [_tx(1, PAY, 10_000, date(2026, 2, 1)), _tx(2, REVERSAL, 10_000, date(2026, 4, 20))],
    )
    assert history.days_past_due(date(2026, 4, 19)) == 0
    assert history.days_past_due(date(2026, 4, 20)) == 78
    assert history.first_past(30, date(2026, 4, 19)) is None
    assert history.first_past(30, date(2026, 12, 31)) == date(2026, 4, 20)
    # More than 90 days past due from 3 May, as if it had never been paid.
    assert history.first_past(90, date(2026, 12, 31)) == date(2026, 5, 3)
