"""Integer-pence helpers: money never passes through binary floating point.

Amounts are computed as exact fractions and rounded once, so a true half penny is seen as a
half and rounded up, rather than as 0.4999... after a decimal division.
"""

import math
from fractions import Fraction

PENCE_PER_POUND = 100
BASIS_POINTS = 10_000


def round_half_up(value: Fraction | int) -> int:
    """Round to a whole number of pence, halves away from zero, as a person would by hand."""
    if value < 0:
        return -round_half_up(-value)
    return math.floor(value + Fraction(1, 2))


def divide_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half away from zero, in integers.

    The same answer as :func:`round_half_up` of the fraction, without building one.
    """
    if denominator == 0:
        raise ZeroDivisionError("divide_half_up by zero")
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    if numerator < 0:
        return -((-2 * numerator + denominator) // (2 * denominator))
    return (2 * numerator + denominator) // (2 * denominator)


def pounds(amount: int) -> int:
    """Whole pounds as pence, so policy tables read as the figures people quote."""
    return amount * PENCE_PER_POUND


def share_of(pence: int, basis_points: int) -> int:
    """``basis_points``/10,000 of ``pence``, rounded half up to a penny."""
    return divide_half_up(pence * basis_points, BASIS_POINTS)


def format_pence(pence: int) -> str:
    """Render pence as a sterling amount, e.g. ``300000`` -> ``£3,000.00``."""
    sign = "-" if pence < 0 else ""
    whole, part = divmod(abs(pence), PENCE_PER_POUND)
    return f"{sign}£{whole:,}.{part:02d}"
