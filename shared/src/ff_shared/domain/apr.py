"""APR as the Consumer Credit (Total Charge for Credit) Regulations 2010 define it.

The Schedule's equation for unsecured credit is

    Σ advances_k · (1 + X)^(-s_k) = Σ repayments_l · (1 + X)^(-t_l)

with times in years from the drawdown, a month counting as 1/12 of a year. X has no closed form
once instalments are rounded to pence, so it is found numerically from the actual cash flows and
then stated as a percentage to one decimal place.
"""

import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

CashFlow = tuple[float, int]
"""(time in years from the drawdown, amount in pence)."""

MONTHS_PER_YEAR = 12
_TOLERANCE = 1e-13
_MAX_ITERATIONS = 400
# The rate is searched above this floor: (1 + X) must stay positive, and flows that imply a
# rate this close to -100% are not a loan anyone could be offered.
_LOWEST_RATE = -0.999_999
_HIGHEST_RATE = 1e9


class Instalment(Protocol):
    """What the APR needs of a schedule row: which month it falls in and how much is paid."""

    @property
    def number(self) -> int: ...

    @property
    def amount_pence(self) -> int: ...


def _check(flows: Sequence[CashFlow], name: str) -> None:
    if not flows:
        raise ValueError(f"{name} must not be empty")
    for time, pence in flows:
        if not math.isfinite(time) or time < 0:
            raise ValueError(f"{name} times must be finite and not before the drawdown")
        if pence < 0:
            raise ValueError(f"{name} amounts must not be negative")
    if sum(pence for _, pence in flows) == 0:
        raise ValueError(f"{name} must total more than zero")


def _present_value(flows: Sequence[CashFlow], rate: float) -> float:
    base = 1.0 + rate
    return math.fsum(pence * base ** (-time) for time, pence in flows)


def solve_annual_rate(advances: Sequence[CashFlow], repayments: Sequence[CashFlow]) -> float:
    """The unrounded X (a fraction, 0.426 = 42.6%) that balances the Schedule's equation.

    The bracket is widened until the balance changes sign and then bisected: slower than
    Newton's method but it cannot wander off, and a few hundred power evaluations are cheap.
    """
    _check(advances, "advances")
    _check(repayments, "repayments")
    scale = float(sum(pence for _, pence in advances))

    def balance(rate: float) -> float:
        return (_present_value(advances, rate) - _present_value(repayments, rate)) / scale

    low, high = 0.0, 1.0
    f_low = balance(low)
    if f_low == 0.0:
        return 0.0
    if f_low > 0.0:
        # Less is repaid than was lent, so the rate lies below zero.
        low, high = _LOWEST_RATE, 0.0
        if balance(low) > 0.0:
            raise ValueError("cash flows imply no rate above -100%")
    else:
        while balance(high) < 0.0:
            high *= 2.0
            if high > _HIGHEST_RATE:
                raise ValueError("cash flows imply no finite rate")
    f_low = balance(low)
    for _ in range(_MAX_ITERATIONS):
        middle = (low + high) / 2.0
        if high - low <= _TOLERANCE * max(1.0, abs(middle)):
            break
        f_middle = balance(middle)
        if f_middle == 0.0:
            return middle
        if (f_middle < 0.0) == (f_low < 0.0):
            low, f_low = middle, f_middle
        else:
            high = middle
    return (low + high) / 2.0


def to_apr_percent(rate: float) -> float:
    """Express a rate as a percentage to one decimal place, halves rounded up.

    The percentage is first cut to nine places so that binary noise in a root that sits
    exactly on a half (e.g. 12.25 found as 12.2499999999) does not decide the rounding.
    """
    percent = Decimal(f"{rate * 100:.9f}").quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    # Decimal keeps a sign on zero; "-0.0%" is not a rate anyone should read.
    return float(percent) if percent != 0 else 0.0


