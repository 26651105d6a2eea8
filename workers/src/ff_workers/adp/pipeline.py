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

import aiohttp
import aioodbc
import asyncpg
import msgspec
import pyarrow as pa
import structlog

from ff_shared.adp import schema
from ff_shared.adp.checks import run_checks
from ff_shared.adp.lake import (
    Lake,
    LakeError,
    Manifest,
    TableLocation,
    decode_rows,
    encode_rows,
    merge_rows,
)
from ff_shared.adp.lake import filesystem as lake_filesystem
from ff_shared.adp.runs import RunReport
from ff_shared.adp.sources import (
    AgreementRow,
    ApplicationRow,
    CrmRow,
    InstalmentRow,
    TransactionRow,
)
from ff_shared.adp.transform import Inputs, transform
from ff_shared.clock import now_utc
from ff_shared.integrations.dynamics.client import DynamicsClient
from ff_shared.integrations.dynamics.odata import Query, literal
from ff_shared.integrations.dynamics.schemas import LOAN_APPLICATIONS, LoanApplication
from ff_shared.settings import Settings
from ff_shared.stores.loanbook import adp as loanbook_store
from ff_shared.stores.loanbook.connection import acquire
from ff_shared.stores.loanbook.connection import close_pool as close_loanbook
from ff_shared.stores.loanbook.connection import create_pool as create_loanbook
from ff_shared.stores.mongo import adp as mongo_store
from ff_shared.stores.mongo import close_mongo, connect_mongo
from ff_shared.stores.postgres import adp as pg_store
from ff_shared.stores.postgres import apply_migrations, create_pool

log = structlog.get_logger()

R = TypeVar("R", bound=msgspec.Struct)
OnProgress = Callable[[str, dict[str, Any]], None]

APPLICATIONS = "mongo.applications"
CRM = "dynamics.ff_loanapplications"
AGREEMENTS = "loanbook.agreements"
INSTALMENTS = "loanbook.instalments"
TRANSACTIONS = "loanbook.transactions"
JOURNEYS = "tracker.sessions"


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


def _key_application(r: ApplicationRow) -> str:
    return r.application_id


def _key_crm(r: CrmRow) -> str:
    return r.crm_id


def _key_agreement(r: AgreementRow) -> str:
    return r.agreement_number


def _key_instalment(r: InstalmentRow) -> str:
    return f"{r.agreement_number}:{r.number:04d}"


def _key_transaction(r: TransactionRow) -> str:
    return f"{r.transaction_id:020d}"


async def _held(lake: Lake, manifest: Manifest | None, source: str, row_type: type[R]) -> list[R]:
    if manifest is None or source not in manifest.held:
        return []
    table = await asyncio.to_thread(lake.read_held, manifest.held[source])
    return decode_rows(table, row_type)


async def _crm_since(dynamics: DynamicsClient, watermark: datetime | None) -> list[CrmRow]:
    query = Query(
        select=(
            "ff_loanapplicationid",
            "ff_platformid",
            "ff_applicationstatus",
            "ff_decisionoutcome",
            "modifiedon",
        ),
        filter=None if watermark is None else f"modifiedon ge {literal(watermark)}",
        orderby="modifiedon asc,ff_loanapplicationid asc",
    )
    return [
        CrmRow(
            crm_id=row.ff_loanapplicationid,
            application_id=row.ff_platformid,
            status=row.ff_applicationstatus,
            decision_outcome=row.ff_decisionoutcome,
            modified_at=row.modifiedon or now_utc(),
        )
        async for row in dynamics.rows(LOAN_APPLICATIONS, LoanApplication, query)
    ]


async def _crm_count(dynamics: DynamicsClient) -> int:
    query = Query(select=("ff_loanapplicationid",), count=True)
    async for page in dynamics.pages(LOAN_APPLICATIONS, LoanApplication, query, page_size=1):
        return page.count or 0
    return 0


def _newest(previous: datetime | None, times: list[datetime]) -> datetime | None:
    candidates = [t for t in [previous, *times] if t is not None]
    return max(candidates) if candidates else None


def new_run_id(run_date: date) -> str:
    return f"{run_date:%Y%m%d}-{now_utc():%H%M%S}-{uuid.uuid4().hex[:8]}"


