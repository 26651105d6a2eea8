"""Pricing: a level monthly repayment schedule and the figures quoted from it."""

from datetime import date
from fractions import Fraction
from typing import Literal

import msgspec

from ff_shared.domain.apr import apr_of_monthly_instalments
from ff_shared.domain.dates import add_months
from ff_shared.domain.money import divide_half_up
from ff_shared.domain.product import LoanProduct

MONTHLY_RATE_DIVISOR = 12 * 10_000
"""Basis points of an annual rate -> monthly rate as a fraction."""


class OutsideProductError(ValueError):
    """A requested amount or term that the product does not offer."""

    def __init__(self, field: Literal["amount_pence", "term_months"], message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message

    @property
    def code(self) -> str:
        return "amount_outside_product" if self.field == "amount_pence" else "term_outside_product"


class ScheduleRow(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One monthly instalment: what is paid, how it splits, and what is left owing after it.

    Only numbers and a date, so never part of a reference cycle: untracked by the collector
    (``gc=False``), a quote's rows do not bring on collections."""

    number: int
    due_date: date
    amount_pence: int
    principal_pence: int
    interest_pence: int
    balance_after_pence: int


class Quote(msgspec.Struct, frozen=True, kw_only=True):
    """A priced loan. ``monthly_instalment_pence`` is the level instalment; the last one may
    differ by a few pence because it clears the balance exactly."""

    amount_pence: int
    term_months: int
    monthly_instalment_pence: int
    total_repayable_pence: int
    total_interest_pence: int
    apr_percent: float
    annual_rate_bps: int
    schedule: tuple[ScheduleRow, ...]


def check_in_product(product: LoanProduct, amount_pence: int, term_months: int) -> None:
    """Raise :class:`OutsideProductError` for the first of amount, term the product refuses."""
    if not product.amount_allowed(amount_pence):
        raise OutsideProductError("amount_pence", product.amount_rule())
    if not product.term_allowed(term_months):
        raise OutsideProductError("term_months", product.term_rule())


def monthly_rate(annual_rate_bps: int) -> Fraction:
    """One twelfth of the nominal annual rate, exactly."""
    return Fraction(annual_rate_bps, MONTHLY_RATE_DIVISOR)


def level_instalment(amount_pence: int, term_months: int, annual_rate_bps: int) -> int:
    """P·i / (1 - (1 + i)^-n), rounded half up to a penny; P/n when the rate is zero.

    With i = b / D (b the rate in basis points, D = 120,000) the instalment is the ratio of
    two integers, P·b·(D + b)^n / (D·((D + b)^n - D^n)), so it is rounded exactly without
    building a fraction.
    """
    if term_months <= 0:
        raise ValueError("term_months must be positive")
    if annual_rate_bps == 0:
        return divide_half_up(amount_pence, term_months)
    growth = (MONTHLY_RATE_DIVISOR + annual_rate_bps) ** term_months
    return divide_half_up(
        amount_pence * annual_rate_bps * growth,
        MONTHLY_RATE_DIVISOR * (growth - MONTHLY_RATE_DIVISOR**term_months),
    )


def instalment_amounts(amount_pence: int, term_months: int, annual_rate_bps: int) -> list[int]:
    """What each instalment of the schedule pays, first to last (the schedule without dates):
    the same loop as :func:`_amortise`, keeping only each row's amount."""
    instalment = level_instalment(amount_pence, term_months, annual_rate_bps)
    if amount_pence < 0 or annual_rate_bps < 0:
        return [
            principal + interest
            for principal, interest, _ in _amortise(amount_pence, term_months, annual_rate_bps)
        ]
    amounts: list[int] = []
    balance = amount_pence
    twice_divisor = 2 * MONTHLY_RATE_DIVISOR
    twice_rate = 2 * annual_rate_bps
    for _ in range(term_months - 1):
        interest = (balance * twice_rate + MONTHLY_RATE_DIVISOR) // twice_divisor
        if instalment - interest < balance:
            balance -= instalment - interest
            amounts.append(instalment)
        else:
            amounts.append(balance + interest)
            balance = 0
    amounts.append(balance + (balance * twice_rate + MONTHLY_RATE_DIVISOR) // twice_divisor)
    return amounts


def largest_instalment(amount_pence: int, term_months: int, annual_rate_bps: int) -> int:
    """The largest instalment of the schedule, which affordability is measured against."""
    return max(instalment_amounts(amount_pence, term_months, annual_rate_bps))


def _amortise(
    amount_pence: int, term_months: int, annual_rate_bps: int
) -> list[tuple[int, int, int]]:
    """(principal, interest, balance after) of each month, in integer pence.

    Each month's interest is the balance times b / 120,000 rounded half up, an exact integer
    division; the last instalment absorbs every rounding penny.
    """
    instalment = level_instalment(amount_pence, term_months, annual_rate_bps)
    rows: list[tuple[int, int, int]] = []
    balance = amount_pence
    twice_divisor = 2 * MONTHLY_RATE_DIVISOR
    twice_rate = 2 * annual_rate_bps
    for number in range(1, term_months + 1):
        if balance >= 0 and annual_rate_bps >= 0:
            interest = (balance * twice_rate + MONTHLY_RATE_DIVISOR) // twice_divisor
        else:
            interest = divide_half_up(balance * annual_rate_bps, MONTHLY_RATE_DIVISOR)
        # Capping matters only for a product with tiny amounts over long terms, where
        # rounding could clear the balance early; it keeps every figure non-negative.
        principal = balance if number == term_months else min(instalment - interest, balance)
        balance -= principal
        rows.append((principal, interest, balance))
    return rows


def build_schedule(
    amount_pence: int, term_months: int, annual_rate_bps: int, drawdown: date
) -> tuple[ScheduleRow, ...]:
    """The amortisation schedule, with the last instalment absorbing every rounding penny."""
    rows: list[ScheduleRow] = []
    amortised = _amortise(amount_pence, term_months, annual_rate_bps)
    for number, (principal, interest, balance) in enumerate(amortised, start=1):
        rows.append(
            ScheduleRow(
                number=number,
                due_date=add_months(drawdown, number),
                amount_pence=principal + interest,
                principal_pence=principal,
                interest_pence=interest,
                balance_after_pence=balance,
            )
        )
    return tuple(rows)


def quote(product: LoanProduct, amount_pence: int, term_months: int, drawdown: date) -> Quote:
    """Price ``amount_pence`` over ``term_months`` drawn down on ``drawdown`` (a London date)."""
    check_in_product(product, amount_pence, term_months)
    schedule = build_schedule(amount_pence, term_months, product.annual_rate_bps, drawdown)
    total = sum(row.amount_pence for row in schedule)
    return Quote(
        amount_pence=amount_pence,
        term_months=term_months,
        monthly_instalment_pence=level_instalment(
            amount_pence, term_months, product.annual_rate_bps
        ),
        total_repayable_pence=total,
        total_interest_pence=total - amount_pence,
        apr_percent=apr_of_monthly_instalments(amount_pence, [r.amount_pence for r in schedule]),
        annual_rate_bps=product.annual_rate_bps,
        schedule=schedule,
    )
