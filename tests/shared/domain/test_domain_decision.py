from datetime import date
from typing import Any

import msgspec
import pytest

from ff_shared.domain.affordability import DecisionPolicy
from ff_shared.domain.application import STEP_TYPES, STEPS, ApplicationData, example_for
from ff_shared.domain.decision import (
    RULE_SET_VERSION,
    Decision,
    Offer,
    Outcome,
    decide,
    offer_for,
)
from ff_shared.domain.pricing import OutsideProductError, build_schedule, quote
from ff_shared.domain.product import LoanProduct

TODAY = date(2026, 11, 28)
PRODUCT = LoanProduct()
# The examples describe a single adult earning £1,850 a month, spending £1,320 on essentials
# and £50 on credit, borrowing £1,000 over 12 months: surplus £379.49 against a £185 buffer.
LOW_SPEND = {
    "expenditure.housing_pence": 30_000,
    "expenditure.council_tax_pence": 10_000,
    "expenditure.utilities_pence": 10_000,
    "expenditure.food_pence": 15_000,
    "expenditure.transport_pence": 5_000,
    "expenditure.other_pence": 5_000,
}


def application(**overrides: Any) -> ApplicationData:
    """The example application with ``step__field=value`` or ``{"step.field": value}`` changes."""
    bodies = {step: example_for(step) for step in STEPS}
    for key, value in overrides.items():
        step, field = key.replace("__", ".").split(".", 1)
        bodies[step][field] = value
    return ApplicationData(
        **{step: msgspec.convert(bodies[step], STEP_TYPES[step]) for step in STEPS}
    )


def _rule(decision: Decision, rule: str) -> Any:
    (found,) = [r for r in decision.trace if r.rule == rule]
    return found


def _largest_instalment(amount: int, term: int) -> int:
    return max(r.amount_pence for r in build_schedule(amount, term, 3_600, TODAY))


def test_example_application_is_approved_as_affordable() -> None:
    decision = decide(application(), product=PRODUCT, today=TODAY)
    assert decision.outcome is Outcome.APPROVE
    assert decision.reasons == ("affordable",)
    assert decision.risk_flags == ()
    assert decision.rule_set_version == RULE_SET_VERSION == "2026.11.1"
    assert decision.offer == offer_for(PRODUCT, 100_000, 12, TODAY)
    assert decision.affordability is not None
    assert decision.affordability.surplus_pence == 185_000 - 132_000 - 5_000 - 10_051
    assert decision.affordability.buffer_pence == 18_500


def test_trace_records_every_rule_evaluated_once() -> None:
    rules = [r.rule for r in decide(application(), product=PRODUCT, today=TODAY).trace]
    assert rules == [
        "under_18",
        "amount_outside_product",
        "term_outside_product",
        "no_income",
        "declared_insolvency",
        "non_uk_address",
        "affordability",
        "high_debt_to_income",
        "thin_margin",
        "young_applicant",
        "short_time_at_address",
        "irregular_income",
        "self_employed_income",
        "student_income",
        "large_loan_relative_to_income",
    ]


def test_decision_round_trips_through_json() -> None:
    decision = decide(application(), product=PRODUCT, today=TODAY)
    assert msgspec.json.decode(msgspec.json.encode(decision), type=Decision) == decision


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"personal.date_of_birth": "2008-11-29"}, "under_18"),
        ({"loan.amount_pence": 20_001}, "amount_outside_product"),
        ({"loan.amount_pence": 350_000}, "amount_outside_product"),
        ({"loan.term_months": 36}, "term_outside_product"),
        ({"employment.net_monthly_income_pence": 0}, "no_income"),
        ({"declarations.insolvency": "iva"}, "declared_insolvency"),
        ({"declarations.insolvency": "bankruptcy"}, "declared_insolvency"),
        ({"declarations.insolvency": "dro"}, "declared_insolvency"),
        ({"address.country": "JE"}, "non_uk_address"),
    ],
    ids=[
        "under-18",
        "amount-off-step",
        "amount-too-large",
        "term-too-long",
        "no-income",
        "iva",
        "bankruptcy",
        "dro",
        "jersey",
    ],
)
def test_each_hard_rule_declines_with_its_code(overrides: dict[str, Any], code: str) -> None:
    decision = decide(application(**overrides), product=PRODUCT, today=TODAY)
    assert decision.outcome is Outcome.DECLINE
    assert decision.reasons == (code,)
    assert decision.offer is None
    assert decision.affordability is None
    assert not _rule(decision, code).passed


