"""Repayment bodies. Customers and staff see the same payment states; staff also see
failure causes, forbearance arrangements and the customers' difficulty requests."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec
from litestar.openapi.datastructures import ResponseSpec

from ff_api.problems import PROBLEM_JSON, Problem
from ff_shared.domain.payments import (
    Arrangement,
    ArrangementKind,
    DifficultyKind,
    DifficultyRequest,
    MandateRecord,
    PaymentRecord,
)


def problem_response(description: str) -> ResponseSpec:
    """An extra problem document a route can answer with, for the OpenAPI document."""
    return ResponseSpec(
        data_container=Problem,
        description=description,
        media_type=PROBLEM_JSON,
        generate_examples=False,
    )


PROVIDER_DOWN = {
    503: problem_response("The payment provider does not answer (`payment_provider_unavailable`)")
}


class MandateView(msgspec.Struct, kw_only=True):
    application_id: str
    status: str
    """pending_customer_approval until the customer completes the hosted page, then the
    provider's: pending_submission, submitted, active, failed, cancelled, expired..."""
    authorisation_url: str | None
    """The provider's hosted page to send the customer to; null once it is completed."""
    failure_cause: str | None
    loan_id: str | None
    """The loan this mandate repays, once it is funded."""
    updated_at: datetime


class PaymentView(msgspec.Struct, kw_only=True):
    id: int
    kind: str
    """collection (Direct Debit) or pay_now."""
    state: str
    """pending, confirmed, paid_out, failed, charged_back or cancelled."""
    amount_pence: int
    charge_date: date | None
    instalment_number: int | None
    recorded_in_loan_book: bool
    """True once the provider confirmed it and the loan book recorded it."""
    reversed_in_loan_book: bool
    """True once the loan book reversed it: the bank took the money back after it was recorded
    (charged_back, or failed after it was confirmed)."""
    created_at: datetime
    updated_at: datetime


class StaffPaymentView(PaymentView, kw_only=True):
    loan_id: str
    customer_id: str
    provider_status: str
    provider_payment_id: str | None
    failure_cause: str | None
    retries: int


class PaymentList(msgspec.Struct, kw_only=True):
    loan_id: str
    items: list[PaymentView]


class UpcomingCollection(msgspec.Struct, kw_only=True):
    instalment_number: int
    due_date: date
    charge_date: date
    """The working day the Direct Debit is taken."""
    submit_by: date
    """The last working day the collection can be sent to the provider to be taken on
    ``charge_date`` (the Bacs lead time); the daily run sends it from two working days before."""
    amount_pence: int
    """What will be collected: less under a payment plan, 0 in a breathing space."""
    paused: bool


class ArrangementView(msgspec.Struct, kw_only=True):
    id: int
    kind: str
    starts_on: date
    ends_on: date
    instalment_pence: int | None
    ended_at: datetime | None


class RepaymentsView(msgspec.Struct, kw_only=True):
    loan_id: str
    balance_pence: int
    arrears_pence: int
    """Instalments past due and unpaid, as the loan book holds them."""
    failed_collections_pence: int
    """Collections the bank refused (or the customer charged back) whose instalment is still
    unpaid: arrears as soon as its due date passes. Pay now to clear them."""
    mandate: MandateView | None
    arrangement: ArrangementView | None
    """The forbearance arrangement in force today, if any."""
    upcoming: list[UpcomingCollection]
    payments: list[PaymentView]


class PayNowRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    amount_pence: Annotated[
        int,
        msgspec.Meta(
            ge=1,
            le=10_000_000,
            description="Amount to pay in pence",
            examples=[5000],
            extra={"bound_error": "payment_exceeds_balance"},
        ),
    ]


class PayNowView(msgspec.Struct, kw_only=True):
    payment: PaymentView
    authorisation_url: str
    """The provider's hosted payment page; the loan book changes only when the provider
    confirms the payment."""


class DifficultyBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    kind: DifficultyKind
    preferred_day: Annotated[int, msgspec.Meta(ge=1, le=28)] | None = None
    """For a collection-date request: the day of the month to be collected on."""
    message: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)] | None = None


class DifficultyView(msgspec.Struct, kw_only=True):
    id: int
    loan_id: str
    kind: str
    preferred_day: int | None
    message: str | None
    status: str
    created_at: datetime


class DifficultyList(msgspec.Struct, kw_only=True):
    items: list[DifficultyView]


class ArrangementBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    kind: ArrangementKind
    starts_on: date
    ends_on: date | None = None
    """Default for a breathing space: 60 days after it starts; required for a payment plan."""
    instalment_pence: Annotated[int, msgspec.Meta(ge=1, le=10_000_000)] | None = None
    """A payment plan's reduced instalment."""
    note: Annotated[str, msgspec.Meta(max_length=2000)] | None = None


class StaffRepaymentsView(RepaymentsView, kw_only=True):
    arrangements: list[ArrangementView]
    difficulty_requests: list[DifficultyView]
    payments_detail: list[StaffPaymentView]


class FailedCollectionsPage(msgspec.Struct, kw_only=True):
    items: list[StaffPaymentView]
    total: int
    offset: int
    limit: int


def mandate_view(m: MandateRecord) -> MandateView:
    return MandateView(
        application_id=m.application_id,
        status=m.status.value,
        authorisation_url=m.authorisation_url if m.mandate_id is None else None,
        failure_cause=m.failure_cause,
        loan_id=m.loan_id,
        updated_at=m.updated_at,
    )


def payment_view(p: PaymentRecord) -> PaymentView:
    return PaymentView(
        id=p.id,
        kind=p.kind.value,
        state=p.state.value,
        amount_pence=p.amount_pence,
        charge_date=p.charge_date,
        instalment_number=p.instalment_number,
        recorded_in_loan_book=p.booked_at is not None,
        reversed_in_loan_book=p.reversed_at is not None,
        created_at=p.created_at,
        updated_at=p.updated_at,
    )


def staff_payment_view(p: PaymentRecord) -> StaffPaymentView:
    base = payment_view(p)
    return StaffPaymentView(
        **msgspec.structs.asdict(base),
        loan_id=p.loan_id,
        customer_id=p.customer_id,
        provider_status=p.status.value,
        provider_payment_id=p.provider_payment_id,
        failure_cause=p.failure_cause,
        retries=p.retries,
    )


def arrangement_view(a: Arrangement) -> ArrangementView:
    return ArrangementView(
        id=a.id,
        kind=a.kind.value,
        starts_on=a.starts_on,
        ends_on=a.ends_on,
        instalment_pence=a.instalment_pence,
        ended_at=a.ended_at,
    )


def difficulty_view(d: DifficultyRequest) -> DifficultyView:
    return DifficultyView(
        id=d.id,
        loan_id=d.loan_id,
        kind=d.kind.value,
        preferred_day=d.preferred_day,
        message=d.message,
        status=d.status,
        created_at=d.created_at,
    )
