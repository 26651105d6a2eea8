"""The credit decision: hard rules, affordability, a counter-offer search and risk flags.

Pure functions over a complete application. Every rule evaluated leaves a :class:`RuleResult`
in the trace with its inputs, so a reviewer (and the regulator) can replay why the engine said
what it said; a person reviews every approve or refer before an offer stands (UK GDPR Art 22).
"""

import enum
from collections.abc import Callable
from datetime import date

import msgspec

from ff_shared.domain.affordability import (
    DEFAULT_POLICY,
    Affordability,
    DecisionPolicy,
    Means,
    assess,
    buffer_for,
    means_of,
)
from ff_shared.domain.apr import apr_of_monthly_instalments
from ff_shared.domain.dates import age_on
from ff_shared.domain.money import format_pence
from ff_shared.domain.pricing import (
    check_in_product,
    instalment_amounts,
    level_instalment,
)
from ff_shared.domain.product import LoanProduct
from ff_shared.domain.steps import ApplicationData, EmploymentStatus, Insolvency, PayFrequency

RULE_SET_VERSION = "2026.11.1"

InputValue = int | str | bool | float | None


class Outcome(enum.StrEnum):
    APPROVE = "approve"
    REFER = "refer"
    DECLINE = "decline"


class RuleResult(msgspec.Struct, frozen=True, kw_only=True):
    """One rule as evaluated: its stable code, whether the application passed it, and why."""

    rule: str
    passed: bool
    inputs: dict[str, InputValue]
    detail: str


class Offer(msgspec.Struct, frozen=True, kw_only=True):
    amount_pence: int
    term_months: int
    monthly_instalment_pence: int
    apr_percent: float
    total_repayable_pence: int
    annual_rate_bps: int


class Decision(msgspec.Struct, frozen=True, kw_only=True):
    """The engine's answer.

    ``reasons`` leads with the verdict (``affordable``, ``counter_offer``, ``unaffordable``, or
    the failed hard rules' codes); a refer adds its risk flags after it. ``affordability`` is
    the assessment of the loan offered, or of the loan requested when nothing can be offered.
    """

    outcome: Outcome
    reasons: tuple[str, ...]
    rule_set_version: str = RULE_SET_VERSION
    offer: Offer | None
    affordability: Affordability | None
    risk_flags: tuple[str, ...]
    trace: tuple[RuleResult, ...]


def offer_for(product: LoanProduct, amount_pence: int, term_months: int, today: date) -> Offer:
    """The offer for a loan drawn down ``today``; raises ``OutsideProductError`` off-product."""
    # The quote's figures without its dated schedule: none of them depends on the due dates.
    check_in_product(product, amount_pence, term_months)
    return _offer(
        product,
        amount_pence,
        term_months,
        instalment_amounts(amount_pence, term_months, product.annual_rate_bps),
    )


def _offer(
    product: LoanProduct, amount_pence: int, term_months: int, instalments: list[int]
) -> Offer:
    rate = product.annual_rate_bps
    return Offer(
        amount_pence=amount_pence,
        term_months=term_months,
        monthly_instalment_pence=level_instalment(amount_pence, term_months, rate),
        apr_percent=apr_of_monthly_instalments(amount_pence, instalments),
        total_repayable_pence=sum(instalments),
        annual_rate_bps=rate,
    )


def _result(rule: str, failed: bool, detail: str, **inputs: InputValue) -> RuleResult:
    return RuleResult(rule=rule, passed=not failed, inputs=inputs, detail=detail)


