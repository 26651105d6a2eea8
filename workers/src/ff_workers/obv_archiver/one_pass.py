"""Judging the common, well-formed report in one pass over its rows.

A report that passes both the archive's rules (:func:`validate_report`) and the platform's
reading of it (:func:`report_from_wire`) is by far the usual case, and those two walk every
transaction separately, with a path string, a call object and a ``Decimal`` per amount and a
timezone conversion per timestamp. :func:`accept` walks the rows once and checks the same
conditions with plain comparisons, answering the domain report those two would give; at the first
sign of anything they might refuse (or anything unusual it does not need to understand, such as a
non-ASCII digit) it answers ``None`` and the caller runs them instead, so every reason, path and
message of a refusal comes from them, unchanged. The equality with them is tested on generated
reports, well-formed and broken (``tests/workers/obv_archiver/test_one_pass.py``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timezone, tzinfo

from ff_shared.domain.obv_archive.reports import CLOCK_TOLERANCE, EARLIEST_PLAUSIBLE
from ff_shared.domain.open_banking import (
    AccountBalance,
    BankAccount,
    BankTransaction,
    OpenBankingReport,
    OpenBankingSummary,
)
from ff_shared.integrations.obv import schemas as wire
from ff_shared.integrations.obv.mapping import CURRENCY, ReportInvalid, summary_from_wire

_STATUS = {"Booked": "booked", "Pending": "pending"}
_UNUSUAL = -1
"""What :func:`_pence` answers for an amount the common case does not cover."""


def _pence(amount: wire.Amount, currency: str) -> int:
    """Whole pence of a plain ASCII decimal amount in ``currency``, else ``_UNUSUAL``."""
    if amount.currency != currency:
        return _UNUSUAL
    return _digits(amount.amount)


def _digits(text: str) -> int:
    """Whole pence of a plain ASCII decimal string, else ``_UNUSUAL``.

    Accepts a subset of what ``mapping.pence`` and ``reports.pence_of`` accept (1-13 digits, then
    optionally a point and 1-5 digits, nothing past the pennies but zeros), with the same value."""
    whole, point, fraction = text.partition(".")
    if not (0 < len(whole) <= 13 and whole.isascii() and whole.isdigit()):
        return _UNUSUAL
    if not point:
        return int(whole) * 100
    if not (0 < len(fraction) <= 5 and fraction.isascii() and fraction.isdigit()):
        return _UNUSUAL
    if len(fraction) > 2 and fraction[2:].strip("0"):
        return _UNUSUAL
    return int(whole) * 100 + int(fraction[:2].ljust(2, "0"))


def _aware_at_most(moment: datetime | None, latest: datetime) -> bool:
    return (
        moment is not None
        and moment.tzinfo is not None
        and moment.utcoffset() is not None
        and EARLIEST_PLAUSIBLE <= moment <= latest
    )


def accept(
    report: wire.Report, *, reference: str, received_at: datetime
) -> OpenBankingReport | None:
    """The platform's domain report when nothing in ``report`` could be refused, else ``None``."""
    data = report.data
    meta = report.meta
    generated = data.generated_date_time
    first = meta.first_available_date_time
    last = meta.last_available_date_time
    not_after_receipt = received_at + CLOCK_TOLERANCE
    if (
        data.reference != reference
        or not _aware_at_most(generated, not_after_receipt)
        or (first is not None and not _aware_at_most(first, not_after_receipt))
        or (last is not None and not _aware_at_most(last, not_after_receipt))
        or (first is not None and last is not None and first > last)
    ):
        return None
    latest = min(generated, received_at) + CLOCK_TOLERANCE
    floor = max(first, EARLIEST_PLAUSIBLE) if first is not None else EARLIEST_PLAUSIBLE

    accounts: list[BankAccount] = []
    for a in data.account:
        if a.currency != CURRENCY or a.account_id in {b.account_id for b in accounts}:
            return None
        primary = a.account[0] if a.account else None
        accounts.append(
            BankAccount(
                account_id=a.account_id,
                currency=a.currency,
                account_type=a.account_type,
                account_subtype=a.account_sub_type,
                nickname=a.nickname,
                scheme_name=primary.scheme_name if primary else None,
                identification=primary.identification if primary else None,
                holder_name=primary.name if primary else None,
            )
        )
    known = {a.account_id for a in accounts}

    balances: list[AccountBalance] = []
    for b in data.balance:
        value = _pence(b.amount, CURRENCY)
        if b.account_id not in known or value < 0 or not _aware_at_most(b.date_time, latest):
            return None
        line_pence: int | None = None
        line = next((c for c in b.credit_line if c.included and c.amount is not None), None)
        if line is not None and line.amount is not None:
            line_pence = _pence(line.amount, CURRENCY)
            if line_pence < 0:
                return None
        balances.append(
            AccountBalance(
                account_id=b.account_id,
                type=b.type,
                amount_pence=value if b.credit_debit_indicator == "Credit" else -value,
                currency=CURRENCY,
                at=b.date_time.astimezone(UTC),
                credit_line_pence=line_pence,
            )
        )

    transactions = _transactions(data.transaction, known, floor, min(latest, generated))
    if transactions is None:
        return None
    try:
        summary: OpenBankingSummary = summary_from_wire(data.summary)
    except ReportInvalid:
        return None
    return OpenBankingReport(
        reference=data.reference,
        application_reference=data.application_reference,
        generated_at=generated.astimezone(UTC),
        accounts=tuple(accounts),
        balances=tuple(balances),
        transactions=transactions,
        summary=summary,
    )


