"""A provider's report as received, and the checks that send it to quarantine.

:func:`validate_report` judges a :class:`ProviderReport` — the provider's values with only their
JSON types resolved (times parsed, amounts still the provider's decimal strings and credit/debit
indicators) — and gives every reason it cannot be archived, each with a stable code and a path
into the payload."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Literal

import msgspec

CreditDebit = Literal["Credit", "Debit"]

ReasonCode = Literal[
    "malformed_json",
    "schema",
    "impossible_date",
    "currency_mismatch",
    "duplicate_transaction_id",
    "duplicate_account_id",
    "unknown_account",
    "invalid_amount",
    "reference_mismatch",
    "invalid_content",
]

EARLIEST_PLAUSIBLE = datetime(1990, 1, 1, tzinfo=UTC)
"""No bank account data an open-banking provider returns can be older than this."""

CLOCK_TOLERANCE = timedelta(minutes=5)
"""How far ahead of the report's own time a booking may be before it is impossible."""


_AMOUNT = re.compile(r"^(?P<whole>\d{1,13})(?:\.(?P<fraction>\d{1,5}))?$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_AT_PATH = re.compile(r"^(?P<message>.*) - at `(?P<path>[^`]*)`$", re.DOTALL)


class QuarantineReason(msgspec.Struct, frozen=True, kw_only=True):
    """Why a payload was not archived: a stable code, where in the payload, and a message."""

    code: ReasonCode
    path: str
    message: str


class ProviderAccount(msgspec.Struct, frozen=True, kw_only=True):
    account_id: str
    currency: str
    account_type: str | None = None
    account_subtype: str | None = None
    nickname: str | None = None
    scheme_name: str | None = None
    identification: str | None = None
    name: str | None = None


class ProviderBalance(msgspec.Struct, frozen=True, kw_only=True):
    account_id: str
    type: str
    credit_debit: CreditDebit
    amount: str
    """The provider's decimal string, unsigned; ``credit_debit`` gives the sign."""
    currency: str
    at: datetime


class ProviderTransaction(msgspec.Struct, frozen=True, kw_only=True):
    account_id: str
    transaction_id: str
    credit_debit: CreditDebit
    status: str
    booked_at: datetime
    amount: str
    """The provider's decimal string, unsigned; ``credit_debit`` gives the sign."""
    currency: str
    value_at: datetime | None = None
    reference: str | None = None
    information: str | None = None
    bank_transaction_code: str | None = None
    bank_transaction_subcode: str | None = None
    proprietary_code: str | None = None
    running_balance: str | None = None
    running_balance_credit_debit: CreditDebit | None = None
    running_balance_currency: str | None = None
    merchant_name: str | None = None
    merchant_category_code: str | None = None


class ProviderReport(msgspec.Struct, frozen=True, kw_only=True):
    """One OBV report as the rules read it. ``produced_at`` is the provider's time for it."""

    reference: str
    application_reference: str | None = None
    produced_at: datetime | None = None
    first_available_at: datetime | None = None
    last_available_at: datetime | None = None
    accounts: tuple[ProviderAccount, ...] = ()
    balances: tuple[ProviderBalance, ...] = ()
    transactions: tuple[ProviderTransaction, ...] = ()


def malformed_reason(exc: msgspec.DecodeError) -> QuarantineReason:
    return QuarantineReason(code="malformed_json", path="$", message=str(exc))


def schema_reason(exc: msgspec.ValidationError) -> QuarantineReason:
    """msgspec says ``Expected `str`, got `int` - at `$.Data[0].Currency```: keep both parts."""
    text = str(exc)
    match = _AT_PATH.match(text)
    if match is None:
        return QuarantineReason(code="schema", path="$", message=text)
    return QuarantineReason(code="schema", path=match["path"], message=match["message"])


def problem_reason(path: str, message: str) -> QuarantineReason:
    """A refusal by the platform's own reading of the report (its mapping to domain types)."""
    return QuarantineReason(code="invalid_content", path=path, message=message)


def pence_of(amount: str) -> int:
    """An unsigned decimal string (``"12.50"``) as whole pence; ``ValueError`` when it is not a
    UK Open Banking amount or is not a whole number of pence."""
    match = _AMOUNT.match(amount)
    if match is None:
        raise ValueError(f"{amount!r} is not a decimal amount")
    fraction = (match["fraction"] or "").ljust(2, "0")
    if fraction[2:].strip("0"):
        raise ValueError(f"{amount!r} is not a whole number of pence")
    return int(match["whole"]) * 100 + int(fraction[:2])


def signed_pence(amount: str, credit_debit: CreditDebit) -> int:
    pence = pence_of(amount)
    return pence if credit_debit == "Credit" else -pence


def _date_problem(moment: datetime, ceiling: datetime | None, floor: datetime) -> str | None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        return f"{moment.isoformat()} has no UTC offset"
    if moment < floor:
        return f"{moment.isoformat()} is before {floor.isoformat()}"
    if ceiling is not None and moment > ceiling + CLOCK_TOLERANCE:
        return f"{moment.isoformat()} is after the report was produced ({ceiling.isoformat()})"
    return None


def _plausible(moment: datetime, floor: datetime, latest: datetime) -> bool:
    """The common case of :func:`_date_problem`, cheaply: offset-aware and inside the bounds."""
    return moment.tzinfo is not None and floor <= moment <= latest


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is None or moment.utcoffset() is None:
        return None
    return moment


def validate_report(
    report: ProviderReport, *, received_at: datetime, expected_reference: str | None = None
) -> list[QuarantineReason]:
    """Every reason the report cannot be archived as it stands; empty when it can.

    ``received_at`` bounds the report's own time: a report cannot describe the future of the
    moment it was fetched. ``expected_reference`` is the OBV reference the report was asked
    for: a report about another consent must never be filed under this application. Paths
    follow the rows (``transactions[3].booked_at``); messages name the provider's ids.
    """
    reasons: list[QuarantineReason] = []
    produced = _aware(report.produced_at)
    ceiling = min(produced, received_at) if produced is not None else received_at

    def add(code: ReasonCode, path: str, message: str) -> None:
        reasons.append(QuarantineReason(code=code, path=path, message=message))

    if expected_reference is not None and report.reference != expected_reference:
        add(
            "reference_mismatch",
            "reference",
            f"the report is {report.reference!r}, not the {expected_reference!r} asked for",
        )
    _check_report_dates(add, report, received_at)
    currencies = _check_accounts(add, report)
    for index, balance in enumerate(report.balances):
        path = f"balances[{index}]"
        _check_item(add, path, balance.account_id, balance.currency, balance.amount, currencies)
        if problem := _date_problem(balance.at, ceiling, EARLIEST_PLAUSIBLE):
            add("impossible_date", f"{path}.at", problem)
    _check_transactions(add, report, currencies, ceiling)
    return reasons


_Add = Callable[[ReasonCode, str, str], None]


def _check_report_dates(add: _Add, report: ProviderReport, received_at: datetime) -> None:
    for name, value in (
        ("produced_at", report.produced_at),
        ("first_available_at", report.first_available_at),
        ("last_available_at", report.last_available_at),
    ):
        if value is not None and (problem := _date_problem(value, received_at, EARLIEST_PLAUSIBLE)):
            add("impossible_date", name, problem)
    first_available = _aware(report.first_available_at)
    if (
        first_available is not None
        and (last := _aware(report.last_available_at)) is not None
        and first_available > last
    ):
        add(
            "impossible_date",
            "first_available_at",
            "the first available date is after the last available date",
        )


def _check_accounts(add: _Add, report: ProviderReport) -> dict[str, str]:
    """Check the accounts; return each account's currency (the first, if listed twice)."""
    currencies: dict[str, str] = {}
    for index, account in enumerate(report.accounts):
        path = f"accounts[{index}]"
        if account.account_id in currencies:
            add("duplicate_account_id", f"{path}.account_id", f"account {account.account_id} twice")
        if not _CURRENCY.match(account.currency):
            add("currency_mismatch", f"{path}.currency", f"{account.currency!r} is not ISO 4217")
        currencies.setdefault(account.account_id, account.currency)
    return currencies


def _check_transactions(
    add: _Add, report: ProviderReport, currencies: Mapping[str, str], ceiling: datetime
) -> None:
    """The rows are where the volume is: the common, well-formed case takes the cheap checks."""
    first_available = _aware(report.first_available_at)
    floor = max(first_available, EARLIEST_PLAUSIBLE) if first_available else EARLIEST_PLAUSIBLE
    latest = ceiling + CLOCK_TOLERANCE
    seen = Counter((t.account_id, t.transaction_id) for t in report.transactions)
    reported: set[tuple[str, str]] = set()
    for index, tx in enumerate(report.transactions):
        path = f"transactions[{index}]"
        key = (tx.account_id, tx.transaction_id)
        if seen[key] > 1 and key not in reported:
            reported.add(key)
            add(
                "duplicate_transaction_id",
                f"{path}.transaction_id",
                f"transaction {tx.transaction_id} appears {seen[key]} times in account "
                f"{tx.account_id}",
            )
        expected = currencies.get(tx.account_id)
        if (
            expected is None
            or tx.currency != expected
            or not _AMOUNT.match(tx.amount)
            or _sub_penny(tx.amount)
        ):
            _check_item(add, path, tx.account_id, tx.currency, tx.amount, currencies)
        if not _plausible(tx.booked_at, floor, latest) and (
            problem := _date_problem(tx.booked_at, ceiling, floor)
        ):
            add("impossible_date", f"{path}.booked_at", problem)
        if (
            tx.value_at is not None
            and not _plausible(tx.value_at, EARLIEST_PLAUSIBLE, tx.value_at)
            and (problem := _date_problem(tx.value_at, None, EARLIEST_PLAUSIBLE))
        ):
            add("impossible_date", f"{path}.value_at", problem)
        if tx.running_balance is not None and (
            not _AMOUNT.match(tx.running_balance) or _sub_penny(tx.running_balance)
        ):
            try:
                pence_of(tx.running_balance)
            except ValueError as exc:
                add("invalid_amount", f"{path}.running_balance", str(exc))
        if (
            tx.running_balance_currency is not None
            and expected is not None
            and tx.running_balance_currency != expected
        ):
            add(
                "currency_mismatch",
                f"{path}.running_balance_currency",
                f"{tx.running_balance_currency} in an account held in {expected}",
            )


def _sub_penny(amount: str) -> bool:
    """A well-formed amount with a non-zero digit past the pennies."""
    point = amount.find(".")
    return point != -1 and amount[point + 3 :].strip("0") != ""


def _check_item(
    add: _Add,
    path: str,
    account_id: str,
    currency: str,
    amount: str,
    currencies: Mapping[str, str],
) -> None:
    expected = currencies.get(account_id)
    if expected is None:
        add("unknown_account", f"{path}.account_id", f"account {account_id} is not in the report")
    elif currency != expected:
        add("currency_mismatch", f"{path}.currency", f"{currency} in an account held in {expected}")
    try:
        pence_of(amount)
    except ValueError as exc:
        add("invalid_amount", f"{path}.amount", str(exc))
