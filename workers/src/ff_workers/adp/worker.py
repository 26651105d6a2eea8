"""The ``adp`` worker: the daily pipeline run and the weekly management report, on a schedule.

Run with ``ff worker adp`` (its container's entry point; an ECS scheduled task in production).
On start it applies the ``adp`` schema's migrations and opens its clients. Every day at
02:30 UTC it runs the pipeline for the day before; every Monday at 07:00 UTC it
sends the weekly report. Both are idempotent: a run publishes the same tables from the same
sources, and the weekly report is kept under its week's key.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import timedelta
from typing import Any, ClassVar

import msgspec
import structlog
from arq.cron import CronJob, cron
from arq.worker import Function

from ff_shared.clock import london_today
from ff_shared.settings import Settings
from ff_workers.adp.pipeline import Pipeline, RunFailed, open_pipeline, run_pipeline
from ff_workers.adp.weekly import send_weekly_report
from ff_workers.runtime import bind_job, heartbeat_job, unbind_job

log = structlog.get_logger()

NAME = "adp"
RUN_TIMEOUT_SECONDS = 2 * 3600


async def startup(ctx: dict[str, Any]) -> None:
    settings: Settings = ctx["settings"]
    stack = AsyncExitStack()
    ctx["adp_exit"] = stack
    ctx["adp"] = await stack.enter_async_context(open_pipeline(settings))
    log.info("adp_worker_started")


async def shutdown(ctx: dict[str, Any]) -> None:
    stack: AsyncExitStack | None = ctx.pop("adp_exit", None)
    if stack is not None:
        await stack.aclose()


async def run_daily(ctx: dict[str, Any]) -> dict[str, Any]:
    """Yesterday's run (London's calendar): its report is the job's result."""
    pipeline: Pipeline = ctx["adp"]
    try:
        report = await run_pipeline(
            pipeline, london_today() - timedelta(days=1), trigger="schedule"
        )
    except RunFailed as exc:
        report = exc.report
    result: dict[str, Any] = msgspec.to_builtins(report)
    return result


async def weekly_report(ctx: dict[str, Any]) -> dict[str, Any]:
    pipeline: Pipeline = ctx["adp"]
    sent = await send_weekly_report(pipeline, week_ending=london_today() - timedelta(days=1))
    result: dict[str, Any] = msgspec.to_builtins(sent)
    return result


class WorkerSettings:
    functions: ClassVar[list[Function]] = []
    cron_jobs: ClassVar[list[CronJob]] = [
        heartbeat_job(NAME),
        cron(
            run_daily,
            name=f"{NAME}:run",
            hour=2,
            minute=30,
            second=0,
            unique=True,
            timeout=RUN_TIMEOUT_SECONDS,
            max_tries=1,
        ),
        cron(
            weekly_report,
            name=f"{NAME}:weekly-report",
            weekday="mon",
            hour=7,
            minute=0,
            second=0,
            unique=True,
            timeout=600,
            max_tries=1,
        ),
    ]
    on_startup = startup
    on_shutdown = shutdown
    on_job_start = bind_job
    on_job_end = unbind_job

    @staticmethod
    def queue_for(settings: Settings) -> str:
        return settings.adp.queue_name
