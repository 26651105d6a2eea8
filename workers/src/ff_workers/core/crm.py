"""``sync_application_to_crm``: keep the customer and the application in step in Dynamics 365.

Safe to run any number of times, and after being killed at any point: both rows are written by
upsert on ``ff_platformid`` (the platform's own ids), so a second run, or a retry after the
worker died between the CRM's commit and our record of it, finds and updates the same rows. The
job always sends the application's latest state. Retryable failures (throttling, 5xx, dropped
connections, garbage answers) are retried by arq with a growing delay, honouring the CRM's
Retry-After; a refusal is recorded as ``failed`` with its error for staff.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import structlog
from arq import Retry
from arq.worker import func
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from ff_shared.clock import now_utc
from ff_shared.domain.crm import CrmSync, CrmSyncState
from ff_shared.domain.records import ApplicationRecord, ApplicationStatus
from ff_shared.integrations.dynamics.client import DynamicsClient
from ff_shared.integrations.dynamics.mapping import contact_for, loan_application_for
from ff_shared.integrations.errors import IntegrationError
from ff_shared.jobs import JOB_SYNC_APPLICATION_TO_CRM
from ff_shared.stores.mongo.crm_sync import load_for_crm, record_crm_sync
from ff_workers import ctx as jobctx
from ff_workers.ctx import JobContext

log = structlog.get_logger()

MAX_TRIES = 10
JOB_TIMEOUT_SECONDS = 120
RETRY_CAP_SECONDS = 10 * 60
WRITE_WAIT_TRIES = 3
"""How many times the job looks for the write that enqueued it before deciding it never landed."""
WRITE_WAIT_SECONDS = 2.0


def retry_delay(first_seconds: float, job_try: int, retry_after: float | None = None) -> float:
    """``first_seconds`` doubled each try, capped, and never sooner than the CRM asked."""
    backoff = min(RETRY_CAP_SECONDS, first_seconds * 2 ** max(0, job_try - 1))
    return float(max(backoff, retry_after or 0.0))


async def open_http(ctx: JobContext) -> aiohttp.ClientSession:
    """The worker's one HTTP session for its REST integrations (made once, closed on shutdown)."""
    if "http" not in ctx:
        ctx["http"] = aiohttp.ClientSession()
    session: aiohttp.ClientSession = ctx["http"]
    return session


async def close_http(ctx: JobContext) -> None:
    session: aiohttp.ClientSession | None = ctx.pop("http", None)
    if session is not None:
        await session.close()


def open_mongo(ctx: JobContext) -> None:
    """The worker's MongoDB handle, unless another job's start-up opened it already."""
    if "mongo_db" in ctx:
        return
    settings = jobctx.settings(ctx)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        settings.mongo.url,
        tz_aware=True,
        serverSelectionTimeoutMS=int(settings.mongo.timeout_seconds * 1000),
    )
    ctx["crm_mongo_client"] = client
    ctx["mongo_db"] = client[settings.mongo.database]


async def startup(ctx: JobContext) -> None:
    settings = jobctx.settings(ctx)
    open_mongo(ctx)
    ctx["dynamics"] = DynamicsClient(await open_http(ctx), settings.dynamics)


async def shutdown(ctx: JobContext) -> None:
    ctx.pop("dynamics", None)
    await close_http(ctx)
    client: AsyncMongoClient[dict[str, Any]] | None = ctx.pop("crm_mongo_client", None)
    if client is not None:
        ctx.pop("mongo_db", None)
        await client.close()