async def _save(pipeline: Pipeline, report: RunReport) -> None:
    async with pipeline.pg.acquire() as conn:
        await pg_store.save_run(conn, report)


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
    settings = pipeline.settings.adp
    lake = pipeline.lake
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
        manifest = await asyncio.to_thread(lake.read_manifest)
        marks = dict(manifest.watermarks) if manifest else {}
        progress("extract", {"from": {k: v.isoformat() for k, v in marks.items()}})

        changed_apps = await mongo_store.applications_since(
            marks.get(APPLICATIONS), salt=settings.customer_key_salt
        )
        changed_crm = await _crm_since(pipeline.dynamics, marks.get(CRM))
        async with acquire(pipeline.loanbook) as conn:
            changed_agreements = await loanbook_store.agreements_since(
                conn, marks.get(AGREEMENTS), salt=settings.customer_key_salt
            )
            changed_instalments = await loanbook_store.instalments_since(
                conn, marks.get(AGREEMENTS)
            )
            changed_transactions = await loanbook_store.transactions_since(
                conn, marks.get(TRANSACTIONS)
            )
        rows_in = {
            APPLICATIONS: len(changed_apps),
            CRM: len(changed_crm),
            AGREEMENTS: len(changed_agreements),
            INSTALMENTS: len(changed_instalments),
            TRANSACTIONS: len(changed_transactions),
        }
        progress("extracted", dict(rows_in))

        applications = merge_rows(
            await _held(lake, manifest, APPLICATIONS, ApplicationRow),
            changed_apps,
            _key_application,
        )
        crm = merge_rows(await _held(lake, manifest, CRM, CrmRow), changed_crm, _key_crm)
        agreements = merge_rows(
            await _held(lake, manifest, AGREEMENTS, AgreementRow),
            changed_agreements,
            _key_agreement,
        )
        instalments = merge_rows(
            await _held(lake, manifest, INSTALMENTS, InstalmentRow),
            changed_instalments,
            _key_instalment,
        )
        transactions = merge_rows(
            await _held(lake, manifest, TRANSACTIONS, TransactionRow),
            changed_transactions,
            _key_transaction,
        )
        async with pipeline.pg.acquire() as conn:
            journeys = await pg_store.journeys(conn, [a.application_id for a in applications])
        rows_in[JOURNEYS] = len(journeys)
        held = {
            APPLICATIONS: len(applications),
            CRM: len(crm),
            AGREEMENTS: len(agreements),
            INSTALMENTS: len(instalments),
            TRANSACTIONS: len(transactions),
        }
        progress("merged", dict(held))

        async with acquire(pipeline.loanbook) as conn:
            totals = await loanbook_store.totals(conn)
        source_counts = {
            APPLICATIONS: await mongo_store.count_applications(),
            CRM: await _crm_count(pipeline.dynamics),
            AGREEMENTS: totals.agreements,
            INSTALMENTS: totals.instalments,
            TRANSACTIONS: totals.transactions,
        }

        inputs = Inputs(
            applications=applications,
            crm=crm,
            journeys=journeys,
            agreements=agreements,
            instalments=instalments,
            transactions=transactions,
        )
        output = await asyncio.to_thread(
            transform, inputs, as_of=run_date, snapshot_months=settings.snapshot_months
        )
        rows_out = {name: t.num_rows for name, t in output.tables.items()}
        progress("transformed", dict(rows_out))
        checks = run_checks(output.tables, held=held, source_counts=source_counts, loanbook=totals)
        failed = [c for c in checks if not c.passed]
        progress("checked", {"checks": len(checks), "failed": [c.name for c in failed]})

        locations = await asyncio.to_thread(lake.write_tables, report.run_id, output.tables)
        held_locations = await asyncio.to_thread(
            _write_held,
            lake,
            report.run_id,
            {
                APPLICATIONS: encode_rows(applications, _key_application),
                CRM: encode_rows(crm, _key_crm),
                AGREEMENTS: encode_rows(agreements, _key_agreement),
                INSTALMENTS: encode_rows(instalments, _key_instalment),
                TRANSACTIONS: encode_rows(transactions, _key_transaction),
            },
        )
        progress("written", {"run": lake.run_path(report.run_id)})
        report = msgspec.structs.replace(
            report,
            rows_in=rows_in,
            rows_out=rows_out,
            rows_rejected=output.rejected,
            checks=tuple(checks),
        )
        if failed:
            report = msgspec.structs.replace(
                report,
                status="failed",
                error=f"{len(failed)} data-quality check(s) failed; the previous run stays current",
            )
        else:
            watermarks = {
                APPLICATIONS: _newest(
                    marks.get(APPLICATIONS), [a.updated_at for a in changed_apps]
                ),
                CRM: _newest(marks.get(CRM), [c.modified_at for c in changed_crm]),
                AGREEMENTS: _newest(
                    marks.get(AGREEMENTS), [a.updated_at for a in changed_agreements]
                ),
                TRANSACTIONS: _newest(
                    marks.get(TRANSACTIONS), [t.created_at for t in changed_transactions]
                ),
            }
            published = Manifest(
                schema_version=schema.SCHEMA_VERSION,
                run_id=report.run_id,
                run_date=run_date,
                published_at=now_utc(),
                watermarks={k: v for k, v in watermarks.items() if v is not None},
                tables=locations,
                held=held_locations,
            )
            await asyncio.to_thread(lake.publish, published)
            report = msgspec.structs.replace(
                report, status="published", manifest_key=lake.manifest_path
            )
            progress("published", {"run_id": report.run_id})
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


def _write_held(lake: Lake, run_id: str, tables: dict[str, pa.Table]) -> dict[str, TableLocation]:
    return {source: lake.write_held(run_id, source, table) for source, table in tables.items()}
