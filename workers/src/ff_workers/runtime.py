"""What every worker process shares: settings, logging, the job log binding, the heartbeat,
metrics and traces, and running one (long-lived, or one cron job once)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog
from arq import create_pool
from arq.connections import RedisSettings
from arq.cron import CronJob, cron
from arq.worker import Function, Worker, func, get_kwargs

from ff_shared import observability
from ff_shared.logging import configure_logging
from ff_shared.settings import Settings
from ff_shared.stores.redis.connection import redis_client
from ff_workers import ctx as jobctx
from ff_workers.ctx import JobContext
from ff_workers.resilience import REDIS_OUTAGE, ResilientWorker, retry_on_outage

log = structlog.get_logger()


async def bind_job(ctx: JobContext) -> None:
    """arq ``on_job_start``: every log line of a job carries its id and try."""
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(job_id=ctx.get("job_id"), job_try=ctx.get("job_try"))


async def unbind_job(_ctx: JobContext) -> None:
    structlog.contextvars.clear_contextvars()


HEARTBEAT_TTL_SECONDS = 180
HEARTBEAT_FILE_SECONDS = 10.0
HEARTBEAT_FILE_MAX_AGE_SECONDS = 60.0


def heartbeat_key(worker_name: str) -> str:
    return f"ff:worker:{worker_name}:heartbeat"


def heartbeat_path(worker_name: str) -> Path:
    """The file a running worker process touches: its container's health check reads it (the
    Redis key says some worker of that name is alive; this file says this process is)."""
    return Path(tempfile.gettempdir()) / f"ff-worker-{worker_name}.heartbeat"


def heartbeat_job(worker_name: str) -> CronJob:
    """A cron job that proves the worker is alive and draining: operators and readiness checks
    read the key; it expires when the worker stops running jobs."""

    async def heartbeat(ctx: JobContext) -> str:
        now = datetime.now(UTC).isoformat()
        await jobctx.redis(ctx).set(heartbeat_key(worker_name), now, ex=HEARTBEAT_TTL_SECONDS)
        return now

    heartbeat.__qualname__ = f"heartbeat_{worker_name.replace('-', '_')}"
    return cron(
        heartbeat, name=f"{worker_name}:heartbeat", second=0, run_at_startup=True, unique=True
    )


def is_heartbeat(job: CronJob) -> bool:
    return job.name.endswith(":heartbeat")


async def _touch_forever(path: Path, every: float) -> None:
    # Touched from the worker's own event loop: a blocked loop or a hung process goes stale.
    while True:
        await asyncio.to_thread(path.touch)
        await asyncio.sleep(every)


QUEUE_METRICS_SECONDS = 15.0


async def _record_queue_forever(redis: Any, queue: str) -> None:
    while True:
        # A Redis outage leaves the gauges as they were; the worker itself rides it out.
        with contextlib.suppress(*REDIS_OUTAGE):
            await observability.record_queue(redis, queue)
        await asyncio.sleep(QUEUE_METRICS_SECONDS)


def observed_jobs(
    settings_cls: type, worker_name: str, *, retry_max_seconds: int = 300
) -> tuple[list[Function], list[CronJob]]:
    """The worker's functions and cron jobs, each with its span and metrics and an outage of
    what it calls retried with backoff (heartbeats as is)."""
    functions = [func(f) for f in getattr(settings_cls, "functions", None) or []]
    crons: list[CronJob] = getattr(settings_cls, "cron_jobs", None) or []

    def wrapped(name: str, coroutine: Any) -> Any:
        retried = retry_on_outage(coroutine, cap_seconds=retry_max_seconds)
        return observability.instrument_job(worker_name, name, retried)

    return (
        [dataclasses.replace(f, coroutine=wrapped(f.name, f.coroutine)) for f in functions],
        [
            job
            if is_heartbeat(job)
            else dataclasses.replace(job, coroutine=wrapped(job.name, job.coroutine))
            for job in crons
        ],
    )


def _queue_of(settings_cls: type, settings: Settings) -> str:
    """A worker with a queue of its own names it with a ``queue_for(settings)`` static method;
    the others drain the core queue."""
    choose = getattr(settings_cls, "queue_for", None)
    return str(choose(settings)) if choose is not None else settings.redis.queue_name


def build_worker(
    settings_cls: type,
    settings: Settings,
    *,
    queue_name: str | None = None,
    name: str | None = None,
    **overrides: Any,
) -> Worker:
    """An arq worker for ``settings_cls`` whose start-up sees the parsed settings in ``ctx``.

    With ``name`` the process touches its heartbeat file. Where a scheduler runs the cron jobs
    as one-shot tasks (``FF_WORKER_CRON_ENABLED=false``) only the heartbeat stays in process.
    """
    configure_logging(level=settings.log_level, json=settings.log_json)
    tracer_provider = observability.configure(settings)
    user_startup = getattr(settings_cls, "on_startup", None)
    user_shutdown = getattr(settings_cls, "on_shutdown", None)
    queue = queue_name or _queue_of(settings_cls, settings)
    worker_name = name or queue

    async def on_startup(ctx: JobContext) -> None:
        ctx["settings"] = settings
        ctx["queue_metrics"] = asyncio.create_task(_record_queue_forever(ctx["redis"], queue))
        port = settings.observability.metrics_port
        if port:
            # Scraped from outside the container: every interface of its own network namespace.
            ctx["metrics_server"] = await observability.start_metrics_server("0.0.0.0", port)  # noqa: S104
        if name is not None:
            path = heartbeat_path(name)
            ctx["heartbeat_file"] = asyncio.create_task(
                _touch_forever(path, HEARTBEAT_FILE_SECONDS), name=f"{name}-heartbeat"
            )
        if user_startup is not None:
            await user_startup(ctx)

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        try:
            if user_shutdown is not None:
                await user_shutdown(ctx)
        finally:
            for key in ("heartbeat_file", "queue_metrics"):
                task: asyncio.Task[None] | None = ctx.pop(key, None)
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            if name is not None:
                heartbeat_path(name).unlink(missing_ok=True)
            server: Any = ctx.pop("metrics_server", None)
            if server is not None:
                await server.cleanup()
            if tracer_provider is not None:
                await asyncio.to_thread(tracer_provider.force_flush)

    functions, cron_jobs = observed_jobs(
        settings_cls, worker_name, retry_max_seconds=settings.worker.retry_max_seconds
    )
    if not settings.worker.cron_enabled:
        cron_jobs = [job for job in cron_jobs if is_heartbeat(job)]
    overrides.setdefault("functions", functions)
    overrides.setdefault("cron_jobs", cron_jobs)
    # On SIGTERM (a deploy, a scale-in) running jobs get this long to finish; one still running
    # then is cancelled and arq hands it back to the queue for the next worker.
    overrides.setdefault("job_completion_wait", settings.worker.shutdown_grace_seconds)
    return ResilientWorker(
        **{
            **get_kwargs(settings_cls),
            "redis_settings": RedisSettings.from_dsn(settings.redis.url),
            "redis_pool": redis_client(settings.redis, queue_name=queue),
            "queue_name": queue,
            "on_startup": on_startup,
            "on_shutdown": on_shutdown,
            "reconnect_max_seconds": settings.worker.reconnect_max_seconds,
            **overrides,
        }
    )


def scheduled_jobs(settings_cls: type) -> dict[str, CronJob]:
    """A worker's cron jobs other than its heartbeat, by name."""
    jobs = getattr(settings_cls, "cron_jobs", None) or []
    return {job.name: job for job in jobs if not is_heartbeat(job)}


