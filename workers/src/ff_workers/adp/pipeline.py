"""One pipeline run: extract what changed, merge, transform, check, write, publish, report.

Each source is read from its watermark (the newest change the published run saw), so a run reads
only what changed; the changes are merged into the rows the published run held, and the star
schema is rebuilt whole from them. The same sources always give the same tables, so a rerun
changes nothing but the run id. Tables go to the run's own prefix; the manifest is replaced only
when every check passed, so a failed run leaves readers on the previous one. Every run, published
or failed, leaves its report in ``adp.runs``.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

import aioboto3
import aiohttp
import aioodbc
import asyncpg
import msgspec
import pyarrow as pa
import structlog

from ff_shared.adp import schema
from ff_shared.adp.checks import run_checks
from ff_shared.adp.glue import point_tables
from ff_shared.adp.lake import (
    Lake,
    LakeError,
    Manifest,
    TableLocation,
)
from ff_shared.adp.lake import filesystem as lake_filesystem
from ff_shared.adp.runs import RunReport
from ff_shared.adp.transform import transform
from ff_shared.clock import now_utc
from ff_shared.integrations.aws.session import client_options
from ff_shared.integrations.dynamics.client import DynamicsClient
from ff_shared.settings import Settings
from ff_shared.stores.loanbook.connection import close_pool as close_loanbook
from ff_shared.stores.loanbook.connection import create_pool as create_loanbook
from ff_shared.stores.mongo import close_mongo, connect_mongo
from ff_shared.stores.postgres import adp as pg_store
from ff_shared.stores.postgres import apply_migrations, create_pool
from ff_workers.adp.extract import JOURNEYS, extract_changes, merge_held, source_counts, write_held

log = structlog.get_logger()

R = TypeVar("R", bound=msgspec.Struct)
OnProgress = Callable[[str, dict[str, Any]], None]


class RunFailed(Exception):
    """The run did not publish: a check failed or a source could not be read."""

    def __init__(self, report: RunReport) -> None:
        failed = ", ".join(c.name for c in report.failed_checks) or report.error or "unknown"
        super().__init__(f"run {report.run_id} failed: {failed}")
        self.report = report


@dataclass
class Pipeline:
    """The long-lived clients a run needs (made once per worker or command)."""

    settings: Settings
    pg: asyncpg.Pool
    loanbook: aioodbc.Pool
    dynamics: DynamicsClient
    lake: Lake


@asynccontextmanager
async def open_pipeline(settings: Settings) -> AsyncIterator[Pipeline]:
    async with AsyncExitStack() as stack:
        pg = await create_pool(msgspec.structs.replace(settings.postgres, min_pool_size=0))
        stack.push_async_callback(pg.close)
        async with pg.acquire() as conn:
            await apply_migrations(conn, "adp")
        mongo = await connect_mongo(settings.mongo)
        stack.push_async_callback(close_mongo, mongo)
        loanbook = await create_loanbook(settings.loanbook)
        stack.push_async_callback(close_loanbook, loanbook)
        http = await stack.enter_async_context(aiohttp.ClientSession())
        lake = Lake(lake_filesystem(settings.aws), settings.adp.bucket, settings.adp.prefix)
        await asyncio.to_thread(lake.ensure_bucket)
        yield Pipeline(
            settings=settings,
            pg=pg,
            loanbook=loanbook,
            dynamics=DynamicsClient(http, settings.dynamics),
            lake=lake,
        )


def new_run_id(run_date: date) -> str:
    return f"{run_date:%Y%m%d}-{now_utc():%H%M%S}-{uuid.uuid4().hex[:8]}"


async def _save(pipeline: Pipeline, report: RunReport) -> None:
    async with pipeline.pg.acquire() as conn:
        await pg_store.save_run(conn, report)


class _Written(msgspec.Struct, frozen=True, kw_only=True):
    """A run's tables on the lake, ready to be published."""

    watermarks: dict[str, datetime]
    tables: dict[str, TableLocation]
    held: dict[str, TableLocation]