def test_every_failed_hard_rule_is_reported() -> None:
    decision = decide(
        application(**{"declarations.insolvency": "iva", "address.country": "FR"}),
        product=PRODUCT,
        today=TODAY,
    )
    assert decision.reasons == ("declared_insolvency", "non_uk_address")


def test_other_income_alone_is_income() -> None:
    decision = decide(
        application(
            **{
                "employment.net_monthly_income_pence": 0,
                "employment.other_monthly_income_pence": 185_000,
                "employment.status": "benefits",
            }
        ),
        product=PRODUCT,
        today=TODAY,
    )
    assert _rule(decision, "no_income").passed


def _spending_to_leave(surplus: int, *, income: int = 185_000, commitments: int = 5_000) -> int:
    """Housing spend that leaves exactly ``surplus`` after the example loan's instalment."""
    others = 12_000 + 15_000 + 25_000 + 10_000 + 0 + 5_000
    return income - commitments - _largest_instalment(100_000, 12) - surplus - others


@pytest.mark.parametrize(
    ("housing", "affordable"),
    [(_spending_to_leave(18_500), True), (_spending_to_leave(18_499), False)],
    ids=["surplus-equals-buffer", "one-penny-short"],
)
def test_affordability_boundary_is_the_buffer(housing: int, affordable: bool) -> None:
    decision = decide(
        application(**{"expenditure.housing_pence": housing}), product=PRODUCT, today=TODAY
    )
    assert _rule(decision, "affordability").passed is affordable
    assert _rule(decision, "affordability").inputs["buffer_pence"] == 18_500


@pytest.mark.parametrize(
    ("income", "buffer"),
    [(70_000, 7_500), (75_000, 7_500), (75_005, 7_501), (185_000, 18_500)],
    ids=["floor", "floor-equals-share", "share-rounds-up", "ten-percent"],
)
def test_buffer_is_the_larger_of_75_pounds_and_10_percent(income: int, buffer: int) -> None:
    decision = decide(
        application(
            **{"employment.net_monthly_income_pence": income, "expenditure.housing_pence": 0}
        ),
        product=PRODUCT,
        today=TODAY,
    )
    assert _rule(decision, "affordability").inputs["buffer_pence"] == buffer


@pytest.mark.parametrize(
    ("marital_status", "dependants", "minimum"),
    [
        ("single", 0, 75_000),
        ("divorced", 2, 135_000),
        ("married", 0, 110_000),
        ("cohabiting", 3, 200_000),
        ("civil_partnership", 1, 140_000),
    ],
)
def test_minimum_essential_spend_follows_household_size(
    marital_status: str, dependants: int, minimum: int
) -> None:
    decision = decide(
        application(
            **LOW_SPEND,
            **{"personal.marital_status": marital_status, "personal.dependants": dependants},
        ),
        product=PRODUCT,
        today=TODAY,
    )
    assert decision.affordability is not None
    assert decision.affordability.minimum_essential_spend_pence == minimum
    assert decision.affordability.reported_essential_spend_pence == 75_000
    assert decision.affordability.essential_spend_pence == max(75_000, minimum)


