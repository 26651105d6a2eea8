"""Repayments for both portals and the provider's webhook.

Nothing here changes a loan balance: a payment is recorded in the loan book by the core
worker, only when the provider confirms it (``ff_workers.core.repayments``). The API starts
hosted flows at the provider, records what it started, and stores webhook events before
enqueueing their processing, so an event acknowledged to the provider is never lost.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, timedelta

import asyncpg
import structlog

from ff_api.jobs import enqueue
from ff_api.loans.service import loanbook
from ff_api.payments.schemas import (
    RepaymentsView,
    UpcomingCollection,
    arrangement_view,
    mandate_view,
    payment_view,
)
from ff_api.services import Services
from ff_shared.clock import london_today, now_utc
from ff_shared.domain import payments as rules
from ff_shared.domain.loans import InstalmentStatus, Loan, LoanStatus
from ff_shared.domain.payments import (
    Arrangement,
    ArrangementKind,
    MandateRecord,
    MandateStatus,
    PaymentKind,
    PaymentRecord,
    PaymentStatus,
)
from ff_shared.domain.records import ApplicationStatus
from ff_shared.errors import (
    Conflict,
    DependencyUnavailable,
    DomainError,
    FieldProblem,
    IdempotencyConflict,
    InvalidInput,
    NotFound,
)
from ff_shared.integrations.errors import IntegrationError
from ff_shared.integrations.payments.provider import InvalidWebhookSignature
from ff_shared.jobs import JOB_PROCESS_PAYMENT_EVENT, payment_event_job_id
from ff_shared.stores.loanbook import queries
from ff_shared.stores.postgres import forbearance, payment_events
from ff_shared.stores.postgres import payments as store

log = structlog.get_logger()

FAILED_MANDATE = frozenset(
    {MandateStatus.FAILED, MandateStatus.CANCELLED, MandateStatus.EXPIRED, MandateStatus.BLOCKED}
)


class WebhookSignatureInvalid(DomainError):
    status = 498
    code = "invalid_signature"
    title = "The webhook signature is not valid"


class PaymentExceedsBalance(InvalidInput):
    code = "payment_exceeds_balance"
    title = "The payment is more than the loan's balance"


class LoanSettled(Conflict):
    code = "loan_settled"
    title = "The loan is already repaid"


class MandateNotNeeded(Conflict):
    code = "mandate_not_available"
    title = "A Direct Debit is set up only for an accepted offer"


class ProviderUnavailable(DependencyUnavailable):
    code = "payment_provider_unavailable"
    title = "The payment provider is unavailable"


@asynccontextmanager
async def unit_of_work(services: Services) -> AsyncIterator[asyncpg.Connection]:
    async with services.postgres.acquire() as conn, conn.transaction():
        yield conn


def _provider_failed(exc: IntegrationError) -> DomainError:
    log.warning("payment_provider_failed", error=exc.kind, retryable=exc.retryable)
    return ProviderUnavailable("the payment provider could not be reached; try again shortly")


# --- mandates ----------------------------------------------------------------------------------


async def start_mandate(services: Services, customer_id: str, application_id: str) -> MandateRecord:
    """The hosted Direct Debit set-up for an accepted offer; the same one while it is open."""
    application = await services.applications.get(application_id, customer_id=customer_id)
    if application.status is not ApplicationStatus.ACCEPTED:
        raise MandateNotNeeded("accept the offer first; the Direct Debit repays that loan")
    async with unit_of_work(services) as conn:
        existing = await store.find_mandate(conn, application_id)
    if existing is not None and existing.status not in FAILED_MANDATE:
        return existing
    # A first set-up has a key of its own so two clicks make one; a fresh start after a refused
    # mandate needs a new one.
    key = f"mandate-setup:{application_id}" if existing is None else f"mandate-setup:{uuid.uuid4()}"
    try:
        flow = await services.payments.start_mandate_setup(
            metadata={"application_id": application_id},
            redirect_uri=services.settings.payments.return_url,
            idempotency_key=key,
        )
    except IntegrationError as exc:
        raise _provider_failed(exc) from exc
    now = now_utc()
    async with unit_of_work(services) as conn:
        if existing is None:
            return await store.insert_mandate_setup(
                conn,
                application_id=application_id,
                customer_id=customer_id,
                request_id=flow.request_id,
                authorisation_url=flow.authorisation_url,
                now=now,
            )
        return await store.replace_mandate_setup(
            conn,
            application_id=application_id,
            request_id=flow.request_id,
            authorisation_url=flow.authorisation_url,
            now=now,
        )


async def customer_mandate(
    services: Services, customer_id: str, application_id: str
) -> MandateRecord:
    async with unit_of_work(services) as conn:
        mandate = await store.find_mandate(conn, application_id)
    if mandate is None or mandate.customer_id != customer_id:
        raise NotFound("no Direct Debit set-up for this application")
    return mandate


# --- loans -------------------------------------------------------------------------------------


async def find_loan(services: Services, loan_id: str, customer_id: str | None) -> Loan:
    async with loanbook(services) as conn:
        loan = await queries.find_loan(conn, loan_id, customer_id=customer_id)
    if loan is None:
        raise NotFound("no such loan")
    return loan


def upcoming_collections(
    schedule: list[tuple[int, date, int]],
    arrangements: list[Arrangement],
    today: date,
    lead_days: int,
) -> list[UpcomingCollection]:
    out: list[UpcomingCollection] = []
    for number, due_date, outstanding in schedule:
        if outstanding <= 0 or due_date < today:
            continue
        charge_date = rules.planned_charge_date(due_date, today, lead_days)
        arrangement = rules.active_arrangement(arrangements, charge_date)
        amount = rules.collection_amount(outstanding, arrangement)
        out.append(
            UpcomingCollection(
                instalment_number=number,
                due_date=due_date,
                charge_date=charge_date,
                submit_by=rules.submission_date_for(due_date, lead_days),
                amount_pence=amount,
                paused=amount == 0,
            )
        )
        if len(out) == 3:
            break
    return out


async def repayments(services: Services, loan: Loan) -> RepaymentsView:
    async with loanbook(services) as conn:
        schedule = await queries.get_schedule(conn, loan.agreement_number)
    async with unit_of_work(services) as conn:
        mandate = await store.find_mandate_for_loan(conn, loan.agreement_number)
        if mandate is None and loan.application_id is not None:
            mandate = await store.find_mandate(conn, loan.application_id)
        payments = await store.loan_payments(conn, loan.agreement_number)
        arrangements = await forbearance.loan_arrangements(conn, loan.agreement_number)
    today = london_today()
    current = rules.active_arrangement(arrangements, today)
    due = [
        (i.number, i.due_date, i.amount_pence - i.paid_pence)
        for i in schedule
        if i.status is not InstalmentStatus.PAID
    ]
    unpaid = {i.number for i in schedule if i.status is not InstalmentStatus.PAID}
    failed = sum(
        p.amount_pence
        for p in payments
        if p.kind is PaymentKind.COLLECTION
        and p.status in (PaymentStatus.FAILED, PaymentStatus.CHARGED_BACK)
        and p.instalment_number in unpaid
    )
    return RepaymentsView(
        loan_id=loan.agreement_number,
        balance_pence=loan.balance_pence,
        arrears_pence=loan.arrears_pence,
        failed_collections_pence=failed,
        mandate=None if mandate is None else mandate_view(mandate),
        arrangement=None if current is None else arrangement_view(current),
        upcoming=upcoming_collections(
            due, arrangements, today, services.settings.payments.lead_working_days
        ),
        payments=[payment_view(p) for p in payments],
    )


async def loan_payments(services: Services, loan_id: str) -> list[PaymentRecord]:
    async with unit_of_work(services) as conn:
        return await store.loan_payments(conn, loan_id)


# --- pay now -----------------------------------------------------------------------------------


def _payment_key(customer_id: str, idempotency_key: str) -> str:
    digest = hashlib.sha256(f"{customer_id}\x00{idempotency_key}".encode()).hexdigest()
    return f"paynow:{digest[:40]}"


class PayNowOutcome:
    def __init__(self, payment: PaymentRecord, replayed: bool) -> None:
        self.payment = payment
        self.replayed = replayed


async def pay_now(
    services: Services, loan: Loan, customer_id: str, *, amount_pence: int, idempotency_key: str
) -> PayNowOutcome:
    """Start a hosted payment at the provider; nothing reaches the loan book until it confirms."""
    key = _payment_key(customer_id, idempotency_key)
    async with unit_of_work(services) as conn:
        existing = await store.find_payment_by_key(conn, key)
    if existing is not None:
        if existing.loan_id != loan.agreement_number or existing.amount_pence != amount_pence:
            raise IdempotencyConflict(
                "this Idempotency-Key was used for a different payment; use a new key"
            )
        if existing.authorisation_url is not None:
            return PayNowOutcome(existing, replayed=True)
    _check_payable(loan, amount_pence)
    try:
        flow = await services.payments.start_instant_payment(
            amount_pence=amount_pence,
            description=f"Fair Finance loan {loan.agreement_number}",
            metadata={"loan_id": loan.agreement_number, "payment_key": key},
            redirect_uri=services.settings.payments.return_url,
            idempotency_key=key,
        )
    except IntegrationError as exc:
        raise _provider_failed(exc) from exc
    try:
        async with unit_of_work(services) as conn:
            payment = await store.insert_payment(
                conn,
                kind=PaymentKind.PAY_NOW,
                customer_id=customer_id,
                loan_id=loan.agreement_number,
                amount_pence=amount_pence,
                idempotency_key=key,
                status=PaymentStatus.PENDING_CUSTOMER_APPROVAL,
                request_id=flow.request_id,
                authorisation_url=flow.authorisation_url,
                now=now_utc(),
            )
    except asyncpg.UniqueViolationError:
        # A concurrent retry with the same key recorded it first (the provider answered both
        # with the same hosted payment).
        async with unit_of_work(services) as conn:
            found = await store.find_payment_by_key(conn, key)
        if found is None:
            raise
        return PayNowOutcome(found, replayed=True)
    log.info("pay_now_started", payment_id=payment.id, loan_id=loan.agreement_number)
    return PayNowOutcome(payment, replayed=False)


def _check_payable(loan: Loan, amount_pence: int) -> None:
    if loan.status == LoanStatus.SETTLED or loan.balance_pence == 0:
        raise LoanSettled(f"loan {loan.agreement_number} is repaid; there is nothing to pay")
    if amount_pence > loan.balance_pence:
        raise PaymentExceedsBalance(
            f"the balance is {loan.balance_pence} pence; a payment cannot be more",
            errors=[
                FieldProblem(
                    path="amount_pence",
                    message=f"must be at most the balance, {loan.balance_pence}",
                )
            ],
        )


# --- forbearance -------------------------------------------------------------------------------


def arrangement_term(
    kind: ArrangementKind, starts_on: date, ends_on: date | None, instalment_pence: int | None
) -> date:
    """The arrangement's last day, or a validation problem naming the field at fault."""
    if kind is ArrangementKind.BREATHING_SPACE:
        if instalment_pence is not None:
            raise InvalidInput(
                "a breathing space pauses collections; it has no instalment",
                errors=[FieldProblem(path="instalment_pence", message="must be absent")],
            )
        end = ends_on or starts_on + timedelta(days=rules.BREATHING_SPACE_DAYS - 1)
    else:
        if instalment_pence is None:
            raise InvalidInput(
                "a payment plan needs its reduced instalment",
                errors=[FieldProblem(path="instalment_pence", message="is required")],
            )
        if ends_on is None:
            raise InvalidInput(
                "a payment plan needs its last day",
                errors=[FieldProblem(path="ends_on", message="is required")],
            )
        end = ends_on
    if end < starts_on:
        raise InvalidInput(
            "the arrangement ends before it starts",
            errors=[FieldProblem(path="ends_on", message="must be on or after starts_on")],
        )
    return end


# --- webhooks ----------------------------------------------------------------------------------


async def receive_webhook(services: Services, body: bytes, signature: str | None) -> int:
    """Verify, store each event once, enqueue its processing; returns how many were new."""
    try:
        events = services.payments.parse_webhook(body, signature)
    except InvalidWebhookSignature as exc:
        log.warning("payment_webhook_refused", reason="bad_signature")
        raise WebhookSignatureInvalid("the Webhook-Signature does not match the body") from exc
    except IntegrationError as exc:
        raise InvalidInput("the webhook body is not the provider's event shape") from exc
    async with unit_of_work(services) as conn:
        new = await payment_events.store_events(conn, events, now_utc())
    # Stored first: if an enqueue fails the provider gets a 5xx and sends again, and the
    # worker's sweep picks up any event stored but never enqueued.
    for event_id in new:
        await enqueue(
            services,
            JOB_PROCESS_PAYMENT_EVENT,
            job_id=payment_event_job_id(event_id),
            event_id=event_id,
        )
    log.info("payment_webhook_received", events=len(events), new=len(new))
    return len(new)
