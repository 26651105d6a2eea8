"""Runs: who asked for what, when, and how it ended, with the steps each run carried out."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg
import msgspec

from ff_shared.domain.backups.runs import RunMode, RunStatus, Step
from ff_shared.errors import Conflict, NotFound
from ff_shared.stores.postgres.lms.records import RunRecord, RunStepRecord, run_step_from_row


async def create_run(
    conn: asyncpg.Connection,
    *,
    mode: RunMode,
    trigger: str,
    now: datetime,
    requested_by: str | None = None,
    requested_role: str | None = None,
    request_id: str | None = None,
    backup_id: str | None = None,
    step: Step | None = None,
) -> RunRecord:
    row = await conn.fetchrow(
        """
        insert into lms.runs (id, mode, status, trigger, requested_by, requested_role,
                              request_id, backup_id, step, requested_at)
        values ($1, $2, 'queued', $3, $4, $5, $6, $7, $8, $9)
        returning *
        """,
        str(uuid.uuid4()),
        mode.value,
        trigger,
        requested_by,
        requested_role,
        request_id,
        backup_id,
        step.value if step else None,
        now,
    )
    assert row is not None
    return msgspec.convert(dict(row), RunRecord)


async def get_run(conn: asyncpg.Connection, run_id: str) -> RunRecord:
    row = await conn.fetchrow("select * from lms.runs where id = $1", run_id)
    if row is None:
        raise NotFound(f"no run {run_id}")
    return msgspec.convert(dict(row), RunRecord)


async def list_runs(
    conn: asyncpg.Connection, *, limit: int, before: datetime | None = None
) -> list[RunRecord]:
    rows = await conn.fetch(
        """
        select * from lms.runs where $1::timestamptz is null or requested_at < $1
        order by requested_at desc, id desc limit $2
        """,
        before,
        limit,
    )
    return [msgspec.convert(dict(r), RunRecord) for r in rows]


async def start_run(conn: asyncpg.Connection, run_id: str, *, now: datetime) -> None:
    status = await conn.fetchval(
        "update lms.runs set status = 'running', started_at = $2 where id = $1"
        " and status in ('queued', 'running') returning status",
        run_id,
        now,
    )
    if status is None:
        raise Conflict(f"run {run_id} has already finished")


async def finish_run(
    conn: asyncpg.Connection,
    run_id: str,
    *,
    status: RunStatus,
    now: datetime,
    summary: str,
    error: str | None = None,
) -> None:
    await conn.execute(
        """
        update lms.runs set status = $2, finished_at = $3, summary = $4, error = $5,
            started_at = coalesce(started_at, $3)
        where id = $1
        """,
        run_id,
        status.value,
        now,
        summary,
        error,
    )


async def set_run_alert(conn: asyncpg.Connection, run_id: str, message_id: str) -> None:
    await conn.execute(
        "update lms.runs set alert_message_id = $2 where id = $1", run_id, message_id
    )


async def close_abandoned_runs(conn: asyncpg.Connection, *, keep: str, now: datetime) -> int:
    """Runs still marked running whose process died (called while holding the run lock)."""
    result: str = await conn.execute(
        """
        update lms.runs set status = 'failed', finished_at = $2,
            error = 'the run stopped before finishing (process killed or lost)'
        where status = 'running' and id <> $1
        """,
        keep,
        now,
    )
    return int(result.split()[-1])


async def run_steps(conn: asyncpg.Connection, run_ids: Sequence[str]) -> list[RunStepRecord]:
    rows = await conn.fetch(
        "select * from lms.run_steps where run_id = any($1::text[]) order by id", list(run_ids)
    )
    return [run_step_from_row(r) for r in rows]


async def backup_history(conn: asyncpg.Connection, backup_id: str) -> list[RunStepRecord]:
    rows = await conn.fetch(
        "select * from lms.run_steps where backup_id = $1 order by id", backup_id
    )
    return [run_step_from_row(r) for r in rows]
