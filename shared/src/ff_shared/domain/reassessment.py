"""Re-running the decision when open banking verifies the household's figures.

The verified monthly income and essential spending replace the declared ones in the
affordability check (the engine records which source each figure came from), and the trace
starts with the evidence itself, so a reviewer sees what the new decision rests on.
"""

from datetime import date

import msgspec

from ff_shared.domain.decision import Decision, RuleResult, decide
from ff_shared.domain.money import format_pence
from ff_shared.domain.open_banking import OpenBankingSummary
from ff_shared.domain.product import LoanProduct
from ff_shared.domain.steps import ApplicationData


def reassess(
    data: ApplicationData,
    *,
    product: LoanProduct,
    today: date,
    summary: OpenBankingSummary,
    obv_reference: str,
) -> Decision:
    decision = decide(
        data,
        product=product,
        today=today,
        verified_income_pence=summary.monthly_income_pence,
        verified_essential_spend_pence=summary.monthly_essential_spend_pence,
    )
    evidence = RuleResult(
        rule="open_banking_verified",
        passed=True,
        inputs={
            "obv_reference": obv_reference,
            "months_analysed": summary.months_analysed,
            "monthly_income_pence": summary.monthly_income_pence,
            "monthly_essential_spend_pence": summary.monthly_essential_spend_pence,
            "monthly_credit_commitments_pence": summary.monthly_credit_commitments_pence,
            "gambling_share_of_income_bps": summary.gambling_share_of_income_bps,
            "returned_payments": summary.returned_payments,
            "days_overdrawn": summary.days_overdrawn,
        },
        detail=(
            f"income of {format_pence(summary.monthly_income_pence)} and essential spending of "
            f"{format_pence(summary.monthly_essential_spend_pence)} a month verified from "
            f"{summary.months_analysed} months of bank data"
        ),
    )
    return msgspec.structs.replace(decision, trace=(evidence, *decision.trace))
