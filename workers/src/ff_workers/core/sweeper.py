"""The sweeper: a cron job of the core worker that queues again the work of records stuck in an
in-flight state (a CRM sync ``syncing``, an LMS booking ``creating``) for longer than
``FF_WORKER_STUCK_AFTER_MINUTES``. The jobs are idempotent (the CRM upserts, the LMS books by
the application's id), so running one again after an unknown outcome never does it twice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import structlog
from arq.cron import CronJob, cron

from ff_shared.clock import now_utc
from ff_shared.jobs import (
    JOB_CREATE_LMS_LOAN,
    JOB_SYNC_APPLICATION_TO_CRM,
    crm_sync_job_id,
    lms_loan_job_id,
)
from ff_shared.stores.mongo.in_flight import StuckRecord, stuck
from ff_workers import ctx as jobctx
from ff_workers.core.mongo import database

log = structlog.get_logger()


def _sweep_id(job_id: str, record: StuckRecord) -> str:
    # One re-queue per stuck state: a later sweep finds the same job queued (or its result).
    return f"{job_id}:swept:{record.since.isoformat()}"


async def sweep_stuck_records(ctx: dict[str, Any]) -> dict[str, int]:
    settings = jobctx.settings(ctx)
    redis = jobctx.redis(ctx)
    db = database(ctx)
    before = now_utc() - timedelta(minutes=settings.worker.stuck_after_minutes)
    queued = {"crm": 0, "lms": 0}
    for record in await stuck(db, "crm", before=before):
        job = await redis.enqueue_job(
            JOB_SYNC_APPLICATION_TO_CRM,
            application_id=record.application_id,
            version=record.version,
            _job_id=_sweep_id(crm_sync_job_id(record.application_id, record.version), record),
        )
        queued["crm"] += job is not None
    for record in await stuck(db, "lms", before=before):
        job = await redis.enqueue_job(
            JOB_CREATE_LMS_LOAN,
            application_id=record.application_id,
            _job_id=_sweep_id(lms_loan_job_id(record.application_id), record),
        )
        queued["lms"] += job is not None
    if queued["crm"] or queued["lms"]:
        log.warning("stuck_records_requeued", crm=queued["crm"], lms=queued["lms"])
    return queued


SWEEP: CronJob = cron(
    sweep_stuck_records,
    name="core:sweep_stuck",
    minute=set(range(0, 60, 5)),
    second={30},
    unique=True,
    timeout=300,
)
