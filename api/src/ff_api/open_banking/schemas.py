"""Open-banking bodies: the customer's view of the consent, staff's (with the provider's
summary), and the public callback's answer."""

from __future__ import annotations

from datetime import datetime

import msgspec

from ff_shared.domain.open_banking import OpenBankingConsent


class OpenBankingView(msgspec.Struct, kw_only=True):
    state: str
    """awaiting_authorisation, authorised, completed, rejected, expired or failed."""
    reference: str
    authorisation_url: str
    """Send the customer here to choose their bank and authorise access."""
    started_at: datetime
    completed_at: datetime | None
    decision_version: int | None
    """The decision version the verified figures produced, once they have."""


def open_banking_view(consent: OpenBankingConsent | None) -> OpenBankingView | None:
    if consent is None:
        return None
    return OpenBankingView(
        state=consent.state.value,
        reference=consent.reference,
        authorisation_url=consent.authorisation_url,
        started_at=consent.started_at,
        completed_at=consent.completed_at,
        decision_version=consent.decision_version,
    )


class IncomeStreamView(msgspec.Struct, kw_only=True):
    category: str
    description: str
    frequency: str
    monthly_average_pence: int
    occurrences: int


class OpenBankingSummaryView(msgspec.Struct, kw_only=True):
    """The provider's analysis of 12 months of the customer's bank data."""

    period_start: datetime
    period_end: datetime
    months_analysed: int
    monthly_income_pence: int
    income_streams: list[IncomeStreamView]
    monthly_essential_spend_pence: int
    monthly_credit_commitments_pence: int
    monthly_discretionary_spend_pence: int
    gambling_transactions: int
    gambling_monthly_average_pence: int
    gambling_share_of_income_bps: int
    returned_payments: int
    returned_payments_total_pence: int
    days_overdrawn: int
    flags: list[str]


class StaffOpenBankingView(msgspec.Struct, kw_only=True):
    state: str
    reference: str
    """OBV's reference (``ff_obvreference`` in the CRM, the key of the open-banking archive)."""
    attempt: int
    started_at: datetime
    completed_at: datetime | None
    last_error: str | None
    decision_version: int | None
    summary: OpenBankingSummaryView | None


def staff_open_banking_view(consent: OpenBankingConsent | None) -> StaffOpenBankingView | None:
    if consent is None:
        return None
    return msgspec.convert(msgspec.to_builtins(consent), StaffOpenBankingView)


class CallbackReceived(msgspec.Struct, kw_only=True):
    reference: str
    message: str
