from datetime import date

import pytest

from ff_shared.domain.dates import add_months, age_on
from ff_shared.domain.money import format_pence, share_of
from ff_shared.domain.product import LoanProduct


@pytest.mark.parametrize(
    ("anchor", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 1, 31), 2, date(2026, 3, 31)),
        (date(2026, 1, 31), 3, date(2026, 4, 30)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 11, 15), 2, date(2027, 1, 15)),
        (date(2026, 12, 31), 14, date(2028, 2, 29)),
    ],
    ids=["clamp-feb", "back-to-31st", "clamp-30-day", "leap-feb", "year-wrap", "two-years"],
)
def test_add_months_clamps_to_month_end_but_keeps_the_anchor_day(
    anchor: date, months: int, expected: date
) -> None:
    assert add_months(anchor, months) == expected


@pytest.mark.parametrize(
    ("born", "today", "age"),
    [
        (date(2008, 11, 28), date(2026, 11, 28), 18),
        (date(2008, 11, 29), date(2026, 11, 28), 17),
        (date(2008, 2, 29), date(2026, 2, 28), 17),
        (date(2008, 2, 29), date(2026, 3, 1), 18),
    ],
    ids=["birthday-today", "birthday-tomorrow", "leapling-28-feb", "leapling-1-mar"],
)
def test_age_counts_completed_years(born: date, today: date, age: int) -> None:
    assert age_on(born, today) == age


@pytest.mark.parametrize(
    ("pence", "text"),
    [(300_000, "£3,000.00"), (5, "£0.05"), (-12_345, "-£123.45"), (0, "£0.00")],
)
def test_format_pence(pence: int, text: str) -> None:
    assert format_pence(pence) == text


def test_share_of_rounds_half_up() -> None:
    assert share_of(185_005, 1_000) == 18_501
    assert share_of(185_004, 1_000) == 18_500


def test_default_product_offers_200_to_3000_pounds_in_50_pound_steps() -> None:
    product = LoanProduct()
    amounts = list(product.amounts())
    assert amounts[0] == 20_000
    assert amounts[-1] == 300_000
    assert len(amounts) == 57
    assert product.amount_allowed(20_000)
    assert product.amount_allowed(25_000)
    assert not product.amount_allowed(20_001)
    assert not product.amount_allowed(15_000)
    assert not product.amount_allowed(305_000)
    assert list(product.terms()) == list(range(3, 25))
    assert not product.term_allowed(2)
    assert not product.term_allowed(25)


@pytest.mark.parametrize(
    "overrides",
    [
        {"min_amount_pence": 0},
        {"min_amount_pence": 400_000},
        {"amount_step_pence": 0},
        {"min_term_months": 30},
        {"annual_rate_bps": -1},
    ],
    ids=["zero-min", "min-above-max", "zero-step", "term-min-above-max", "negative-rate"],
)
def test_inconsistent_product_is_refused(overrides: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="product"):
        LoanProduct(**overrides)
