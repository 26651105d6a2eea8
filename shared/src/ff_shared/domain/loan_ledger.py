"""What the loan-management system does to a booked loan's schedule: payments, reversals of
payments the bank took back, and Direct Debits returned unpaid.

A payment pays the oldest unpaid instalments first (``loans.allocate_payment``); a reversal
unwinds the newest paid amounts first, so after a reversal the schedule is what it would have
been had the payment never been made (for the latest payment exactly; for an earlier one the
later payments are re-read as having paid the older instalments, as the LMS allocates).
A new payment day re-dates every instalment from a given one to that day of its own month.
A returned collection leaves the balance unchanged and puts its instalment in arrears at once,
whatever its due date (the bank's return usually arrives after it anyway).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import msgspec

from ff_shared.domain.loans import (
    Instalment,
    InstalmentStatus,
    Loan,
    LoanTransaction,
    TransactionType,
    allocate_payment,
    arrears_of,
    balance_of,
    instalment_status,
    next_due,
    status_of,
)


class PaidLoan(msgspec.Struct, frozen=True, kw_only=True):
    """The loan and schedule after one transaction, and the transaction."""

    loan: Loan
    schedule: tuple[Instalment, ...]
    transaction: LoanTransaction


class NothingToReverse(ValueError):
    """The amount to reverse is more than the schedule has been paid."""


def _rebalanced(loan: Loan, schedule: tuple[Instalment, ...], today: date, now: datetime) -> Loan:
    upcoming = next_due(schedule)
    return msgspec.structs.replace(
        loan,
        status=status_of(schedule, today),
        balance_pence=balance_of(schedule),
        arrears_pence=arrears_of(schedule, today),
        next_payment_date=None if upcoming is None else upcoming.due_date,
        next_payment_pence=None if upcoming is None else upcoming.outstanding_pence,
        updated_at=now,
    )


def _transaction(
    kind: TransactionType,
    *,
    transaction_id: int,
    amount_pence: int,
    on: date,
    reference: str,
    now: datetime,
) -> LoanTransaction:
    return LoanTransaction(
        id=transaction_id,
        type_id=int(kind),
        type=kind.label,
        amount_pence=amount_pence,
        direction=kind.direction,
        transaction_date=on,
        reference=reference,
        created_at=now,
    )


def pay(
    loan: Loan,
    schedule: Sequence[Instalment],
    *,
    amount_pence: int,
    reference: str,
    transaction_id: int,
    payment_date: date,
    today: date,
    now: datetime,
) -> PaidLoan:
    """Apply a payment: raises :class:`~ff_shared.domain.loans.PaymentTooLarge` above the
    balance."""
    after = allocate_payment(schedule, amount_pence, today)
    return PaidLoan(
        loan=_rebalanced(loan, after, today, now),
        schedule=after,
        transaction=_transaction(
            TransactionType.PAYMENT,
            transaction_id=transaction_id,
            amount_pence=amount_pence,
            on=payment_date,
            reference=reference,
            now=now,
        ),
    )


def unallocate_payment(
    schedule: Sequence[Instalment], amount_pence: int, today: date
) -> tuple[Instalment, ...]:
    """The schedule with ``amount_pence`` taken back from the newest paid instalments."""
    if amount_pence <= 0:
        raise ValueError("a reversal must be positive")
    if amount_pence > sum(i.paid_pence for i in schedule):
        raise NothingToReverse(f"{amount_pence}p is more than the schedule has been paid")
    left = amount_pence
    out: dict[int, Instalment] = {}
    for instalment in sorted(schedule, key=lambda i: i.number, reverse=True):
        take = min(left, instalment.paid_pence)
        left -= take
        paid = instalment.paid_pence - take
        out[instalment.number] = msgspec.structs.replace(
            instalment,
            paid_pence=paid,
            status=instalment_status(
                due_date=instalment.due_date,
                amount_pence=instalment.amount_pence,
                paid_pence=paid,
                today=today,
                overdue=instalment.status is InstalmentStatus.OVERDUE,
            ),
        )
    return tuple(out[n] for n in sorted(out))


def reverse(
    loan: Loan,
    schedule: Sequence[Instalment],
    *,
    amount_pence: int,
    reference: str,
    transaction_id: int,
    reversal_date: date,
    today: date,
    now: datetime,
) -> PaidLoan:
    """Take back a recorded payment of ``amount_pence``: what the customer owes goes up by it."""
    after = unallocate_payment(schedule, amount_pence, today)
    return PaidLoan(
        loan=_rebalanced(loan, after, today, now),
        schedule=after,
        transaction=_transaction(
            TransactionType.PAYMENT_REVERSAL,
            transaction_id=transaction_id,
            amount_pence=amount_pence,
            on=reversal_date,
            reference=reference,
            now=now,
        ),
    )


def mark_unpaid(
    loan: Loan,
    schedule: Sequence[Instalment],
    *,
    instalment_number: int,
    amount_pence: int,
    reference: str,
    transaction_id: int,
    return_date: date,
    today: date,
    now: datetime,
) -> PaidLoan:
    """Note a Direct Debit returned unpaid: its instalment, if still owed, is in arrears.

    Raises ``LookupError`` for an instalment the schedule does not have."""
    if not any(i.number == instalment_number for i in schedule):
        raise LookupError(f"no instalment {instalment_number}")
    after = tuple(
        msgspec.structs.replace(i, status=InstalmentStatus.OVERDUE)
        if i.number == instalment_number and i.outstanding_pence > 0
        else i
        for i in schedule
    )
    return PaidLoan(
        loan=_rebalanced(loan, after, today, now),
        schedule=after,
        transaction=_transaction(
            TransactionType.UNPAID_COLLECTION,
            transaction_id=transaction_id,
            amount_pence=amount_pence,
            on=return_date,
            reference=reference,
            now=now,
        ),
    )


class BadPaymentDay(ValueError):
    """A payment day the schedule cannot take (outside 1-28, or before an earlier instalment)."""


def redate(
    loan: Loan,
    schedule: Sequence[Instalment],
    *,
    payment_day: int,
    from_instalment: int,
    today: date,
    now: datetime,
) -> tuple[Loan, tuple[Instalment, ...]]:
    """Every instalment numbered ``from_instalment`` or later falls due on ``payment_day`` of
    its month; amounts are unchanged. Raises :class:`BadPaymentDay`."""
    if not 1 <= payment_day <= 28:
        raise BadPaymentDay("the payment day must be between 1 and 28")
    ordered = sorted(schedule, key=lambda i: i.number)
    if not any(i.number == from_instalment for i in ordered):
        raise BadPaymentDay(f"there is no instalment {from_instalment}")
    out: list[Instalment] = []
    for instalment in ordered:
        if instalment.number >= from_instalment:
            due = instalment.due_date.replace(day=payment_day)
            if out and due <= out[-1].due_date:
                raise BadPaymentDay("the new date falls before the previous instalment")
            instalment = msgspec.structs.replace(
                instalment,
                due_date=due,
                status=instalment_status(
                    due_date=due,
                    amount_pence=instalment.amount_pence,
                    paid_pence=instalment.paid_pence,
                    today=today,
                    overdue=instalment.status is InstalmentStatus.OVERDUE,
                ),
            )
        out.append(instalment)
    after = tuple(out)
    moved = msgspec.structs.replace(
        _rebalanced(loan, after, today, now),
        first_payment_date=after[0].due_date,
        final_payment_date=after[-1].due_date,
    )
    return moved, after
