"""Pricing: a level monthly repayment schedule and the figures quoted from it."""

from datetime import date
from fractions import Fraction
from typing import Literal

import msgspec

from ff_shared.domain.apr import apr_for_schedule
from ff_shared.domain.dates import add_months
from ff_shared.domain.money import round_half_up
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


class ScheduleRow(msgspec.Struct, frozen=True, kw_only=True):
    """One monthly instalment: what is paid, how it splits, and what is left owing after it."""

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
    """P·i / (1 - (1 + i)^-n), rounded half up to a penny; P/n when the rate is zero."""
    if term_months <= 0:
        raise ValueError("term_months must be positive")
    rate = monthly_rate(annual_rate_bps)
    if rate == 0:
        return round_half_up(Fraction(amount_pence, term_months))
    growth = (1 + rate) ** term_months
    return round_half_up(amount_pence * rate * growth / (growth - 1))


def build_schedule(
    amount_pence: int, term_months: int, annual_rate_bps: int, drawdown: date
) -> tuple[ScheduleRow, ...]:
    """The amortisation schedule, with the last instalment absorbing every rounding penny."""
    instalment = level_instalment(amount_pence, term_months, annual_rate_bps)
    rate = monthly_rate(annual_rate_bps)
    rows: list[ScheduleRow] = []
    balance = amount_pence
    for number in range(1, term_months + 1):
        interest = round_half_up(balance * rate)
        # Capping matters only for a product with tiny amounts over long terms, where
        # rounding could clear the balance early; it keeps every figure non-negative.
        principal = balance if number == term_months else min(instalment - interest, balance)
        balance -= principal
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
        apr_percent=apr_for_schedule(amount_pence, schedule),
        annual_rate_bps=product.annual_rate_bps,
        schedule=schedule,
    )
