"""What every worker process shares: settings, logging, the job log binding, and running one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import structlog
from arq.connections import RedisSettings
from arq.cron import CronJob, cron
from arq.worker import Worker, create_worker

from ff_shared.logging import configure_logging
from ff_shared.settings import Settings
from ff_workers import ctx as jobctx
from ff_workers.ctx import JobContext

log = structlog.get_logger()


async def bind_job(ctx: JobContext) -> None:
    """arq ``on_job_start``: every log line of a job carries its id and try."""
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(job_id=ctx.get("job_id"), job_try=ctx.get("job_try"))


async def unbind_job(_ctx: JobContext) -> None:
    structlog.contextvars.clear_contextvars()


HEARTBEAT_TTL_SECONDS = 180


def heartbeat_key(worker_name: str) -> str:
    return f"ff:worker:{worker_name}:heartbeat"


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


def _queue_of(settings_cls: type, settings: Settings) -> str:
    """A worker with a queue of its own names it with a ``queue_for(settings)`` static method;
    the others drain the core queue."""
    choose = getattr(settings_cls, "queue_for", None)
    return str(choose(settings)) if choose is not None else settings.redis.queue_name


def build_worker(
    settings_cls: type, settings: Settings, *, queue_name: str | None = None, **overrides: Any
) -> Worker:
    """An arq worker for ``settings_cls`` whose start-up sees the parsed settings in ``ctx``."""
    configure_logging(level=settings.log_level, json=settings.log_json)
    user_startup = getattr(settings_cls, "on_startup", None)

    async def on_startup(ctx: JobContext) -> None:
        ctx["settings"] = settings
        if user_startup is not None:
            await user_startup(ctx)

    return create_worker(
        settings_cls,
        redis_settings=RedisSettings.from_dsn(settings.redis.url),
        queue_name=queue_name or _queue_of(settings_cls, settings),
        on_startup=on_startup,
        **overrides,
    )
