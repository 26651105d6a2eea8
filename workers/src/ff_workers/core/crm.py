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
import msgspec
import structlog
from arq import Retry
from arq.worker import func

from ff_shared.clock import now_utc
from ff_shared.domain.crm import CrmSync, CrmSyncState
from ff_shared.domain.records import ApplicationRecord, ApplicationStatus
from ff_shared.integrations.dynamics.client import DynamicsClient
from ff_shared.integrations.dynamics.mapping import contact_for, loan_application_for
from ff_shared.integrations.errors import IntegrationError
from ff_shared.jobs import JOB_SYNC_APPLICATION_TO_CRM
from ff_shared.settings import Settings
from ff_shared.stores.mongo.applications import ApplicationRepository
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


def _not_to_sync(
    application_id: str, application: ApplicationRecord, version: int, job_try: int
) -> dict[str, Any] | None:
    """The job's answer when there is nothing to send yet; :class:`Retry` while the write that
    enqueued it may still be landing."""
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


async def _record_failure(
    ctx: dict[str, Any],
    repository: ApplicationRepository,
    application_id: str,
    previous: CrmSync | None,
    sync: CrmSync,
    exc: IntegrationError,
) -> dict[str, Any]:
    """Record the failed call; raise :class:`Retry` while a retryable failure has tries left."""
    job_try = int(ctx.get("job_try") or 1)
    will_retry = exc.retryable and job_try < MAX_TRIES
    await repository.record_crm_sync(
        application_id,
        CrmSync(
            state=CrmSyncState.RETRYING if will_retry else CrmSyncState.FAILED,
            contact_id=sync.contact_id,
            application_id=sync.application_id,
            last_error=exc.summary(),
            attempts=sync.attempts,
            synced_version=previous.synced_version if previous is not None else None,
            synced_at=previous.synced_at if previous is not None else None,
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


async def _record_synced(
    repository: ApplicationRepository,
    application: ApplicationRecord,
    contact_id: str,
    crm_application_id: str,
    attempts: int,
) -> dict[str, Any]:
    now = now_utc()
    await repository.record_crm_sync(
        application.id,
        CrmSync(
            state=CrmSyncState.SYNCED,
            contact_id=contact_id,
            application_id=crm_application_id,
            attempts=attempts,
            synced_version=application.version,
            synced_at=now,
            updated_at=now,
        ),
    )
    log.info(
        "crm_sync_completed",
        application_id=application.id,
        crm_application_id=crm_application_id,
        synced_version=application.version,
    )
    return {"status": "synced", "contact_id": contact_id, "application_id": crm_application_id}


def _syncing(previous: CrmSync | None) -> CrmSync:
    """The state recorded before the calls: what is known so far, one more attempt."""
    return CrmSync(
        state=CrmSyncState.SYNCING,
        contact_id=previous.contact_id if previous is not None else None,
        application_id=previous.application_id if previous is not None else None,
        last_error=previous.last_error if previous is not None else None,
        attempts=(previous.attempts if previous is not None else 0) + 1,
        synced_version=previous.synced_version if previous is not None else None,
        synced_at=previous.synced_at if previous is not None else None,
        updated_at=now_utc(),
    )


async def sync_application_to_crm(
    ctx: dict[str, Any], application_id: str, version: int
) -> dict[str, Any]:
    repository = applications(ctx)
    dynamics: DynamicsClient = ctx["dynamics"]
    application = await repository.find(application_id)
    if application is None:
        log.warning("crm_sync_skipped", application_id=application_id, reason="not_found")
        return {"status": "skipped", "reason": "not_found"}
    skipped = _not_to_sync(application_id, application, version, int(ctx.get("job_try") or 1))
    if skipped is not None:
        return skipped
    previous = application.crm
    sync = _syncing(previous)
    await repository.record_crm_sync(application_id, sync)
    profile = await contact_of(database(ctx), application.customer_id)
    erased = profile.erased or application.erased_at is not None
    try:
        contact = await dynamics.upsert_contact(
            contact_for(
                application,
                profile_email=profile.email,
                profile_mobile=profile.mobile,
                erased=erased,
            )
        )
        sync = msgspec.structs.replace(sync, contact_id=contact.id)
        row = await dynamics.upsert_loan_application(loan_application_for(application, contact.id))
    except IntegrationError as exc:
        return await _record_failure(ctx, repository, application_id, previous, sync, exc)
    return await _record_synced(repository, application, contact.id, row.id, sync.attempts)


sync_application_to_crm_function = func(
    sync_application_to_crm,
    name=JOB_SYNC_APPLICATION_TO_CRM,
    timeout=JOB_TIMEOUT_SECONDS,
    max_tries=MAX_TRIES,
)