def _offset_minutes(moment: datetime, offsets: dict[tzinfo, int]) -> int | None:
    """The moment's UTC offset in minutes (``None`` if it has none), kept in ``offsets`` when its
    zone is a fixed offset — what msgspec decodes — rather than a region's."""
    delta = moment.utcoffset()
    if delta is None:
        return None
    minutes = int(delta.total_seconds() // 60)
    if type(moment.tzinfo) is timezone:
        offsets[moment.tzinfo] = minutes
    return minutes


def _transactions(
    rows: tuple[wire.Transaction, ...], known: set[str], floor: datetime, latest: datetime
) -> tuple[BankTransaction, ...] | None:
    """The rows as domain transactions, or ``None`` at the first one that might be refused.

    ``latest`` is the earlier of the rules' bound (the report's time, or its receipt, plus the
    clock tolerance) and the mapping's (the report's own time)."""
    seen: set[tuple[str, str]] = set()
    offsets: dict[tzinfo, int] = {}
    pence: dict[str, int] = {}
    """Amounts repeat (card payments, standing orders): each distinct string is read once."""
    mapped: list[BankTransaction] = []
    append = mapped.append
    for t in rows:
        account_id = t.account_id
        key = (account_id, t.transaction_id)
        amount = t.amount
        if amount.currency != CURRENCY:
            return None
        value = pence.get(amount.amount, _UNUSUAL)
        if value < 0:
            value = pence[amount.amount] = _digits(amount.amount)
        booked = t.booking_date_time
        value_at = t.value_date_time
        offset = offsets.get(booked.tzinfo) if booked.tzinfo is not None else None
        if offset is None and (offset := _offset_minutes(booked, offsets)) is None:
            return None
        if account_id not in known or key in seen or value < 0 or not floor <= booked <= latest:
            return None
        seen.add(key)
        if value_at is not None:
            if value_at.tzinfo is None or value_at.utcoffset() is None:
                return None
            if value_at < EARLIEST_PLAUSIBLE:
                return None
            value_at = value_at.astimezone(UTC)
        running: int | None = None
        balance = t.balance
        if balance is not None:
            amount = balance.amount
            if amount.currency != CURRENCY:
                return None
            running = pence.get(amount.amount, _UNUSUAL)
            if running < 0:
                running = pence[amount.amount] = _digits(amount.amount)
                if running < 0:
                    return None
            if balance.credit_debit_indicator != "Credit":
                running = -running
        code = t.bank_transaction_code
        proprietary = t.proprietary_bank_transaction_code
        merchant = t.merchant_details
        append(
            BankTransaction(
                account_id=account_id,
                transaction_id=t.transaction_id,
                reference=t.transaction_reference,
                amount_pence=value if t.credit_debit_indicator == "Credit" else -value,
                currency=CURRENCY,
                status=_STATUS.get(t.status) or t.status.lower(),
                booked_at=booked.astimezone(UTC),
                booked_offset_minutes=offset,
                value_at=value_at,
                description=t.transaction_information,
                bank_code=code.code if code else None,
                bank_sub_code=code.sub_code if code else None,
                proprietary_code=proprietary.code if proprietary else None,
                running_balance_pence=running,
                merchant_name=merchant.merchant_name if merchant else None,
                merchant_category_code=merchant.merchant_category_code if merchant else None,
            )
        )
    return tuple(mapped)
