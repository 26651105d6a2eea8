"""Enqueueing background jobs by name: the API never imports a worker."""

from __future__ import annotations

from typing import Any

import structlog

from ff_api.services import Services
from ff_shared.errors import DependencyUnavailable
from ff_shared.jobs import JobRef

log = structlog.get_logger()


async def enqueue(
    services: Services, name: str, *, job_id: str | None = None, **payload: Any
) -> JobRef | None:
    """Put ``name(**payload)`` on the core queue. A ``job_id`` makes the enqueue idempotent:
    while a job with that id is queued or its result kept, a second enqueue is a no-op (None)."""
    try:
        job = await services.redis.enqueue_job(name, _job_id=job_id, **payload)
    except (OSError, ConnectionError) as exc:
        raise DependencyUnavailable("the job queue is unavailable") from exc
    if job is None:
        log.info("job_already_queued", job=name, job_id=job_id)
        return None
    log.info("job_enqueued", job=name, job_id=job.job_id)
    return JobRef(job_id=job.job_id, name=name)
