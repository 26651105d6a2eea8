"""Repayments on the core worker: webhook events, Direct Debit collections, failure e-mails.

``process_payment_event`` applies one stored webhook event. It never trusts the event's own
story: it reads the resource's current state from the provider and brings our record up to
it, so events arriving twice, late or out of order all end in the same books. The loan book
records a payment only when the provider says ``confirmed`` (or ``paid_out``), once: the row is
locked, ``booked_at`` is checked, and the LMS reference is derived from the provider's payment
id, so a booking repeated after a crash is answered as a duplicate by the LMS.

``schedule_collections`` (daily, in :mod:`ff_workers.core.collections`) creates each
instalment's collection ahead of its due date.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import aiohttp
import asyncpg
import msgspec
import structlog
from arq import Retry
from arq.cron import cron
from arq.worker import func

from ff_shared.clock import london_today, now_utc
from ff_shared.domain import payments as rules
from ff_shared.domain.payments import (
    MandateRecord,
    MandateStatus,
    PaymentKind,
    PaymentRecord,
    PaymentStatus,
    StoredEvent,
)
from ff_shared.integrations.anchor_lms.client import AnchorLmsClient
from ff_shared.integrations.aws.email import EmailNotSent, send_email
from ff_shared.integrations.errors import IntegrationError, RequestRejected
from ff_shared.integrations.payments.client import GoCardlessClient
from ff_shared.integrations.payments.provider import PaymentProvider, ProviderPayment
from ff_shared.jobs import (
    JOB_CREATE_LMS_LOAN,
    JOB_PROCESS_PAYMENT_EVENT,
    JOB_SCHEDULE_COLLECTIONS,
    JOB_SEND_PAYMENT_EMAIL,
    funding_job_id,
    payment_email_job_id,
    payment_event_job_id,
)
from ff_shared.settings import Settings
from ff_shared.stores.mongo.customers import contact_of
from ff_shared.stores.postgres import create_pool, forbearance, payment_events
from ff_shared.stores.postgres import payments as store
from ff_workers.core.collections import schedule_collections
from ff_workers.core.repayment_books import (
    failed_collection_email,
    note_unpaid_collection,
    reverse_if_booked,
)

log = structlog.get_logger()

MAX_TRIES = 8


async def startup(ctx: dict[str, Any]) -> None:
    """The payments PostgreSQL pool (migrated) and the provider client; the HTTP session is
    the worker's own."""
    settings: Settings = ctx["settings"]
    pool = await create_pool(
        msgspec.structs.replace(settings.postgres, min_pool_size=0, max_pool_size=4)
    )
    async with pool.acquire() as conn:
        await store.migrate(conn)
    ctx["payments_pg"] = pool
    ctx["payments_http"] = aiohttp.ClientSession()
    ctx["payments_provider"] = GoCardlessClient(ctx["payments_http"], settings.payments)


async def shutdown(ctx: dict[str, Any]) -> None:
    http = ctx.pop("payments_http", None)
    if http is not None:
        await http.close()
    pool: asyncpg.Pool | None = ctx.pop("payments_pg", None)
    if pool is not None:
        await pool.close()


def _retry(ctx: dict[str, Any]) -> Retry:
    first = ctx["settings"].payments.retry_defer_seconds
    job_try = int(ctx.get("job_try") or 1)
    return Retry(defer=min(900.0, first * 2 ** max(0, job_try - 1)))


# --- webhook events ----------------------------------------------------------------------------


async def process_payment_event(ctx: dict[str, Any], event_id: str) -> dict[str, Any]:
    pool: asyncpg.Pool = ctx["payments_pg"]
    try:
        async with pool.acquire() as conn, conn.transaction():
            event = await payment_events.lock_event(conn, event_id)
            if event is None:
                return {"status": "skipped", "reason": "unknown_event"}
            if event.processed_at is not None:
                log.info("payment_event_already_processed", event_id=event_id)
                return {"status": "already_processed", "outcome": event.outcome}
            outcome = await _apply(ctx, conn, event)
            await payment_events.mark_processed(conn, event_id, outcome, now_utc())
    except IntegrationError as exc:
        log.warning(
            "payment_event_failed", event_id=event_id, error=exc.kind, retryable=exc.retryable
        )
        if exc.retryable and int(ctx.get("job_try") or 1) < MAX_TRIES:
            raise _retry(ctx) from exc
        raise
    log.info("payment_event_processed", event_id=event_id, outcome=outcome)
    return {"status": "processed", "outcome": outcome}