def _hard_rules(
    data: ApplicationData, means: Means, product: LoanProduct, policy: DecisionPolicy, today: date
) -> list[RuleResult]:
    age = age_on(data.personal.date_of_birth, today)
    amount, term = data.loan.amount_pence, data.loan.term_months
    country = data.address.country.upper()
    return [
        _result(
            "under_18",
            age < policy.min_age,
            f"applicant is {age}; the minimum age is {policy.min_age}",
            age=age,
            min_age=policy.min_age,
        ),
        _result(
            "amount_outside_product",
            not product.amount_allowed(amount),
            product.amount_rule(),
            amount_pence=amount,
            min_amount_pence=product.min_amount_pence,
            max_amount_pence=product.max_amount_pence,
            amount_step_pence=product.amount_step_pence,
        ),
        _result(
            "term_outside_product",
            not product.term_allowed(term),
            product.term_rule(),
            term_months=term,
            min_term_months=product.min_term_months,
            max_term_months=product.max_term_months,
        ),
        _result(
            "no_income",
            means.monthly_income_pence <= 0,
            "monthly income (net plus other) must be more than zero",
            monthly_income_pence=means.monthly_income_pence,
            income_source=means.income_source,
        ),
        _result(
            "declared_insolvency",
            data.declarations.insolvency is not Insolvency.NONE,
            "no current bankruptcy, IVA or debt relief order may be declared",
            insolvency=data.declarations.insolvency.value,
        ),
        _result(
            "non_uk_address",
            country not in policy.uk_country_codes,
            "the current address must be in the UK",
            country=country,
        ),
    ]


def _affordability_result(rule: str, checked: Affordability) -> RuleResult:
    verdict = "covers" if checked.affordable else "does not cover"
    return RuleResult(
        rule=rule,
        passed=checked.affordable,
        inputs=msgspec.structs.asdict(checked),
        detail=(
            f"surplus of {format_pence(checked.surplus_pence)} after the instalment {verdict} "
            f"the buffer of {format_pence(checked.buffer_pence)}"
        ),
    )


def _counter_offer(
    product: LoanProduct,
    requested: Affordability,
    check: Callable[[int, int], Affordability],
    affordable: Callable[[int, int], bool],
) -> tuple[Affordability | None, RuleResult]:
    """The largest affordable amount up to the one requested, at the requested term if that
    works, else at the shortest term that does. ``affordable(amount, term)`` is
    ``check(amount, term).affordable``, answered without a schedule where it can be."""
    tried = 0
    for amount in sorted(
        (a for a in product.amounts() if a <= requested.amount_pence), reverse=True
    ):
        tried += 1
        # The longest term has the smallest instalment, so if it fails every term fails.
        if not affordable(amount, product.max_term_months):
            continue
        for term in (requested.term_months, *product.terms()):
            if affordable(amount, term):
                found = check(amount, term)
                return found, _result(
                    "counter_offer",
                    False,
                    f"largest affordable loan is {format_pence(amount)} over {term} months",
                    requested_amount_pence=requested.amount_pence,
                    requested_term_months=requested.term_months,
                    amounts_tried=tried,
                    offered_amount_pence=amount,
                    offered_term_months=term,
                    offered_instalment_pence=found.monthly_instalment_pence,
                    offered_surplus_pence=found.surplus_pence,
                    buffer_pence=found.buffer_pence,
                )
    return None, _result(
        "counter_offer",
        True,
        "no amount and term in the product is affordable",
        requested_amount_pence=requested.amount_pence,
        requested_term_months=requested.term_months,
        amounts_tried=tried,
        offered_amount_pence=None,
        offered_term_months=None,
    )


def _risk_rules(
    data: ApplicationData, chosen: Affordability, policy: DecisionPolicy, today: date
) -> list[RuleResult]:
    income = chosen.monthly_income_pence
    commitments = chosen.credit_commitments_pence
    age = age_on(data.personal.date_of_birth, today)
    at_address = data.address.years_at_address * 12 + data.address.months_at_address
    status, frequency = data.employment.status, data.employment.pay_frequency
    thin_below = policy.thin_margin_buffers * chosen.buffer_pence
    large_above = policy.large_loan_income_multiple * income
    return [
        _result(
            "high_debt_to_income",
            commitments * 10_000 > income * policy.high_debt_to_income_bps,
            f"existing credit commitments above {policy.high_debt_to_income_bps / 100}% of income",
            credit_commitments_pence=commitments,
            monthly_income_pence=income,
            limit_bps=policy.high_debt_to_income_bps,
        ),
        _result(
            "thin_margin",
            chosen.surplus_pence < thin_below,
            f"surplus below {policy.thin_margin_buffers} times the buffer",
            surplus_pence=chosen.surplus_pence,
            threshold_pence=thin_below,
        ),
        _result(
            "young_applicant",
            age < policy.young_applicant_age,
            f"applicant younger than {policy.young_applicant_age}",
            age=age,
        ),
        _result(
            "short_time_at_address",
            at_address < policy.short_time_at_address_months,
            f"under {policy.short_time_at_address_months} months at the current address",
            months_at_address=at_address,
        ),
        _result(
            "irregular_income",
            frequency is PayFrequency.IRREGULAR,
            "income is paid irregularly",
            pay_frequency=frequency.value,
        ),
        _result(
            "self_employed_income",
            status is EmploymentStatus.SELF_EMPLOYED,
            "self-employed income varies and is harder to evidence",
            employment_status=status.value,
        ),
        _result(
            "student_income",
            status is EmploymentStatus.STUDENT,
            "student income is usually limited and temporary",
            employment_status=status.value,
        ),
        _result(
            "large_loan_relative_to_income",
            chosen.amount_pence > large_above,
            f"loan above {policy.large_loan_income_multiple} times monthly income",
            amount_pence=chosen.amount_pence,
            threshold_pence=large_above,
        ),
    ]


