"""PostgreSQL for the financial data platform: its run reports (schema ``adp``) and the journey
tracker's first touch of each application (schema ``tracker``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import asyncpg
import msgspec

from ff_shared.adp.runs import CheckResult, RunReport
from ff_shared.adp.sources import JourneyRow

_RUN_COLUMNS = (
    "run_id, run_date, trigger, status, started_at, finished_at, duration_seconds, rows_in,"
    " rows_out, rows_rejected, checks, error, manifest_key"
)


async def journeys(conn: asyncpg.Connection, application_ids: Sequence[str]) -> list[JourneyRow]:
    """The tracked session that made each application, when the tracker saw one. A database
    without the tracker's schema (it is deployed separately) has none."""
    try:
        rows = await conn.fetch(
            """
            select distinct on (application_id) application_id, source, utm_medium, referrer_host
            from tracker.sessions
            where application_id = any($1::text[])
            order by application_id, first_seen
            """,
            list(application_ids),
        )
    except asyncpg.exceptions.UndefinedTableError:
        return []
    return [
        JourneyRow(
            application_id=r["application_id"],
            source=r["source"],
            utm_medium=r["utm_medium"],
            referrer_host=r["referrer_host"],
        )
        for r in rows
    ]


def _json(value: Any) -> str:
    return msgspec.json.encode(value).decode()


async def save_run(conn: asyncpg.Connection, report: RunReport) -> None:
    """Insert or replace the run's row (a run writes it when it starts and when it ends)."""
    await conn.execute(
        f"""
        insert into adp.runs ({_RUN_COLUMNS})
        values ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10::jsonb, $11::jsonb, $12, $13)
        on conflict (run_id) do update set
            status = excluded.status, finished_at = excluded.finished_at,
            duration_seconds = excluded.duration_seconds, rows_in = excluded.rows_in,
            rows_out = excluded.rows_out, rows_rejected = excluded.rows_rejected,
            checks = excluded.checks, error = excluded.error, manifest_key = excluded.manifest_key
        """,
        report.run_id,
        report.run_date,
        report.trigger,
        report.status,
        report.started_at,
        report.finished_at,
        report.duration_seconds,
        _json(report.rows_in),
        _json(report.rows_out),
        _json(report.rows_rejected),
        _json(report.checks),
        report.error,
        report.manifest_key,
    )


def _report(row: asyncpg.Record) -> RunReport:
    return RunReport(
        run_id=row["run_id"],
        run_date=row["run_date"],
        trigger=row["trigger"],
        status=row["status"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        duration_seconds=row["duration_seconds"],
        rows_in=json.loads(row["rows_in"]),
        rows_out=json.loads(row["rows_out"]),
        rows_rejected=json.loads(row["rows_rejected"]),
        checks=msgspec.json.decode(row["checks"], type=tuple[CheckResult, ...]),
        error=row["error"],
        manifest_key=row["manifest_key"],
    )


async def list_runs(conn: asyncpg.Connection, *, limit: int = 50) -> list[RunReport]:
    """Newest first."""
    rows = await conn.fetch(
        f"select {_RUN_COLUMNS} from adp.runs order by started_at desc limit $1", limit
    )
    return [_report(r) for r in rows]


async def get_run(conn: asyncpg.Connection, run_id: str) -> RunReport | None:
    row = await conn.fetchrow(f"select {_RUN_COLUMNS} from adp.runs where run_id = $1", run_id)
    return None if row is None else _report(row)


SESSION_SEED_COLUMNS = (
    "session_id",
    "origin_at",
    "origin_event_id",
    "environment",
    "form",
    "anonymous_id",
    "first_seen",
    "last_seen",
    "events",
    "furthest_step_index",
    "submitted_at",
    "application_at",
    "application_id",
    "source",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "referrer_host",
    "device",
)


async def insert_sessions(conn: asyncpg.Connection, rows: Sequence[tuple[Any, ...]]) -> bool:
    """Tracked sessions for the demo portfolio; False when the tracker's schema is absent."""
    try:
        await conn.copy_records_to_table(
            "sessions", schema_name="tracker", records=rows, columns=list(SESSION_SEED_COLUMNS)
        )
    except asyncpg.exceptions.UndefinedTableError:
        return False
    return True
