"""Reports for staff: the published run's figures, charts and exports, and the pipeline's runs."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import date
from typing import Any

import aioboto3
import asyncpg

from ff_api.periods import query_period
from ff_shared.adp import catalogue, charts, exports, insights
from ff_shared.adp.lake import Lake, Manifest, filesystem
from ff_shared.adp.reading import ReportData
from ff_shared.adp.runs import RunReport
from ff_shared.errors import NotFound
from ff_shared.integrations.aws.session import client_options
from ff_shared.settings import Settings
from ff_shared.stores.postgres import adp as store
from ff_shared.stores.postgres import create_pool
from ff_shared.stores.postgres.connection import for_requests

MAX_RANGE_DAYS = 3 * 366
DEFAULT_DAYS = 30


@dataclass
class ReportServices:
    data: ReportData
    """The published run's tables in an engine, reloaded when a newer run is published."""
    pg: asyncpg.Pool
    """PostgreSQL (the ``adp`` schema): the pipeline's run reports."""


async def open_report_services(
    stack: AsyncExitStack, settings: Settings, aws: aioboto3.Session
) -> ReportServices:
    athena = None
    if settings.adp.query_engine == "athena":
        athena = await stack.enter_async_context(
            aws.client("athena", **client_options(settings.aws))
        )
    lake = Lake(filesystem(settings.aws), settings.adp.bucket, settings.adp.prefix)
    data = ReportData(lake, settings.adp, athena=athena)
    stack.callback(data.close)
    pool = await create_pool(for_requests(settings.postgres, max_pool_size=2))
    stack.push_async_callback(pool.close)
    return ReportServices(data=data, pg=pool)


def spec_of(name: str) -> catalogue.ReportSpec:
    spec = catalogue.REPORTS.get(name)
    if spec is None:
        raise NotFound(f"no report called {name!r}; GET /v1/staff/reports lists them")
    return spec


def dates(
    manifest: Manifest, date_from: date | None, date_to: date | None, as_of: date | None
) -> tuple[date, date, date]:
    start, end = query_period(
        date_from,
        date_to,
        last=manifest.run_date,
        default_days=DEFAULT_DAYS,
        max_days=MAX_RANGE_DAYS,
        noun="period",
    )
    return start, end, as_of or manifest.run_date


async def build(
    reports: ReportServices,
    name: str,
    *,
    date_from: date | None,
    date_to: date | None,
    as_of: date | None,
) -> tuple[insights.Report, Manifest, dict[str, Any]]:
    spec_of(name)
    manifest = await reports.data.manifest()
    start, end, day = dates(manifest, date_from, date_to, as_of)
    engine = await reports.data.engine()
    report = await catalogue.build_report(engine, name, period_from=start, period_to=end, as_of=day)
    return report, manifest, charts.vega_lite(report)


async def render(chart: dict[str, Any], image_format: str) -> bytes:
    if image_format == "svg":
        return (await asyncio.to_thread(charts.render_svg, chart)).encode()
    return await asyncio.to_thread(charts.render_png, chart)


def export(report: insights.Report, table_format: str) -> bytes:
    return exports.to_xlsx(report) if table_format == "xlsx" else exports.to_csv(report)


async def runs(reports: ReportServices, *, limit: int) -> list[RunReport]:
    try:
        async with reports.pg.acquire() as conn:
            return await store.list_runs(conn, limit=limit)
    except asyncpg.exceptions.UndefinedTableError:
        # The adp worker creates its schema when it first starts: no runs yet.
        return []
