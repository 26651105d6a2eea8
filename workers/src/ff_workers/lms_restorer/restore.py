"""Restoring a converted backup into SQL Server, in one of two modes.

- ``rds``: Amazon RDS native restore straight from the S3 archive
  (``msdb.dbo.rds_restore_database``), then ``msdb.dbo.rds_task_status`` polled through its
  lifecycle until SUCCESS, ERROR (reason in ``task_info``) or CANCELLED, with a timeout that asks
  RDS to cancel the task.
- ``disk``: ``RESTORE DATABASE ... FROM DISK`` on a self-hosted server, every file of a striped
  set at once, each logical file moved to a name of the new database.

Both restore into a new dated database; the loan book in service is untouched until the new one
verifies. Every statement goes through :class:`SqlServerRestorer`, the one boundary with the
server (the tests capture statements there; production sends them over ODBC).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import pyodbc
import structlog

from ff_shared.clock import now_utc
from ff_shared.domain.backups.files import converted_prefix, restore_database_name
from ff_shared.domain.backups.rds import (
    RDS_MAX_FILES,
    RdsLifecycle,
    RdsOutcome,
    UnexpectedRdsState,
    rds_outcome,
    rds_s3_arn,
)
from ff_shared.domain.backups.runs import Step, StepStatus
from ff_shared.integrations.aws.s3_archive import download_file
from ff_shared.logging import scrub_text
from ff_shared.stores.postgres import lms as catalogue
from ff_shared.stores.postgres.lms import BackupRecord, StepRecord
from ff_workers.lms_restorer.context import Clients, StepDone, StepFailed, StepNotConfigured
from ff_workers.lms_restorer.sqlserver import (
    RestoreFailed,
    Row,
    SqlServerRestorer,
    database_exists,
    quote_literal,
    quote_name,
)

log = structlog.get_logger()


def _join(directory: str, name: str) -> str:
    sep = "\\" if "\\" in directory else "/"
    return directory.rstrip("\\/") + sep + name


# RDS native restore

RDS_RESTORE = "exec msdb.dbo.rds_restore_database @restore_db_name=?, @s3_arn_to_restore_from=?"
RDS_STATUS = "exec msdb.dbo.rds_task_status @task_id=?"
RDS_STATUS_BY_DB = "exec msdb.dbo.rds_task_status @db_name=?"
RDS_CANCEL = "exec msdb.dbo.rds_cancel_task @task_id=?"


def _field(row: Row, *names: str) -> Any:
    lowered = {k.lower(): v for k, v in row.items()}
    for name in names:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None


async def rds_start(
    server: SqlServerRestorer, *, database: str, s3_arn: str, file_count: int
) -> int:
    """Ask RDS to restore; return the task id it answers with."""
    if file_count > RDS_MAX_FILES:
        raise RestoreFailed(
            f"RDS restores at most {RDS_MAX_FILES} files at once; this set has {file_count}"
        )
    rows = await server.run(RDS_RESTORE, (database, s3_arn))
    task_id = _field(rows[0], "task_id") if rows else None
    if task_id is None:
        raise RestoreFailed("RDS accepted the restore but returned no task id")
    return int(task_id)


async def rds_existing_task(server: SqlServerRestorer, database: str) -> int | None:
    """A restore task RDS already has for ``database`` (a run killed while polling)."""
    rows = await server.run(RDS_STATUS_BY_DB, (database,))
    tasks = [r for r in rows if str(_field(r, "task_type") or "").upper().startswith("RESTORE")]
    if not tasks:
        return None
    return int(max(int(_field(r, "task_id")) for r in tasks))


async def rds_wait(
    server: SqlServerRestorer,
    *,
    task_id: int,
    poll_seconds: float,
    timeout_seconds: float,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
    on_status: Callable[[Row], Awaitable[None]] | None = None,
) -> Row:
    """Poll the task until it ends; return its last status row, or raise :class:`RestoreFailed`.

    On timeout, RDS is asked to cancel the task and the step fails: a restore that takes far
    longer than usual is itself a finding worth an operator's look.
    """
    deadline = clock() + timeout_seconds
    previous: RdsLifecycle | None = None
    while True:
        rows = await server.run(RDS_STATUS, (task_id,))
        if not rows:
            raise RestoreFailed(f"RDS has no task {task_id}", {"task_id": task_id})
        row = rows[0]
        try:
            lifecycle, outcome = rds_outcome(previous, str(_field(row, "lifecycle") or ""))
        except UnexpectedRdsState as exc:
            raise RestoreFailed(str(exc), {"task_id": task_id}) from exc
        if lifecycle != previous:
            log.info(
                "rds_restore_task_changed",
                task_id=task_id,
                lifecycle=lifecycle.value,
                percent=_field(row, "% complete", "percent_complete"),
            )
            if on_status is not None:
                await on_status(row)
        previous = lifecycle
        info = str(_field(row, "task_info") or "").strip()
        detail = {"task_id": task_id, "lifecycle": lifecycle.value, "task_info": info}
        if outcome == RdsOutcome.SUCCEEDED:
            return row
        if outcome == RdsOutcome.FAILED:
            raise RestoreFailed(f"RDS restore task {task_id} failed: {info or 'no reason'}", detail)
        if outcome == RdsOutcome.CANCELLED:
            raise RestoreFailed(f"RDS restore task {task_id} was cancelled", detail)
        if clock() >= deadline:
            await server.run(RDS_CANCEL, (task_id,))
            log.warning("rds_restore_cancel_requested", task_id=task_id)
            raise RestoreFailed(
                f"RDS restore task {task_id} did not finish within {timeout_seconds:.0f}s;"
                " cancellation requested",
                {**detail, "cancel_requested": True},
            )
        await sleep(poll_seconds)


# RESTORE DATABASE ... FROM DISK

FILELIST = "RESTORE FILELISTONLY FROM {disks}"
DEFAULT_PATHS = (
    "SELECT CAST(SERVERPROPERTY('InstanceDefaultDataPath') AS nvarchar(4000)) AS data_path,"
    " CAST(SERVERPROPERTY('InstanceDefaultLogPath') AS nvarchar(4000)) AS log_path"
)


def _disks(paths: Sequence[str]) -> str:
    return ", ".join(f"DISK = {quote_literal(p)}" for p in paths)


def restore_statement(
    database: str,
    paths: Sequence[str],
    files: Sequence[Row],
    *,
    data_dir: str,
    log_dir: str,
) -> str:
    """``RESTORE DATABASE [db] FROM DISK = ..., DISK = ... WITH MOVE ..., RECOVERY``: every
    logical file moved to a physical name of the new database, so it sits beside the one in
    service rather than over it."""
    moves: list[str] = []
    data_count = 0
    for row in files:
        logical = str(_field(row, "LogicalName"))
        kind = str(_field(row, "Type") or "D").upper()
        if kind == "L":
            target = _join(log_dir, f"{database}_{logical}.ldf")
        else:
            data_count += 1
            ext = ".mdf" if data_count == 1 else ".ndf"
            target = _join(data_dir, f"{database}_{logical}{ext}")
        moves.append(f"MOVE {quote_literal(logical)} TO {quote_literal(target)}")
    with_clause = ", ".join([*moves, "CHECKSUM", "RECOVERY", "STATS = 10"])
    return f"RESTORE DATABASE {quote_name(database)} FROM {_disks(paths)} WITH {with_clause}"


async def disk_restore(
    server: SqlServerRestorer,
    *,
    database: str,
    paths: Sequence[str],
    data_dir: str | None,
    log_dir: str | None,
) -> dict[str, Any]:
    files = await server.run(FILELIST.format(disks=_disks(paths)))
    if not files:
        raise RestoreFailed("RESTORE FILELISTONLY listed no files in the backup set")
    if data_dir is None or log_dir is None:
        defaults = (await server.run(DEFAULT_PATHS))[0]
        data_dir = data_dir or str(_field(defaults, "data_path") or "")
        log_dir = log_dir or str(_field(defaults, "log_path") or "") or data_dir
        if not data_dir:
            raise RestoreFailed(
                "the server reports no default data path: set FF_LMS_RESTORE_DATA_DIRECTORY"
            )
    statement = restore_statement(database, paths, files, data_dir=data_dir, log_dir=log_dir)
    await server.run(statement)
    return {"logical_files": [str(_field(r, "LogicalName")) for r in files]}


# The step


async def _record_progress(clients: Clients, backup_id: str, detail: dict[str, Any]) -> None:
    async with clients.pg.acquire() as conn:
        await catalogue.set_step_detail(conn, backup_id, Step.RESTORE, detail)


async def _new_database_name(
    clients: Clients, server: SqlServerRestorer, backup: BackupRecord
) -> str:
    for attempt in range(1, 100):
        name = restore_database_name(
            clients.lms.restore_database_prefix, backup.taken_at, attempt=attempt
        )
        if not await database_exists(server, name):
            return name
    raise RestoreFailed("no free database name for this backup after 99 tries")


def _reporter(clients: Clients, what: str) -> Callable[[int, int], None]:
    return lambda done, total: clients.report(what, done, total)


async def _disk_paths(clients: Clients, backup: BackupRecord) -> list[str]:
    lms = clients.lms
    stem = Path(backup.file_name).stem
    if lms.restore_disk_directory:
        return [
            _join(_join(lms.restore_disk_directory, stem), f.name) for f in backup.converted_files
        ]
    directory = clients.converted_dir(backup.file_name)
    paths: list[str] = []
    for converted in backup.converted_files:
        path = directory / converted.name
        if not await asyncio.to_thread(path.exists):
            if converted.key is None:
                raise RestoreFailed(f"{converted.name} is neither on disk nor archived")
            await download_file(
                clients.s3,
                bucket=lms.bucket,
                key=converted.key,
                path=path,
                progress=_reporter(clients, f"fetch {converted.name}"),
            )
        paths.append(str(path))
    return paths


async def restore(clients: Clients, backup: BackupRecord, previous: StepRecord) -> StepDone:
    lms = clients.lms
    if lms.restore_mode == "none" or clients.restorer is None:
        raise StepNotConfigured(
            "no SQL Server is configured for restores (FF_LMS_RESTORE_MODE=none or no"
            " FF_LMS_SQLSERVER_CONNECTION_STRING): nothing was restored and the loan book in"
            " service is unchanged"
        )
    if not backup.converted_files or any(f.key is None for f in backup.converted_files):
        raise StepFailed("the converted files are not archived yet: run archive_converted first")
    sleep = clients.sleep or asyncio.sleep
    try:
        async with clients.restorer() as server:
            if lms.restore_mode == "rds":
                detail = await _restore_rds(clients, server, backup, previous, sleep)
            else:
                database = await _new_database_name(clients, server, backup)
                await _record_progress(clients, backup.id, {"database": database, "mode": "disk"})
                paths = await _disk_paths(clients, backup)
                extra = await disk_restore(
                    server,
                    database=database,
                    paths=paths,
                    data_dir=lms.restore_data_directory,
                    log_dir=lms.restore_data_directory,
                )
                detail = {"database": database, "mode": "disk", "files": paths, **extra}
    except RestoreFailed as exc:
        raise StepFailed(str(exc), exc.detail) from exc
    except pyodbc.Error as exc:
        raise StepFailed(
            f"the restore target refused: {scrub_text(str(exc.args[-1]) if exc.args else '')}"
        ) from exc
    async with clients.pg.acquire() as conn:
        await catalogue.record_restore(
            conn,
            database_name=detail["database"],
            backup_id=backup.id,
            run_id=previous.run_id or "",
            mode=lms.restore_mode,
            now=now_utc(),
        )
    log.info("lms_backup_restored", backup_id=backup.id, database=detail["database"])
    return StepDone(detail=detail, size_bytes=sum(f.size_bytes for f in backup.converted_files))


async def _restore_rds(
    clients: Clients,
    server: SqlServerRestorer,
    backup: BackupRecord,
    previous: StepRecord,
    sleep: Callable[[float], Awaitable[Any]],
) -> dict[str, Any]:
    lms = clients.lms
    keys = [f.key for f in backup.converted_files if f.key]
    arn = rds_s3_arn(
        lms.bucket, keys, converted_prefix(backup.taken_at, Path(backup.file_name).stem)
    )
    database = previous.detail.get("database")
    task_id: int | None = None
    if previous.status == StepStatus.RUNNING and isinstance(database, str):
        # A run died while RDS worked: follow the task it started instead of starting another.
        task_id = previous.detail.get("task_id") or await rds_existing_task(server, database)
    if task_id is None:
        database = await _new_database_name(clients, server, backup)
        task_id = await rds_start(server, database=database, s3_arn=arn, file_count=len(keys))
        log.info("rds_restore_requested", database=database, task_id=task_id, files=len(keys))
    else:
        log.info("rds_restore_resumed", database=database, task_id=task_id)
    assert isinstance(database, str)
    detail: dict[str, Any] = {
        "database": database,
        "mode": "rds",
        "task_id": task_id,
        "s3_arn": arn,
    }
    await _record_progress(clients, backup.id, detail)

    async def on_status(row: Row) -> None:
        await _record_progress(
            clients, backup.id, {**detail, "lifecycle": str(_field(row, "lifecycle"))}
        )

    final = await rds_wait(
        server,
        task_id=task_id,
        poll_seconds=lms.restore_poll_seconds,
        timeout_seconds=lms.restore_timeout_seconds,
        sleep=sleep,
        on_status=on_status,
    )
    return {**detail, "lifecycle": str(_field(final, "lifecycle"))}
