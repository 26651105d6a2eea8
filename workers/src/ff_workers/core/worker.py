"""The ``core`` worker: jobs the API enqueues (CRM sync, LMS loan creation, emails).

Run with ``ff worker core``; its Redis and queue come from the FF_ settings at start-up.
"""

from __future__ import annotations

from typing import ClassVar

from arq.cron import CronJob
from arq.worker import Function

from ff_workers.core import (
    crm,
    crm_contacts,
    emails,
    lms,
    open_banking,
    repayments,
    retention,
    sweeper,
)
from ff_workers.ctx import JobContext
from ff_workers.runtime import bind_job, heartbeat_job, unbind_job


async def startup(ctx: JobContext) -> None:
    await lms.startup(ctx)
    await emails.startup(ctx)
    await crm.startup(ctx)
    await open_banking.startup(ctx)
    await repayments.startup(ctx)


async def shutdown(ctx: JobContext) -> None:
    await repayments.shutdown(ctx)
    await open_banking.shutdown(ctx)
    await crm.shutdown(ctx)
    await emails.shutdown(ctx)
    await lms.shutdown(ctx)


class WorkerSettings:
    functions: ClassVar[list[Function]] = [
        lms.create_lms_loan_function,
        emails.send_application_email_function,
        crm.sync_application_to_crm_function,
        crm_contacts.sync_customer_to_crm_function,
        retention.apply_retention_function,
        open_banking.check_open_banking_function,
        repayments.process_payment_event_function,
        repayments.schedule_collections_function,
        repayments.send_payment_email_function,
    ]
    cron_jobs: ClassVar[list[CronJob]] = [
        heartbeat_job("core"),
        *repayments.CRON_JOBS,
        *retention.CRON_JOBS,
        sweeper.SWEEP,
    ]
    on_startup = startup
    on_shutdown = shutdown
    on_job_start = bind_job
    on_job_end = unbind_job
