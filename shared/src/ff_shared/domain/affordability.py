"""Affordability (CONC 5.2A): can the loan be repaid from income without undue difficulty?

Every figure that goes into the answer is kept on :class:`Affordability`, because the rules
require the lender to keep the evidence of each assessment, not only its verdict.
"""

from typing import Literal

import msgspec

from ff_shared.domain.money import pounds, share_of
from ff_shared.domain.steps import ApplicationData, MaritalStatus

Source = Literal["declared", "verified"]

COUPLED = frozenset(
    {MaritalStatus.MARRIED, MaritalStatus.CIVIL_PARTNERSHIP, MaritalStatus.COHABITING}
)


class DecisionPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """The thresholds the decision rules use; a change of figures is a new rule-set version."""

    min_age: int = 18
    young_applicant_age: int = 21
    uk_country_codes: tuple[str, ...] = ("GB",)
    single_adult_min_essentials_pence: int = pounds(750)
    """Minimum essential spending assumed for a one-adult household, however little is declared."""
    couple_min_essentials_pence: int = pounds(1_100)
    per_dependant_min_essentials_pence: int = pounds(300)
    min_buffer_pence: int = pounds(75)
    buffer_income_bps: int = 1_000
    """The surplus left after the instalment must be at least the larger of ``min_buffer_pence``
    and this share of income (1,000 bps = 10%)."""
    high_debt_to_income_bps: int = 3_500
    thin_margin_buffers: int = 2
    short_time_at_address_months: int = 6
    large_loan_income_multiple: int = 2


DEFAULT_POLICY = DecisionPolicy()


class Means(msgspec.Struct, frozen=True, kw_only=True):
    """The household's monthly position before any new loan."""

    monthly_income_pence: int
    income_source: Source
    reported_essential_spend_pence: int
    essential_spend_source: Source
    minimum_essential_spend_pence: int
    household_adults: int
    dependants: int
    credit_commitments_pence: int

    @property
    def essential_spend_pence(self) -> int:
        # The floor guards against under-declared (or under-observed) spending, so it applies
        # to verified figures too.
        return max(self.reported_essential_spend_pence, self.minimum_essential_spend_pence)

    @property
    def disposable_pence(self) -> int:
        return (
            self.monthly_income_pence - self.essential_spend_pence - self.credit_commitments_pence
        )


class Affordability(msgspec.Struct, frozen=True, kw_only=True):
    """One loan measured against the household's means, with every figure used."""

    amount_pence: int
    term_months: int
    monthly_instalment_pence: int
    """The largest instalment in the schedule, so the last one's rounding pennies count too."""
    monthly_income_pence: int
    income_source: Source
    reported_essential_spend_pence: int
    essential_spend_source: Source
    minimum_essential_spend_pence: int
    essential_spend_pence: int
    household_adults: int
    dependants: int
    credit_commitments_pence: int
    surplus_pence: int
    """Income less essential spending, existing credit commitments and the new instalment."""
    buffer_pence: int
    affordable: bool


def means_of(
    data: ApplicationData,
    policy: DecisionPolicy,
    *,
    verified_income_pence: int | None = None,
    verified_essential_spend_pence: int | None = None,
) -> Means:
    """Monthly income and spending, preferring verified figures (open banking) when given."""
    employment, spend, personal = data.employment, data.expenditure, data.personal
    adults = 2 if personal.marital_status in COUPLED else 1
    minimum = (
        policy.couple_min_essentials_pence
        if adults == 2
        else policy.single_adult_min_essentials_pence
    ) + personal.dependants * policy.per_dependant_min_essentials_pence
    declared_income = employment.net_monthly_income_pence + employment.other_monthly_income_pence
    declared_spend = (
        spend.housing_pence
        + spend.council_tax_pence
        + spend.utilities_pence
        + spend.food_pence
        + spend.transport_pence
        + spend.childcare_pence
        + spend.other_pence
    )
    return Means(
        monthly_income_pence=(
            declared_income if verified_income_pence is None else verified_income_pence
        ),
        income_source="declared" if verified_income_pence is None else "verified",
        reported_essential_spend_pence=(
            declared_spend
            if verified_essential_spend_pence is None
            else verified_essential_spend_pence
        ),
        essential_spend_source="declared" if verified_essential_spend_pence is None else "verified",
        minimum_essential_spend_pence=minimum,
        household_adults=adults,
        dependants=personal.dependants,
        credit_commitments_pence=spend.credit_commitments_pence,
    )


def buffer_for(means: Means, policy: DecisionPolicy) -> int:
    return max(
        policy.min_buffer_pence, share_of(means.monthly_income_pence, policy.buffer_income_bps)
    )


def assess(
    means: Means, policy: DecisionPolicy, *, amount_pence: int, term_months: int, instalment: int
) -> Affordability:
    """Affordable when the surplus after the instalment is at least the buffer."""
    surplus = means.disposable_pence - instalment
    buffer = buffer_for(means, policy)
    return Affordability(
        amount_pence=amount_pence,
        term_months=term_months,
        monthly_instalment_pence=instalment,
        monthly_income_pence=means.monthly_income_pence,
        income_source=means.income_source,
        reported_essential_spend_pence=means.reported_essential_spend_pence,
        essential_spend_source=means.essential_spend_source,
        minimum_essential_spend_pence=means.minimum_essential_spend_pence,
        essential_spend_pence=means.essential_spend_pence,
        household_adults=means.household_adults,
        dependants=means.dependants,
        credit_commitments_pence=means.credit_commitments_pence,
        surplus_pence=surplus,
        buffer_pence=buffer,
        affordable=surplus >= buffer,
    )
