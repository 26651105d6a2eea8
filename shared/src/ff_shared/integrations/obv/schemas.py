"""Open Banking Vision's wire shapes.

OBV publishes no specification, so accounts, balances and transactions follow the UK Open
Banking Read/Write API v3.1 (AIS): PascalCase names, ``{Data, Links, Meta}`` envelopes, amounts
as decimal strings with a ``CreditDebitIndicator``, ISO 8601 times with offsets. The consent
journey and the provider's categorised ``Summary`` are OBV's own. Only
:mod:`ff_shared.integrations.obv.mapping` turns these into domain types, so when the real shapes
are known, this module and that one are all that change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

CreditDebit = Literal["Credit", "Debit"]
ConsentStatus = Literal["AwaitingAuthorisation", "Authorised", "Rejected", "Expired", "Revoked"]
ReportStatus = Literal["NotAvailable", "Pending", "Ready", "Failed"]

PERMISSIONS = ("ReadAccountsDetail", "ReadBalances", "ReadTransactionsDetail", "ReadAnalysis")


class Wire(msgspec.Struct, frozen=True, kw_only=True, rename="pascal"):
    """Base of the wire Structs: snake_case in Python, PascalCase on the wire."""


class Amount(Wire, frozen=True, kw_only=True):
    """``ActiveOrHistoricCurrencyAndAmount``: ``{"Amount": "1850.00", "Currency": "GBP"}``."""

    amount: str
    currency: str


class Links(Wire, frozen=True, kw_only=True):
    self: str
    next: str | None = None


class Meta(Wire, frozen=True, kw_only=True):
    total_pages: int | None = None
    first_available_date_time: datetime | None = None
    last_available_date_time: datetime | None = None


class ConsentRequestData(Wire, frozen=True, kw_only=True):
    application_reference: str
    redirect_uri: str | None = None
    permissions: tuple[str, ...] = PERMISSIONS
    transaction_from_date_time: datetime | None = None


class ConsentRequest(Wire, frozen=True, kw_only=True):
    data: ConsentRequestData


class ConsentData(Wire, frozen=True, kw_only=True):
    reference: str
    """OBV's reference for the consent and, once it is authorised, for its report."""
    application_reference: str
    status: ConsentStatus
    report_status: ReportStatus
    authorisation_url: str
    """Where the customer is sent to choose a bank and authorise access."""
    redirect_uri: str | None = None
    creation_date_time: datetime
    status_update_date_time: datetime
    expiration_date_time: datetime


class ConsentResponse(Wire, frozen=True, kw_only=True):
    data: ConsentData
    links: Links
    meta: Meta = Meta()


class AccountIdentification(Wire, frozen=True, kw_only=True):
    scheme_name: str
    identification: str
    name: str | None = None
    secondary_identification: str | None = None


class Account(Wire, frozen=True, kw_only=True):
    account_id: str
    currency: str
    account_type: str
    account_sub_type: str
    nickname: str | None = None
    account: tuple[AccountIdentification, ...] = ()


class CreditLine(Wire, frozen=True, kw_only=True):
    included: bool
    type: str | None = None
    amount: Amount | None = None


class Balance(Wire, frozen=True, kw_only=True):
    account_id: str
    credit_debit_indicator: CreditDebit
    type: str
    date_time: datetime
    amount: Amount
    credit_line: tuple[CreditLine, ...] = ()


class BankTransactionCode(Wire, frozen=True, kw_only=True):
    code: str
    sub_code: str


class ProprietaryBankTransactionCode(Wire, frozen=True, kw_only=True):
    code: str
    issuer: str | None = None


class TransactionBalance(Wire, frozen=True, kw_only=True):
    amount: Amount
    credit_debit_indicator: CreditDebit
    type: str


class MerchantDetails(Wire, frozen=True, kw_only=True):
    merchant_name: str | None = None
    merchant_category_code: str | None = None


class Transaction(Wire, frozen=True, kw_only=True):
    account_id: str
    transaction_id: str
    transaction_reference: str | None = None
    credit_debit_indicator: CreditDebit
    status: Literal["Booked", "Pending"]
    booking_date_time: datetime
    value_date_time: datetime | None = None
    transaction_information: str | None = None
    amount: Amount
    bank_transaction_code: BankTransactionCode | None = None
    proprietary_bank_transaction_code: ProprietaryBankTransactionCode | None = None
    balance: TransactionBalance | None = None
    merchant_details: MerchantDetails | None = None


class IncomeStream(Wire, frozen=True, kw_only=True):
    category: Literal["Salary", "Benefits", "Pension", "SelfEmployed", "Other"]
    description: str
    frequency: Literal["Weekly", "Fortnightly", "FourWeekly", "Monthly", "Irregular"]
    monthly_average: Amount
    occurrences: int


class Income(Wire, frozen=True, kw_only=True):
    monthly_average: Amount
    streams: tuple[IncomeStream, ...] = ()


class SpendCategory(Wire, frozen=True, kw_only=True):
    category: str
    monthly_average: Amount


class EssentialSpend(Wire, frozen=True, kw_only=True):
    monthly_average: Amount
    categories: tuple[SpendCategory, ...] = ()


class MonthlySpend(Wire, frozen=True, kw_only=True):
    monthly_average: Amount


class Gambling(Wire, frozen=True, kw_only=True):
    transaction_count: int
    total: Amount
    monthly_average: Amount
    share_of_income: str
    """Gambling spend as a decimal fraction of income, e.g. ``"0.1250"``."""


class ReturnedPayments(Wire, frozen=True, kw_only=True):
    count: int
    total: Amount
    last_date_time: datetime | None = None


class Overdraft(Wire, frozen=True, kw_only=True):
    days_overdrawn: int


class Summary(Wire, frozen=True, kw_only=True):
    """The provider's categorised analysis of the report's transactions."""

    currency: str
    from_date_time: datetime
    to_date_time: datetime
    months_analysed: int
    income: Income
    essential_spend: EssentialSpend
    credit_commitments: MonthlySpend
    discretionary_spend: MonthlySpend
    gambling: Gambling
    returned_payments: ReturnedPayments
    overdraft: Overdraft
    flags: tuple[str, ...] = ()


class ReportData(Wire, frozen=True, kw_only=True):
    reference: str
    application_reference: str
    generated_date_time: datetime
    account: tuple[Account, ...]
    balance: tuple[Balance, ...]
    transaction: tuple[Transaction, ...]
    summary: Summary


class Report(Wire, frozen=True, kw_only=True):
    data: ReportData
    links: Links
    meta: Meta = Meta()


class ErrorDetail(Wire, frozen=True, kw_only=True):
    error_code: str
    message: str = ""
    path: str | None = None


class ErrorResponse(Wire, frozen=True, kw_only=True):
    """The Open Banking error shape: ``{"Code", "Id", "Message", "Errors": [...]}``."""

    code: str
    message: str = ""
    id: str | None = None
    errors: tuple[ErrorDetail, ...] = ()
