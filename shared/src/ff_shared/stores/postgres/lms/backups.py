"""Backups and their steps: what was found on the SFTP server and how far each step got."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from ff_shared.domain.backups.runs import Step, StepStatus, check_transition
from ff_shared.errors import IllegalTransition, NotFound
from ff_shared.stores.postgres.connection import require_transaction
from ff_shared.stores.postgres.lms.records import (
    BackupRecord,
    ConvertedFile,
    StepRecord,
    backup_from_row,
    dump_json,
    step_from_row,
)


async def get_backup(conn: asyncpg.Connection, backup_id: str) -> BackupRecord:
    row = await conn.fetchrow("select * from lms.backups where id = $1", backup_id)
    if row is None:
        raise NotFound(f"no backup {backup_id}")
    return backup_from_row(row)


async def find_backup(conn: asyncpg.Connection, file_name: str) -> BackupRecord | None:
    row = await conn.fetchrow("select * from lms.backups where file_name = $1", file_name)
    return None if row is None else backup_from_row(row)


async def known_file_names(conn: asyncpg.Connection) -> set[str]:
    return {r["file_name"] for r in await conn.fetch("select file_name from lms.backups")}


async def add_backup(
    conn: asyncpg.Connection,
    *,
    file_name: str,
    remote_path: str,
    size_bytes: int,
    remote_modified_at: datetime,
    taken_at: datetime,
    now: datetime,
) -> BackupRecord:
    """Catalogue a newly seen backup with every step pending (a second call returns the first)."""
    require_transaction(conn)
    backup_id = str(uuid.uuid4())
    row = await conn.fetchrow(
        """
        insert into lms.backups
            (id, file_name, remote_path, size_bytes, remote_modified_at, taken_at, discovered_at)
        values ($1, $2, $3, $4, $5, $6, $7)
        on conflict (file_name) do nothing
        returning *
        """,
        backup_id,
        file_name,
        remote_path,
        size_bytes,
        remote_modified_at,
        taken_at,
        now,
    )
    if row is None:
        existing = await find_backup(conn, file_name)
        assert existing is not None
        return existing
    await conn.executemany(
        "insert into lms.backup_steps (backup_id, step, status) values ($1, $2, 'pending')",
        [(backup_id, step.value) for step in Step],
    )
    return backup_from_row(row)


async def list_backups(
    conn: asyncpg.Connection, *, limit: int, before: datetime | None = None
) -> list[BackupRecord]:
    rows = await conn.fetch(
        """
        select * from lms.backups
        where $1::timestamptz is null or taken_at < $1
        order by taken_at desc, id desc
        limit $2
        """,
        before,
        limit,
    )
    return [backup_from_row(r) for r in rows]


async def unfinished_backups(conn: asyncpg.Connection) -> list[BackupRecord]:
    """Backups with a step not yet succeeded (oldest first), whose archive is not deleted."""
    rows = await conn.fetch(
        """
        select b.* from lms.backups b
        where b.archive_deleted_at is null
          and exists (
            select 1 from lms.backup_steps s
            where s.backup_id = b.id and s.status in ('pending', 'running', 'failed',
                                                      'not_configured'))
        order by b.taken_at, b.id
        """
    )
    return [backup_from_row(r) for r in rows]


async def set_fetched(
    conn: asyncpg.Connection, backup_id: str, *, sha256: str, published_checksum: str | None
) -> None:
    await conn.execute(
        "update lms.backups set sha256 = $2, published_checksum = $3 where id = $1",
        backup_id,
        sha256,
        published_checksum,
    )


async def set_original_key(conn: asyncpg.Connection, backup_id: str, key: str) -> None:
    await conn.execute("update lms.backups set original_key = $2 where id = $1", backup_id, key)


async def set_converted(
    conn: asyncpg.Connection,
    backup_id: str,
    *,
    files: Sequence[ConvertedFile],
    database_version: int | None,
) -> None:
    await conn.execute(
        "update lms.backups set converted_files = $2::jsonb, database_version = $3 where id = $1",
        backup_id,
        dump_json(list(files)),
        database_version,
    )


async def get_steps(conn: asyncpg.Connection, backup_id: str) -> dict[Step, StepRecord]:
    rows = await conn.fetch("select * from lms.backup_steps where backup_id = $1", backup_id)
    return {Step(r["step"]): step_from_row(r) for r in rows}


async def steps_of(
    conn: asyncpg.Connection, backup_ids: Sequence[str]
) -> dict[str, dict[Step, StepRecord]]:
    rows = await conn.fetch(
        "select * from lms.backup_steps where backup_id = any($1::text[])", list(backup_ids)
    )
    out: dict[str, dict[Step, StepRecord]] = {b: {} for b in backup_ids}
    for r in rows:
        out[r["backup_id"]][Step(r["step"])] = step_from_row(r)
    return out


async def start_step(
    conn: asyncpg.Connection, backup_id: str, step: Step, *, run_id: str, now: datetime
) -> int:
    """Mark ``step`` running for ``run_id``; return the run-step history row's id."""
    require_transaction(conn)
    row = await conn.fetchrow(
        "select status from lms.backup_steps where backup_id = $1 and step = $2 for update",
        backup_id,
        step.value,
    )
    if row is None:
        raise NotFound(f"backup {backup_id} has no step {step}")
    check_transition(step, StepStatus(row["status"]), StepStatus.RUNNING)
    await conn.execute(
        """
        update lms.backup_steps
        set status = 'running', attempts = attempts + 1, run_id = $3, started_at = $4,
            finished_at = null, duration_ms = null, error = null
        where backup_id = $1 and step = $2
        """,
        backup_id,
        step.value,
        run_id,
        now,
    )
    run_step_id: int = await conn.fetchval(
        """
        insert into lms.run_steps (run_id, backup_id, step, status, started_at)
        values ($1, $2, $3, 'running', $4) returning id
        """,
        run_id,
        backup_id,
        step.value,
        now,
    )
    return run_step_id