@pytest.mark.parametrize(
    ("overrides", "flag"),
    [
        (
            {
                **LOW_SPEND,
                "employment.net_monthly_income_pence": 300_000,
                "expenditure.credit_commitments_pence": 105_001,
            },
            "high_debt_to_income",
        ),
        ({"expenditure.other_pence": 6_000}, "thin_margin"),
        ({"personal.date_of_birth": "2005-11-29"}, "young_applicant"),
        ({"address.years_at_address": 0, "address.months_at_address": 5}, "short_time_at_address"),
        ({"employment.pay_frequency": "irregular"}, "irregular_income"),
        ({"employment.status": "self_employed"}, "self_employed_income"),
        ({"employment.status": "student"}, "student_income"),
        (
            {
                **LOW_SPEND,
                "loan.amount_pence": 300_000,
                "loan.term_months": 24,
                "employment.net_monthly_income_pence": 140_000,
                "expenditure.credit_commitments_pence": 0,
            },
            "large_loan_relative_to_income",
        ),
    ],
    ids=[
        "dti",
        "thin-margin",
        "age-20",
        "five-months",
        "irregular",
        "self-employed",
        "student",
        "large-loan",
    ],
)
def test_each_risk_flag_refers_an_affordable_loan(overrides: dict[str, Any], flag: str) -> None:
    decision = decide(application(**overrides), product=PRODUCT, today=TODAY)
    assert decision.outcome is Outcome.REFER
    assert decision.risk_flags == (flag,)
    assert decision.reasons == ("affordable", flag)
    assert decision.offer is not None
    assert not _rule(decision, flag).passed


@pytest.mark.parametrize(
    ("overrides", "flagged"),
    [
        ({"expenditure.other_pence": 5_949}, False),
        ({"expenditure.other_pence": 5_950}, True),
        ({"personal.date_of_birth": "2005-11-28"}, False),
        ({"address.years_at_address": 0, "address.months_at_address": 6}, False),
    ],
    ids=["margin-exactly-twice-buffer", "margin-a-penny-under", "age-21-today", "six-months"],
)
def test_risk_flag_boundaries(overrides: dict[str, Any], flagged: bool) -> None:
    decision = decide(application(**overrides), product=PRODUCT, today=TODAY)
    assert (decision.outcome is Outcome.REFER) is flagged


def _brute_force_offer(
    income: int, outgoings: int, buffer: int, requested: tuple[int, int]
) -> tuple[int, int] | None:
    """The counter-offer rule restated over every amount and term, without shortcuts."""

    def fits(amount: int, term: int) -> bool:
        return income - outgoings - _largest_instalment(amount, term) >= buffer

    for amount in sorted((a for a in PRODUCT.amounts() if a <= requested[0]), reverse=True):
        working = [t for t in PRODUCT.terms() if fits(amount, t)]
        if working:
            return amount, requested[1] if requested[1] in working else min(working)
    return None


# With housing at £795 the most any instalment may be is £150: £3,000 fits no term, £2,500 fits
# only 24 months. At the example's £650 a £1,000 loan fits 4 months but not 3.
@pytest.mark.parametrize(
    ("amount", "term", "housing", "expected"),
    [
        (100_000, 3, 65_000, (100_000, 4)),
        (300_000, 24, 79_500, (250_000, 24)),
        (300_000, 6, 79_500, (250_000, 24)),
    ],
    ids=["same-amount-longer-term", "smaller-amount-requested-term", "smaller-amount-longer-term"],
)
def test_counter_offer_is_the_largest_affordable_alternative(
    amount: int, term: int, housing: int, expected: tuple[int, int]
) -> None:
    data = application(
        **{
            "loan.amount_pence": amount,
            "loan.term_months": term,
            "expenditure.housing_pence": housing,
        }
    )
    decision = decide(data, product=PRODUCT, today=TODAY)
    essentials = housing + 12_000 + 15_000 + 25_000 + 10_000 + 5_000
    assert _brute_force_offer(185_000, essentials + 5_000, 18_500, (amount, term)) == expected
    assert decision.reasons[0] == "counter_offer"
    assert decision.offer is not None
    assert (decision.offer.amount_pence, decision.offer.term_months) == expected
    assert decision.affordability is not None
    assert decision.affordability.amount_pence == expected[0]
    assert not _rule(decision, "affordability").passed
    assert _rule(decision, "counter_offer").inputs["offered_amount_pence"] == expected[0]


