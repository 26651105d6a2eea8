"""The one module that turns OBV's wire shapes into the platform's domain types.

Amounts are decimal strings (AIS: up to 13 digits and 5 decimals) with a credit/debit indicator;
here they become signed integer pence, exactly, or the report is refused: a GBP amount with a
fraction of a penny, a currency other than the account's, a duplicate transaction id, a time
without an offset or after the report was generated are all :class:`ReportInvalid`, listing
every problem with its path, so the report can be quarantined whole rather than half-used.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import ParamSpec, TypeVar

from ff_shared.domain.open_banking import (
    AccountBalance,
    BankAccount,
    BankTransaction,
    IncomeStream,
    OpenBankingReport,
    OpenBankingSummary,
    SpendCategory,
)
from ff_shared.integrations.errors import PermanentIntegrationError
from ff_shared.integrations.obv import schemas as wire

SERVICE = "obv"
P = ParamSpec("P")
R = TypeVar("R")
CURRENCY = "GBP"

_AMOUNT = re.compile(r"^\d{1,13}(?:\.\d{1,5})?$")
_FRACTION = re.compile(r"^(?:0|[1-9]\d{0,5})?(?:\.\d{1,6})?$")
_SNAKE = re.compile(r"(?<!^)(?=[A-Z])")


class Problem(Exception):
    """One thing wrong with a report, at a path such as ``Data.Transaction[12].Amount``."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


class ReportInvalid(PermanentIntegrationError):
    """The report decoded but its content is not usable; ``problems`` lists each reason."""

    kind = "report_invalid"

    def __init__(self, problems: Iterable[Problem], *, raw: bytes = b"") -> None:
        self.problems = tuple(problems)
        listed = "; ".join(str(p) for p in self.problems[:5])
        more = f" (+{len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(SERVICE, f"{len(self.problems)} problem(s): {listed}{more}")
        self.raw = raw

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(str(p) for p in self.problems)


def snake(value: str) -> str:
    """``SelfEmployed`` -> ``self_employed``: the provider's enumerations as domain words."""
    return _SNAKE.sub("_", value).lower()


def pence(amount: wire.Amount, path: str, *, currency: str = CURRENCY) -> int:
    """A non-negative AIS amount as whole pence; raises :class:`Problem`."""
    if amount.currency != currency:
        raise Problem(f"{path}.Currency", f"is {amount.currency!r}, expected {currency!r}")
    if not _AMOUNT.match(amount.amount):
        raise Problem(f"{path}.Amount", f"{amount.amount!r} is not a decimal amount")
    value = Decimal(amount.amount) * 100
    if value != value.to_integral_value():
        raise Problem(f"{path}.Amount", f"{amount.amount!r} is not a whole number of pence")
    return int(value)


def signed(indicator: wire.CreditDebit, value: int) -> int:
    return value if indicator == "Credit" else -value


