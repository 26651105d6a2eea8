"""The demo portfolio's loans as the loan book holds them: customers, agreements, schedules and
transactions, each loan repaying in its own way (on time, late, early, or not at all)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import msgspec

from ff_shared.domain.loans import Instalment, LoanTerms, decimal_from_pence, schedule_for


class DemoPortfolio(msgspec.Struct, kw_only=True):
    applications: list[dict[str, Any]]
    customers: list[tuple[Any, ...]]
    agreements: list[tuple[Any, ...]]
    instalments: list[tuple[Any, ...]]
    transactions: list[tuple[Any, ...]]
    sessions: list[tuple[Any, ...]]


class DemoLoan(msgspec.Struct, frozen=True, kw_only=True):
    """A funded demo loan: what the loan book is told about it."""

    number: str
    loan_no: int
    customer_id: str
    application_id: str
    area: str
    apr: float
    amount: int
    term: int
    start: date
    funded: datetime
    rate_bps: int


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _payments(
    rng: random.Random, dues: Sequence[tuple[date, int]], today: date
) -> tuple[list[tuple[date, int]], date | None]:
    """(payments, write-off date) for one loan's behaviour."""
    kind = rng.choices(["good", "late", "early", "troubled"], weights=[68, 12, 8, 12])[0]
    paid: list[tuple[date, int]] = []
    if kind == "troubled":
        stop = rng.randint(0, max(0, len(dues) // 2))
        paid = [(d, a) for d, a in dues[:stop]]
        stopped = dues[stop][0] if stop < len(dues) else dues[-1][0]
        written_off = stopped + timedelta(days=150) if rng.random() < 0.6 else None
        return [(d, a) for d, a in paid if d <= today], (
            written_off if written_off is not None and written_off <= today else None
        )
    settle_at = rng.randint(2, len(dues)) if kind == "early" and len(dues) > 2 else None
    for k, (due, amount) in enumerate(dues, start=1):
        delay = rng.randint(5, 45) if kind == "late" else rng.choice((0, 0, 0, 1, 2))
        day = due + timedelta(days=delay)
        if settle_at is not None and k == settle_at:
            paid.append((day, sum(a for _, a in dues[k - 1 :])))
            break
        paid.append((day, amount))
    return [(d, a) for d, a in paid if d <= today], None


def _customer_row(loan: DemoLoan) -> tuple[Any, ...]:
    return (
        loan.loan_no,
        loan.customer_id,
        "Mx",
        "Demo",
        f"Customer{loan.loan_no}",
        None,
        None,
        None,
        None,
        None,
        "Demo Town",
        f"{loan.area}1 1AA",
        _naive(loan.funded),
    )


def _instalment_rows(
    loan: DemoLoan, schedule: Sequence[Instalment], paid: int, today: date
) -> list[tuple[Any, ...]]:
    """Each instalment with what was paid on it, oldest first."""
    rows: list[tuple[Any, ...]] = []
    left = paid
    for i in schedule:
        on_it = min(i.amount_pence, left)
        left -= on_it
        state = (
            "Paid"
            if on_it == i.amount_pence
            else "PartPaid"
            if on_it > 0
            else "Overdue"
            if i.due_date <= today
            else "Due"
        )
        rows.append(
            (
                loan.loan_no,
                i.number,
                i.due_date,
                decimal_from_pence(i.amount_pence),
                decimal_from_pence(i.principal_pence),
                decimal_from_pence(i.interest_pence),
                decimal_from_pence(on_it),
                state,
            )
        )
    return rows


def _agreement_row(
    loan: DemoLoan,
    schedule: Sequence[Instalment],
    *,
    status: str,
    total: int,
    owed: int,
    arrears: int,
) -> tuple[Any, ...]:
    return (
        loan.loan_no,
        loan.number,
        loan.loan_no,
        loan.application_id,
        "FFPL",
        status,
        decimal_from_pence(loan.amount),
        loan.term,
        decimal_from_pence(loan.rate_bps),
        round(loan.apr, 4),
        decimal_from_pence(schedule[0].amount_pence),
        decimal_from_pence(total),
        decimal_from_pence(owed),
        decimal_from_pence(arrears),
        loan.start,
        schedule[0].due_date,
        schedule[-1].due_date,
        _naive(loan.funded),
        _naive(loan.funded),
    )


def book(out: DemoPortfolio, rng: random.Random, loan: DemoLoan, today: date) -> None:
    """The loan as the loan book holds it: customer, agreement, schedule and transactions."""
    terms = LoanTerms(
        advance_pence=loan.amount,
        term_months=loan.term,
        annual_rate_bps=loan.rate_bps,
        apr_percent=loan.apr,
        start_date=loan.start,
    )
    schedule = schedule_for(terms, loan.start)
    total = sum(i.amount_pence for i in schedule)
    payments, written_off = _payments(rng, [(i.due_date, i.amount_pence) for i in schedule], today)
    paid = sum(a for _, a in payments)
    owed = 0 if written_off else max(0, total - paid)
    due = sum(i.amount_pence for i in schedule if i.due_date <= today)
    arrears = 0 if written_off else max(0, due - paid)
    status = "Settled" if owed == 0 else ("Arrears" if arrears > 0 else "Live")
    out.customers.append(_customer_row(loan))
    out.agreements.append(
        _agreement_row(loan, schedule, status=status, total=total, owed=owed, arrears=arrears)
    )
    out.instalments.extend(_instalment_rows(loan, schedule, paid, today))
    moves = [(loan.start, 1, loan.amount), (loan.start, 2, total - loan.amount)]
    moves += [(d, 3, a) for d, a in payments]
    if written_off is not None:
        moves.append((written_off, 6, total - paid))
    for d, type_id, value in moves:
        out.transactions.append(
            (
                loan.loan_no,
                type_id,
                decimal_from_pence(value),
                d,
                f"DEMO-{loan.number}-{len(out.transactions)}",
                _naive(datetime.combine(d, time(18), tzinfo=UTC)),
            )
        )
