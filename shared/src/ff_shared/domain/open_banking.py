"""Open-banking data as the platform sees it: integer pence, signed amounts, UTC times.

These are what a decision, a staff member and the open-banking archive read; the wire shapes of
the provider never leave :mod:`ff_shared.integrations.obv`. A credit is a positive amount and a
debit a negative one; monthly figures are averages over the months the provider analysed.
"""

import enum
from datetime import datetime
from typing import Any, Literal

import msgspec


class IncomeStream(msgspec.Struct, frozen=True, kw_only=True):
    category: str
    """salary, benefits, pension, self_employed or other."""
    description: str
    frequency: str
    """weekly, fortnightly, four_weekly, monthly or irregular."""
    monthly_average_pence: int
    occurrences: int


class SpendCategory(msgspec.Struct, frozen=True, kw_only=True):
    category: str
    monthly_average_pence: int


class OpenBankingSummary(msgspec.Struct, frozen=True, kw_only=True):
    """The provider's categorised analysis, the figures a decision can use as verified."""

    period_start: datetime
    period_end: datetime
    months_analysed: int
    monthly_income_pence: int
    income_streams: tuple[IncomeStream, ...]
    monthly_essential_spend_pence: int
    """Housing, council tax, utilities, food, transport, childcare and the like: the figure
    that replaces declared essential spending in the affordability check."""
    essential_spend: tuple[SpendCategory, ...]
    monthly_credit_commitments_pence: int
    monthly_discretionary_spend_pence: int
    gambling_transactions: int
    gambling_total_pence: int
    gambling_monthly_average_pence: int
    gambling_share_of_income_bps: int
    returned_payments: int
    returned_payments_total_pence: int
    last_returned_payment_at: datetime | None
    days_overdrawn: int
    flags: tuple[str, ...]


class BankAccount(msgspec.Struct, frozen=True, kw_only=True):
    account_id: str
    currency: str
    account_type: str
    account_subtype: str
    nickname: str | None
    scheme_name: str | None
    identification: str | None
    """Sort code and account number (personal data: never logged)."""
    holder_name: str | None


class AccountBalance(msgspec.Struct, frozen=True, kw_only=True):
    account_id: str
    type: str
    amount_pence: int
    currency: str
    at: datetime
    credit_line_pence: int | None


class BankTransaction(msgspec.Struct, frozen=True, kw_only=True):
    account_id: str
    transaction_id: str
    reference: str | None
    amount_pence: int
    """Positive for money in, negative for money out."""
    currency: str
    status: str
    booked_at: datetime
    """In UTC; the bank's local offset is kept in ``booked_offset_minutes``."""
    booked_offset_minutes: int
    value_at: datetime | None
    description: str | None
    bank_code: str | None
    bank_sub_code: str | None
    proprietary_code: str | None
    running_balance_pence: int | None
    merchant_name: str | None
    merchant_category_code: str | None


class OpenBankingReport(msgspec.Struct, frozen=True, kw_only=True):
    reference: str
    application_reference: str
    generated_at: datetime
    accounts: tuple[BankAccount, ...]
    balances: tuple[AccountBalance, ...]
    transactions: tuple[BankTransaction, ...]
    summary: OpenBankingSummary


class ConsentState(enum.StrEnum):
    AWAITING_AUTHORISATION = "awaiting_authorisation"
    """The customer has the link but has not finished the bank journey."""
    AUTHORISED = "authorised"
    """The bank shared the data; the provider is preparing the report."""
    COMPLETED = "completed"
    """The report is in and its summary has joined the decision inputs."""
    REJECTED = "rejected"
    EXPIRED = "expired"
    FAILED = "failed"
    """The report could not be used; ``last_error`` says why."""


FINISHED = frozenset(
    {ConsentState.COMPLETED, ConsentState.REJECTED, ConsentState.EXPIRED, ConsentState.FAILED}
)
IN_PROGRESS = frozenset({ConsentState.AWAITING_AUTHORISATION, ConsentState.AUTHORISED})
"""States whose polled progress is integration bookkeeping, not a change the customer acts on."""


class OpenBankingConsent(msgspec.Struct, frozen=True, kw_only=True):
    """An application's open-banking consent and, once its report is in, the summary."""

    state: ConsentState
    reference: str
    """OBV's reference: the consent's and its report's (``ff_obvreference`` in the CRM)."""
    authorisation_url: str
    attempt: int = 1
    """Which consent this is for the application (a refused or expired one can be restarted)."""
    started_at: datetime
    updated_at: datetime
    completed_at: datetime | None = None
    last_error: str | None = None
    summary: OpenBankingSummary | None = None
    decision_version: int | None = None
    """The decision version the verified figures produced (None: the decision was not re-run,
    because the application had moved on)."""


class DecisionVersion(msgspec.Struct, frozen=True, kw_only=True):
    """A superseded decision, kept whole (trace included) when new evidence re-ran it."""

    version: int
    decided_at: datetime | None
    basis: Literal["declared", "verified"]
    """Whether income and essential spending were as declared or verified by open banking."""
    obv_reference: str | None = None
    decision: dict[str, Any]