async def _build(
    pipeline: Pipeline, report: RunReport, run_date: date, progress: OnProgress
) -> tuple[RunReport, _Written | None]:
    """Extract, merge, transform, check and write; the report with its figures, and what to
    publish (None when a check failed)."""
    settings = pipeline.settings.adp
    lake = pipeline.lake
    manifest = await asyncio.to_thread(lake.read_manifest)
    marks = dict(manifest.watermarks) if manifest else {}
    progress("extract", {"from": {k: v.isoformat() for k, v in marks.items()}})
    changes = await extract_changes(
        pipeline.dynamics, pipeline.loanbook, marks, settings.customer_key_salt
    )
    rows_in = changes.counts()
    progress("extracted", dict(rows_in))
    held = await merge_held(lake, manifest, changes)
    async with pipeline.pg.acquire() as conn:
        journeys = await pg_store.journeys(conn, [a.application_id for a in held.applications])
    rows_in[JOURNEYS] = len(journeys)
    progress("merged", held.counts())
    totals, counts = await source_counts(pipeline.dynamics, pipeline.loanbook)
    output = await asyncio.to_thread(
        transform, held.inputs(journeys), as_of=run_date, snapshot_months=settings.snapshot_months
    )
    rows_out = {name: t.num_rows for name, t in output.tables.items()}
    progress("transformed", dict(rows_out))
    checks = run_checks(output.tables, held=held.counts(), source_counts=counts, loanbook=totals)
    failed = [c for c in checks if not c.passed]
    progress("checked", {"checks": len(checks), "failed": [c.name for c in failed]})
    locations = await asyncio.to_thread(lake.write_tables, report.run_id, output.tables)
    held_locations = await asyncio.to_thread(write_held, lake, report.run_id, held)
    progress("written", {"run": lake.run_path(report.run_id)})
    report = msgspec.structs.replace(
        report,
        rows_in=rows_in,
        rows_out=rows_out,
        rows_rejected=output.rejected,
        checks=tuple(checks),
    )
    if failed:
        error = f"{len(failed)} data-quality check(s) failed; the previous run stays current"
        return msgspec.structs.replace(report, status="failed", error=error), None
    written = _Written(watermarks=changes.watermarks(marks), tables=locations, held=held_locations)
    return report, written


async def _point_glue(pipeline: Pipeline, locations: dict[str, TableLocation]) -> None:
    aws = pipeline.settings.aws
    session = aioboto3.Session(region_name=aws.region)
    async with session.client("glue", **client_options(aws)) as glue:
        await point_tables(glue, pipeline.settings.adp.glue_database, locations)


async def _publish(
    pipeline: Pipeline,
    report: RunReport,
    run_date: date,
    written: _Written,
    progress: OnProgress,
) -> RunReport:
    published = Manifest(
        schema_version=schema.SCHEMA_VERSION,
        run_id=report.run_id,
        run_date=run_date,
        published_at=now_utc(),
        watermarks=written.watermarks,
        tables=written.tables,
        held=written.held,
    )
    await asyncio.to_thread(pipeline.lake.publish, published)
    if pipeline.settings.adp.glue_database:
        await _point_glue(pipeline, written.tables)
    report = msgspec.structs.replace(
        report, status="published", manifest_key=pipeline.lake.manifest_path
    )
    progress("published", {"run_id": report.run_id})
    return report


async def run_pipeline(
    pipeline: Pipeline,
    run_date: date,
    *,
    trigger: str = "schedule",
    on_progress: OnProgress | None = None,
) -> RunReport:
    """Run once for ``run_date`` (the arrears snapshot's day). Raises :class:`RunFailed` after
    recording the report when it did not publish."""
    progress = on_progress or (lambda _stage, _detail: None)
    started = time.monotonic()
    report = RunReport(
        run_id=new_run_id(run_date),
        run_date=run_date,
        trigger=trigger,
        status="running",
        started_at=now_utc(),
    )
    await _save(pipeline, report)
    log.info("adp_run_started", run_id=report.run_id, run_date=run_date.isoformat())
    try:
        report, written = await _build(pipeline, report, run_date, progress)
        if written is not None:
            report = await _publish(pipeline, report, run_date, written, progress)
    except (LakeError, OSError, pa.ArrowException) as exc:
        report = msgspec.structs.replace(report, status="failed", error=f"lake: {exc}")
    except Exception as exc:
        # The report must record every way a run ends; the error still propagates.
        report = _finished(report, started, status="failed", error=type(exc).__name__)
        await _save(pipeline, report)
        log.warning("adp_run_failed", run_id=report.run_id, error=type(exc).__name__)
        raise
    report = _finished(report, started, status=report.status, error=report.error)
    await _save(pipeline, report)
    log.info(
        "adp_run_finished",
        run_id=report.run_id,
        status=report.status,
        seconds=report.duration_seconds,
        failed_checks=[c.name for c in report.failed_checks],
    )
    if report.status != "published":
        raise RunFailed(report)
    return report


def _finished(report: RunReport, started: float, *, status: Any, error: str | None) -> RunReport:
    return msgspec.structs.replace(
        report,
        status=status,
        error=error,
        finished_at=now_utc(),
        duration_seconds=round(time.monotonic() - started, 3),
    )
