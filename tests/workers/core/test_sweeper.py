"""The sweeper queues again the work of applications stuck in ``syncing`` (CRM) or ``creating``
(LMS) past the deadline, once per stuck state; fresh in-flight records are left to their job."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from arq.jobs import Job, JobStatus

from ff_shared.clock import now_utc
from ff_shared.domain.crm import CrmSync, CrmSyncState
from ff_shared.domain.loans import LmsSync, LmsSyncState
from ff_shared.jobs import crm_sync_job_id, lms_loan_job_id
from ff_shared.settings import Settings
from ff_shared.stores.mongo.applications import ApplicationRepository
from ff_shared.stores.redis.connection import close_redis, redis_client
from ff_workers.core.sweeper import sweep_stuck_records


async def test_stuck_syncs_and_bookings_are_queued_again_once(
    settings: Settings, mongo_db: Any, session_id: str
) -> None:
    repository = ApplicationRepository(mongo_db)
    now = now_utc()
    long_ago = now - timedelta(minutes=settings.worker.stuck_after_minutes + 5)
    customer = f"sweeper-{uuid.uuid4().hex[:8]}"
    stuck_crm = await repository.create(customer, now)
    await repository.record_crm_sync(
        stuck_crm.id, CrmSync(state=CrmSyncState.SYNCING, attempts=1, updated_at=long_ago)
    )
    stuck_lms = await repository.create(customer, now)
    await repository.record_lms_sync(
        stuck_lms.id, LmsSync(state=LmsSyncState.CREATING, attempts=1, updated_at=long_ago)
    )
    fresh = await repository.create(customer, now)
    await repository.record_crm_sync(
        fresh.id, CrmSync(state=CrmSyncState.SYNCING, attempts=1, updated_at=now)
    )
    synced = await repository.create(customer, now)
    await repository.record_crm_sync(
        synced.id, CrmSync(state=CrmSyncState.SYNCED, attempts=1, updated_at=long_ago)
    )

    queue = f"ff:test:{session_id}:sweeper"
    redis = redis_client(settings.redis, queue_name=queue)
    ctx = {"settings": settings, "redis": redis, "mongo_db": mongo_db}
    try:
        first = await sweep_stuck_records(ctx)
        assert first["crm"] >= 1
        assert first["lms"] >= 1
        again = await sweep_stuck_records(ctx)
        assert again == {"crm": 0, "lms": 0}

        queued = {job.job_id for job in await redis.queued_jobs(queue_name=queue)}
        crm_version = (await repository.get(stuck_crm.id)).version
        crm_id = crm_sync_job_id(stuck_crm.id, crm_version)
        assert any(job_id.startswith(f"{crm_id}:swept:") for job_id in queued)
        assert any(
            job_id.startswith(f"{lms_loan_job_id(stuck_lms.id)}:swept:") for job_id in queued
        )
        assert not any(fresh.id in job_id or synced.id in job_id for job_id in queued)
        for job_id in queued:
            assert await Job(job_id, redis, _queue_name=queue).status() == JobStatus.queued
    finally:
        await redis.delete(queue)
        await close_redis(redis)
