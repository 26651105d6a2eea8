"""``ff tracker``: load generated journeys through the ingestion path, drain the queue once,
build a day's extracts.

Settings come from the FF_ environment; on a machine running ``ff dev`` the stack's own settings
(``.ff/dev.json``) are used for anything the environment does not set.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta

import msgspec

from ff_shared.clock import now_utc
from ff_shared.errors import DependencyUnavailable
from ff_shared.integrations.aws.session import client_options, make_session
from ff_shared.settings import Settings
from ff_shared.startup import load_runtime_settings
from ff_shared.tracking.config import ingest_config, parse_queues
from ff_shared.tracking.generator import format_funnel, generate
from ff_shared.tracking.loader import LoadReport, load
from ff_workers.cli.devstate import stack_env
from ff_workers.cli.errors import CommandError
from ff_workers.tracker_processor.extracts import build_extracts
from ff_workers.tracker_processor.worker import open_processor


def tracker_settings() -> Settings:
    env = stack_env()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", env.get("AWS_ACCESS_KEY_ID", "local"))
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", env.get("AWS_SECRET_ACCESS_KEY", "local"))
    settings = load_runtime_settings(env)
    if not settings.tracker.queues:
        raise CommandError("FF_TRACKER_QUEUES is not set: no queue to send to or drain")
    return settings


def _progress() -> Callable[[LoadReport, int], None]:
    """A line on stderr at most once a second while journeys are being sent."""
    last = {"at": 0.0}

    def show(report: LoadReport, total: int) -> None:
        now = time.monotonic()
        done = report.accepted + report.rejected
        if now - last["at"] >= 1.0 or done >= total:
            last["at"] = now
            print(f"sent {done}/{total} events", file=sys.stderr, flush=True)

    return show


async def _generate(args: argparse.Namespace, settings: Settings) -> int:
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 32)
    end = now_utc()
    generated = generate(
        sessions=args.sessions, days=args.days, end=end, seed=seed, environment=args.environment
    )
    config = ingest_config(settings.tracker)
    limits = msgspec.structs.replace(
        config.limits, max_past_age=timedelta(days=args.days + 11), max_events=100
    )
    config = msgspec.structs.replace(config, limits=limits)
    progress = _progress()
    session = make_session(settings.aws)
    async with session.client("sqs", **client_options(settings.aws)) as sqs:
        # Unpaced: neither SQS nor the local stack's moto costs more per call with a backlog,
        # and a deeper queue fills the processor's batches (bench/README.md, journey tracker).
        async def send() -> LoadReport:
            return await load(
                generated,
                sqs=sqs,
                config=config,
                now=now_utc,
                on_progress=progress,
                max_depth=None,
            )

        try:
            if args.process:
                async with open_processor(settings) as processor:
                    stop = asyncio.Event()
                    drain = asyncio.create_task(processor.run_forever(stop))
                    try:
                        report = await send()
                    finally:
                        stop.set()
                        await drain
                    totals = await processor.drain_until_empty()
            else:
                report = await send()
        except DependencyUnavailable as exc:
            raise CommandError(str(exc)) from exc
    print(
        f"generated {len(generated.sessions)} sessions, {generated.event_count} events over "
        f"{args.days} days (seed {seed}); queued {report.accepted}, refused {report.rejected} "
        f"{report.reasons or ''} in {report.seconds:.1f}s"
    )
    window = timedelta(days=args.window_days)
    print(f"\nthe funnel generated (form application, window {args.window_days} days):")
    print(format_funnel(generated.truth_funnel(window)))
    print(f"duplicate-application clusters generated: {len(generated.truth_clusters())}")
    if args.process:
        print(f"processed here; the last drain found {totals.new_events} more events")
    if args.wait:
        async with open_processor(settings) as processor:
            print("\nwaiting for the tracker-processor to drain the queue...", flush=True)
            deadline = time.monotonic() + args.timeout
            while not await processor.empty():
                if time.monotonic() > deadline:
                    raise CommandError("the queue was not drained in time: is the worker up?")
                print(".", end="", file=sys.stderr, flush=True)
                await asyncio.sleep(1)
            print("drained")
    first = (end - timedelta(days=args.days)).date()
    print(
        f"\nread it back: GET /v1/staff/analytics/funnel?form=application&from={first}"
        f"&to={end.date()}&window_days={args.window_days}"
    )
    return 0


async def _process(settings: Settings) -> int:
    started = time.perf_counter()
    async with open_processor(settings) as processor:
        totals = await processor.drain_until_empty()
    elapsed = time.perf_counter() - started
    print(
        f"drained: {totals.messages} messages in {totals.batches} batches, "
        f"{totals.new_events} new events, {totals.duplicates} duplicates, "
        f"{totals.poison} poison releases, {elapsed:.1f}s"
    )
    return 0


async def _extracts(args: argparse.Namespace, settings: Settings) -> int:
    day = date.fromisoformat(args.day) if args.day else now_utc().date() - timedelta(days=1)
    async with open_processor(settings) as processor:
        environments = [args.environment] if args.environment else None
        for env in environments or list(parse_queues(settings.tracker.queues)):
            for result in await build_extracts(
                processor.pool, processor.s3, settings.tracker, environment=env, day=day
            ):
                print(
                    f"{result.kind:<14} {result.rows:>7} rows  s3://{settings.tracker.bucket}/{result.key}"
                )
    return 0


def _run(args: argparse.Namespace) -> int:
    settings = tracker_settings()
    if args.tracker_command == "generate":
        return asyncio.run(_generate(args, settings))
    if args.tracker_command == "process":
        if not args.until_empty:
            raise CommandError("the continuous drain is the worker: `ff worker tracker-processor`")
        return asyncio.run(_process(settings))
    return asyncio.run(_extracts(args, settings))


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("tracker", help="journey tracking: generate, process, extracts")
    commands = parser.add_subparsers(dest="tracker_command", required=True, metavar="COMMAND")
    gen = commands.add_parser(
        "generate", help="send generated journeys through ingestion and print their true funnel"
    )
    gen.add_argument("--sessions", type=int, default=100, help="journeys to generate (100)")
    gen.add_argument("--days", type=int, default=7, help="spread over the last D days (7)")
    gen.add_argument("--seed", type=int, help="repeat a data set (same ids: de-duplicated)")
    gen.add_argument("--environment", help="environment of every event (default: deployment's)")
    gen.add_argument("--window-days", type=int, default=30, help="conversion window (30)")
    gen.add_argument("--wait", action="store_true", help="wait for the worker to drain it")
    gen.add_argument("--process", action="store_true", help="drain it here instead")
    gen.add_argument("--timeout", type=float, default=600, help="seconds --wait waits (600)")
    proc = commands.add_parser("process", help="drain the tracker queues")
    proc.add_argument("--until-empty", action="store_true", help="drain once, then exit")
    ext = commands.add_parser("extracts", help="build one day's CSV extracts now")
    ext.add_argument("--day", help="YYYY-MM-DD (default: yesterday, UTC)")
    ext.add_argument("--environment", help="one environment (default: every one)")
    parser.set_defaults(handler=_run)
