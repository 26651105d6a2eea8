"""Loan bodies. Both portals see the same loan figures; only staff see the LMS customer record."""

from __future__ import annotations

from datetime import date, datetime

import msgspec

from ff_shared.domain.loans import Instalment, Loan, LoanCustomer, LoanTransaction, TransactionPage


class LoanView(msgspec.Struct, kw_only=True):
    id: str
    """The Anchor LMS agreement number."""
    application_id: str | None
    status: str
    advance_pence: int
    term_months: int
    annual_rate_bps: int
    apr_percent: float
    instalment_pence: int
    total_repayable_pence: int
    balance_pence: int
    """What is still owed on the schedule, interest included."""
    arrears_pence: int
    start_date: date
    first_payment_date: date
    final_payment_date: date
    next_payment_date: date | None
    next_payment_pence: int | None
    updated_at: datetime
    """When the loan book last changed this loan."""


class LoanList(msgspec.Struct, kw_only=True):
    items: list[LoanView]


class InstalmentView(msgspec.Struct, kw_only=True):
    number: int
    due_date: date
    amount_pence: int
    principal_pence: int
    interest_pence: int
    paid_pence: int
    status: str


class ScheduleView(msgspec.Struct, kw_only=True):
    loan_id: str
    instalments: list[InstalmentView]


class TransactionView(msgspec.Struct, kw_only=True):
    id: int
    type: str
    """advance, interest, payment, fee, refund, write_off."""
    type_id: int
    """Anchor's TypeId."""
    amount_pence: int
    direction: int
    """1: adds to what is owed; -1: reduces it."""
    date: date
    reference: str | None
    created_at: datetime


class TransactionPageView(msgspec.Struct, kw_only=True):
    loan_id: str
    items: list[TransactionView]
    total: int
    offset: int
    limit: int
    next_offset: int | None
    """The offset of the next page; null on the last page."""


class LoanCustomerView(msgspec.Struct, kw_only=True):
    """The LMS's customer record (staff only)."""

    lms_customer_id: int
    title: str | None
    first_name: str
    last_name: str
    date_of_birth: date | None
    email: str | None
    mobile_phone: str | None
    address_line1: str | None
    address_line2: str | None
    town: str | None
    postcode: str | None


class StaffCustomerLoans(msgspec.Struct, kw_only=True):
    customer_id: str
    lms_customer: LoanCustomerView | None
    """Null when the LMS has no record of this customer."""
    items: list[LoanView]


def loan_view(loan: Loan) -> LoanView:
    return LoanView(
        id=loan.agreement_number,
        application_id=loan.application_id,
        status=loan.status.value,
        advance_pence=loan.advance_pence,
        term_months=loan.term_months,
        annual_rate_bps=loan.annual_rate_bps,
        apr_percent=loan.apr_percent,
        instalment_pence=loan.instalment_pence,
        total_repayable_pence=loan.total_repayable_pence,
        balance_pence=loan.balance_pence,
        arrears_pence=loan.arrears_pence,
        start_date=loan.start_date,
        first_payment_date=loan.first_payment_date,
        final_payment_date=loan.final_payment_date,
        next_payment_date=loan.next_payment_date,
        next_payment_pence=loan.next_payment_pence,
        updated_at=loan.updated_at,
    )


def schedule_view(loan_id: str, schedule: list[Instalment]) -> ScheduleView:
    return ScheduleView(
        loan_id=loan_id,
        instalments=[
            InstalmentView(
                number=i.number,
                due_date=i.due_date,
                amount_pence=i.amount_pence,
                principal_pence=i.principal_pence,
                interest_pence=i.interest_pence,
                paid_pence=i.paid_pence,
                status=i.status.value,
            )
            for i in schedule
        ],
    )


def _transaction_view(t: LoanTransaction) -> TransactionView:
    return TransactionView(
        id=t.id,
        type=t.type,
        type_id=t.type_id,
        amount_pence=t.amount_pence,
        direction=t.direction,
        date=t.transaction_date,
        reference=t.reference,
        created_at=t.created_at,
    )


def transaction_page_view(loan_id: str, page: TransactionPage) -> TransactionPageView:
    following = page.offset + len(page.items)
    return TransactionPageView(
        loan_id=loan_id,
        items=[_transaction_view(t) for t in page.items],
        total=page.total,
        offset=page.offset,
        limit=page.limit,
        next_offset=following if following < page.total else None,
    )


def loan_customer_view(customer: LoanCustomer) -> LoanCustomerView:
    return LoanCustomerView(
        lms_customer_id=customer.lms_customer_id,
        title=customer.title,
        first_name=customer.first_name,
        last_name=customer.last_name,
        date_of_birth=customer.date_of_birth,
        email=customer.email,
        mobile_phone=customer.mobile_phone,
        address_line1=customer.address_line1,
        address_line2=customer.address_line2,
        town=customer.town,
        postcode=customer.postcode,
    )


class LmsSyncView(msgspec.Struct, kw_only=True):
    """The accepted loan in Anchor LMS, as the booking job left it (staff only)."""

    state: str
    """creating, retrying, created or failed."""
    agreement_number: str | None
    """The LMS loan id; the customer's loan is ``/v1/loans/{agreement_number}``."""
    last_error: str | None
    attempts: int
    synced_at: datetime | None
    updated_at: datetime