async def _apply(ctx: dict[str, Any], conn: asyncpg.Connection, event: StoredEvent) -> str:
    provider: PaymentProvider = ctx["payments_provider"]
    if event.resource_id is None:
        return "ignored"
    if event.resource_type == "billing_requests":
        state = await provider.request_state(event.resource_id)
        outcome = "request_synced"
        mandate = await store.find_mandate_by_request(conn, state.request_id, lock=True)
        if mandate is not None and state.mandate_id is not None:
            outcome = await _sync_mandate(ctx, conn, mandate, state.mandate_id)
        payment = await store.find_payment_by_request(conn, state.request_id, lock=True)
        if payment is not None:
            if state.payment_id is not None:
                current = await provider.payment(state.payment_id)
                outcome = await _sync_payment(ctx, conn, payment, current)
            elif state.status == "cancelled":
                await store.update_payment(
                    conn, payment.id, status=PaymentStatus.CUSTOMER_APPROVAL_DENIED, now=now_utc()
                )
                outcome = "pay_now_cancelled"
        return outcome
    # Our row is locked before the provider is read: two events about one payment processed
    # at once apply one after the other, each to the state the other left.
    if event.resource_type == "mandates":
        record = await store.find_mandate_by_provider_id(conn, event.resource_id, lock=True)
        if record is None:
            found = await provider.mandate(event.resource_id)
            if found.application_id is not None:
                record = await store.find_mandate(conn, found.application_id, lock=True)
        if record is None:
            return "unknown_mandate"
        return await _sync_mandate(ctx, conn, record, event.resource_id)
    if event.resource_type == "payments":
        payment = await store.find_payment_by_provider_id(conn, event.resource_id, lock=True)
        if payment is None:
            first = await provider.payment(event.resource_id)
            if (key := first.metadata.get("payment_key")) is not None:
                payment = await store.find_payment_by_key(conn, key, lock=True)
        if payment is None:
            return "unknown_payment"
        current = await provider.payment(event.resource_id)
        return await _sync_payment(ctx, conn, payment, current)
    return "ignored"


async def _sync_mandate(
    ctx: dict[str, Any],
    conn: asyncpg.Connection,
    record: MandateRecord,
    mandate_id: str,
) -> str:
    provider: PaymentProvider = ctx["payments_provider"]
    current = await provider.mandate(mandate_id)
    cause = None
    if current.status is MandateStatus.FAILED:
        cause = await provider.latest_cause("mandate", current.id, "failed")
    await store.update_mandate(
        conn,
        record.application_id,
        mandate_id=current.id,
        status=current.status,
        failure_cause=cause,
        now=now_utc(),
    )
    if rules.mandate_allows_funding(current.status) and record.loan_id is None:
        # The acceptance's booking job may have run before the mandate was active.
        await ctx["redis"].enqueue_job(
            JOB_CREATE_LMS_LOAN,
            application_id=record.application_id,
            _job_id=funding_job_id(record.application_id),
        )
    return f"mandate_{current.status.value}"


async def _sync_payment(
    ctx: dict[str, Any],
    conn: asyncpg.Connection,
    record: PaymentRecord,
    current: ProviderPayment,
) -> str:
    now = now_utc()
    newly_failed = (
        current.status is PaymentStatus.FAILED and record.status is not PaymentStatus.FAILED
    )
    cause = None
    if current.status in (PaymentStatus.FAILED, PaymentStatus.CHARGED_BACK):
        provider: PaymentProvider = ctx["payments_provider"]
        cause = await provider.latest_cause("payment", current.id, current.status.value)
    updated = await store.update_payment(
        conn,
        record.id,
        status=current.status,
        now=now,
        provider_payment_id=current.id,
        failure_cause=cause,
        charge_date=current.charge_date,
    )
    if await reverse_if_booked(ctx, conn, record, current, cause):
        if newly_failed and record.kind is PaymentKind.COLLECTION:
            # A late failure: the instalment is unpaid again, as any failed collection, but
            # the payment is not presented again (its reference is spent in the loan book).
            await note_unpaid_collection(ctx, updated, cause)
            return await _collection_failed(ctx, conn, updated, cause, retry=False)
        return "payment_reversed"
    if rules.books_payment(current.status, already_booked=record.booked_at is not None):
        lms: AnchorLmsClient = ctx["anchor_lms"]
        receipt = await lms.record_payment(
            record.loan_id,
            amount_pence=record.amount_pence,
            payment_date=current.charge_date or london_today(),
            reference=rules.lms_reference(current.id),
        )
        await store.mark_booked(conn, record.id, lms_transaction_id=receipt.transaction_id, now=now)
        log.info(
            "payment_booked",
            payment_id=record.id,
            loan_id=record.loan_id,
            transaction_id=receipt.transaction_id,
            duplicate=receipt.duplicate,
        )
        return "booked"
    if newly_failed and record.kind is PaymentKind.COLLECTION:
        await note_unpaid_collection(ctx, updated, cause)
        return await _collection_failed(ctx, conn, updated, cause)
    return f"payment_{current.status.value}"


