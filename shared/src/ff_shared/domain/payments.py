"""Repayments: Direct Debit mandates, collections and pay-now payments, as rules without I/O.

A lender records a payment in the loan book only when its payment provider says the money
moved: :func:`books_payment` is the one place that decides. Provider statuses are the
provider's own (GoCardless's names are the reference); customers see a smaller set of states.

Bacs Direct Debit works in working days (weekends and England & Wales bank holidays are not):
a collection must be submitted a few working days before its charge date, and a charge date that
falls on a non-working day moves to the next working day.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, datetime, timedelta

import msgspec


class MandateStatus(enum.StrEnum):
    PENDING_CUSTOMER_APPROVAL = "pending_customer_approval"
    PENDING_SUBMISSION = "pending_submission"
    SUBMITTED = "submitted"
    ACTIVE = "active"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    CONSUMED = "consumed"
    BLOCKED = "blocked"


class PaymentStatus(enum.StrEnum):
    PENDING_CUSTOMER_APPROVAL = "pending_customer_approval"
    PENDING_SUBMISSION = "pending_submission"
    SUBMITTED = "submitted"
    CONFIRMED = "confirmed"
    PAID_OUT = "paid_out"
    CANCELLED = "cancelled"
    CUSTOMER_APPROVAL_DENIED = "customer_approval_denied"
    FAILED = "failed"
    CHARGED_BACK = "charged_back"


class PaymentKind(enum.StrEnum):
    COLLECTION = "collection"
    """An instalment taken by Direct Debit under the customer's mandate."""
    PAY_NOW = "pay_now"
    """A one-off payment the customer makes through the provider's hosted page."""


class PaymentState(enum.StrEnum):
    """What the customer is shown."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    PAID_OUT = "paid_out"
    FAILED = "failed"
    CHARGED_BACK = "charged_back"
    CANCELLED = "cancelled"


_STATE = {
    PaymentStatus.PENDING_CUSTOMER_APPROVAL: PaymentState.PENDING,
    PaymentStatus.PENDING_SUBMISSION: PaymentState.PENDING,
    PaymentStatus.SUBMITTED: PaymentState.PENDING,
    PaymentStatus.CONFIRMED: PaymentState.CONFIRMED,
    PaymentStatus.PAID_OUT: PaymentState.PAID_OUT,
    PaymentStatus.CANCELLED: PaymentState.CANCELLED,
    PaymentStatus.CUSTOMER_APPROVAL_DENIED: PaymentState.CANCELLED,
    PaymentStatus.FAILED: PaymentState.FAILED,
    PaymentStatus.CHARGED_BACK: PaymentState.CHARGED_BACK,
}


def customer_state(status: PaymentStatus) -> PaymentState:
    return _STATE[status]


MONEY_MOVED = frozenset({PaymentStatus.CONFIRMED, PaymentStatus.PAID_OUT})
"""The provider's confirmation: the only statuses on which the loan book records a payment.
``paid_out`` is reached through ``confirmed``; an event for either, in any order, books once."""


def books_payment(status: PaymentStatus, *, already_booked: bool) -> bool:
    """Whether the loan book should record this payment now (exactly once, on confirmation)."""
    return status in MONEY_MOVED and not already_booked


MONEY_RETURNED = frozenset({PaymentStatus.CHARGED_BACK, PaymentStatus.FAILED})
"""The provider's word that money it had confirmed went back: a charge-back (the payer's
Direct Debit Indemnity claim, after ``paid_out``) or a late failure (after ``confirmed``)."""


def reverses_payment(status: PaymentStatus, *, booked: bool, reversed_: bool) -> bool:
    """Whether the loan book should reverse this payment now (once, only if it was booked)."""
    return status in MONEY_RETURNED and booked and not reversed_


# --- Direct Debit mandates -----------------------------------------------------------------

FUNDABLE_MANDATE = frozenset({MandateStatus.ACTIVE})
"""A loan is paid out only to a customer whose Direct Debit the bank has set up."""


def mandate_allows_funding(status: MandateStatus | None) -> bool:
    return status in FUNDABLE_MANDATE


# --- Failures and retries ------------------------------------------------------------------

RETRYABLE_FAILURE_CAUSES = frozenset({"insufficient_funds", "refer_to_payer"})
"""Bacs lets a collection be re-presented only when the payer's bank refused it for funds;
a cancelled mandate, a closed account or a payer's dispute must never be collected again."""

