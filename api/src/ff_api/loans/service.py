"""Loans as the loan book holds them, and payments recorded through Anchor LMS.

Reads go to the loan book (the LMS database, restored nightly in production); a loan that is
not the caller's does not exist for them (404, never 403). Payments go to the LMS over SOAP:
each is claimed in Redis under the caller's ``Idempotency-Key`` first, and carries a reference
derived from that key, so a retried request — even one whose first attempt died after the LMS
recorded it — replays the same payment instead of taking the money twice.
"""

from __future__ import annotations

import hashlib
from contextlib import AbstractAsyncContextManager

import aioodbc
import msgspec
import structlog

from ff_api.loans.schemas import PaymentView
from ff_api.services import Services
from ff_shared.clock import london_today, now_utc
from ff_shared.domain.loans import Instalment, Loan, LoanCustomer, LoanStatus, TransactionPage
from ff_shared.errors import (
    Conflict,
    DependencyUnavailable,
    FieldProblem,
    IdempotencyConflict,
    InvalidInput,
    NotFound,
)
from ff_shared.integrations.anchor_lms.errors import (
    AnchorLmsAgreementNotFound,
    AnchorLmsPaymentRejected,
)
from ff_shared.integrations.errors import IntegrationError
from ff_shared.stores.loanbook import queries
from ff_shared.stores.loanbook.connection import acquire
from ff_shared.stores.redis import idempotency

log = structlog.get_logger()

IDEMPOTENCY_SCOPE = "loan-payment"
IDEMPOTENCY_TTL_SECONDS = 7 * 24 * 3600


class PaymentExceedsBalance(InvalidInput):
    code = "payment_exceeds_balance"
    title = "The payment is more than the loan's balance"


class LoanSettled(Conflict):
    code = "loan_settled"
    title = "The loan is already repaid"


class LmsUnavailable(DependencyUnavailable):
    code = "lms_unavailable"
    title = "The loan-management system is unavailable"


def loanbook(services: Services) -> AbstractAsyncContextManager[aioodbc.Connection]:
    """A loan-book connection for one request; a server that does not answer is a 503."""
    return acquire(services.loanbook)


async def customer_loans(services: Services, customer_id: str) -> list[Loan]:
    async with loanbook(services) as conn:
        return await queries.list_customer_loans(conn, customer_id)


async def customer_loan(services: Services, customer_id: str, loan_id: str) -> Loan:
    async with loanbook(services) as conn:
        loan = await queries.find_loan(conn, loan_id, customer_id=customer_id)
    if loan is None:
        raise NotFound("no such loan")
    return loan


async def schedule(services: Services, customer_id: str, loan_id: str) -> list[Instalment]:
    async with loanbook(services) as conn:
        if await queries.find_loan(conn, loan_id, customer_id=customer_id) is None:
            raise NotFound("no such loan")
        return await queries.get_schedule(conn, loan_id)


async def transactions(
    services: Services, customer_id: str, loan_id: str, *, offset: int, limit: int
) -> TransactionPage:
    async with loanbook(services) as conn:
        if await queries.find_loan(conn, loan_id, customer_id=customer_id) is None:
            raise NotFound("no such loan")
        return await queries.list_transactions(conn, loan_id, offset=offset, limit=limit)


async def lms_customer(services: Services, customer_id: str) -> LoanCustomer | None:
    async with loanbook(services) as conn:
        return await queries.find_loan_customer(conn, customer_id)


def payment_reference(customer_id: str, idempotency_key: str) -> str:
    """The LMS reference of a payment: the same for every retry of one request, unguessable,
    and without the customer's id in it."""
    digest = hashlib.sha256(f"{customer_id}\x00{idempotency_key}".encode()).hexdigest()
    return f"FFPAY-{digest[:32]}"


def _fingerprint(loan_id: str, amount_pence: int) -> str:
    return hashlib.sha256(f"{loan_id}\x00{amount_pence}".encode()).hexdigest()


class PaymentOutcome(msgspec.Struct, frozen=True, kw_only=True):
    payment: PaymentView
    replayed: bool


async def pay(
    services: Services,
    customer_id: str,
    loan_id: str,
    *,
    amount_pence: int,
    idempotency_key: str,
) -> PaymentOutcome:
    loan = await customer_loan(services, customer_id, loan_id)
    fingerprint = _fingerprint(loan_id, amount_pence)
    scope_key = f"{customer_id}:{idempotency_key}"
    claimed, record = await idempotency.claim(
        services.redis,
        IDEMPOTENCY_SCOPE,
        scope_key,
        fingerprint=fingerprint,
        ttl_seconds=IDEMPOTENCY_TTL_SECONDS,
    )
    if record.fingerprint != fingerprint:
        raise IdempotencyConflict(
            "this Idempotency-Key was used for a different payment; use a new key"
        )
    if record.state == "done" and record.response is not None:
        log.info("loan_payment_replayed", loan_id=loan_id)
        return PaymentOutcome(payment=msgspec.convert(record.response, PaymentView), replayed=True)
    if claimed:
        # A retry of a request that may already have reached the LMS skips these checks:
        # the loan book may already show that payment, and the LMS answers a duplicate anyway.
        try:
            _check_payable(loan, amount_pence)
        except (PaymentExceedsBalance, LoanSettled):
            await idempotency.release(services.redis, IDEMPOTENCY_SCOPE, scope_key)
            raise
    payment_date = london_today()
    try:
        receipt = await services.anchor_lms.record_payment(
            loan_id,
            amount_pence=amount_pence,
            payment_date=payment_date,
            reference=payment_reference(customer_id, idempotency_key),
        )
    except IntegrationError as exc:
        log.warning("loan_payment_failed", loan_id=loan_id, error=exc.kind, retryable=exc.retryable)
        if exc.retryable:
            # The outcome is unknown: keep the claim so a retry reuses the same reference.
            raise LmsUnavailable(
                "the payment could not be confirmed; retry with the same Idempotency-Key"
            ) from exc
        await idempotency.release(services.redis, IDEMPOTENCY_SCOPE, scope_key)
        raise _permanent(exc, loan, amount_pence) from exc
    payment = PaymentView(
        loan_id=loan_id,
        transaction_id=receipt.transaction_id,
        amount_pence=amount_pence,
        payment_date=payment_date,
        balance_after_pence=receipt.balance_pence,
        loan_status=receipt.status.value,
        recorded_at=now_utc(),
    )
    await idempotency.complete(
        services.redis,
        IDEMPOTENCY_SCOPE,
        scope_key,
        fingerprint=fingerprint,
        response=msgspec.to_builtins(payment),
        ttl_seconds=IDEMPOTENCY_TTL_SECONDS,
    )
    log.info(
        "loan_payment_recorded",
        loan_id=loan_id,
        transaction_id=receipt.transaction_id,
        duplicate=receipt.duplicate,
    )
    return PaymentOutcome(payment=payment, replayed=False)


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


def _permanent(exc: IntegrationError, loan: Loan, amount_pence: int) -> Exception:
    if isinstance(exc, AnchorLmsPaymentRejected):
        if exc.fault_code == "AgreementSettled":
            return LoanSettled(f"loan {loan.agreement_number} is repaid; there is nothing to pay")
        return PaymentExceedsBalance(
            "the loan-management system refused the payment as more than the balance",
            errors=[FieldProblem(path="amount_pence", message="is more than the balance")],
        )
    if isinstance(exc, AnchorLmsAgreementNotFound):
        return NotFound("no such loan")
    # Refused credentials or a request the LMS rejects: our configuration, not the customer's.
    return LmsUnavailable("the loan-management system refused the request")