async def sync_application_to_crm(
    ctx: JobContext, application_id: str, version: int
) -> dict[str, Any]:
    db = jobctx.mongo_db(ctx)
    dynamics = jobctx.get(ctx, "dynamics", DynamicsClient)
    job_try = jobctx.job_try(ctx)
    subject = await load_for_crm(db, application_id)
    if subject is None:
        log.warning("crm_sync_skipped", application_id=application_id, reason="not_found")
        return {"status": "skipped", "reason": "not_found"}
    application = subject.application
    skipped = _skipped(application, application_id, version, job_try)
    if skipped is not None:
        return skipped
    current = application.crm
    attempts = (current.attempts if current is not None else 0) + 1
    contact_id = current.contact_id if current is not None else None
    await record_crm_sync(
        db,
        application_id,
        _kept(
            current,
            CrmSyncState.SYNCING,
            contact_id,
            attempts,
            last_error=current.last_error if current is not None else None,
        ),
    )
    try:
        contact = await dynamics.upsert_contact(
            contact_for(
                application, profile_email=subject.profile_email, erased=subject.customer_erased
            )
        )
        contact_id = contact.id
        row = await dynamics.upsert_loan_application(loan_application_for(application, contact_id))
    except IntegrationError as exc:
        first = jobctx.settings(ctx).dynamics.retry_defer_seconds
        return await _failed(
            db,
            application_id,
            current,
            exc,
            contact_id=contact_id,
            attempts=attempts,
            job_try=job_try,
            first_retry_seconds=first,
        )
    now = now_utc()
    await record_crm_sync(
        db,
        application_id,
        CrmSync(
            state=CrmSyncState.SYNCED,
            contact_id=contact_id,
            application_id=row.id,
            attempts=attempts,
            synced_version=application.version,
            synced_at=now,
            updated_at=now,
        ),
    )
    log.info(
        "crm_sync_completed",
        application_id=application_id,
        crm_application_id=row.id,
        synced_version=application.version,
    )
    return {"status": "synced", "contact_id": contact_id, "application_id": row.id}


def _skipped(
    application: ApplicationRecord, application_id: str, version: int, job_try: int
) -> dict[str, Any] | None:
    """Why there is nothing to send (None: sync it). Raises ``Retry`` to wait for the write."""
    if application.version < version:
        # Enqueued just before the write it is about: give that write a moment to land.
        if job_try < WRITE_WAIT_TRIES:
            raise Retry(defer=WRITE_WAIT_SECONDS)
        log.info("crm_sync_skipped", application_id=application_id, reason="write_not_landed")
        return {"status": "skipped", "reason": "the write that asked for it never landed"}
    if application.status is ApplicationStatus.DRAFT:
        log.info("crm_sync_skipped", application_id=application_id, reason="draft")
        return {"status": "skipped", "reason": "draft"}
    return None


def _kept(
    current: CrmSync | None,
    state: CrmSyncState,
    contact_id: str | None,
    attempts: int,
    *,
    last_error: str | None,
) -> CrmSync:
    """The sync record in ``state``, keeping what the last successful sync recorded."""
    return CrmSync(
        state=state,
        contact_id=contact_id,
        application_id=current.application_id if current is not None else None,
        last_error=last_error,
        attempts=attempts,
        synced_version=current.synced_version if current is not None else None,
        synced_at=current.synced_at if current is not None else None,
        updated_at=now_utc(),
    )


async def _failed(
    db: AsyncDatabase[dict[str, Any]],
    application_id: str,
    current: CrmSync | None,
    exc: IntegrationError,
    *,
    contact_id: str | None,
    attempts: int,
    job_try: int,
    first_retry_seconds: float,
) -> dict[str, Any]:
    """Record a failed attempt; raise ``Retry`` when arq should try again."""
    will_retry = exc.retryable and job_try < MAX_TRIES
    state = CrmSyncState.RETRYING if will_retry else CrmSyncState.FAILED
    await record_crm_sync(
        db,
        application_id,
        _kept(current, state, contact_id, attempts, last_error=exc.summary()),
    )
    log.warning(
        "crm_sync_failed",
        application_id=application_id,
        error=exc.kind,
        status=exc.status,
        retryable=exc.retryable,
        will_retry=will_retry,
    )
    if will_retry:
        raise Retry(defer=retry_delay(first_retry_seconds, job_try, exc.retry_after)) from exc
    return {"status": "failed", "error": exc.kind}


sync_application_to_crm_function = func(
    sync_application_to_crm,
    name=JOB_SYNC_APPLICATION_TO_CRM,
    timeout=JOB_TIMEOUT_SECONDS,
    max_tries=MAX_TRIES,
)
