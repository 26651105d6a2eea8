"""Archive runs and the discovery watermark: what each run set out to do and how it ended."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

import asyncpg

from ff_shared.stores.postgres.obv.records import Outcome, RunCounts, RunRecord, RunStatus, Trigger

WATERMARK = "dynamics_applications"


async def read_watermark(conn: asyncpg.Connection) -> datetime | None:
    value: datetime | None = await conn.fetchval(
        "select modified_on from obv.watermark where name = $1", WATERMARK
    )
    return value


async def advance_watermark(
    conn: asyncpg.Connection, modified_on: datetime, *, run_id: UUID | None, now: datetime
) -> datetime:
    """Move the watermark forward to ``modified_on`` (never backwards); returns where it is."""
    value: datetime = await conn.fetchval(
        """
        insert into obv.watermark (name, modified_on, run_id, updated_at)
        values ($1, $2, $3, $4)
        on conflict (name) do update set
            modified_on = greatest(obv.watermark.modified_on, excluded.modified_on),
            run_id = case when excluded.modified_on > obv.watermark.modified_on
                          then excluded.run_id else obv.watermark.run_id end,
            updated_at = excluded.updated_at
        returning modified_on
        """,
        WATERMARK,
        modified_on,
        run_id,
        now,
    )
    return value


async def start_run(
    conn: asyncpg.Connection,
    *,
    run_id: UUID,
    trigger: Trigger,
    started_at: datetime,
    since: datetime | None,
    reference: str | None,
    watermark_before: datetime | None,
) -> None:
    await conn.execute(
        """
        insert into obv.archive_runs
            (run_id, trigger, started_at, status, since, reference, watermark_before, backend_pid)
        values ($1, $2, $3, 'running', $4, $5, $6, pg_backend_pid())
        """,
        run_id,
        trigger,
        started_at,
        since,
        reference,
        watermark_before,
    )


async def abandon_dead_runs(conn: asyncpg.Connection, *, now: datetime) -> int:
    """Runs still marked running whose process's connection is gone (killed) become abandoned."""
    result: str = await conn.execute(
        """
        update obv.archive_runs r set status = 'abandoned', finished_at = $1,
            error = coalesce(error, 'the archiver stopped before finishing the run')
        where r.status = 'running'
          and not exists (select 1 from pg_stat_activity a where a.pid = r.backend_pid)
        """,
        now,
    )
    return int(result.split()[-1])


async def note_found(
    conn: asyncpg.Connection, run_id: UUID, *, discovered: int, found: int
) -> None:
    """What the run set out to do, recorded before it does it (a killed run still shows it)."""
    await conn.execute(
        "update obv.archive_runs set discovered = $2, found = $3 where run_id = $1",
        run_id,
        discovered,
        found,
    )


async def finish_run(
    conn: asyncpg.Connection,
    run_id: UUID,
    *,
    status: RunStatus,
    finished_at: datetime,
    discovered: int,
    found: int,
    watermark_after: datetime | None,
    error: str | None,
) -> RunRecord:
    """Close the run. Per-application counters were added as each application committed."""
    row = await conn.fetchrow(
        """
        update obv.archive_runs set status = $2, finished_at = $3, discovered = $4, found = $5,
            watermark_after = $6, error = $7
        where run_id = $1
        returning *
        """,
        run_id,
        status,
        finished_at,
        discovered,
        found,
        watermark_after,
        error,
    )
    assert row is not None
    return _run_record(row)


async def fail_run(conn: asyncpg.Connection, run_id: UUID, *, error: str, now: datetime) -> None:
    """A run that stopped on an unexpected error, if it is still marked running."""
    await conn.execute(
        "update obv.archive_runs set status = 'failed', finished_at = $2, error = $3"
        " where run_id = $1 and status = 'running'",
        run_id,
        now,
        error,
    )


def _run_record(row: asyncpg.Record) -> RunRecord:
    return RunRecord(
        run_id=row["run_id"],
        trigger=row["trigger"],
        status=row["status"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        since=row["since"],
        reference=row["reference"],
        watermark_before=row["watermark_before"],
        watermark_after=row["watermark_after"],
        error=row["error"],
        counts=RunCounts(
            discovered=row["discovered"],
            found=row["found"],
            archived=row["archived"],
            unchanged=row["unchanged"],
            quarantined=row["quarantined"],
            failed=row["failed"],
            skipped=row["skipped"],
            transactions_archived=row["transactions_archived"],
        ),
    )


async def get_run(conn: asyncpg.Connection, run_id: UUID) -> RunRecord | None:
    row = await conn.fetchrow("select * from obv.archive_runs where run_id = $1", run_id)
    return _run_record(row) if row is not None else None


async def recent_runs(conn: asyncpg.Connection, limit: int = 10) -> list[RunRecord]:
    rows = await conn.fetch(
        "select * from obv.archive_runs order by started_at desc limit $1", limit
    )
    return [_run_record(r) for r in rows]


async def count_outcome(
    conn: asyncpg.Connection, run_id: UUID, outcome: Outcome | Literal["skipped"], *, tx: int = 0
) -> None:
    """Add one application's outcome to its run (in the application's own transaction)."""
    column = {
        "archived": "archived",
        "unchanged": "unchanged",
        "quarantined": "quarantined",
        "failed": "failed",
        "skipped": "skipped",
    }[outcome]
    await conn.execute(
        f"update obv.archive_runs set {column} = {column} + 1,"
        " transactions_archived = transactions_archived + $2 where run_id = $1",
        run_id,
        tx,
    )