async def _collection_failed(
    ctx: dict[str, Any],
    conn: asyncpg.Connection,
    record: PaymentRecord,
    cause: str | None,
    *,
    retry: bool = True,
) -> str:
    arrangement = rules.active_arrangement(
        await forbearance.loan_arrangements(conn, record.loan_id), london_today()
    )
    paused = arrangement is not None and arrangement.kind is rules.ArrangementKind.BREATHING_SPACE
    log.warning("collection_failed", payment_id=record.id, loan_id=record.loan_id, cause=cause)
    if rules.arrears_contact_allowed(arrangement) and record.provider_payment_id is not None:
        await ctx["redis"].enqueue_job(
            JOB_SEND_PAYMENT_EMAIL,
            payment_id=record.id,
            _job_id=payment_email_job_id(record.provider_payment_id, record.retries),
        )
    if (
        retry
        and rules.may_retry(cause, record.retries, paused=paused)
        and record.provider_payment_id
    ):
        provider: PaymentProvider = ctx["payments_provider"]
        try:
            retried = await provider.retry_payment(record.provider_payment_id, charge_date=None)
        except RequestRejected as exc:
            # The provider will not present it again: it stays failed, in staff's queue.
            log.warning("collection_retry_refused", payment_id=record.id, code=exc.code)
            return "collection_failed"
        await store.update_payment(
            conn,
            record.id,
            status=retried.status,
            now=now_utc(),
            charge_date=retried.charge_date,
            retries=record.retries + 1,
        )
        return "collection_failed_retried"
    return "collection_failed"


# --- collections -------------------------------------------------------------------------------


async def send_payment_email(ctx: dict[str, Any], payment_id: int) -> dict[str, Any]:
    pool: asyncpg.Pool = ctx["payments_pg"]
    settings: Settings = ctx["settings"]
    async with pool.acquire() as conn:
        row = await conn.fetchrow("select * from payments.payments where id = $1", payment_id)
        if row is None:
            return {"status": "skipped", "reason": "not_found"}
        arrangement = rules.active_arrangement(
            await forbearance.loan_arrangements(conn, row["loan_id"]), london_today()
        )
    email = failed_collection_email(
        amount_pence=row["amount_pence"], loan_id=row["loan_id"], arrangement=arrangement
    )
    if email is None:
        log.info("payment_email_skipped", payment_id=payment_id, reason="breathing_space")
        return {"status": "skipped", "reason": "breathing_space"}
    contact = await contact_of(ctx["mongo_db"], row["customer_id"])
    to = None if contact.erased else contact.email
    if to is None:
        log.warning("payment_email_skipped", payment_id=payment_id, reason="no_address")
        return {"status": "skipped", "reason": "no_address"}
    subject, text = email
    try:
        message_id = await send_email(
            ctx["ses"],
            sender=settings.email.sender,
            to=[to],
            subject=subject,
            text=text,
            purpose="collection_failed",
        )
    except EmailNotSent as exc:
        if exc.retryable and int(ctx.get("job_try") or 1) < 6:
            raise Retry(defer=30) from exc
        return {"status": "failed", "error": str(exc)}
    return {"status": "sent", "message_id": message_id}


async def reprocess_stuck_events(ctx: dict[str, Any]) -> int:
    """Events stored whose processing job was lost (a Redis outage after the store)."""
    pool: asyncpg.Pool = ctx["payments_pg"]
    async with pool.acquire() as conn:
        stuck = await payment_events.unprocessed_events(
            conn, older_than=now_utc() - timedelta(minutes=5)
        )
    for event_id in stuck:
        await ctx["redis"].enqueue_job(
            JOB_PROCESS_PAYMENT_EVENT,
            event_id=event_id,
            _job_id=f"{payment_event_job_id(event_id)}:sweep",
        )
    return len(stuck)


process_payment_event_function = func(
    process_payment_event, name=JOB_PROCESS_PAYMENT_EVENT, timeout=120, max_tries=MAX_TRIES
)
schedule_collections_function = func(
    schedule_collections, name=JOB_SCHEDULE_COLLECTIONS, timeout=600, max_tries=3
)
send_payment_email_function = func(
    send_payment_email, name=JOB_SEND_PAYMENT_EMAIL, timeout=60, max_tries=6
)
CRON_JOBS = [
    cron(schedule_collections, name="schedule_collections_daily", hour={6}, minute={0}),
    cron(reprocess_stuck_events, name="reprocess_payment_events", minute=set(range(0, 60, 10))),
]