def apr_from_cash_flows(advances: Sequence[CashFlow], repayments: Sequence[CashFlow]) -> float:
    """The APR in percent, one decimal place, from (years, pence) advances and repayments."""
    return to_apr_percent(solve_annual_rate(advances, repayments))


def apr_for_schedule(amount_pence: int, schedule: Sequence[Instalment]) -> float:
    """The APR of a single advance at drawdown repaid by the k-th instalment at k/12 years."""
    if all(row.number == number for number, row in enumerate(schedule, start=1)):
        return apr_of_monthly_instalments(amount_pence, [row.amount_pence for row in schedule])
    advances = [(0.0, amount_pence)]
    repayments = [(row.number / MONTHS_PER_YEAR, row.amount_pence) for row in schedule]
    return apr_from_cash_flows(advances, repayments)


# The fast solver hands over to the bisection when the percentage lies this close (in tenths
# of a percent) to a rounding half, where the two solvers' last bits could round differently;
# the roots they find differ by far less than this.
_TIE_MARGIN = 1e-6
_NEWTON_ITERATIONS = 60


def apr_of_monthly_instalments(amount_pence: int, instalments: Sequence[int]) -> float:
    """The APR of ``amount_pence`` advanced at drawdown and repaid by ``instalments[k - 1]`` at
    k months: the same figure as :func:`apr_from_cash_flows`, found in a few steps.

    With v = (1 + X)^(-1/12) the Schedule's equation is the polynomial
    Σ a_k·v^k - P = 0, increasing and convex for v > 0 when no repayment is negative, so
    Newton's method from v = 1 converges to its one positive root without a bracket (from
    above when more is repaid than lent; after one step past it otherwise). Anything unusual
    (no convergence, a rate outside a loan's range, a percentage on a rounding half) is left to
    the bisection of :func:`solve_annual_rate`, which defines the figure.
    """
    total = sum(instalments)
    if amount_pence <= 0 or not instalments or min(instalments) < 0 or total <= 0:
        return _apr_by_bisection(amount_pence, instalments)  # raises, as it always has
    if total == amount_pence:
        return 0.0
    # Start from the usual estimate of an annuity's monthly rate, 2(Σa - P) / (P(n + 1)).
    n = len(instalments)
    estimate = 2.0 * (total - amount_pence) / (amount_pence * (n + 1))
    start = 1.0 / (1.0 + estimate) if estimate > -0.5 else 1.0
    rate = _newton_rate(float(amount_pence), [float(a) for a in reversed(instalments)], start)
    if rate is None or not -0.99 < rate < 1_000.0:
        return _apr_by_bisection(amount_pence, instalments)
    tenths = rate * 1_000.0
    if abs(tenths - math.floor(tenths) - 0.5) < _TIE_MARGIN:
        return _apr_by_bisection(amount_pence, instalments)
    return to_apr_percent(rate)


def _newton_rate(principal: float, highest_first: list[float], start: float) -> float | None:
    """The annual rate solving Σ a_k·v^k = P by Newton's method in v, or None if it stalls.

    From any v > 0 the first step lands at or above the root (the polynomial is convex) and the
    steps then shrink quadratically: once a step is below 1e-9 the error left is of the order
    of its square, far below a double's precision.
    """
    v = start
    for _ in range(_NEWTON_ITERATIONS):
        # Horner's rule for q(v) = Σ a_k·v^(k-1) and q'(v) at once; p(v) = v·q(v) - P.
        value = 0.0
        slope = 0.0
        for coefficient in highest_first:
            slope = slope * v + value
            value = value * v + coefficient
        step = (v * value - principal) / (value + v * slope)
        v -= step
        if not v > 0.0:
            return None
        if abs(step) <= 1e-9 * v:
            return float(v**-MONTHS_PER_YEAR - 1.0)
    return None


def _apr_by_bisection(amount_pence: int, instalments: Sequence[int]) -> float:
    repayments = [(k / MONTHS_PER_YEAR, a) for k, a in enumerate(instalments, start=1)]
    return apr_from_cash_flows([(0.0, amount_pence)], repayments)
