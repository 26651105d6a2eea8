"""``ff adp run [--date]`` and ``ff adp weekly-report``: the data platform by hand.

``ff adp run`` runs exactly what the adp worker runs each night, in this process: a progress line
per stage on stderr, then the run's summary (rows in per source, rows out per table, rejected
rows, failed checks). Exit status 0 when the run was published, 1 when it failed (the previous
run stays current). ``ff adp weekly-report`` builds and sends the weekly management report.

Settings come from the FF_ environment, over the running local stack's (``.ff/dev.json``).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from contextlib import redirect_stdout
from datetime import date, timedelta
from typing import Any

import asyncpg
import msgspec

from ff_shared.adp.runs import RunReport
from ff_shared.clock import london_today
from ff_shared.settings import Settings
from ff_workers.adp.pipeline import RunFailed, open_pipeline, run_pipeline
from ff_workers.adp.weekly import WeeklySent, send_weekly_report
from ff_workers.cli.devstate import stack_settings
from ff_workers.cli.errors import CommandError


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (2026-11-30)") from exc


def _progress(stage: str, detail: dict[str, Any]) -> None:
    shown = ", ".join(f"{k}={v}" for k, v in detail.items())
    print(f"adp  {stage:<12} {shown}", file=sys.stderr, flush=True)


def render(report: RunReport) -> str:
    lines = [
        f"run {report.run_id} for {report.run_date}: {report.status.upper()}"
        f" in {report.duration_seconds or 0:.1f}s",
        "rows in:       " + ", ".join(f"{k} {v}" for k, v in report.rows_in.items()),
        "rows out:      " + ", ".join(f"{k} {v}" for k, v in report.rows_out.items()),
        "rows rejected: "
        + (", ".join(f"{k} {v}" for k, v in report.rows_rejected.items()) or "none"),
        f"checks:        {len(report.checks)} run, {len(report.failed_checks)} failed",
    ]
    lines += [
        f"  FAILED {c.name}: expected {c.expected}, got {c.actual} ({c.detail})"
        for c in report.failed_checks
    ]
    if report.error:
        lines.append(f"error:         {report.error}")
    return "\n".join(lines)


async def _run(settings: Settings, run_date: date) -> RunReport:
    try:
        async with open_pipeline(settings) as pipeline:
            try:
                return await run_pipeline(
                    pipeline, run_date, trigger="command", on_progress=_progress
                )
            except RunFailed as exc:
                return exc.report
    except (OSError, asyncpg.PostgresError) as exc:
        raise CommandError(f"a store is not usable: {exc}") from exc


def _run_cmd(args: argparse.Namespace) -> int:
    settings = stack_settings(verbose=args.verbose)
    with redirect_stdout(sys.stderr):
        report = asyncio.run(_run(settings, args.date or london_today() - timedelta(days=1)))
    if args.json:
        print(msgspec.json.format(msgspec.json.encode(report)).decode())
    else:
        print(render(report))
    return 0 if report.status == "published" else 1


async def _weekly(settings: Settings, week_ending: date) -> WeeklySent:
    async with open_pipeline(settings) as pipeline:
        return await send_weekly_report(pipeline, week_ending=week_ending)


def _weekly_cmd(args: argparse.Namespace) -> int:
    settings = stack_settings(verbose=args.verbose)
    with redirect_stdout(sys.stderr):
        sent = asyncio.run(_weekly(settings, args.week_ending or london_today()))
    print(msgspec.json.format(msgspec.json.encode(sent)).decode())
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    adp = sub.add_parser("adp", help="the financial data platform: pipeline runs and reports")
    commands = adp.add_subparsers(dest="adp_command", required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="extract, transform, check and publish now")
    run.add_argument(
        "--date", type=_day, help="the run date (arrears as at this day; default yesterday)"
    )
    run.add_argument("--json", action="store_true", help="print the run report as JSON")
    run.add_argument("--verbose", action="store_true", help="log at FF_LOG_LEVEL, not warning")
    run.set_defaults(handler=_run_cmd)
    report = commands.add_parser("weekly-report", help="build and send the weekly report now")
    report.add_argument("--week-ending", type=_day, help="last day of the week (default today)")
    report.add_argument("--verbose", action="store_true", help="log at FF_LOG_LEVEL, not warning")
    report.set_defaults(handler=_weekly_cmd)
