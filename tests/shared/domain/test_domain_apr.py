from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ff_shared.domain.apr import apr_for_schedule, apr_from_cash_flows, solve_annual_rate
from ff_shared.domain.pricing import build_schedule, quote
from ff_shared.domain.product import LoanProduct

DRAWDOWN = date(2026, 11, 28)
amounts = st.sampled_from(list(LoanProduct().amounts()))
terms = st.integers(min_value=3, max_value=24)


def _balance(rate: float, advance: int, instalments: list[int]) -> float:
    """The Schedule's equation, advances minus repayments, at ``rate``."""
    return advance - sum(c * (1 + rate) ** (-(k / 12)) for k, c in enumerate(instalments, 1))


def _newton_reference(advance: int, instalments: list[int]) -> float:
    """An independent solution of the same equation, by Newton's method from 0.5."""
    rate = 0.5
    for _ in range(100):
        derivative = sum(
            c * (k / 12) * (1 + rate) ** (-(k / 12) - 1) for k, c in enumerate(instalments, 1)
        )
        step = _balance(rate, advance, instalments) / derivative
        rate -= step
        if abs(step) < 1e-15:
            break
    return rate


def _one_decimal(percent: float) -> float:
    return float(Decimal(f"{percent:.9f}").quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def test_apr_of_one_thousand_pounds_over_a_year_at_36_percent_nominal() -> None:
    rows = build_schedule(100_000, 12, 3_600, DRAWDOWN)
    instalments = [r.amount_pence for r in rows]
    apr = apr_for_schedule(100_000, rows)
    reference = _newton_reference(100_000, instalments)
    assert apr == _one_decimal(reference * 100) == 42.6
    # The stated APR is within rounding of a rate that balances the equation.
    assert _balance((apr - 0.05) / 100, 100_000, instalments) < 0
    assert _balance((apr + 0.05) / 100, 100_000, instalments) > 0


def test_apr_rounds_a_half_up() -> None:
    # £100 repaid with £112.25 a year later is exactly 12.25%.
    assert apr_from_cash_flows([(0.0, 10_000)], [(1.0, 11_225)]) == 12.3


def test_apr_counts_every_advance_at_its_own_time() -> None:
    # Two £50 advances, now and in six months, cleared by £105 after a year.
    rate = solve_annual_rate([(0.0, 5_000), (0.5, 5_000)], [(1.0, 10_500)])
    assert 5_000 + 5_000 * (1 + rate) ** -0.5 == pytest.approx(10_500 / (1 + rate), rel=1e-12)


def test_apr_is_negative_when_less_is_repaid_than_lent() -> None:
    assert apr_from_cash_flows([(0.0, 10_000)], [(1.0, 9_000)]) == -10.0


@pytest.mark.parametrize(
    ("advances", "repayments"),
    [
        ([], [(1.0, 100)]),
        ([(0.0, 100)], []),
        ([(-1.0, 100)], [(1.0, 110)]),
        ([(0.0, 0)], [(1.0, 1)]),
    ],
    ids=["no-advances", "no-repayments", "advance-before-drawdown", "zero-advance"],
)
def test_apr_refuses_cash_flows_that_are_not_a_loan(
    advances: list[tuple[float, int]], repayments: list[tuple[float, int]]
) -> None:
    with pytest.raises(ValueError, match=r"advances|repayments"):
        apr_from_cash_flows(advances, repayments)


@given(amount=amounts, term=terms)
def test_apr_of_a_zero_rate_loan_is_zero(amount: int, term: int) -> None:
    assert quote(LoanProduct(annual_rate_bps=0), amount, term, DRAWDOWN).apr_percent == 0.0


@given(amount=amounts, term=terms, rate=st.integers(min_value=1, max_value=20_000))
def test_solved_rate_balances_the_equation(amount: int, term: int, rate: int) -> None:
    instalments = [r.amount_pence for r in build_schedule(amount, term, rate, DRAWDOWN)]
    solved = solve_annual_rate([(0.0, amount)], [(k / 12, c) for k, c in enumerate(instalments, 1)])
    assert abs(_balance(solved, amount, instalments)) < amount * 1e-10


# Pence rounding moves a small loan's cash flows by a penny or two, which can shift its APR by a
# few hundredths of a point either way; the properties below hold once the rates differ by more
# than that noise (25 bp apart, or a nominal rate of at least 5%).
@given(
    amount=amounts,
    term=terms,
    low=st.integers(min_value=0, max_value=15_000),
    gap=st.integers(min_value=25, max_value=5_000),
)
def test_apr_does_not_fall_as_the_nominal_rate_rises(
    amount: int, term: int, low: int, gap: int
) -> None:
    cheaper = quote(LoanProduct(annual_rate_bps=low), amount, term, DRAWDOWN).apr_percent
    dearer = quote(LoanProduct(annual_rate_bps=low + gap), amount, term, DRAWDOWN).apr_percent
    assert cheaper <= dearer


@given(amount=amounts, term=terms, rate=st.integers(min_value=500, max_value=20_000))
def test_apr_is_at_least_the_nominal_rate(amount: int, term: int, rate: int) -> None:
    assert (
        quote(LoanProduct(annual_rate_bps=rate), amount, term, DRAWDOWN).apr_percent >= rate / 100
    )
