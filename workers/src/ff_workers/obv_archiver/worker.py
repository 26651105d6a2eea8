"""The ``obv-archiver`` worker: archives open-banking reports on a schedule.

Run with ``ff worker obv-archiver`` (its container's entry point). On start it applies the
``obv`` schema's migrations and makes its clients; every 15 minutes (and once at start) it runs
an archive: Dynamics applications with an OBV reference changed since the watermark, their
reports, PostgreSQL. Its jobs live on its own queue (``FF_OBV_ARCHIVER_QUEUE_NAME``). Several
containers may run it at once: each application is claimed by one archiver at a time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, ClassVar

import aiohttp
import asyncpg
import msgspec
import structlog
from arq.cron import CronJob, cron
from arq.worker import Function

from ff_shared.integrations.dynamics.client import DynamicsClient
from ff_shared.integrations.obv.client import ObvClient
from ff_shared.settings import ObvArchiverSettings, Settings
from ff_shared.stores.postgres import apply_migrations, create_pool
from ff_workers import ctx as jobctx
from ff_workers.ctx import JobContext
from ff_workers.obv_archiver.fetch import Fetched, FetchFailed, fetch_report
from ff_workers.obv_archiver.run import ArchiveRequest, OnProgress, run_archive
from ff_workers.obv_archiver.summary import Progress, RunSummary
from ff_workers.runtime import bind_job, heartbeat_job, unbind_job

log = structlog.get_logger()

NAME = "obv-archiver"
RUN_TIMEOUT_SECONDS = 3 * 3600


class Archiver:
    """The long-lived clients a run needs, made once per process."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        dynamics: DynamicsClient,
        obv: ObvClient,
        settings: ObvArchiverSettings,
    ) -> None:
        self.pool = pool
        self.dynamics = dynamics
        self.obv = obv
        self.settings = settings

    async def fetch(self, reference: str) -> Fetched | FetchFailed:
        return await fetch_report(self.obv, reference)

    async def run(
        self, request: ArchiveRequest, *, on_progress: OnProgress | None = None
    ) -> RunSummary:
        return await run_archive(
            self.pool,
            self.dynamics,
            self.fetch,
            self.settings,
            request,
            on_progress=on_progress,
        )


@asynccontextmanager
async def open_archiver(settings: Settings) -> AsyncIterator[Archiver]:
    """Pool (one connection per fetch in flight, plus the run's own), migrations, clients."""
    postgres = msgspec.structs.replace(
        settings.postgres,
        max_pool_size=max(settings.postgres.max_pool_size, settings.obv_archiver.max_in_flight + 2),
    )
    pool = await create_pool(postgres)
    try:
        async with pool.acquire() as conn:
            await apply_migrations(conn, "obv")
        async with aiohttp.ClientSession() as http:
            yield Archiver(
                pool,
                DynamicsClient(http, settings.dynamics),
                ObvClient(http, settings.obv),
                settings.obv_archiver,
            )
    finally:
        await pool.close()


async def startup(ctx: JobContext) -> None:
    settings = jobctx.settings(ctx)
    stack = AsyncExitStack()
    ctx["obv_archiver_exit"] = stack
    ctx["obv_archiver"] = await stack.enter_async_context(open_archiver(settings))
    ctx["obv_archiver_running"] = asyncio.Lock()
    log.info("obv_archiver_started", max_in_flight=settings.obv_archiver.max_in_flight)


async def shutdown(ctx: JobContext) -> None:
    stack: AsyncExitStack | None = ctx.pop("obv_archiver_exit", None)
    if stack is not None:
        await stack.aclose()


def progress_logger(every_seconds: float) -> OnProgress:
    last = {"at": time.monotonic()}

    def log_progress(progress: Progress) -> None:
        now = time.monotonic()
        if now - last["at"] >= every_seconds or progress.tally.done == progress.tally.found:
            last["at"] = now
            t = progress.tally
            log.info(
                "obv_archive_progressed",
                done=t.done,
                found=t.found,
                archived=t.archived,
                unchanged=t.unchanged,
                quarantined=t.quarantined,
                failed=t.failed,
                transactions=t.transactions_archived,
            )

    return log_progress


async def archive_open_banking(ctx: JobContext) -> dict[str, Any]:
    """The scheduled run. Its summary is the job's result (without the per-item list)."""
    archiver = jobctx.get(ctx, "obv_archiver", Archiver)
    running = jobctx.get(ctx, "obv_archiver_running", asyncio.Lock)
    if running.locked():
        # A long run is still going: this tick's work is already in its hands.
        log.info("obv_archive_tick_skipped", reason="a run is in progress")
        return {"status": "skipped"}
    async with running:
        summary = await archiver.run(
            ArchiveRequest(trigger="schedule"),
            on_progress=progress_logger(archiver.settings.progress_seconds),
        )
    result: dict[str, Any] = msgspec.to_builtins(msgspec.structs.replace(summary, items=()))
    return result


class WorkerSettings:
    functions: ClassVar[list[Function]] = []
    cron_jobs: ClassVar[list[CronJob]] = [
        heartbeat_job(NAME),
        cron(
            archive_open_banking,
            name=f"{NAME}:archive",
            minute={0, 15, 30, 45},
            second=0,
            run_at_startup=True,
            unique=True,
            timeout=RUN_TIMEOUT_SECONDS,
            max_tries=1,
        ),
    ]
    on_startup = startup
    on_shutdown = shutdown
    on_job_start = bind_job
    on_job_end = unbind_job

    @staticmethod
    def queue_for(settings: Settings) -> str:
        return settings.obv_archiver.queue_name
