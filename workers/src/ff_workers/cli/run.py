"""``ff run TASK --once``: one scheduled run, the same code path as the worker's cron job.

The scheduler (EventBridge Scheduler -> ECS RunTask, a Kubernetes CronJob, compose's
``scheduled`` profile) starts a container with this command; its exit status is the run's
outcome. A feature with a scheduled run adds its line to ``TASKS``.
"""

from __future__ import annotations

import argparse
import asyncio

import msgspec
import structlog

from ff_shared.startup import load_runtime_settings
from ff_workers.cli.errors import CommandError
from ff_workers.cli.worker import settings_class
from ff_workers.runtime import run_once, scheduled_jobs

log = structlog.get_logger()

# task -> (worker, the name of its cron job)
TASKS: dict[str, tuple[str, str]] = {
    "obv-archiver": ("obv-archiver", "obv-archiver:archive"),
    "lms-restorer": ("lms-restorer", "lms-restorer:nightly"),
    "tracker-extracts": ("tracker-processor", "tracker:daily_extracts"),
    "tracker-prune": ("tracker-processor", "tracker:prune_seen"),
    "adp": ("adp", "adp:run"),
    "adp-weekly-report": ("adp", "adp:weekly-report"),
}


def _run(args: argparse.Namespace) -> int:
    if not args.once:
        raise CommandError("`ff run` runs a task once: pass --once (`ff worker` runs it on cron)")
    worker, job = TASKS[args.task]
    cls = settings_class(worker)
    if job not in scheduled_jobs(cls):
        raise CommandError(f"{worker} has no cron job {job!r}")
    settings = load_runtime_settings()
    result = asyncio.run(run_once(cls, settings, job, worker_name=worker))
    print(msgspec.json.encode(msgspec.to_builtins(result)).decode())
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("run", help="run a worker's scheduled job once (scheduled tasks)")
    parser.add_argument("task", choices=sorted(TASKS))
    parser.add_argument("--once", action="store_true", help="run once and exit (required)")
    parser.set_defaults(handler=_run)
