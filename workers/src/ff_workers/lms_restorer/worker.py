"""The ``lms-restorer`` worker: the nightly loan-book backup run (cron) and runs that operations
ask for through the API (``lms_run`` jobs on its own queue, ``FF_LMS_QUEUE_NAME``).

Run with ``ff worker lms-restorer``. Start-up refuses production settings that name the test
converter, applies the ``lms`` schema's migrations and opens the clients every step uses.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any, ClassVar

import msgspec
import structlog
from arq.cron import CronJob, cron
from arq.worker import Function, func

from ff_shared.domain.backups.runs import RunMode
from ff_shared.errors import SettingsError
from ff_shared.integrations.aws.session import client_options, make_session
from ff_shared.integrations.aws.ssm import get_parameter
from ff_shared.jobs import LMS_RUN
from ff_shared.settings import Settings, resolve_ssm_references
from ff_shared.stores.postgres import create_pool
from ff_shared.stores.postgres import lms as catalogue
from ff_workers import ctx as jobctx
from ff_workers.ctx import JobContext
from ff_workers.lms_restorer.context import Clients, RestorerFactory, refuses_test_converter
from ff_workers.lms_restorer.pipeline import execute_run, request_run
from ff_workers.lms_restorer.sqlserver import SqlServerRestorer, odbc_restorer
from ff_workers.runtime import bind_job, heartbeat_job, unbind_job

log = structlog.get_logger()

RUN_TIMEOUT_SECONDS = 8 * 3600
SCHEDULE_HOUR_UTC = 2
SCHEDULE_MINUTE = 30


def restorer_factory(settings: Settings) -> RestorerFactory | None:
    lms = settings.lms
    if lms.restore_mode == "none" or not lms.sqlserver_connection_string:
        return None
    connection_string = lms.sqlserver_connection_string
    timeout = int(lms.restore_timeout_seconds) + 60

    def factory() -> AbstractAsyncContextManager[SqlServerRestorer]:
        return odbc_restorer(connection_string, statement_timeout=timeout)

    return factory


@asynccontextmanager
async def open_clients(settings: Settings) -> AsyncIterator[Clients]:
    """Everything a run needs, opened once (the worker's start-up, the command line)."""
    refusal = refuses_test_converter(settings)
    if refusal:
        raise SettingsError([refusal])
    async with AsyncExitStack() as stack:
        aws = make_session(settings.aws)
        options = client_options(settings.aws)
        ssm = await stack.enter_async_context(aws.client("ssm", **options))
        settings = await resolve_ssm_references(settings, lambda name: get_parameter(ssm, name))
        s3 = await stack.enter_async_context(aws.client("s3", **options))
        ses = await stack.enter_async_context(aws.client("ses", **options))
        pg = await create_pool(settings.postgres)
        stack.push_async_callback(pg.close)
        async with pg.acquire() as conn:
            await catalogue.migrate(conn)
        yield Clients(
            settings=settings,
            pg=pg,
            s3=s3,
            ssm=ssm,
            ses=ses,
            restorer=restorer_factory(settings),
        )


async def startup(ctx: JobContext) -> None:
    stack = AsyncExitStack()
    ctx["lms_stack"] = stack
    ctx["lms"] = await stack.enter_async_context(open_clients(jobctx.settings(ctx)))
    log.info("lms_restorer_started", restore_mode=jobctx.settings(ctx).lms.restore_mode)


async def shutdown(ctx: JobContext) -> None:
    stack: AsyncExitStack | None = ctx.get("lms_stack")
    if stack is not None:
        await stack.aclose()


async def lms_run(ctx: JobContext, run_id: str) -> dict[str, Any]:
    """Carry out a run the API or ``ff lms`` catalogued (idempotent: a repeat continues it)."""
    report = await execute_run(jobctx.get(ctx, "lms", Clients), run_id)
    return msgspec.to_builtins(report)  # type: ignore[no-any-return]


async def lms_scheduled_run(ctx: JobContext) -> dict[str, Any]:
    clients = jobctx.get(ctx, "lms", Clients)
    run = await request_run(clients, mode=RunMode.SCHEDULED, trigger="cron")
    report = await execute_run(clients, run.id)
    return msgspec.to_builtins(report)  # type: ignore[no-any-return]


class WorkerSettings:
    functions: ClassVar[list[Function]] = [
        func(lms_run, name=LMS_RUN, timeout=RUN_TIMEOUT_SECONDS, max_tries=3),
    ]
    cron_jobs: ClassVar[list[CronJob]] = [
        cron(
            lms_scheduled_run,
            name="lms-restorer:nightly",
            hour={SCHEDULE_HOUR_UTC},
            minute={SCHEDULE_MINUTE},
            second=0,
            unique=True,
            timeout=RUN_TIMEOUT_SECONDS,
        ),
        heartbeat_job("lms-restorer"),
    ]
    on_startup = startup
    on_shutdown = shutdown
    on_job_start = bind_job
    on_job_end = unbind_job

    @staticmethod
    def queue_for(settings: Settings) -> str:
        return settings.lms.queue_name
