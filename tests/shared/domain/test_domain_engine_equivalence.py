"""The integer-pence pricing, the Newton APR and the decision engine built on them give exactly
the answers of the engine as first written (exact fractions, bisection, full schedules), which
tests/fixtures/reference_engine.py keeps verbatim."""

from datetime import date

import msgspec
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from tests.fixtures import reference_engine as reference

from ff_shared.domain.affordability import DecisionPolicy
from ff_shared.domain.application import STEPS, ApplicationData, example_for, validate_step
from ff_shared.domain.apr import apr_for_schedule, apr_of_monthly_instalments
from ff_shared.domain.dates import add_months
from ff_shared.domain.decision import decide, offer_for
from ff_shared.domain.money import divide_half_up, round_half_up
from ff_shared.domain.pricing import (
    build_schedule,
    instalment_amounts,
    largest_instalment,
    level_instalment,
    quote,
)
from ff_shared.domain.product import LoanProduct
from ff_shared.domain.steps import (
    EmploymentStatus,
    Insolvency,
    MaritalStatus,
    PayFrequency,
)
from ff_shared.settings import ProductSettings

TODAY = date(2026, 11, 28)
PRODUCT = LoanProduct()
EXAMPLE = ApplicationData(
    **{s: validate_step(s, example_for(s), today=TODAY, product=PRODUCT) for s in STEPS}
)

rates = st.integers(min_value=0, max_value=20_000)
drawdowns = st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 12, 31))


def _every_amount_and_term(product: LoanProduct) -> list[tuple[int, int]]:
    return [(a, t) for a in product.amounts() for t in product.terms()]


@pytest.mark.parametrize("rate", [PRODUCT.annual_rate_bps, 0, 1, 1_999, 9_999, 20_000])
def test_every_quote_of_the_product_is_unchanged(rate: int) -> None:
    """Schedule, totals and APR of every amount and term the product offers, at its rate and
    at rates either side of it."""
    product = msgspec.structs.replace(PRODUCT, annual_rate_bps=rate)
    for amount, term in _every_amount_and_term(product):
        expected = reference.quote(product, amount, term, TODAY)
        assert quote(product, amount, term, TODAY) == expected, (amount, term)
        assert offer_for(product, amount, term, TODAY) == reference.offer_for(
            product, amount, term, TODAY
        )


def test_every_quote_of_the_configured_product_is_unchanged() -> None:
    product = msgspec.convert(msgspec.to_builtins(ProductSettings()), LoanProduct)
    for amount, term in _every_amount_and_term(product):
        expected = reference.quote(product, amount, term, TODAY)
        assert quote(product, amount, term, TODAY) == expected, (amount, term)


@settings(max_examples=400)
@given(
    amount=st.integers(min_value=1, max_value=10_000_000),
    term=st.integers(min_value=1, max_value=120),
    rate=st.integers(min_value=0, max_value=100_000),
    drawdown=drawdowns,
)
def test_schedule_and_apr_of_any_loan_are_unchanged(
    amount: int, term: int, rate: int, drawdown: date
) -> None:
    schedule = build_schedule(amount, term, rate, drawdown)
    assert schedule == reference.build_schedule(amount, term, rate, drawdown)
    assert level_instalment(amount, term, rate) == reference.level_instalment(amount, term, rate)
    assert instalment_amounts(amount, term, rate) == [r.amount_pence for r in schedule]
    assert largest_instalment(amount, term, rate) == max(r.amount_pence for r in schedule)
    assert apr_for_schedule(amount, schedule) == reference.apr_for_schedule(amount, schedule)


@given(
    amount=st.integers(min_value=1, max_value=1_000_000),
    instalments=st.lists(st.integers(min_value=0, max_value=200_000), min_size=1, max_size=60),
)
def test_apr_of_arbitrary_monthly_repayments_is_unchanged(
    amount: int, instalments: list[int]
) -> None:
    """Uneven, short and zero repayments too, including less repaid than lent; where the
    reference refuses the flows, so does the fast solver."""
    rows = [(k / 12, a) for k, a in enumerate(instalments, start=1)]
    try:
        expected = reference.apr_from_cash_flows([(0.0, amount)], rows)
    except ValueError as refused:
        with pytest.raises(ValueError, match=str(refused)):
            apr_of_monthly_instalments(amount, instalments)
    else:
        assert apr_of_monthly_instalments(amount, instalments) == expected


@given(numerator=st.integers(-(10**30), 10**30), denominator=st.integers(1, 10**12))
def test_integer_half_up_division_matches_the_fraction(numerator: int, denominator: int) -> None:
    from fractions import Fraction

    expected = round_half_up(Fraction(numerator, denominator))
    assert divide_half_up(numerator, denominator) == expected
    assert divide_half_up(-numerator, -denominator) == expected


pence = st.integers(min_value=0, max_value=90_000)