def test_counter_offer_without_risk_flags_is_approved() -> None:
    # The largest affordable loan nearly always leaves a thin margin, so the flag is relaxed.
    relaxed = DecisionPolicy(thin_margin_buffers=1)
    decision = decide(
        application(**{"loan.term_months": 3}), product=PRODUCT, today=TODAY, policy=relaxed
    )
    assert decision.outcome is Outcome.APPROVE
    assert decision.reasons == ("counter_offer",)


def test_counter_offer_with_risk_flags_is_referred() -> None:
    decision = decide(
        application(**{"loan.amount_pence": 300_000, "employment.status": "self_employed"}),
        product=PRODUCT,
        today=TODAY,
    )
    assert decision.outcome is Outcome.REFER
    assert decision.reasons == ("counter_offer", *decision.risk_flags)
    assert "self_employed_income" in decision.risk_flags


def test_nothing_affordable_declines_as_unaffordable() -> None:
    decision = decide(
        application(**{"expenditure.housing_pence": 120_000}), product=PRODUCT, today=TODAY
    )
    assert decision.outcome is Outcome.DECLINE
    assert decision.reasons == ("unaffordable",)
    assert decision.offer is None
    assert decision.affordability is not None
    assert decision.affordability.amount_pence == 100_000
    assert not _rule(decision, "counter_offer").passed


def test_verified_income_replaces_declared_income() -> None:
    decision = decide(application(), product=PRODUCT, today=TODAY, verified_income_pence=140_000)
    assert decision.outcome is Outcome.DECLINE
    assert decision.reasons == ("unaffordable",)
    inputs = _rule(decision, "affordability").inputs
    assert inputs["income_source"] == "verified"
    assert inputs["monthly_income_pence"] == 140_000


def test_verified_spending_replaces_declared_spending() -> None:
    declared = decide(
        application(**{"expenditure.housing_pence": 120_000}), product=PRODUCT, today=TODAY
    )
    verified = decide(
        application(**{"expenditure.housing_pence": 120_000}),
        product=PRODUCT,
        today=TODAY,
        verified_essential_spend_pence=100_000,
    )
    assert declared.outcome is Outcome.DECLINE
    assert verified.outcome is Outcome.APPROVE
    assert verified.affordability is not None
    assert verified.affordability.essential_spend_source == "verified"
    assert verified.affordability.essential_spend_pence == 100_000


def test_verified_spending_still_meets_the_household_minimum() -> None:
    decision = decide(
        application(), product=PRODUCT, today=TODAY, verified_essential_spend_pence=10_000
    )
    assert decision.affordability is not None
    assert decision.affordability.essential_spend_pence == 75_000


def test_verified_zero_income_is_no_income() -> None:
    decision = decide(application(), product=PRODUCT, today=TODAY, verified_income_pence=0)
    assert decision.reasons == ("no_income",)
    assert _rule(decision, "no_income").inputs["income_source"] == "verified"


def test_offer_for_matches_the_quote() -> None:
    priced = quote(PRODUCT, 250_000, 18, TODAY)
    assert offer_for(PRODUCT, 250_000, 18, TODAY) == Offer(
        amount_pence=250_000,
        term_months=18,
        monthly_instalment_pence=priced.monthly_instalment_pence,
        apr_percent=priced.apr_percent,
        total_repayable_pence=priced.total_repayable_pence,
        annual_rate_bps=3_600,
    )


def test_offer_for_refuses_an_amount_outside_the_product() -> None:
    with pytest.raises(OutsideProductError):
        offer_for(PRODUCT, 400_000, 12, TODAY)
