"""Loans as booked in the loan-management system: agreements, schedules, transactions, payments.

Pure rules shared by the loan book's readers and by the LMS simulator that writes it: a booked
loan's schedule and opening transactions, a payment allocated to instalments (oldest first), and
balance, arrears and status from the schedule (reversals and returned collections:
:mod:`ff_shared.domain.loan_returns`). Money is integer pence.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

import msgspec

from ff_shared.domain.dates import add_months
from ff_shared.domain.money import PENCE_PER_POUND
from ff_shared.domain.pricing import build_schedule

LMS_PRODUCT_CODE = "FFPL"
"""Anchor's product code for the platform's fixed-rate personal loan."""


class LoanStatus(enum.StrEnum):
    LIVE = "live"
    ARREARS = "arrears"
    SETTLED = "settled"


class InstalmentStatus(enum.StrEnum):
    DUE = "due"
    PART_PAID = "part_paid"
    PAID = "paid"
    OVERDUE = "overdue"


class TransactionType(enum.IntEnum):
    """Anchor's transaction ``TypeId`` values (table ``TransactionTypes``)."""

    ADVANCE = 1
    INTEREST = 2
    PAYMENT = 3
    FEE = 4
    REFUND = 5
    WRITE_OFF = 6
    PAYMENT_REVERSAL = 7
    UNPAID_COLLECTION = 8
    """A Direct Debit returned unpaid: a note on the account, the balance is unchanged."""

    @property
    def label(self) -> str:
        return self.name.lower()

    @property
    def direction(self) -> int:
        """1 when it adds to what the customer owes, -1 when it reduces it, 0 for a note."""
        if self is TransactionType.UNPAID_COLLECTION:
            return 0
        return -1 if self in (TransactionType.PAYMENT, TransactionType.WRITE_OFF) else 1


class CustomerDetails(msgspec.Struct, frozen=True, kw_only=True):
    """Personal details the LMS keeps on its customer record (shown back to the customer)."""

    platform_customer_id: str | None
    """The platform customer (identity-provider subject) this LMS customer is."""
    title: str | None = None
    first_name: str
    last_name: str
    date_of_birth: date | None = None
    email: str | None = None
    mobile_phone: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    town: str | None = None
    postcode: str | None = None


class LoanCustomer(CustomerDetails, frozen=True, kw_only=True):
    """The LMS's customer record."""

    lms_customer_id: int


class Loan(msgspec.Struct, frozen=True, kw_only=True):
    """One agreement in the loan book."""

    agreement_number: str
    customer_id: str | None
    """The platform customer (identity-provider subject) the LMS customer record carries."""
    application_id: str | None
    product_code: str
    status: LoanStatus
    advance_pence: int
    term_months: int
    annual_rate_bps: int
    apr_percent: float
    instalment_pence: int
    total_repayable_pence: int
    balance_pence: int
    arrears_pence: int
    start_date: date
    first_payment_date: date
    final_payment_date: date
    next_payment_date: date | None
    next_payment_pence: int | None
    created_at: datetime
    updated_at: datetime


class Instalment(msgspec.Struct, frozen=True, kw_only=True):
    number: int
    due_date: date
    amount_pence: int
    principal_pence: int
    interest_pence: int
    paid_pence: int
    status: InstalmentStatus

    @property
    def outstanding_pence(self) -> int:
        return self.amount_pence - self.paid_pence