class _Checker:
    """Affordability of (amount, term) pairs for one application, each assessed once."""

    def __init__(self, means: Means, policy: DecisionPolicy, product: LoanProduct) -> None:
        self.means = means
        self.policy = policy
        self.rate = product.annual_rate_bps
        self.checked: dict[tuple[int, int], Affordability] = {}
        self.instalments: dict[tuple[int, int], list[int]] = {}
        # Affordable means the largest instalment leaves at least the buffer. Over two or more
        # months the first instalment is the level one (it is below the balance plus a month's
        # interest), so a level instalment above the allowance settles "no" without a schedule.
        self.allowance = means.disposable_pence - buffer_for(means, policy)

    def check(self, amount: int, term: int) -> Affordability:
        if (amount, term) not in self.checked:
            paid = self.instalments[amount, term] = instalment_amounts(amount, term, self.rate)
            self.checked[amount, term] = assess(
                self.means,
                self.policy,
                amount_pence=amount,
                term_months=term,
                instalment=max(paid),
            )
        return self.checked[amount, term]

    def affordable(self, amount: int, term: int) -> bool:
        if (
            term >= 2
            and amount >= 100
            and self.rate >= 0
            and (amount, term) not in self.checked
            and level_instalment(amount, term, self.rate) > self.allowance
        ):
            return False
        return self.check(amount, term).affordable


def decide(
    data: ApplicationData,
    *,
    product: LoanProduct,
    today: date,
    policy: DecisionPolicy = DEFAULT_POLICY,
    verified_income_pence: int | None = None,
    verified_essential_spend_pence: int | None = None,
) -> Decision:
    """Decide a complete application on ``today`` (a London date).

    Verified income or essential spending, when given, replace the declared figures in the
    affordability assessment; the trace records which source each came from.
    """
    means = means_of(
        data,
        policy,
        verified_income_pence=verified_income_pence,
        verified_essential_spend_pence=verified_essential_spend_pence,
    )
    trace = _hard_rules(data, means, product, policy, today)
    failed = tuple(r.rule for r in trace if not r.passed)
    if failed:
        return Decision(
            outcome=Outcome.DECLINE,
            reasons=failed,
            offer=None,
            affordability=None,
            risk_flags=(),
            trace=tuple(trace),
        )

    checker = _Checker(means, policy, product)
    check, affordable = checker.check, checker.affordable
    requested = check(data.loan.amount_pence, data.loan.term_months)
    trace.append(_affordability_result("affordability", requested))
    chosen: Affordability | None = requested
    verdict = "affordable"
    if not requested.affordable:
        chosen, searched = _counter_offer(product, requested, check, affordable)
        trace.append(searched)
        verdict = "counter_offer"
    if chosen is None:
        return Decision(
            outcome=Outcome.DECLINE,
            reasons=("unaffordable",),
            offer=None,
            affordability=requested,
            risk_flags=(),
            trace=tuple(trace),
        )

    risks = _risk_rules(data, chosen, policy, today)
    trace.extend(risks)
    flags = tuple(r.rule for r in risks if not r.passed)
    return Decision(
        outcome=Outcome.REFER if flags else Outcome.APPROVE,
        reasons=(verdict, *flags),
        offer=_offer(
            product,
            chosen.amount_pence,
            chosen.term_months,
            checker.instalments[chosen.amount_pence, chosen.term_months],
        ),
        affordability=chosen,
        risk_flags=flags,
        trace=tuple(trace),
    )
