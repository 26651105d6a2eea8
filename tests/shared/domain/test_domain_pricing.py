from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ff_shared.domain.pricing import OutsideProductError, build_schedule, quote
from ff_shared.domain.product import LoanProduct

PRODUCT = LoanProduct()
DRAWDOWN = date(2026, 11, 28)

amounts = st.sampled_from(list(PRODUCT.amounts()))
terms = st.integers(min_value=PRODUCT.min_term_months, max_value=PRODUCT.max_term_months)
rates = st.integers(min_value=0, max_value=20_000)
drawdowns = st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 12, 31))


@given(amount=amounts, term=terms, rate=rates, drawdown=drawdowns)
def test_schedule_repays_the_principal_exactly(
    amount: int, term: int, rate: int, drawdown: date
) -> None:
    priced = quote(LoanProduct(annual_rate_bps=rate), amount, term, drawdown)
    rows = priced.schedule
    assert len(rows) == term
    assert sum(r.principal_pence for r in rows) == amount
    assert rows[-1].balance_after_pence == 0
    assert all(
        min(r.amount_pence, r.principal_pence, r.interest_pence, r.balance_after_pence) >= 0
        for r in rows
    )
    assert all(r.amount_pence == r.principal_pence + r.interest_pence for r in rows)
    assert sum(r.amount_pence for r in rows) == priced.total_repayable_pence
    assert priced.total_interest_pence == priced.total_repayable_pence - amount
    assert all(r.amount_pence == priced.monthly_instalment_pence for r in rows[:-1])


@given(amount=amounts, term=terms, rate=rates, drawdown=drawdowns)
def test_each_month_charges_interest_on_the_balance_rounded_half_up(
    amount: int, term: int, rate: int, drawdown: date
) -> None:
    balance = amount
    for row in build_schedule(amount, term, rate, drawdown):
        exact = Decimal(balance) * rate / 120_000
        assert row.interest_pence == int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
        balance = row.balance_after_pence


@given(amount=amounts, term=terms, drawdown=drawdowns)
def test_due_dates_fall_monthly_on_the_drawdown_day_or_the_month_end(
    amount: int, term: int, drawdown: date
) -> None:
    rows = build_schedule(amount, term, 3_600, drawdown)
    assert rows[0].due_date > drawdown
    for row in rows:
        months_on = (row.due_date.year - drawdown.year) * 12 + row.due_date.month - drawdown.month
        assert months_on == row.number
        assert row.due_date.day == drawdown.day or row.due_date.day < drawdown.day


def test_one_thousand_pounds_over_twelve_months_at_36_percent() -> None:
    priced = quote(PRODUCT, 100_000, 12, date(2026, 1, 31))
    # 100,000 * 0.03 / (1 - 1.03^-12) = 10,046.2085... pence
    assert priced.monthly_instalment_pence == 10_046
    assert priced.schedule[0].interest_pence == 3_000
    assert priced.schedule[0].principal_pence == 7_046
    assert priced.schedule[-1].amount_pence == 10_051
    assert priced.total_repayable_pence == 11 * 10_046 + 10_051
    assert priced.apr_percent == 42.6
    assert [r.due_date for r in priced.schedule[:3]] == [
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
    ]


def test_zero_rate_splits_the_amount_with_the_last_instalment_taking_the_remainder() -> None:
    priced = quote(LoanProduct(annual_rate_bps=0), 20_000, 3, DRAWDOWN)
    assert [r.amount_pence for r in priced.schedule] == [6_667, 6_667, 6_666]
    assert priced.total_interest_pence == 0
    assert priced.apr_percent == 0.0


@pytest.mark.parametrize(
    ("amount", "term", "field", "message"),
    [
        (
            15_000,
            12,
            "amount_pence",
            "amount must be between £200.00 and £3,000.00 in steps of £50.00",
        ),
        (
            20_001,
            12,
            "amount_pence",
            "amount must be between £200.00 and £3,000.00 in steps of £50.00",
        ),
        (
            305_000,
            12,
            "amount_pence",
            "amount must be between £200.00 and £3,000.00 in steps of £50.00",
        ),
        (100_000, 2, "term_months", "term must be between 3 and 24 months"),
        (100_000, 25, "term_months", "term must be between 3 and 24 months"),
    ],
    ids=["below-min", "off-step", "above-max", "term-short", "term-long"],
)
def test_quote_outside_the_product_names_the_field(
    amount: int, term: int, field: str, message: str
) -> None:
    with pytest.raises(OutsideProductError) as caught:
        quote(PRODUCT, amount, term, DRAWDOWN)
    assert caught.value.field == field
    assert caught.value.message == message
    assert isinstance(caught.value, ValueError)
