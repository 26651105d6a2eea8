"""``ff obv-archive`` and ``ff obv-verify``: run an open-banking archive by hand, and audit it.

``ff obv-archive`` runs exactly what the obv-archiver worker runs on its schedule, in this
process: progress lines on stderr every few seconds, then the summary (found, archived,
unchanged, quarantined, failed). Exit status 0 when every application was dealt with, 1 when some
failed or discovery did not finish (they stay pending for the next run).

``ff obv-verify`` re-hashes every stored payload and recounts every version's transactions and
balances; exit status 1 when anything does not match.

Settings come from the FF_ environment; on a machine running ``ff dev`` the stack's own settings
(``.ff/dev.json``) are used for anything the environment does not set.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable
from contextlib import redirect_stdout
from datetime import UTC, date, datetime

import asyncpg
import msgspec

from ff_shared.settings import Settings
from ff_shared.stores.postgres.migrations import MigrationError
from ff_workers.cli.devstate import stack_settings
from ff_workers.cli.errors import CommandError
from ff_workers.obv_archiver.run import ArchiveRequest
from ff_workers.obv_archiver.summary import Progress, RunSummary
from ff_workers.obv_archiver.verify import Verification, verify_archive
from ff_workers.obv_archiver.worker import open_archiver


def parse_since(value: str) -> datetime:
    """``2026-11-01`` (midnight UTC) or an ISO 8601 time; one without an offset is UTC."""
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a date (2026-11-01) or an ISO 8601 time"
        ) from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _printer(every_seconds: float) -> Callable[[Progress], None]:
    last = {"at": time.monotonic()}

    def show(progress: Progress) -> None:
        now = time.monotonic()
        if now - last["at"] >= every_seconds:
            last["at"] = now
            print(progress.line(), file=sys.stderr, flush=True)

    return show


async def _archive(settings: Settings, request: ArchiveRequest) -> RunSummary:
    try:
        async with open_archiver(settings) as archiver:
            return await archiver.run(
                request, on_progress=_printer(settings.obv_archiver.progress_seconds)
            )
    except (OSError, asyncpg.PostgresError) as exc:
        raise CommandError(f"PostgreSQL is not usable: {exc}") from exc
    except MigrationError as exc:
        raise CommandError(str(exc)) from exc


def _run_archive(args: argparse.Namespace) -> int:
    request = ArchiveRequest(
        trigger="command", since=args.since, reference=args.reference, dry_run=args.dry_run
    )
    settings = stack_settings(verbose=args.verbose)
    # Logs and progress go to stderr; stdout carries only the summary.
    with redirect_stdout(sys.stderr):
        summary = asyncio.run(_archive(settings, request))
    if args.json:
        print(msgspec.json.format(msgspec.json.encode(summary)).decode())
    else:
        print(summary.render())
    if args.reference is not None and summary.discovered == 0 and summary.error is None:
        raise CommandError(
            f"no application in Dynamics has the open-banking reference {args.reference!r}"
        )
    return 0 if summary.ok else 1


async def _verify(settings: Settings, args: argparse.Namespace) -> Verification:
    try:
        async with open_archiver(settings) as archiver:
            return await verify_archive(
                archiver.pool,
                application_id=args.application,
                obv_reference=args.reference,
                current_only=args.current_only,
            )
    except (OSError, asyncpg.PostgresError) as exc:
        raise CommandError(f"PostgreSQL is not usable: {exc}") from exc


def _run_verify(args: argparse.Namespace) -> int:
    settings = stack_settings(verbose=args.verbose)
    with redirect_stdout(sys.stderr):
        result = asyncio.run(_verify(settings, args))
    if args.json:
        body = {
            "ok": result.ok,
            "versions": result.versions,
            "applications": result.applications,
            "transactions": result.transactions,
            "mismatches": msgspec.to_builtins(result.mismatches),
        }
        print(msgspec.json.format(msgspec.json.encode(body)).decode())
    else:
        print(result.render())
    return 0 if result.ok else 1


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    archive = sub.add_parser(
        "obv-archive",
        help="archive open-banking reports of Dynamics applications now (what the worker runs)",
    )
    archive.add_argument(
        "--since",
        type=parse_since,
        help="discover applications changed after this (default: the watermark)",
    )
    archive.add_argument(
        "--reference", help="only the application(s) with this OBV reference, changed or not"
    )
    archive.add_argument("--dry-run", action="store_true", help="fetch and validate, write nothing")
    archive.add_argument("--json", action="store_true", help="print the summary as JSON")
    archive.add_argument("--verbose", action="store_true", help="log at FF_LOG_LEVEL, not warning")
    archive.set_defaults(handler=_run_archive)

    verify = sub.add_parser(
        "obv-verify", help="re-check stored open-banking payload hashes, counts and balances"
    )
    verify.add_argument("--application", help="only this Dynamics application id")
    verify.add_argument("--reference", help="only versions of this OBV reference")
    verify.add_argument(
        "--current-only", action="store_true", help="only each application's newest version"
    )
    verify.add_argument("--json", action="store_true", help="print the result as JSON")
    verify.add_argument("--verbose", action="store_true", help="log at FF_LOG_LEVEL, not warning")
    verify.set_defaults(handler=_run_verify)
