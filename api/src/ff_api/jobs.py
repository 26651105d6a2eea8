"""Enqueueing background jobs by name: the API never imports a worker."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import msgspec
import structlog
from redis.exceptions import RedisError

from ff_api.services import Services
from ff_shared.domain.emails import EmailKind
from ff_shared.domain.review_actions import FollowUp
from ff_shared.errors import DependencyUnavailable
from ff_shared.jobs import (
    JOB_CREATE_LMS_LOAN,
    JOB_SEND_APPLICATION_EMAIL,
    JOB_SYNC_APPLICATION_TO_CRM,
    JOB_SYNC_CUSTOMER_TO_CRM,
    CrmSyncJob,
    JobRef,
    application_email_job_id,
    crm_sync_job_id,
    customer_crm_job_id,
    lms_loan_job_id,
)

log = structlog.get_logger()


async def enqueue(
    services: Services, name: str, *, job_id: str | None = None, **payload: Any
) -> JobRef | None:
    """Put ``name(**payload)`` on the core queue. A ``job_id`` makes the enqueue idempotent:
    while a job with that id is queued or its result kept, a second enqueue is a no-op (None)."""
    try:
        job = await services.redis.enqueue_job(name, _job_id=job_id, **payload)
    except (OSError, ConnectionError, RedisError) as exc:
        raise DependencyUnavailable("the job queue is unavailable") from exc
    if job is None:
        log.info("job_already_queued", job=name, job_id=job_id)
        return None
    log.info("job_enqueued", job=name, job_id=job.job_id)
    return JobRef(job_id=job.job_id, name=name)


CRM_SYNC_DEFER = timedelta(seconds=1)
"""Lets the write that asked for the sync land before the job reads the application."""


async def enqueue_crm_sync(services: Services, application_id: str, version: int) -> None:
    """Sync the application to Dynamics once the write producing ``version`` has landed.

    Call it just before that write (keyed by the version it produces): a refused write leaves a
    job that finds the version never reached and does nothing."""
    job = CrmSyncJob(application_id=application_id, version=version)
    await enqueue(
        services,
        JOB_SYNC_APPLICATION_TO_CRM,
        job_id=crm_sync_job_id(application_id, version),
        _defer_by=CRM_SYNC_DEFER,
        **msgspec.structs.asdict(job),
    )


EMAIL_DEFER = timedelta(seconds=1)
"""Lets the write that the e-mail is about land before the job looks for it."""


async def enqueue_email(
    services: Services, application_id: str, kind: EmailKind, version: int
) -> None:
    """Tell the customer about the write producing ``version``, once it has landed (the job
    sends only if that version carries the event, so a refused write e-mails nobody)."""
    await enqueue(
        services,
        JOB_SEND_APPLICATION_EMAIL,
        job_id=application_email_job_id(application_id, kind.value, version),
        application_id=application_id,
        kind=kind.value,
        version=version,
        _defer_by=EMAIL_DEFER,
    )


async def enqueue_effects(
    services: Services,
    application_id: str,
    version: int,
    *,
    emails: tuple[EmailKind, ...] = (),
    follow_ups: tuple[FollowUp, ...] = (),
) -> None:
    """Enqueue the e-mails and jobs a domain change calls for, keyed by the version its write
    produces."""
    for kind in emails:
        await enqueue_email(services, application_id, kind, version)
    for follow_up in follow_ups:
        if follow_up is FollowUp.SYNC_TO_CRM:
            await enqueue_crm_sync(services, application_id, version)
        elif follow_up is FollowUp.CREATE_LMS_LOAN:
            # Keyed by the application alone: Anchor books one loan per application however
            # often it is asked.
            await enqueue(
                services,
                JOB_CREATE_LMS_LOAN,
                job_id=lms_loan_job_id(application_id),
                application_id=application_id,
            )


async def enqueue_customer_sync(services: Services, customer_id: str, version: int) -> None:
    """Bring the customer's CRM contact up to the profile write producing ``version`` (a staff
    correction, or erasure, which empties the contact's personal columns)."""
    await enqueue(
        services,
        JOB_SYNC_CUSTOMER_TO_CRM,
        job_id=customer_crm_job_id(customer_id, version),
        _defer_by=CRM_SYNC_DEFER,
        customer_id=customer_id,
        version=version,
    )
