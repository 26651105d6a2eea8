"""Store: one application, one transaction — all of its report or none of it.

The application is claimed (a session advisory lock) before its report is fetched and released
after the write has committed, so two archivers never work on it at once; the claim dies with
the connection if the archiver is killed. Inside the transaction the current version is read
again: the same canonical hash means unchanged (nothing is written but the bookkeeping), a
different one becomes the next version. If PostgreSQL drops the connection mid-transaction,
nothing of it was committed; the write is tried again on a fresh connection with the report
already fetched.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import datetime
from uuid import UUID

import asyncpg
import msgspec
import structlog

from ff_shared.clock import now_utc
from ff_shared.stores.postgres import obv as archive
from ff_workers.obv_archiver.fetch import FetchFailed
from ff_workers.obv_archiver.summary import ItemResult
from ff_workers.obv_archiver.validate import Archivable, Quarantinable, Verdict

log = structlog.get_logger()

CONNECTION_LOST = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,
    ConnectionError,
    OSError,
)
"""What a dropped connection (``pg_terminate_backend``, a failover, a network cut) raises."""

RETRY_IN_TRANSACTION = (*CONNECTION_LOST, asyncpg.UniqueViolationError)


class Work(msgspec.Struct, frozen=True, kw_only=True):
    """One application to archive."""

    application_id: str
    obv_reference: str
    modified_on: datetime
    forced: bool = False
    """Archive even if not pending (``--reference``): re-fetch and compare."""


Obtain = Callable[[str], Awaitable[Verdict | FetchFailed]]
"""Fetch the report of an OBV reference and judge it (see ``run.obtain_report``)."""


async def archive_application(
    pool: asyncpg.Pool,
    work: Work,
    *,
    run_id: UUID,
    obtain: Obtain,
    attempts: int,
    clock: Callable[[], datetime] = now_utc,
) -> ItemResult:
    """Claim, fetch, judge and write one application; every outcome is recorded in PostgreSQL."""
    verdict: Verdict | None = None
    judged_reference: str | None = None
    last_error = "no attempt made"
    for attempt in range(1, attempts + 1):
        conn: asyncpg.Connection
        async with pool.acquire() as conn:
            if not await archive.try_claim(conn, work.application_id):
                return await _skipped(conn, work, run_id, "claimed by another archiver")
            try:
                current = await archive.get_application(conn, work.application_id)
                if current is None or (not current.pending and not work.forced):
                    return await _skipped(conn, work, run_id, "already archived")
                reference = current.obv_reference
                covered = current.dynamics_modified_on
                if verdict is None or judged_reference != reference:
                    # First try, or Dynamics gave the application another consent meanwhile.
                    obtained = await obtain(reference)
                    if isinstance(obtained, FetchFailed):
                        return await _failed(conn, work, run_id, obtained.error, clock())
                    verdict, judged_reference = obtained, reference
                return await _write(conn, work, run_id, verdict, covered, reference, clock())
            except RETRY_IN_TRANSACTION as exc:
                last_error = f"postgresql: {type(exc).__name__}"
                log.warning(
                    "obv_store_retrying",
                    application_id=work.application_id,
                    attempt=attempt,
                    error=type(exc).__name__,
                )
            finally:
                # A dropped connection took its claim with it (and may already be detached).
                with suppress(*CONNECTION_LOST):
                    if not conn.is_closed():
                        await archive.release_claim(conn, work.application_id)
    async with pool.acquire() as conn:
        return await _failed(conn, work, run_id, last_error, clock())


async def _write(
    conn: asyncpg.Connection,
    work: Work,
    run_id: UUID,
    verdict: Verdict,
    covered: datetime,
    reference: str,
    now: datetime,
) -> ItemResult:
    async with conn.transaction():
        if isinstance(verdict, Quarantinable):
            await archive.quarantine(
                conn,
                application_id=work.application_id,
                obv_reference=reference,
                run_id=run_id,
                payload=verdict.raw,
                payload_sha256=verdict.sha256,
                reasons=verdict.reasons,
                now=now,
            )
            await archive.count_outcome(conn, run_id, "quarantined")
            result = ItemResult(
                application_id=work.application_id,
                outcome="quarantined",
                detail=", ".join(sorted({r.code for r in verdict.reasons})),
            )
        else:
            result = await _archive(conn, work, run_id, verdict, covered, reference, now)
    log.info(
        "obv_report_" + result.outcome,
        application_id=work.application_id,
        version=result.version,
        transactions=result.transactions,
        reasons=result.detail,
    )
    return result


async def _archive(
    conn: asyncpg.Connection,
    work: Work,
    run_id: UUID,
    verdict: Archivable,
    covered: datetime,
    reference: str,
    now: datetime,
) -> ItemResult:
    current = await archive.current_version(conn, work.application_id)
    if current is not None and current.payload_sha256 == verdict.sha256:
        await archive.complete_application(
            conn,
            work.application_id,
            outcome="unchanged",
            version=current.version,
            version_id=current.version_id,
            covered_modified_on=covered,
            now=now,
        )
        await archive.count_outcome(conn, run_id, "unchanged")
        return ItemResult(
            application_id=work.application_id, outcome="unchanged", version=current.version
        )
    version = 1 if current is None else current.version + 1
    version_id = await archive.insert_version(
        conn,
        application_id=work.application_id,
        version=version,
        obv_reference=reference,
        run_id=run_id,
        item=verdict.version,
        archived_at=now,
    )
    await archive.complete_application(
        conn,
        work.application_id,
        outcome="archived",
        version=version,
        version_id=version_id,
        covered_modified_on=covered,
        now=now,
    )
    transactions = len(verdict.version.report.transactions)
    await archive.count_outcome(conn, run_id, "archived", tx=transactions)
    return ItemResult(
        application_id=work.application_id,
        outcome="archived",
        version=version,
        transactions=transactions,
    )


async def _failed(
    conn: asyncpg.Connection, work: Work, run_id: UUID, error: str, now: datetime
) -> ItemResult:
    async with conn.transaction():
        await archive.record_failure(conn, work.application_id, error=error, now=now)
        await archive.count_outcome(conn, run_id, "failed")
    log.warning("obv_report_failed", application_id=work.application_id, error=error)
    return ItemResult(application_id=work.application_id, outcome="failed", detail=error)


async def _skipped(conn: asyncpg.Connection, work: Work, run_id: UUID, why: str) -> ItemResult:
    await archive.count_outcome(conn, run_id, "skipped")
    log.info("obv_report_skipped", application_id=work.application_id, reason=why)
    return ItemResult(application_id=work.application_id, outcome="skipped", detail=why)