async def finish_step(
    conn: asyncpg.Connection,
    backup_id: str,
    step: Step,
    *,
    run_step_id: int,
    status: StepStatus,
    now: datetime,
    detail: dict[str, Any] | None = None,
    error: str | None = None,
    size_bytes: int | None = None,
) -> None:
    require_transaction(conn)
    row = await conn.fetchrow(
        "select status, started_at from lms.backup_steps"
        " where backup_id = $1 and step = $2 for update",
        backup_id,
        step.value,
    )
    if row is None:
        raise NotFound(f"backup {backup_id} has no step {step}")
    check_transition(step, StepStatus(row["status"]), status)
    started: datetime | None = row["started_at"]
    duration_ms = int((now - started).total_seconds() * 1000) if started else None
    await conn.execute(
        """
        update lms.backup_steps
        set status = $3, finished_at = $4, duration_ms = $5, detail = $6::jsonb, error = $7,
            size_bytes = $8
        where backup_id = $1 and step = $2
        """,
        backup_id,
        step.value,
        status.value,
        now,
        duration_ms,
        dump_json(detail or {}),
        error,
        size_bytes,
    )
    await conn.execute(
        """
        update lms.run_steps
        set status = $2, finished_at = $3, duration_ms = $4, detail = $5::jsonb, error = $6,
            size_bytes = $7
        where id = $1
        """,
        run_step_id,
        status.value,
        now,
        duration_ms,
        dump_json(detail or {}),
        error,
        size_bytes,
    )


async def set_step_detail(
    conn: asyncpg.Connection, backup_id: str, step: Step, detail: dict[str, Any]
) -> None:
    """Note progress of a running step (an RDS task id) so a run that dies can be followed up."""
    await conn.execute(
        "update lms.backup_steps set detail = $3::jsonb"
        " where backup_id = $1 and step = $2 and status = 'running'",
        backup_id,
        step.value,
        dump_json(detail),
    )


async def skip_steps(
    conn: asyncpg.Connection, backup_id: str, steps: Sequence[Step], *, reason: str
) -> None:
    """Mark steps that will not run for this backup (a newer backup is restored instead)."""
    await conn.execute(
        """
        update lms.backup_steps set status = 'skipped', error = null,
            detail = jsonb_build_object('reason', $3::text)
        where backup_id = $1 and step = any($2::text[]) and status in ('pending', 'failed',
                                                                       'not_configured')
        """,
        backup_id,
        [s.value for s in steps],
        reason,
    )


async def reset_steps(
    conn: asyncpg.Connection, backup_id: str, steps: Sequence[Step], *, allow_succeeded: bool
) -> None:
    """Send steps back to pending with a fresh attempt count (an operator's re-run)."""
    require_transaction(conn)
    current = await get_steps(conn, backup_id)
    for step in steps:
        record = current.get(step)
        if record is None:
            raise NotFound(f"backup {backup_id} has no step {step}")
        if record.status == StepStatus.RUNNING:
            raise IllegalTransition(f"step {step} is running now; wait for its run to end")
        if record.status == StepStatus.SUCCEEDED and not allow_succeeded:
            raise IllegalTransition(f"step {step} already succeeded; there is nothing to re-run")
    await conn.execute(
        """
        update lms.backup_steps set status = 'pending', attempts = 0, error = null
        where backup_id = $1 and step = any($2::text[])
        """,
        backup_id,
        [s.value for s in steps],
    )


async def interrupted_steps(conn: asyncpg.Connection) -> list[StepRecord]:
    """Steps left ``running`` (only meaningful while holding the run lock: no run is alive)."""
    rows = await conn.fetch("select * from lms.backup_steps where status = 'running'")
    return [step_from_row(r) for r in rows]