@st.composite
def applications(draw: st.DrawFn) -> ApplicationData:
    """The example application with the figures and facts the rules read drawn at random."""
    replace = msgspec.structs.replace
    return replace(
        EXAMPLE,
        loan=replace(
            EXAMPLE.loan,
            amount_pence=draw(
                st.sampled_from(list(PRODUCT.amounts()))
                if draw(st.integers(0, 9))
                else st.integers(min_value=1, max_value=400_000)
            ),
            term_months=draw(
                st.integers(PRODUCT.min_term_months, PRODUCT.max_term_months)
                if draw(st.integers(0, 9))
                else st.integers(min_value=1, max_value=30)
            ),
        ),
        personal=replace(
            EXAMPLE.personal,
            marital_status=draw(st.sampled_from(list(MaritalStatus))),
            dependants=draw(st.integers(min_value=0, max_value=5)),
            date_of_birth=draw(st.dates(min_value=date(1940, 1, 1), max_value=date(2009, 12, 31))),
        ),
        address=replace(
            EXAMPLE.address,
            country=draw(st.sampled_from(["GB"] * 19 + ["IE"])),
            years_at_address=draw(st.integers(min_value=0, max_value=30)),
            months_at_address=draw(st.integers(min_value=0, max_value=11)),
        ),
        employment=replace(
            EXAMPLE.employment,
            status=draw(st.sampled_from(list(EmploymentStatus))),
            pay_frequency=draw(st.sampled_from(list(PayFrequency))),
            net_monthly_income_pence=draw(st.integers(min_value=80_000, max_value=600_000)),
            other_monthly_income_pence=draw(st.sampled_from([0, 0, 5_000, 40_000])),
        ),
        expenditure=replace(
            EXAMPLE.expenditure,
            housing_pence=draw(pence),
            food_pence=draw(st.integers(min_value=0, max_value=40_000)),
            childcare_pence=draw(st.sampled_from([0, 0, 20_000])),
            credit_commitments_pence=draw(st.integers(min_value=0, max_value=60_000)),
        ),
        declarations=replace(
            EXAMPLE.declarations,
            insolvency=draw(st.sampled_from([Insolvency.NONE] * 30 + list(Insolvency))),
        ),
    )


verified = st.one_of(st.none(), st.none(), st.integers(min_value=0, max_value=400_000))


@settings(max_examples=300, deadline=None)
@given(
    data=applications(),
    rate=st.sampled_from([3_600, 3_600, 0, 999, 9_900]),
    income=verified,
    spend=verified,
    today=st.dates(min_value=date(2026, 1, 1), max_value=date(2030, 12, 31)),
)
def test_decisions_on_random_applications_are_unchanged(
    data: ApplicationData, rate: int, income: int | None, spend: int | None, today: date
) -> None:
    """Approvals, counter-offers (the search over the product), declines and every trace."""
    product = msgspec.structs.replace(PRODUCT, annual_rate_bps=rate)
    expected = reference.decide(
        data,
        product=product,
        today=today,
        verified_income_pence=income,
        verified_essential_spend_pence=spend,
    )
    got = decide(
        data,
        product=product,
        today=today,
        verified_income_pence=income,
        verified_essential_spend_pence=spend,
    )
    assert got == expected
    assert msgspec.json.encode(got) == msgspec.json.encode(expected)
    event(f"{got.outcome.value}: {got.reasons[0]}")


def test_decisions_under_another_policy_are_unchanged() -> None:
    policy = DecisionPolicy(min_buffer_pence=20_000, buffer_income_bps=2_500)
    for income in range(100_000, 400_001, 25_000):
        data = msgspec.structs.replace(
            EXAMPLE,
            employment=msgspec.structs.replace(EXAMPLE.employment, net_monthly_income_pence=income),
        )
        assert decide(data, product=PRODUCT, today=TODAY, policy=policy) == reference.decide(
            data, product=PRODUCT, today=TODAY, policy=policy
        )


def test_counter_offers_across_incomes_and_terms_are_unchanged() -> None:
    """Incomes from comfortably affordable down to nothing affordable: every counter-offer the
    search makes (and every refusal) is the one it made before."""
    outcomes: set[str] = set()
    for income in range(120_000, 200_001, 1_000):
        for term in range(PRODUCT.min_term_months, PRODUCT.max_term_months + 1, 3):
            data = msgspec.structs.replace(
                EXAMPLE,
                loan=msgspec.structs.replace(EXAMPLE.loan, amount_pence=250_000, term_months=term),
                employment=msgspec.structs.replace(
                    EXAMPLE.employment, net_monthly_income_pence=income
                ),
            )
            got = decide(data, product=PRODUCT, today=TODAY)
            assert got == reference.decide(data, product=PRODUCT, today=TODAY), (income, term)
            outcomes.add(got.reasons[0])
    assert outcomes == {"affordable", "counter_offer", "unaffordable"}


@given(
    anchor=st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 12, 31)),
    months=st.integers(min_value=-240, max_value=600),
)
def test_due_dates_are_unchanged(anchor: date, months: int) -> None:
    assert add_months(anchor, months) == reference.add_months(anchor, months)
