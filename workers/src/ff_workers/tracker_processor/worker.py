"""The ``tracker-processor`` worker: ``ff worker tracker-processor`` (its container's entry point).

At start it applies the ``tracker`` schema's migrations, makes its clients and starts the drain:
a long-running task that long-polls every configured environment's FIFO queue in batches. Its
cron jobs build yesterday's CSV extracts and forget old event ids. Operators scale it by running
more containers: each drains the same queues, and sessions come out the same (see the store).
Its arq jobs live on their own queue (``FF_TRACKER_QUEUE_NAME``).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import date, timedelta
from typing import Any, ClassVar

import msgspec
import structlog
from arq.cron import CronJob, cron
from arq.worker import Function, func

from ff_shared.clock import now_utc
from ff_shared.integrations.aws.session import client_options, make_session
from ff_shared.settings import Settings
from ff_shared.stores.postgres import apply_migrations, create_pool
from ff_shared.stores.postgres import tracker as store
from ff_shared.tracking.config import parse_queues
from ff_workers import ctx as jobctx
from ff_workers.ctx import JobContext
from ff_workers.runtime import bind_job, heartbeat_job, unbind_job
from ff_workers.tracker_processor.extracts import build_extracts
from ff_workers.tracker_processor.processor import Processor

log = structlog.get_logger()

NAME = "tracker-processor"


@contextlib.asynccontextmanager
async def open_processor(settings: Settings) -> AsyncIterator[Processor]:
    """Clients, migrations and the processor over every configured environment's queue."""
    async with AsyncExitStack() as stack:
        session = make_session(settings.aws)
        options = client_options(settings.aws)
        # A long poll answers after up to wait_seconds with nothing: the read timeout is beyond
        # it, or every idle poll would end as a timeout.
        sqs_options = client_options(
            msgspec.structs.replace(
                settings.aws,
                timeout_seconds=settings.aws.timeout_seconds + settings.tracker.wait_seconds,
            )
        )
        sqs_client = await stack.enter_async_context(session.client("sqs", **sqs_options))
        s3_client = await stack.enter_async_context(session.client("s3", **options))
        pool = await create_pool(settings.postgres)
        stack.push_async_callback(pool.close)
        async with pool.acquire() as conn:
            await apply_migrations(conn, "tracker")
        queues = parse_queues(settings.tracker.queues)
        yield Processor(
            sqs_client=sqs_client,
            s3_client=s3_client,
            pool=pool,
            settings=settings.tracker,
            queue_urls=list(queues.values()),
        )


def _crashed(task: asyncio.Task[Any]) -> None:
    if task.cancelled() or task.exception() is None:
        return
    # A bug, not an outage: stop the worker so its container restarts; messages stay queued.
    log.error("tracker_drain_crashed", error=type(task.exception()).__name__)
    signal.raise_signal(signal.SIGTERM)


async def startup(ctx: JobContext) -> None:
    settings = jobctx.settings(ctx)
    stack = AsyncExitStack()
    ctx["stack"] = stack
    processor = await stack.enter_async_context(open_processor(settings))
    ctx["processor"] = processor
    if ctx.get("one_shot"):
        # `ff run tracker-extracts --once`: the run needs the clients, not the queue drain.
        return
    stop = asyncio.Event()
    ctx["drain_stop"] = stop
    task = asyncio.create_task(processor.run_forever(stop), name="tracker-drain")
    task.add_done_callback(_crashed)
    ctx["drain_task"] = task
    log.info("tracker_drain_started", queues=len(processor.queue_urls))


async def shutdown(ctx: JobContext) -> None:
    stop: asyncio.Event | None = ctx.get("drain_stop")
    task: asyncio.Task[Any] | None = ctx.get("drain_task")
    if stop is not None and task is not None:
        stop.set()
        settings = jobctx.settings(ctx)
        try:
            await asyncio.wait_for(task, timeout=settings.tracker.wait_seconds + 30)
        except TimeoutError:
            # Cancelling mid-batch is safe: undeleted messages are received again.
            log.warning("tracker_drain_cancelled")
    stack: AsyncExitStack | None = ctx.get("stack")
    if stack is not None:
        await stack.aclose()


async def tracker_build_extracts(
    ctx: JobContext, day: str | None = None, environment: str | None = None
) -> list[str]:
    """Build one day's extracts (default: yesterday, UTC) for one or every environment."""
    # The job's own argument first: a bad day is refused before any client is touched.
    target = date.fromisoformat(day) if day else now_utc().date() - timedelta(days=1)
    settings = jobctx.settings(ctx)
    processor = jobctx.get(ctx, "processor", Processor)
    environments = [environment] if environment else list(parse_queues(settings.tracker.queues))
    keys: list[str] = []
    for env in environments:
        results = await build_extracts(
            processor.pool, processor.s3, settings.tracker, environment=env, day=target
        )
        keys += [r.key for r in results]
    return keys


async def tracker_daily_extracts(ctx: JobContext) -> list[str]:
    return await tracker_build_extracts(ctx)


async def tracker_prune_seen(ctx: JobContext) -> int:
    settings = jobctx.settings(ctx)
    processor = jobctx.get(ctx, "processor", Processor)
    cutoff = now_utc() - timedelta(days=settings.tracker.seen_retention_days)
    async with processor.pool.acquire() as conn:
        pruned = await store.prune_seen(conn, cutoff)
    log.info("tracker_seen_pruned", pruned=pruned)
    return pruned


class WorkerSettings:
    functions: ClassVar[list[Function]] = [
        func(tracker_build_extracts, name="tracker_build_extracts", timeout=1800, max_tries=3),
    ]
    cron_jobs: ClassVar[list[CronJob]] = [
        heartbeat_job(NAME),
        cron(
            tracker_daily_extracts,
            name="tracker:daily_extracts",
            hour={2},
            minute={15},
            second={0},
            unique=True,
            timeout=1800,
        ),
        cron(
            tracker_prune_seen,
            name="tracker:prune_seen",
            hour={3},
            minute={30},
            second={0},
            unique=True,
        ),
    ]
    on_startup = startup
    on_shutdown = shutdown
    on_job_start = bind_job
    on_job_end = unbind_job

    @staticmethod
    def queue_for(settings: Settings) -> str:
        return settings.tracker.queue_name