MAX_RETRIES = 2
"""Re-presentations after the first attempt (three presentations in all)."""


def may_retry(cause: str | None, retries_so_far: int, *, paused: bool) -> bool:
    """Whether a failed collection may be presented again under the scheme's rules and our
    forbearance: never while collections are paused."""
    return (
        not paused
        and cause is not None
        and cause in RETRYABLE_FAILURE_CAUSES
        and retries_so_far < MAX_RETRIES
    )


# --- Working days --------------------------------------------------------------------------

BANK_HOLIDAYS_ENGLAND_WALES: frozenset[date] = frozenset(
    {
        # 2025
        date(2025, 1, 1),
        date(2025, 4, 18),
        date(2025, 4, 21),
        date(2025, 5, 5),
        date(2025, 5, 26),
        date(2025, 8, 25),
        date(2025, 12, 25),
        date(2025, 12, 26),
        # 2026
        date(2026, 1, 1),
        date(2026, 4, 3),
        date(2026, 4, 6),
        date(2026, 5, 4),
        date(2026, 5, 25),
        date(2026, 8, 31),
        date(2026, 12, 25),
        date(2026, 12, 28),
        # 2027
        date(2027, 1, 1),
        date(2027, 3, 26),
        date(2027, 3, 29),
        date(2027, 5, 3),
        date(2027, 5, 31),
        date(2027, 8, 30),
        date(2027, 12, 27),
        date(2027, 12, 28),
        # 2028
        date(2028, 1, 3),
        date(2028, 4, 14),
        date(2028, 4, 17),
        date(2028, 5, 1),
        date(2028, 5, 29),
        date(2028, 8, 28),
        date(2028, 12, 25),
        date(2028, 12, 26),
    }
)
"""From GOV.UK's published list; a year beyond it counts weekends only, so extend it yearly."""


def is_working_day(day: date, holidays: frozenset[date] = BANK_HOLIDAYS_ENGLAND_WALES) -> bool:
    return day.weekday() < 5 and day not in holidays


def next_working_day(day: date) -> date:
    """``day`` itself when it is a working day, else the first working day after it."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def add_working_days(day: date, count: int) -> date:
    """The working day ``count`` working days after ``day`` (which need not be one)."""
    current = day
    remaining = count
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def subtract_working_days(day: date, count: int) -> date:
    current = day
    remaining = count
    while remaining > 0:
        current -= timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


BACS_LEAD_WORKING_DAYS = 3
"""Working days between asking the provider to collect and the earliest charge date it accepts."""


def charge_date_for(due_date: date) -> date:
    """The day the money leaves the customer's account for an instalment due on ``due_date``."""
    return next_working_day(due_date)


def earliest_charge_date(today: date, lead_days: int = BACS_LEAD_WORKING_DAYS) -> date:
    return add_working_days(today, lead_days)


def submission_date_for(due_date: date, lead_days: int = BACS_LEAD_WORKING_DAYS) -> date:
    """The last working day on which a collection can be created to be charged on time."""
    return subtract_working_days(charge_date_for(due_date), lead_days)


def collection_due(due_date: date, today: date, *, window_working_days: int = 2) -> bool:
    """Whether the collection for ``due_date`` should be created today: from a couple of working
    days before its submission date (so a failed run can try again) up to the due date."""
    opens = subtract_working_days(submission_date_for(due_date), window_working_days)
    return opens <= today <= due_date


def planned_charge_date(
    due_date: date, today: date, lead_days: int = BACS_LEAD_WORKING_DAYS
) -> date:
    """The charge date to ask for: the instalment's, or the earliest Bacs allows when late."""
    return max(charge_date_for(due_date), earliest_charge_date(today, lead_days))


# --- Forbearance (FCA CONC 7) --------------------------------------------------------------


