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

from ff_shared.clock import now_utc
from ff_shared.domain.crm import CrmSync, CrmSyncState
from ff_shared.domain.records import ApplicationStatus
from ff_shared.integrations.dynamics.client import DynamicsClient
from ff_shared.integrations.dynamics.mapping import contact_for, loan_application_for
from ff_shared.integrations.errors import IntegrationError
from ff_shared.jobs import JOB_SYNC_APPLICATION_TO_CRM
from ff_shared.settings import Settings
from ff_shared.stores.mongo.customers import contact_of
from ff_workers.core.mongo import applications, close_mongo, database, open_mongo

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


async def open_http(ctx: dict[str, Any]) -> aiohttp.ClientSession:
    """The worker's one HTTP session for its REST integrations (made once, closed on shutdown)."""
    if "http" not in ctx:
        ctx["http"] = aiohttp.ClientSession()
    session: aiohttp.ClientSession = ctx["http"]
    return session


async def close_http(ctx: dict[str, Any]) -> None:
    session: aiohttp.ClientSession | None = ctx.pop("http", None)
    if session is not None:
        await session.close()


async def startup(ctx: dict[str, Any]) -> None:
    settings: Settings = ctx["settings"]
    open_mongo(ctx)
    ctx["dynamics"] = DynamicsClient(await open_http(ctx), settings.dynamics)


async def shutdown(ctx: dict[str, Any]) -> None:
    ctx.pop("dynamics", None)
    await close_http(ctx)
    await close_mongo(ctx)


async def sync_application_to_crm(
    ctx: dict[str, Any], application_id: str, version: int
) -> dict[str, Any]:
    repository = applications(ctx)
    dynamics: DynamicsClient = ctx["dynamics"]
    job_try = int(ctx.get("job_try") or 1)
    application = await repository.find(application_id)
    if application is None:
        log.warning("crm_sync_skipped", application_id=application_id, reason="not_found")
        return {"status": "skipped", "reason": "not_found"}
    if application.version < version:
        # Enqueued just before the write it is about: give that write a moment to land.
        if job_try < WRITE_WAIT_TRIES:
            raise Retry(defer=WRITE_WAIT_SECONDS)
        log.info("crm_sync_skipped", application_id=application_id, reason="write_not_landed")
        return {"status": "skipped", "reason": "the write that asked for it never landed"}
    if application.status is ApplicationStatus.DRAFT:
        log.info("crm_sync_skipped", application_id=application_id, reason="draft")
        return {"status": "skipped", "reason": "draft"}
    current = application.crm
    attempts = (current.attempts if current is not None else 0) + 1
    contact_id = current.contact_id if current is not None else None
    crm_id = current.application_id if current is not None else None
    await repository.record_crm_sync(
        application_id,
        CrmSync(
            state=CrmSyncState.SYNCING,
            contact_id=contact_id,
            application_id=crm_id,
            last_error=current.last_error if current is not None else None,
            attempts=attempts,
            synced_version=current.synced_version if current is not None else None,
            synced_at=current.synced_at if current is not None else None,
            updated_at=now_utc(),
        ),
    )
    profile = await contact_of(database(ctx), application.customer_id)
    erased = profile.erased or application.erased_at is not None
    try:
        contact = await dynamics.upsert_contact(
            contact_for(application, profile_email=profile.email, erased=erased)
        )
        contact_id = contact.id
        row = await dynamics.upsert_loan_application(loan_application_for(application, contact_id))
    except IntegrationError as exc:
        will_retry = exc.retryable and job_try < MAX_TRIES
        await repository.record_crm_sync(
            application_id,
            CrmSync(
                state=CrmSyncState.RETRYING if will_retry else CrmSyncState.FAILED,
                contact_id=contact_id,
                application_id=crm_id,
                last_error=exc.summary(),
                attempts=attempts,
                synced_version=current.synced_version if current is not None else None,
                synced_at=current.synced_at if current is not None else None,
                updated_at=now_utc(),
            ),
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
            first = ctx["settings"].dynamics.retry_defer_seconds
            raise Retry(defer=retry_delay(first, job_try, exc.retry_after)) from exc
        return {"status": "failed", "error": exc.kind}
    now = now_utc()
    await repository.record_crm_sync(
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


sync_application_to_crm_function = func(
    sync_application_to_crm,
    name=JOB_SYNC_APPLICATION_TO_CRM,
    timeout=JOB_TIMEOUT_SECONDS,
    max_tries=MAX_TRIES,
)