def basis_points(fraction: str, path: str) -> int:
    """``"0.1250"`` -> 1250, rounded half up to a basis point."""
    if not _FRACTION.match(fraction) or fraction in ("", "."):
        raise Problem(path, f"{fraction!r} is not a decimal fraction")
    return int((Decimal(fraction) * 10_000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def utc(moment: datetime, path: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise Problem(path, "has no UTC offset")
    return moment.astimezone(UTC)


def _offset_minutes(moment: datetime) -> int:
    offset = moment.utcoffset()
    return 0 if offset is None else int(offset.total_seconds() // 60)


class _Collector:
    """Runs each conversion, keeping its problem instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def run(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R | None:
        try:
            return fn(*args, **kwargs)
        except Problem as problem:
            self.problems.append(problem)
            return None


def summary_from_wire(summary: wire.Summary, path: str = "Data.Summary") -> OpenBankingSummary:
    """The provider's analysis in pence; raises :class:`ReportInvalid` listing every problem."""
    problems: list[Problem] = []
    amount = _Pence(summary.currency, problems)
    if summary.currency != CURRENCY:
        problems.append(Problem(f"{path}.Currency", f"is {summary.currency!r}, expected 'GBP'"))
    start, end = _period(summary, path, problems)
    if summary.months_analysed < 1:
        problems.append(Problem(f"{path}.MonthsAnalysed", "must be at least 1"))
    streams = tuple(
        IncomeStream(
            category=snake(s.category),
            description=s.description,
            frequency=snake(s.frequency),
            monthly_average_pence=amount(
                s.monthly_average, f"{path}.Income.Streams[{i}].MonthlyAverage"
            ),
            occurrences=s.occurrences,
        )
        for i, s in enumerate(summary.income.streams)
    )
    essentials = tuple(
        SpendCategory(
            category=snake(c.category),
            monthly_average_pence=amount(
                c.monthly_average, f"{path}.EssentialSpend.Categories[{i}].MonthlyAverage"
            ),
        )
        for i, c in enumerate(summary.essential_spend.categories)
    )
    collect = _Collector()
    share = collect.run(
        basis_points, summary.gambling.share_of_income, f"{path}.Gambling.ShareOfIncome"
    )
    last_returned = (
        collect.run(
            utc, summary.returned_payments.last_date_time, f"{path}.ReturnedPayments.LastDateTime"
        )
        if summary.returned_payments.last_date_time is not None
        else None
    )
    problems.extend(collect.problems)
    problems.extend(_negative_counts(summary, path))
    result = OpenBankingSummary(
        period_start=start,
        period_end=end,
        months_analysed=summary.months_analysed,
        monthly_income_pence=amount(
            summary.income.monthly_average, f"{path}.Income.MonthlyAverage"
        ),
        income_streams=streams,
        monthly_essential_spend_pence=amount(
            summary.essential_spend.monthly_average, f"{path}.EssentialSpend.MonthlyAverage"
        ),
        essential_spend=essentials,
        monthly_credit_commitments_pence=amount(
            summary.credit_commitments.monthly_average, f"{path}.CreditCommitments.MonthlyAverage"
        ),
        monthly_discretionary_spend_pence=amount(
            summary.discretionary_spend.monthly_average,
            f"{path}.DiscretionarySpend.MonthlyAverage",
        ),
        gambling_transactions=summary.gambling.transaction_count,
        gambling_total_pence=amount(summary.gambling.total, f"{path}.Gambling.Total"),
        gambling_monthly_average_pence=amount(
            summary.gambling.monthly_average, f"{path}.Gambling.MonthlyAverage"
        ),
        gambling_share_of_income_bps=share or 0,
        returned_payments=summary.returned_payments.count,
        returned_payments_total_pence=amount(
            summary.returned_payments.total, f"{path}.ReturnedPayments.Total"
        ),
        last_returned_payment_at=last_returned,
        days_overdrawn=summary.overdraft.days_overdrawn,
        flags=tuple(snake(f) for f in summary.flags),
    )
    if problems:
        raise ReportInvalid(problems)
    return result


class _Pence:
    """Converts amounts of one currency to pence, keeping each problem (and answering 0)."""

    def __init__(self, currency: str, problems: list[Problem]) -> None:
        self.currency = currency
        self.problems = problems

    def __call__(self, value: wire.Amount, at: str) -> int:
        try:
            return pence(value, at, currency=self.currency)
        except Problem as problem:
            self.problems.append(problem)
            return 0


def _period(summary: wire.Summary, path: str, problems: list[Problem]) -> tuple[datetime, datetime]:
    start = end = datetime.min.replace(tzinfo=UTC)
    try:
        start = utc(summary.from_date_time, f"{path}.FromDateTime")
        end = utc(summary.to_date_time, f"{path}.ToDateTime")
        if end <= start:
            problems.append(Problem(f"{path}.ToDateTime", "is not after FromDateTime"))
    except Problem as problem:
        problems.append(problem)
    return start, end


def _negative_counts(summary: wire.Summary, path: str) -> list[Problem]:
    return [
        Problem(f"{path}.{name}", "must not be negative")
        for name, count in (
            ("Gambling.TransactionCount", summary.gambling.transaction_count),
            ("ReturnedPayments.Count", summary.returned_payments.count),
            ("Overdraft.DaysOverdrawn", summary.overdraft.days_overdrawn),
        )
        if count < 0
    ]


def _account(account: wire.Account, path: str, problems: list[Problem]) -> BankAccount:
    if account.currency != CURRENCY:
        problems.append(Problem(f"{path}.Currency", f"is {account.currency!r}, expected 'GBP'"))
    primary = account.account[0] if account.account else None
    return BankAccount(
        account_id=account.account_id,
        currency=account.currency,
        account_type=account.account_type,
        account_subtype=account.account_sub_type,
        nickname=account.nickname,
        scheme_name=primary.scheme_name if primary else None,
        identification=primary.identification if primary else None,
        holder_name=primary.name if primary else None,
    )


def report_from_wire(report: wire.Report, *, raw: bytes = b"") -> OpenBankingReport:
    """A whole report in domain types, or :class:`ReportInvalid` with every problem found."""
    data = report.data
    problems: list[Problem] = []
    collect = _Collector()
    generated = collect.run(utc, data.generated_date_time, "Data.GeneratedDateTime")
    accounts = tuple(
        _account(a, f"Data.Account[{i}]", problems) for i, a in enumerate(data.account)
    )
    currencies = {a.account_id: a.currency for a in accounts}
    if len(currencies) != len(accounts):
        problems.append(Problem("Data.Account", "has duplicate AccountId values"))
    balances = _balances(data, currencies, collect, problems)
    transactions = _transactions(data, currencies, generated, collect, problems)
    summary: OpenBankingSummary | None = None
    try:
        summary = summary_from_wire(data.summary)
    except ReportInvalid as invalid:
        problems.extend(invalid.problems)
    problems = collect.problems + problems
    if problems or summary is None or generated is None:
        raise ReportInvalid(problems, raw=raw)
    return OpenBankingReport(
        reference=data.reference,
        application_reference=data.application_reference,
        generated_at=generated,
        accounts=accounts,
        balances=tuple(balances),
        transactions=tuple(transactions),
        summary=summary,
    )


def _balances(
    data: wire.ReportData,
    currencies: dict[str, str],
    collect: _Collector,
    problems: list[Problem],
) -> list[AccountBalance]:
    balances: list[AccountBalance] = []
    for i, b in enumerate(data.balance):
        path = f"Data.Balance[{i}]"
        currency = currencies.get(b.account_id)
        if currency is None:
            problems.append(Problem(f"{path}.AccountId", "names no account of the report"))
            continue
        value = collect.run(pence, b.amount, f"{path}.Amount", currency=currency)
        at = collect.run(utc, b.date_time, f"{path}.DateTime")
        line = next((c for c in b.credit_line if c.included and c.amount is not None), None)
        line_pence = (
            collect.run(pence, line.amount, f"{path}.CreditLine.Amount", currency=currency)
            if line is not None and line.amount is not None
            else None
        )
        if value is not None and at is not None:
            balances.append(
                AccountBalance(
                    account_id=b.account_id,
                    type=b.type,
                    amount_pence=signed(b.credit_debit_indicator, value),
                    currency=currency,
                    at=at,
                    credit_line_pence=line_pence,
                )
            )
    return balances


def _transactions(
    data: wire.ReportData,
    currencies: dict[str, str],
    generated: datetime | None,
    collect: _Collector,
    problems: list[Problem],
) -> list[BankTransaction]:
    transactions: list[BankTransaction] = []
    seen: set[tuple[str, str]] = set()
    for i, t in enumerate(data.transaction):
        path = f"Data.Transaction[{i}]"
        currency = currencies.get(t.account_id)
        if currency is None:
            problems.append(Problem(f"{path}.AccountId", "names no account of the report"))
            continue
        if (t.account_id, t.transaction_id) in seen:
            problems.append(
                Problem(f"{path}.TransactionId", "repeats another transaction's id in the account")
            )
        seen.add((t.account_id, t.transaction_id))
        value = collect.run(pence, t.amount, f"{path}.Amount", currency=currency)
        booked = collect.run(utc, t.booking_date_time, f"{path}.BookingDateTime")
        value_at = (
            collect.run(utc, t.value_date_time, f"{path}.ValueDateTime")
            if t.value_date_time is not None
            else None
        )
        if booked is not None and generated is not None and booked > generated:
            problems.append(Problem(f"{path}.BookingDateTime", "is after the report was generated"))
        running = None
        if t.balance is not None:
            balance_value = collect.run(
                pence, t.balance.amount, f"{path}.Balance.Amount", currency=currency
            )
            if balance_value is not None:
                running = signed(t.balance.credit_debit_indicator, balance_value)
        if value is not None and booked is not None:
            transactions.append(
                _transaction(
                    t, currency, signed(t.credit_debit_indicator, value), booked, value_at, running
                )
            )
    return transactions


def _transaction(
    t: wire.Transaction,
    currency: str,
    amount_pence: int,
    booked: datetime,
    value_at: datetime | None,
    running: int | None,
) -> BankTransaction:
    return BankTransaction(
        account_id=t.account_id,
        transaction_id=t.transaction_id,
        reference=t.transaction_reference,
        amount_pence=amount_pence,
        currency=currency,
        status=t.status.lower(),
        booked_at=booked,
        booked_offset_minutes=_offset_minutes(t.booking_date_time),
        value_at=value_at,
        description=t.transaction_information,
        bank_code=t.bank_transaction_code.code if t.bank_transaction_code else None,
        bank_sub_code=t.bank_transaction_code.sub_code if t.bank_transaction_code else None,
        proprietary_code=(
            t.proprietary_bank_transaction_code.code
            if t.proprietary_bank_transaction_code
            else None
        ),
        running_balance_pence=running,
        merchant_name=t.merchant_details.merchant_name if t.merchant_details else None,
        merchant_category_code=(
            t.merchant_details.merchant_category_code if t.merchant_details else None
        ),
    )