async def run_once(
    settings_cls: type, settings: Settings, job_name: str, *, worker_name: str | None = None
) -> Any:
    """Run one of the worker's cron jobs once, as the scheduler's one-shot task: the worker's
    own start-up and shut-down around the very coroutine its cron entry runs. ``ctx`` carries
    ``one_shot`` so a start-up can skip what only a long-lived worker needs (a queue drain)."""
    configure_logging(level=settings.log_level, json=settings.log_json)
    tracer_provider = observability.configure(settings)
    job = scheduled_jobs(settings_cls)[job_name]
    coroutine = observability.instrument_job(
        worker_name or settings.worker.name or job_name, job_name, job.coroutine
    )
    redis = await create_pool(RedisSettings.from_dsn(settings.redis.url))
    ctx: dict[str, Any] = {
        "settings": settings,
        "redis": redis,
        "one_shot": True,
        "job_id": f"{job_name}:once:{uuid.uuid4().hex[:12]}",
        "job_try": 1,
        "enqueue_time": datetime.now(UTC),
        "score": None,
    }
    startup = getattr(settings_cls, "on_startup", None)
    shutdown = getattr(settings_cls, "on_shutdown", None)
    try:
        if startup is not None:
            await startup(ctx)
        try:
            await bind_job(ctx)
            log.info("scheduled_run_started", job=job_name)
            result = await coroutine(ctx)
            log.info("scheduled_run_completed", job=job_name)
            return result
        finally:
            await unbind_job(ctx)
            if shutdown is not None:
                await shutdown(ctx)
    finally:
        await redis.aclose()
        if tracer_provider is not None:
            # The task's process exits next: its spans leave now.
            await asyncio.to_thread(tracer_provider.force_flush)
