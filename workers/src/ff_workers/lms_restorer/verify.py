"""Step 6, verify: configurable checks against the restored database, through the loan book's
own ODBC connection (SQL Server in production, PostgreSQL through psqlODBC locally and in tests).

Required tables present; each one's row count within a tolerance of the previous verified
restore; the newest transaction recent enough; and ``DBCC CHECKDB`` where the server has it
(SQL Server). A failed check fails the step: the loan book in service stays in service.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import aioodbc
import pyodbc
import structlog

from ff_shared.clock import now_utc
from ff_shared.domain.backups.checks import (
    CheckOutcome,
    CheckResult,
    check_freshness,
    check_required_tables,
    check_row_counts,
    verified,
)
from ff_shared.logging import scrub_text
from ff_shared.stores.loanbook.connection import (
    LoanBookUnavailable,
    connect,
    dialect_of,
    with_database,
)
from ff_shared.stores.postgres import lms as catalogue
from ff_shared.stores.postgres.lms import BackupRecord
from ff_workers.lms_restorer.context import Clients, StepDone, StepFailed

log = structlog.get_logger()

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


def _identifier(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise StepFailed(f"{name!r} is not a plain table or column name")
    return name


def required_tables(setting: str) -> list[str]:
    return [_identifier(t.strip()) for t in setting.split(",") if t.strip()]


async def _scalar(conn: aioodbc.Connection, sql: str) -> Any:
    async with conn.cursor() as cur:
        await cur.execute(sql)
        row = await cur.fetchone()
    return None if row is None else row[0]


async def _tables(conn: aioodbc.Connection) -> set[str]:
    async with conn.cursor() as cur:
        await cur.execute(
            "SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_TYPE = 'BASE TABLE'"
        )
        return {str(r[0]) for r in await cur.fetchall()}


def _as_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


async def run_checks(clients: Clients, database: str) -> tuple[list[CheckResult], dict[str, int]]:
    lms = clients.lms
    connection_string = with_database(clients.settings.loanbook.connection_string, database)
    required = required_tables(lms.verify_required_tables)
    try:
        conn = await connect(connection_string, login_timeout=15)
    except LoanBookUnavailable as exc:
        raise StepFailed(f"the restored database {database} did not accept a connection") from exc
    results: list[CheckResult] = []
    counts: dict[str, int] = {}
    try:
        present = await _tables(conn)
        results.append(check_required_tables(required, present))
        lowered = {t.lower() for t in present}
        for table in required:
            if table.lower() in lowered:
                counts[table] = int(await _scalar(conn, f"SELECT COUNT(*) FROM {table}"))
        async with clients.pg.acquire() as pg:
            previous = await catalogue.previous_row_counts(pg, excluding=database)
        check = check_row_counts(
            previous[1] if previous else None, counts, lms.verify_row_count_tolerance_percent
        )
        if previous is not None:
            check = CheckResult(
                name=check.name, outcome=check.outcome, detail=f"{check.detail} ({previous[0]})"
            )
        results.append(check)
        table = _identifier(lms.verify_transactions_table)
        column = _identifier(lms.verify_transaction_date_column)
        if table.lower() in lowered:
            newest = _as_date(await _scalar(conn, f"SELECT MAX({column}) FROM {table}"))
            results.append(
                check_freshness(newest, now_utc().date(), lms.verify_max_transaction_age_days)
            )
        else:
            results.append(
                CheckResult(
                    name="newest_transaction",
                    outcome=CheckOutcome.FAILED,
                    detail=f"no {table} table",
                )
            )
        results.append(await _checkdb(conn, connection_string, database, lms.verify_checkdb))
    except pyodbc.Error as exc:
        message = scrub_text(str(exc.args[-1]) if exc.args else type(exc).__name__)
        raise StepFailed(f"verifying {database} failed: {message}") from exc
    finally:
        await conn.close()
    return results, counts


async def _checkdb(
    conn: aioodbc.Connection, connection_string: str, database: str, enabled: bool
) -> CheckResult:
    if dialect_of(connection_string) != "sqlserver":
        return CheckResult(
            name="checkdb",
            outcome=CheckOutcome.NOT_APPLICABLE,
            detail="the loan-book server is PostgreSQL, which has no DBCC CHECKDB",
        )
    if not enabled:
        return CheckResult(
            name="checkdb",
            outcome=CheckOutcome.NOT_APPLICABLE,
            detail="turned off (FF_LMS_VERIFY_CHECKDB=false)",
        )
    try:
        async with conn.cursor() as cur:
            await cur.execute(f"DBCC CHECKDB([{database}]) WITH NO_INFOMSGS, ALL_ERRORMSGS")
            # Errors can arrive in later result sets: read them all before calling it clean.
            while await cur.nextset():
                pass
    except pyodbc.Error as exc:
        message = scrub_text(str(exc.args[-1]) if exc.args else type(exc).__name__)
        return CheckResult(name="checkdb", outcome=CheckOutcome.FAILED, detail=message[:1000])
    return CheckResult(name="checkdb", outcome=CheckOutcome.PASSED, detail="no errors")


async def verify(clients: Clients, backup: BackupRecord, database: str) -> StepDone:
    results, counts = await run_checks(clients, database)
    ok = verified(results)
    async with clients.pg.acquire() as conn:
        await catalogue.record_verification(
            conn, database, verified=ok, checks=results, row_counts=counts, now=now_utc()
        )
    detail: dict[str, Any] = {
        "database": database,
        "checks": [
            {"name": r.name, "outcome": r.outcome.value, "detail": r.detail} for r in results
        ],
        "row_counts": counts,
    }
    log.info(
        "lms_restore_verified" if ok else "lms_restore_verification_failed",
        backup_id=backup.id,
        database=database,
        failed=[r.name for r in results if r.outcome == CheckOutcome.FAILED],
    )
    if not ok:
        failed = "; ".join(
            f"{r.name}: {r.detail}" for r in results if r.outcome == CheckOutcome.FAILED
        )
        raise StepFailed(
            f"{database} did not verify ({failed}); the previous loan book stays in service",
            detail,
        )
    return StepDone(detail=detail)
