"""``ff lms``: the nightly loan-book backup from the command line.

``ff lms run`` carries out a run here and now, drawing progress for downloads and uploads;
``list``, ``show``, ``runs`` read the catalogue; ``rerun``, ``restore``, ``rollback`` are the
operator's actions (recorded in ``lms.ops_actions``); ``retention`` applies the archive's
retention.

Settings come from the environment; with no FF_ environment, from the running local stack.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from ff_shared.clock import now_utc
from ff_shared.domain.backups.runs import STEPS, RunMode, RunStatus, Step, StepStatus
from ff_shared.errors import DomainError
from ff_shared.integrations.aws.s3_archive import missing_keys
from ff_shared.logging import configure_logging
from ff_shared.settings import Settings
from ff_shared.startup import load_runtime_settings
from ff_shared.stores.postgres import lms as catalogue
from ff_shared.stores.postgres import transaction
from ff_shared.stores.postgres.lms import BackupRecord
from ff_workers.cli.devstate import read_state, state_path
from ff_workers.cli.errors import CommandError
from ff_workers.lms_restorer.context import Clients
from ff_workers.lms_restorer.pipeline import RunReport, execute_run, request_run
from ff_workers.lms_restorer.retention import apply_retention
from ff_workers.lms_restorer.worker import open_clients

MB = 1024 * 1024
NOTHING_CONFIGURED = 3
"""Exit status of a run whose every due step is not configured here."""


def cli_settings() -> Settings:
    """The environment's settings, or the running local stack's when no FF_ variable is set."""
    env = dict(os.environ)
    if not any(k.startswith("FF_COGNITO_") for k in env) and state_path().exists():
        state = read_state()
        for key, value in state.env.items():
            env.setdefault(key, value)
            if not key.startswith("FF_"):
                os.environ.setdefault(key, value)
    return load_runtime_settings(env)


class Progress:
    """One line per transfer on stderr, redrawn at most ten times a second."""

    def __init__(self) -> None:
        self._what = ""
        self._started = 0.0
        self._drawn = 0.0
        self._first = 0

    def __call__(self, what: str, done: int, total: int) -> None:
        now = time.monotonic()
        if what != self._what:
            if self._what:
                sys.stderr.write("\n")
            self._what, self._started, self._first = what, now, done
        if done < total and now - self._drawn < 0.1:
            return
        self._drawn = now
        if done < self._first:
            self._first = done
        elapsed = now - self._started
        percent = 100.0 * done / total if total else 100.0
        width = 30
        filled = int(width * percent / 100)
        rate = f"{(done - self._first) / MB / elapsed:7.1f} MB/s" if elapsed > 0.05 else ""
        sys.stderr.write(
            f"\r{what:<48.48} [{'#' * filled}{'.' * (width - filled)}] {percent:5.1f}%"
            f" {done / MB:8.1f}/{total / MB:.1f} MB {rate}"
        )
        if done >= total:
            sys.stderr.write("\n")
            self._what = ""
        sys.stderr.flush()


async def _with_clients(settings: Settings, body: Callable[[Clients], Awaitable[int]]) -> int:
    # The command line shows progress and a summary; the steps' log lines only on request.
    configure_logging(level=os.environ.get("FF_LMS_CLI_LOG_LEVEL", "warning"), json=False)
    try:
        async with open_clients(settings) as clients:
            return await body(clients)
    except OSError as exc:
        raise CommandError(f"a store or service is unreachable: {exc}") from exc


async def _resolve_backup(clients: Clients, ref: str) -> BackupRecord:
    async with clients.pg.acquire() as conn:
        found = await catalogue.find_backup(conn, ref)
        if found is not None:
            return found
        try:
            return await catalogue.get_backup(conn, ref)
        except DomainError:
            pass
        except ValueError:
            pass
    raise CommandError(f"no backup with the id or file name {ref!r}; see `ff lms list`")


async def _check_archived(clients: Clients, backup: BackupRecord) -> None:
    """Refuse a restore of converted files the archive bucket does not hold."""
    async with clients.pg.acquire() as conn:
        objects = await catalogue.archived_objects(conn, backup.id)
    keys = [o.key for o in objects if o.kind == "converted"]
    missing = await missing_keys(clients.s3, clients.lms.bucket, keys)
    if not keys or missing:
        raise CommandError(
            f"{backup.file_name}'s converted files are not in the archive "
            f"(s3://{clients.lms.bucket}: {', '.join(missing) or 'none catalogued'}): "
            "run `ff lms run` first"
        )


async def _audit(clients: Clients, action: str, target: str | None, **detail: Any) -> None:
    async with clients.pg.acquire() as conn:
        await catalogue.record_ops_action(
            conn,
            action=action,
            actor=f"cli:{getpass.getuser()}",
            roles=["cli"],
            request_id=None,
            target=target,
            detail=detail,
            now=now_utc(),
        )


def _print_report(report: RunReport) -> int:
    for outcome in report.outcomes:
        line = f"  {outcome.file_name:<44} {outcome.step.value:<18} {outcome.status.value}"
        print(line + (f"  {outcome.error}" if outcome.error else ""))
    for problem in report.problems:
        print(f"  problem: {problem}")
    print(f"run {report.run_id}: {report.status.value} ({report.summary})")
    if report.outcomes and all(o.status == StepStatus.NOT_CONFIGURED for o in report.outcomes):
        # Nothing was carried out: a run that did no work is not a success.
        print(
            "ff: nothing was done: every step due is not configured on this host "
            "(see docs/lms-restorer.md)",
            file=sys.stderr,
        )
        return NOTHING_CONFIGURED
    return 0 if report.status not in (RunStatus.FAILED, RunStatus.BUSY) else 1


async def _execute(clients: Clients, run_id: str, show_progress: bool) -> int:
    if show_progress:
        clients.progress = Progress()
    return _print_report(await execute_run(clients, run_id))


def _run(args: argparse.Namespace) -> int:
    async def body(clients: Clients) -> int:
        run = await request_run(
            clients, mode=RunMode.MANUAL, trigger="cli", requested_by=f"cli:{getpass.getuser()}"
        )
        await _audit(clients, "run_requested", run.id)
        return await _execute(clients, run.id, not args.quiet)

    return asyncio.run(_with_clients(cli_settings(), body))


def _rerun(args: argparse.Namespace) -> int:
    async def body(clients: Clients) -> int:
        backup = await _resolve_backup(clients, args.backup)
        run = await request_run(
            clients,
            mode=RunMode.RERUN_STEP,
            trigger="cli",
            requested_by=f"cli:{getpass.getuser()}",
            backup_id=backup.id,
            step=Step(args.step),
        )
        await _audit(clients, "step_rerun_requested", backup.id, step=args.step, run_id=run.id)
        return await _execute(clients, run.id, not args.quiet)

    return asyncio.run(_with_clients(cli_settings(), body))


def _restore(args: argparse.Namespace) -> int:
    async def body(clients: Clients) -> int:
        backup = await _resolve_backup(clients, args.backup)
        await _check_archived(clients, backup)
        run = await request_run(
            clients,
            mode=RunMode.RESTORE_BACKUP,
            trigger="cli",
            requested_by=f"cli:{getpass.getuser()}",
            backup_id=backup.id,
        )
        await _audit(clients, "restore_requested", backup.id, run_id=run.id)
        return await _execute(clients, run.id, not args.quiet)

    return asyncio.run(_with_clients(cli_settings(), body))


def _rollback(_args: argparse.Namespace) -> int:
    async def body(clients: Clients) -> int:
        async with transaction(clients.pg) as conn:
            try:
                pointer = await catalogue.rollback_loanbook(
                    conn, actor=f"cli:{getpass.getuser()}", now=now_utc()
                )
            except DomainError as exc:
                raise CommandError(exc.detail) from exc
        await _audit(clients, "loanbook_rolled_back", pointer.current_database)
        print(f"the portals now read {pointer.current_database}")
        return 0

    return asyncio.run(_with_clients(cli_settings(), body))


def _list(args: argparse.Namespace) -> int:
    async def body(clients: Clients) -> int:
        async with clients.pg.acquire() as conn:
            backups = await catalogue.list_backups(conn, limit=args.limit)
            steps = await catalogue.steps_of(conn, [b.id for b in backups])
            pointer = await catalogue.current_loanbook(conn)
        print(
            f"{'backup':<44} {'taken (UTC)':<17} {'MB':>8}  " + " ".join(s.value[:9] for s in STEPS)
        )
        for backup in backups:
            states = steps[backup.id]
            cells = " ".join(f"{states[s].status.value[:9]:<9}" for s in STEPS if s in states)
            print(
                f"{backup.file_name:<44} {backup.taken_at:%Y-%m-%d %H:%M} "
                f"{backup.size_bytes / MB:8.1f}  {cells}"
            )
        if pointer is not None:
            print(
                f"\nloan book in service: {pointer.current_database}"
                f" (previous: {pointer.previous_database or 'none'})"
            )
        return 0

    return asyncio.run(_with_clients(cli_settings(), body))


def _show(args: argparse.Namespace) -> int:
    async def body(clients: Clients) -> int:
        backup = await _resolve_backup(clients, args.backup)
        async with clients.pg.acquire() as conn:
            steps = await catalogue.get_steps(conn, backup.id)
            history = await catalogue.backup_history(conn, backup.id)
        print(msgspec.json.format(msgspec.json.encode(backup)).decode())
        for step in STEPS:
            record = steps[step]
            print(
                f"  {step.value:<18} {record.status.value:<15} tries={record.attempts}"
                f" {record.duration_ms or 0:>8} ms  {record.error or ''}"
            )
        print(f"  {len(history)} step attempt(s) in its history")
        return 0

    return asyncio.run(_with_clients(cli_settings(), body))


def _runs(args: argparse.Namespace) -> int:
    async def body(clients: Clients) -> int:
        async with clients.pg.acquire() as conn:
            runs = await catalogue.list_runs(conn, limit=args.limit)
        for run in runs:
            print(
                f"{run.id}  {run.requested_at:%Y-%m-%d %H:%M:%S}  {run.mode.value:<14}"
                f" {run.status.value:<13} {run.summary or ''}"
            )
        return 0

    return asyncio.run(_with_clients(cli_settings(), body))


def _retention(args: argparse.Namespace) -> int:
    async def body(clients: Clients) -> int:
        result = await apply_retention(clients, dry_run=args.dry_run)
        verb = "would delete" if result.dry_run else "deleted"
        backups = len(result.expired_backups)
        print(f"{verb} {len(result.deleted_keys)} object(s) of {backups} backup(s)")
        for key in result.deleted_keys:
            print(f"  {key}")
        if not result.dry_run:
            await _audit(clients, "retention_applied", None, objects=len(result.deleted_keys))
        return 0

    return asyncio.run(_with_clients(cli_settings(), body))


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "lms", help="the nightly loan-book backup: run, list, restore, roll back"
    )
    commands = parser.add_subparsers(dest="lms_command", required=True, metavar="ACTION")

    run = commands.add_parser("run", help="fetch, archive, convert, restore and verify now")
    run.add_argument("--quiet", action="store_true", help="no progress bars")
    run.set_defaults(handler=_run)

    listing = commands.add_parser("list", help="backups and the state of each step")
    listing.add_argument("--limit", type=int, default=20)
    listing.set_defaults(handler=_list)

    show = commands.add_parser("show", help="one backup: checksums, files, steps, timings")
    show.add_argument("backup", help="backup id or file name")
    show.set_defaults(handler=_show)

    runs = commands.add_parser("runs", help="recent runs and their outcome")
    runs.add_argument("--limit", type=int, default=20)
    runs.set_defaults(handler=_runs)

    rerun = commands.add_parser("rerun", help="re-run a failed step of a backup, then the rest")
    rerun.add_argument("backup", help="backup id or file name")
    rerun.add_argument("step", choices=[s.value for s in STEPS])
    rerun.add_argument("--quiet", action="store_true")
    rerun.set_defaults(handler=_rerun)

    restore = commands.add_parser("restore", help="restore an archived backup into a new database")
    restore.add_argument("backup", help="backup id or file name")
    restore.add_argument("--quiet", action="store_true")
    restore.set_defaults(handler=_restore)

    rollback = commands.add_parser("rollback", help="put the previous loan book back in service")
    rollback.set_defaults(handler=_rollback)

    retention = commands.add_parser("retention", help="delete archived backups past retention")
    retention.add_argument("--dry-run", action="store_true", help="only list what would go")
    retention.set_defaults(handler=_retention)