class ArrangementKind(enum.StrEnum):
    PAYMENT_PLAN = "payment_plan"
    """Reduced instalments for a term agreed with the customer."""
    BREATHING_SPACE = "breathing_space"
    """No collections, no arrears contact, no interest or fees for the term (Debt Respite
    Scheme: 60 days as standard)."""


BREATHING_SPACE_DAYS = 60


class Arrangement(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    loan_id: str
    kind: ArrangementKind
    starts_on: date
    ends_on: date
    """The last day the arrangement applies."""
    instalment_pence: int | None
    """A payment plan's reduced instalment; null for a breathing space."""
    note: str | None
    agreed_by: str
    """The staff member's id."""
    created_at: datetime
    ended_at: datetime | None = None
    """Set when staff end the arrangement early."""

    def applies_on(self, day: date) -> bool:
        if self.ended_at is not None and self.ended_at.date() <= day:
            return False
        return self.starts_on <= day <= self.ends_on


def active_arrangement(arrangements: Iterable[Arrangement], day: date) -> Arrangement | None:
    """The arrangement in force on ``day``; a breathing space outranks a payment plan."""
    live = [a for a in arrangements if a.applies_on(day)]
    for kind in (ArrangementKind.BREATHING_SPACE, ArrangementKind.PAYMENT_PLAN):
        for arrangement in live:
            if arrangement.kind is kind:
                return arrangement
    return None


def collection_amount(instalment_pence: int, arrangement: Arrangement | None) -> int:
    """What to collect for an instalment: nothing in a breathing space, the plan's amount
    under a payment plan (never more than the instalment), else the instalment."""
    if arrangement is None:
        return instalment_pence
    if arrangement.kind is ArrangementKind.BREATHING_SPACE:
        return 0
    return min(instalment_pence, arrangement.instalment_pence or 0)


def arrears_contact_allowed(arrangement: Arrangement | None) -> bool:
    """CONC 7 / Breathing Space: no contact demanding payment while a breathing space runs;
    under a payment plan, contact only about the plan's own missed payments (what a failed
    collection under the plan is)."""
    return arrangement is None or arrangement.kind is not ArrangementKind.BREATHING_SPACE


class DifficultyKind(enum.StrEnum):
    COLLECTION_DATE = "collection_date"
    """The customer asks for a different day of the month."""
    FINANCIAL_DIFFICULTY = "financial_difficulty"
    """The customer tells us they are struggling; staff contact them to agree forbearance."""


class DifficultyRequest(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    loan_id: str
    customer_id: str
    kind: DifficultyKind
    preferred_day: int | None
    message: str | None
    status: str
    created_at: datetime


# --- Records ---------------------------------------------------------------------------------


class MandateRecord(msgspec.Struct, frozen=True, kw_only=True):
    application_id: str
    customer_id: str
    request_id: str
    authorisation_url: str
    mandate_id: str | None
    status: MandateStatus
    failure_cause: str | None
    loan_id: str | None
    created_at: datetime
    updated_at: datetime


class PaymentRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    kind: PaymentKind
    customer_id: str
    loan_id: str
    amount_pence: int
    provider_payment_id: str | None
    request_id: str | None
    authorisation_url: str | None
    idempotency_key: str
    instalment_number: int | None
    charge_date: date | None
    status: PaymentStatus
    failure_cause: str | None
    retries: int
    booked_at: datetime | None
    lms_transaction_id: int | None
    created_at: datetime
    updated_at: datetime
    reversed_at: datetime | None = None
    """When the loan book reversed it (the bank took the money back after it was booked)."""
    lms_reversal_id: int | None = None

    @property
    def state(self) -> PaymentState:
        return customer_state(self.status)


class StoredEvent(msgspec.Struct, frozen=True, kw_only=True):
    event_id: str
    resource_type: str
    action: str
    resource_id: str | None
    cause: str | None
    description: str | None
    created_at: datetime
    received_at: datetime
    processed_at: datetime | None
    outcome: str | None


def lms_reference(provider_payment_id: str) -> str:
    """The loan-book reference of a provider payment: the LMS records each reference once, so a
    booking repeated after a crash can never record the payment twice."""
    return f"FFPAY-{provider_payment_id}"
