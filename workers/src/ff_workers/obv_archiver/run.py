"""One archive run: discover, then archive every pending application, then move the watermark.

The run is recorded in ``obv.archive_runs`` when it starts; each application's outcome is counted
there in that application's own transaction, so the record stays true however the run ends. The
watermark moves only at the end, only when discovery read every page, and only forward: what was
discovered is durable as pending rows before then, and whatever is not archived stays pending for
the next run. A dry run reads Dynamics, OBV and the archive and writes nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from uuid import UUID, uuid4

import asyncpg
import msgspec
import structlog

from ff_shared.clock import now_utc
from ff_shared.integrations.dynamics.client import DynamicsClient
from ff_shared.settings import ObvArchiverSettings
from ff_shared.stores.postgres import obv as archive
from ff_workers.obv_archiver.discovery import Discovery, discover
from ff_workers.obv_archiver.fetch import Fetched, FetchFailed
from ff_workers.obv_archiver.store import Work, archive_application
from ff_workers.obv_archiver.summary import ItemResult, Progress, RunSummary, Tally
from ff_workers.obv_archiver.validate import Quarantinable, Verdict, judge

log = structlog.get_logger()

Fetch = Callable[[str], Awaitable[Fetched | FetchFailed]]
OnProgress = Callable[[Progress], None]


class ArchiveRequest(msgspec.Struct, frozen=True, kw_only=True):
    trigger: archive.Trigger = "schedule"
    since: datetime | None = None
    """Discover from here instead of the watermark (less the overlap)."""
    reference: str | None = None
    """Archive only the application(s) with this OBV reference, changed or not."""
    dry_run: bool = False


async def obtain_report(fetch: Fetch, reference: str) -> Verdict | FetchFailed:
    """Fetch and judge a report. A report that fails validation is fetched once more before it
    is quarantined: a body cut short in transit comes back whole, bad data comes back the same."""
    fetched = await fetch(reference)
    if isinstance(fetched, FetchFailed):
        return fetched
    verdict = judge(
        fetched.raw,
        reference=reference,
        received_at=fetched.received_at,
        decoded=fetched.decoded,
    )
    if isinstance(verdict, Quarantinable):
        again = await fetch(reference)
        if isinstance(again, Fetched) and again.raw != fetched.raw:
            log.info("obv_report_refetched", reasons=[r.code for r in verdict.reasons])
            verdict = judge(
                again.raw,
                reference=reference,
                received_at=again.received_at,
                decoded=again.decoded,
            )
    return verdict


async def _preview(pool: asyncpg.Pool, work: Work, fetch: Fetch) -> ItemResult:
    """What archiving would do, with nothing written and nothing claimed."""
    verdict = await obtain_report(fetch, work.obv_reference)
    if isinstance(verdict, FetchFailed):
        return ItemResult(
            application_id=work.application_id, outcome="failed", detail=verdict.error
        )
    if isinstance(verdict, Quarantinable):
        return ItemResult(
            application_id=work.application_id,
            outcome="quarantined",
            detail=", ".join(sorted({r.code for r in verdict.reasons})),
        )
    async with pool.acquire() as conn:
        current = await archive.current_version(conn, work.application_id)
    if current is not None and current.payload_sha256 == verdict.sha256:
        return ItemResult(
            application_id=work.application_id, outcome="unchanged", version=current.version
        )
    return ItemResult(
        application_id=work.application_id,
        outcome="archived",
        version=1 if current is None else current.version + 1,
        transactions=len(verdict.version.report.transactions),
    )


def _work_list(
    request: ArchiveRequest,
    found: Discovery,
    pending: list[archive.ArchivedApplication],
    would_pend: set[str],
) -> list[Work]:
    if request.reference is not None:
        return [
            Work(
                application_id=s.application_id,
                obv_reference=s.obv_reference,
                modified_on=s.modified_on,
                forced=True,
            )
            for s in found.applications
        ]
    work: dict[str, Work] = {
        p.application_id: Work(
            application_id=p.application_id,
            obv_reference=p.obv_reference,
            modified_on=p.dynamics_modified_on,
        )
        for p in pending
    }
    # A dry run records nothing: what discovery would have made pending joins the list.
    for s in found.applications:
        if s.application_id in would_pend:
            work[s.application_id] = Work(
                application_id=s.application_id,
                obv_reference=s.obv_reference,
                modified_on=s.modified_on,
            )
    return sorted(work.values(), key=lambda w: (w.modified_on, w.application_id))


async def run_archive(
    pool: asyncpg.Pool,
    dynamics: DynamicsClient,
    fetch: Fetch,
    settings: ObvArchiverSettings,
    request: ArchiveRequest,
    *,
    on_progress: OnProgress | None = None,
    clock: Callable[[], datetime] = now_utc,
) -> RunSummary:
    dry = request.dry_run
    async with pool.acquire() as control:
        start = await _begin(control, request, settings, clock)
        try:
            found, work = await _discover_work(control, dynamics, request, start, clock)
            tally = Tally(found=len(work))
            results = await _archive_all(
                pool,
                fetch,
                settings,
                work,
                start=start,
                tally=tally,
                dry=dry,
                on_progress=on_progress,
                clock=clock,
            )
            watermark_after = await _move_watermark(control, request, found, start, clock)
            status = _status(found, tally)
            if not dry:
                await archive.finish_run(
                    control,
                    start.run_id,
                    status=status,
                    finished_at=clock(),
                    discovered=found.count,
                    found=tally.found,
                    watermark_after=watermark_after,
                    error=found.error,
                )
        except BaseException as exc:
            if not dry:
                await _fail_run(control, start.run_id, exc, clock())
            raise
    summary = _summary(request, start, found, tally, results, status, watermark_after)
    _log_finished(summary)
    return summary


class _Start(msgspec.Struct, frozen=True, kw_only=True):
    """Where a run began: its id, its clocks and the discovery point."""

    run_id: UUID
    started_at: datetime
    monotonic: float
    watermark: datetime | None
    since: datetime | None


async def _begin(
    control: asyncpg.Connection,
    request: ArchiveRequest,
    settings: ObvArchiverSettings,
    clock: Callable[[], datetime],
) -> _Start:
    """Read the watermark, and (unless a dry run) record the run as started."""
    run_id = uuid4()
    started_at = clock()
    monotonic = time.monotonic()
    watermark = await archive.read_watermark(control)
    since = request.since
    if since is None and watermark is not None:
        since = watermark - timedelta(seconds=settings.overlap_seconds)
    if not request.dry_run:
        await archive.abandon_dead_runs(control, now=started_at)
        await archive.start_run(
            control,
            run_id=run_id,
            trigger=request.trigger,
            started_at=started_at,
            since=since,
            reference=request.reference,
            watermark_before=watermark,
        )
    log.info(
        "obv_archive_started",
        run_id=str(run_id),
        since=since.isoformat() if since else None,
        dry_run=request.dry_run,
        forced_reference=request.reference is not None,
    )
    return _Start(
        run_id=run_id,
        started_at=started_at,
        monotonic=monotonic,
        watermark=watermark,
        since=since,
    )


async def _discover_work(
    control: asyncpg.Connection,
    dynamics: DynamicsClient,
    request: ArchiveRequest,
    start: _Start,
    clock: Callable[[], datetime],
) -> tuple[Discovery, list[Work]]:
    """Discover what changed (recording it as pending), then list the applications to archive."""
    dry = request.dry_run

    async def record(batch: list[archive.SeenApplication]) -> None:
        await archive.record_seen(control, batch, now=clock())

    found = await discover(
        dynamics,
        since=start.since,
        reference=request.reference,
        record=None if dry else record,
    )
    pending = [] if request.reference else await archive.pending_applications(control)
    would_pend: set[str] = set()
    if dry and not request.reference:
        would_pend = await archive.would_be_pending(control, found.applications)
    work = _work_list(request, found, pending, would_pend)
    if not dry:
        await archive.note_found(control, start.run_id, discovered=found.count, found=len(work))
    return found, work


async def _archive_all(
    pool: asyncpg.Pool,
    fetch: Fetch,
    settings: ObvArchiverSettings,
    work: list[Work],
    *,
    start: _Start,
    tally: Tally,
    dry: bool,
    on_progress: OnProgress | None,
    clock: Callable[[], datetime],
) -> list[ItemResult]:
    """Archive (or preview) every application, ``max_in_flight`` at a time, counting outcomes."""
    results: list[ItemResult] = []

    async def handle(item: Work) -> ItemResult:
        if dry:
            return await _preview(pool, item, fetch)
        return await archive_application(
            pool,
            item,
            run_id=start.run_id,
            obtain=lambda reference: obtain_report(fetch, reference),
            attempts=settings.store_attempts,
            clock=clock,
        )

    queue = iter(work)

    async def worker() -> None:
        for item in queue:
            result = await handle(item)
            results.append(result)
            tally.add(result)
            if on_progress is not None:
                on_progress(
                    Progress(
                        tally=msgspec.structs.replace(tally),
                        elapsed_seconds=time.monotonic() - start.monotonic,
                    )
                )

    async with asyncio.TaskGroup() as group:
        for _ in range(max(1, min(settings.max_in_flight, len(work)))):
            group.create_task(worker())
    return results


async def _move_watermark(
    control: asyncpg.Connection,
    request: ArchiveRequest,
    found: Discovery,
    start: _Start,
    clock: Callable[[], datetime],
) -> datetime | None:
    """Where the watermark is after the run: moved forward only when discovery read every page
    of a scheduled (not a per-reference, not a dry, not a look-ahead) run."""
    watermark = start.watermark
    moves = (
        not request.dry_run
        and request.reference is None
        and found.complete
        and (request.since is None or (watermark is not None and request.since <= watermark))
    )
    if not moves or found.newest_modified_on is None:
        return watermark
    return await archive.advance_watermark(
        control, found.newest_modified_on, run_id=start.run_id, now=clock()
    )


def _status(found: Discovery, tally: Tally) -> archive.RunStatus:
    if found.error:
        return "failed"
    return "completed_with_failures" if tally.failed else "succeeded"


def _summary(
    request: ArchiveRequest,
    start: _Start,
    found: Discovery,
    tally: Tally,
    results: list[ItemResult],
    status: archive.RunStatus,
    watermark_after: datetime | None,
) -> RunSummary:
    return RunSummary(
        run_id=start.run_id,
        status=status,
        trigger=request.trigger,
        dry_run=request.dry_run,
        started_at=start.started_at,
        elapsed_seconds=time.monotonic() - start.monotonic,
        since=start.since,
        reference=request.reference,
        watermark_before=start.watermark,
        watermark_after=watermark_after,
        discovered=found.count,
        found=tally.found,
        archived=tally.archived,
        unchanged=tally.unchanged,
        quarantined=tally.quarantined,
        failed=tally.failed,
        skipped=tally.skipped,
        transactions_archived=tally.transactions_archived,
        error=found.error,
        items=tuple(results),
    )


def _log_finished(summary: RunSummary) -> None:
    log.info(
        "obv_archive_finished",
        run_id=str(summary.run_id),
        status=summary.status,
        discovered=summary.discovered,
        found=summary.found,
        archived=summary.archived,
        unchanged=summary.unchanged,
        quarantined=summary.quarantined,
        failed=summary.failed,
        skipped=summary.skipped,
        transactions=summary.transactions_archived,
        seconds=round(summary.elapsed_seconds, 3),
    )


async def _fail_run(
    control: asyncpg.Connection, run_id: UUID, exc: BaseException, now: datetime
) -> None:
    """Best effort: the run's record says it failed and why (a kind, never a payload)."""
    try:
        await archive.fail_run(control, run_id, error=type(exc).__name__, now=now)
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
        log.warning("obv_archive_run_not_closed", run_id=str(run_id))