class LoanTransaction(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    type_id: int
    type: str
    amount_pence: int
    direction: int
    transaction_date: date
    reference: str | None
    created_at: datetime


class TransactionPage(msgspec.Struct, frozen=True, kw_only=True):
    items: tuple[LoanTransaction, ...]
    total: int
    offset: int
    limit: int


class LoanTerms(msgspec.Struct, frozen=True, kw_only=True):
    """What the platform asks the LMS to book: the accepted offer and its drawdown date."""

    advance_pence: int
    term_months: int
    annual_rate_bps: int
    apr_percent: float
    start_date: date
    product_code: str = LMS_PRODUCT_CODE


class BadAmount(ValueError):
    """A decimal amount that is not a whole number of pence."""


def pence_from_decimal(value: Decimal | int | str) -> int:
    """Decimal pounds (as the LMS and the loan book hold them) to integer pence, exactly."""
    pence = Decimal(value) * PENCE_PER_POUND
    if pence != pence.to_integral_value():
        raise BadAmount(f"{value} is not a whole number of pence")
    return int(pence)


def decimal_from_pence(pence: int) -> Decimal:
    """Integer pence to decimal pounds with two places (``12345`` -> ``Decimal('123.45')``)."""
    return (Decimal(pence) / PENCE_PER_POUND).quantize(Decimal("0.01"))


def rate_bps_from_percent(value: Decimal | float | str) -> int:
    return int((Decimal(str(value)) * 100).to_integral_value())


def instalment_status(
    *, due_date: date, amount_pence: int, paid_pence: int, today: date, overdue: bool = False
) -> InstalmentStatus:
    """``overdue``: already overdue (its collection was returned unpaid) until paid in full."""
    if paid_pence >= amount_pence:
        return InstalmentStatus.PAID
    if due_date < today or overdue:
        return InstalmentStatus.OVERDUE
    if paid_pence > 0:
        return InstalmentStatus.PART_PAID
    return InstalmentStatus.DUE


def schedule_for(terms: LoanTerms, today: date) -> tuple[Instalment, ...]:
    """The booked schedule: level monthly instalments from a month after the start date."""
    rows = build_schedule(
        terms.advance_pence, terms.term_months, terms.annual_rate_bps, terms.start_date
    )
    return tuple(
        Instalment(
            number=row.number,
            due_date=row.due_date,
            amount_pence=row.amount_pence,
            principal_pence=row.principal_pence,
            interest_pence=row.interest_pence,
            paid_pence=0,
            status=instalment_status(
                due_date=row.due_date, amount_pence=row.amount_pence, paid_pence=0, today=today
            ),
        )
        for row in rows
    )


def balance_of(schedule: Sequence[Instalment]) -> int:
    return sum(i.outstanding_pence for i in schedule)


def arrears_of(schedule: Sequence[Instalment], today: date) -> int:
    """Unpaid instalments past their due date, or whose collection was returned unpaid."""
    return sum(
        i.outstanding_pence
        for i in schedule
        if i.due_date < today or i.status is InstalmentStatus.OVERDUE
    )


def status_of(schedule: Sequence[Instalment], today: date) -> LoanStatus:
    if balance_of(schedule) == 0:
        return LoanStatus.SETTLED
    if arrears_of(schedule, today) > 0:
        return LoanStatus.ARREARS
    return LoanStatus.LIVE


def next_due(schedule: Sequence[Instalment]) -> Instalment | None:
    return next((i for i in schedule if i.outstanding_pence > 0), None)


class PaymentTooLarge(ValueError):
    def __init__(self, amount_pence: int, balance_pence: int) -> None:
        super().__init__(f"a payment of {amount_pence}p exceeds the balance of {balance_pence}p")
        self.amount_pence = amount_pence
        self.balance_pence = balance_pence


def allocate_payment(
    schedule: Sequence[Instalment], amount_pence: int, today: date
) -> tuple[Instalment, ...]:
    """The schedule after ``amount_pence`` is paid against the oldest unpaid instalments."""
    if amount_pence <= 0:
        raise ValueError("a payment must be positive")
    balance = balance_of(schedule)
    if amount_pence > balance:
        raise PaymentTooLarge(amount_pence, balance)
    left = amount_pence
    out: list[Instalment] = []
    for instalment in sorted(schedule, key=lambda i: i.number):
        take = min(left, instalment.outstanding_pence)
        left -= take
        paid = instalment.paid_pence + take
        out.append(
            msgspec.structs.replace(
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
        )
    return tuple(out)


def first_payment_date(start_date: date) -> date:
    return add_months(start_date, 1)


def agreement_number_for(agreement_id: int) -> str:
    """Anchor's agreement numbers: a prefix and the zero-padded agreement id."""
    return f"FF{agreement_id:08d}"


class BookedLoan(msgspec.Struct, frozen=True, kw_only=True):
    loan: Loan
    schedule: tuple[Instalment, ...]
    transactions: tuple[LoanTransaction, ...]


def book(
    terms: LoanTerms,
    *,
    agreement_number: str,
    customer_id: str | None,
    application_id: str | None,
    first_transaction_id: int,
    today: date,
    now: datetime,
) -> BookedLoan:
    """A newly booked agreement: its schedule, and the advance and the interest charged."""
    schedule = schedule_for(terms, today)
    total = sum(i.amount_pence for i in schedule)
    upcoming = next_due(schedule)
    loan = Loan(
        agreement_number=agreement_number,
        customer_id=customer_id,
        application_id=application_id,
        product_code=terms.product_code,
        status=status_of(schedule, today),
        advance_pence=terms.advance_pence,
        term_months=terms.term_months,
        annual_rate_bps=terms.annual_rate_bps,
        apr_percent=terms.apr_percent,
        instalment_pence=schedule[0].amount_pence,
        total_repayable_pence=total,
        balance_pence=balance_of(schedule),
        arrears_pence=arrears_of(schedule, today),
        start_date=terms.start_date,
        first_payment_date=schedule[0].due_date,
        final_payment_date=schedule[-1].due_date,
        next_payment_date=None if upcoming is None else upcoming.due_date,
        next_payment_pence=None if upcoming is None else upcoming.outstanding_pence,
        created_at=now,
        updated_at=now,
    )
    opening = (
        (TransactionType.ADVANCE, terms.advance_pence),
        (TransactionType.INTEREST, total - terms.advance_pence),
    )
    transactions = tuple(
        LoanTransaction(
            id=first_transaction_id + n,
            type_id=int(kind),
            type=kind.label,
            amount_pence=amount,
            direction=kind.direction,
            transaction_date=terms.start_date,
            reference=agreement_number,
            created_at=now,
        )
        for n, (kind, amount) in enumerate(opening)
        if amount > 0
    )
    return BookedLoan(loan=loan, schedule=schedule, transactions=transactions)


class LmsSyncState(enum.StrEnum):
    CREATING = "creating"
    """The job is asking the LMS to book the loan (or was stopped while asking)."""
    RETRYING = "retrying"
    """The last try failed in a way that may pass; the job will try again."""
    CREATED = "created"
    FAILED = "failed"
    """The LMS refused the loan, or every try failed: staff must look."""


class LmsSync(msgspec.Struct, frozen=True, kw_only=True):
    """An accepted application's loan in Anchor LMS, as the ``create_lms_loan`` job left it."""

    state: LmsSyncState
    agreement_number: str | None = None
    last_error: str | None = None
    """What the last failed try reported (no bodies, no personal data)."""
    attempts: int = 0
    synced_at: datetime | None = None
    """When the LMS confirmed the agreement."""
    updated_at: datetime
