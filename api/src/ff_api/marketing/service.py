"""Marketing reports: Google Analytics traffic, and the path from a visit to a funded loan.

GA answers are cached in Redis for ``FF_GOOGLE_ANALYTICS_CACHE_SECONDS`` with the property's
quota state beside them, so analysts see when the quota runs low before GA refuses. The path
report joins GA's sessions per source with the journey tracker's form starts and submissions
and the applications' outcomes, by the session's traffic source (``utm_source``, else the
referring host, else ``direct``). Counts under five are never shown.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import msgspec
import structlog

from ff_api.marketing.schemas import MarketingReportView, QuotaView
from ff_api.periods import query_period
from ff_api.services import Services
from ff_shared.adp.charts import vega_lite
from ff_shared.adp.insights import MIN_CUSTOMERS, Report, Series, TableView
from ff_shared.clock import now_utc
from ff_shared.domain.records import ApplicationStatus
from ff_shared.errors import DependencyUnavailable, RateLimited
from ff_shared.integrations.errors import IntegrationError
from ff_shared.integrations.google_analytics.client import QuotaExhausted
from ff_shared.integrations.google_analytics.client import Report as GaReport
from ff_shared.stores.mongo.analyst import statuses_of
from ff_shared.stores.postgres import marketing as store

log = structlog.get_logger()

MAX_RANGE_DAYS = 366
METRICS = ["sessions", "totalUsers", "engagedSessions", "keyEvents"]
METRIC_LABELS = {
    "sessions": "sessions",
    "totalUsers": "users",
    "engagedSessions": "engaged sessions",
    "keyEvents": "key events",
}
APPROVED = frozenset(
    {ApplicationStatus.OFFERED, ApplicationStatus.ACCEPTED, ApplicationStatus.OFFER_DECLINED}
)
# A standard GA4 property has 200,000 tokens a day and 40,000 an hour; a report costs about ten.
LOW_DAILY_TOKENS = 20_000
LOW_HOURLY_TOKENS = 4_000
ReportName = Literal["sources", "trend", "devices", "landing_pages", "paths"]


class AnalyticsQuotaExhausted(RateLimited):
    code = "analytics_quota_exhausted"
    title = "The Google Analytics property's quota is spent; try again later"


class CachedReport(msgspec.Struct, kw_only=True):
    report: GaReport
    checked_at: datetime


def period(date_from: date | None, date_to: date | None) -> tuple[date, date]:
    return query_period(
        date_from, date_to, last=now_utc().date(), default_days=30, max_days=MAX_RANGE_DAYS
    )


def shown(value: int) -> int | None:
    """A count people may see: fewer than five is suppressed."""
    return value if value >= MIN_CUSTOMERS else None


def _cache_key(services: Services, start: date, end: date, dims: Sequence[str]) -> str:
    ga = services.settings.google_analytics
    raw = f"{ga.property_id}|{start}|{end}|{','.join(dims)}|{','.join(METRICS)}"
    return "ga:report:" + hashlib.sha256(raw.encode()).hexdigest()[:32]


async def ga_report(
    services: Services, start: date, end: date, dims: list[str]
) -> tuple[GaReport, bool, datetime]:
    """GA's report for the period, from the cache when fresh; (report, cached, checked_at)."""
    key = _cache_key(services, start, end, dims)
    hit = await services.redis.get(key)
    if hit is not None:
        cached = msgspec.json.decode(hit, type=CachedReport)
        return cached.report, True, cached.checked_at
    try:
        report = await services.google_analytics.run_report(
            start=start, end=end, dimensions=dims, metrics=METRICS, order_by_metric="sessions"
        )
    except QuotaExhausted as exc:
        log.warning("ga_quota_exhausted", property_id=services.google_analytics.property_id)
        raise AnalyticsQuotaExhausted(
            "Google Analytics refused the report: the property's quota is spent until its "
            "window turns (at most an hour for the hourly quota, the next day for the daily)"
        ) from exc
    except IntegrationError as exc:
        log.warning("ga_report_failed", error=exc.summary())
        raise DependencyUnavailable(f"google_analytics is unavailable ({exc.kind})") from exc
    checked_at = now_utc()
    await services.redis.set(
        key,
        msgspec.json.encode(CachedReport(report=report, checked_at=checked_at)),
        ex=services.settings.google_analytics.cache_seconds,
    )
    return report, False, checked_at


def quota_view(report: GaReport, checked_at: datetime) -> QuotaView | None:
    quota = report.quota
    if quota is None:
        return None
    day = quota.tokens_per_day
    hour = quota.tokens_per_hour
    low = (day is not None and day.remaining < LOW_DAILY_TOKENS) or (
        hour is not None and hour.remaining < LOW_HOURLY_TOKENS
    )
    return QuotaView(
        tokens_per_day_remaining=day.remaining if day else None,
        tokens_per_hour_remaining=hour.remaining if hour else None,
        low=low,
        checked_at=checked_at,
    )


def _by_dimension(
    name: str, title: str, x_title: str, report: GaReport, start: date, end: date
) -> Report:
    labels = [" / ".join(r.dimensions) for r in report.rows]
    values: list[list[float | None]] = [
        [shown(r.metrics[i]) for r in report.rows] for i in range(len(METRICS))
    ]
    suppressed = sum(1 for r in report.rows if any(v < MIN_CUSTOMERS for v in r.metrics))
    return Report(
        name=name,
        title=title,
        chart="grouped_bar" if name != "trend" else "line",
        x_title=x_title,
        y_title="sessions",
        series=[
            Series(name=METRIC_LABELS[m], labels=labels, values=values[i], unit="count")
            for i, m in enumerate(METRICS)
            if m != "totalUsers"
        ],
        table=TableView(
            columns=[*report.dimensions, *(METRIC_LABELS[m] for m in METRICS)],
            rows=[[*r.dimensions, *(shown(v) for v in r.metrics)] for r in report.rows],
        ),
        period_from=start,
        period_to=end,
        suppressed=suppressed,
    )


def _iso_days(report: GaReport) -> GaReport:
    """GA's ``date`` dimension is ``YYYYMMDD``; reports speak ISO 8601."""
    rows = tuple(
        msgspec.structs.replace(
            r, dimensions=(f"{r.dimensions[0][:4]}-{r.dimensions[0][4:6]}-{r.dimensions[0][6:]}",)
        )
        for r in sorted(report.rows, key=lambda r: r.dimensions[0])
    )
    return msgspec.structs.replace(report, rows=rows)


GA_REPORTS: dict[str, tuple[list[str], str, str]] = {
    "sources": (
        ["sessionSource", "sessionMedium", "sessionCampaignName"],
        "Traffic by source, medium and campaign",
        "source / medium / campaign",
    ),
    "trend": (["date"], "Traffic by day", "day"),
    "devices": (["deviceCategory"], "Traffic by device", "device"),
    "landing_pages": (["landingPage"], "Traffic by landing page", "landing page"),
}


def _source_key(ga_source: str) -> str:
    return "direct" if ga_source == "(direct)" else ga_source.lower()


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


async def _platform_path(
    services: Services, start: date, end: date
) -> dict[str, tuple[int, int, int, int]]:
    """Per source: form starts, submissions, approvals and funded loans on the platform."""
    env = services.settings.tracker.default_environment
    lo, hi = _midnight(start), _midnight(end) + timedelta(days=1)
    async with services.tracker.pool.acquire() as conn:
        reached = await store.sources_reached(
            conn, environment=env, form="application", start=lo, end=hi
        )
        apps = await store.applications_by_source(conn, environment=env, start=lo, end=hi)
    db = services.mongo[services.settings.mongo.database]
    statuses = await statuses_of(db, sorted(apps))
    approved: dict[str, int] = {}
    funded: dict[str, int] = {}
    for application_id, source in apps.items():
        status, booked = statuses.get(application_id, ("", False))
        if status in APPROVED:
            approved[source] = approved.get(source, 0) + 1
        if booked:
            funded[source] = funded.get(source, 0) + 1
    sources = set(reached) | set(apps)
    return {s: (*reached.get(s, (0, 0)), approved.get(s, 0), funded.get(s, 0)) for s in sources}


async def paths(services: Services, start: date, end: date) -> MarketingReportView:
    ga, cached, checked_at = await ga_report(services, start, end, ["sessionSource"])
    visits: dict[str, int] = {}
    for row in ga.rows:
        key = _source_key(row.dimensions[0])
        visits[key] = visits.get(key, 0) + row.metrics[0]
    platform = await _platform_path(services, start, end)
    sources = sorted(set(visits) | set(platform), key=lambda s: -visits.get(s, 0))
    stages = ["visits", "form starts", "submitted", "approved", "funded"]
    rows: list[list[Any]] = []
    suppressed = 0
    for source in sources:
        figures = [visits.get(source, 0), *platform.get(source, (0, 0, 0, 0))]
        if any(f < MIN_CUSTOMERS for f in figures):
            suppressed += 1
        rows.append([source, *(shown(f) for f in figures)])
    report = Report(
        name="paths",
        title="From a visit to a funded loan, by traffic source",
        chart="grouped_bar",
        x_title="stage",
        y_title="people",
        series=[Series(name=row[0], labels=stages, values=row[1:], unit="count") for row in rows],
        table=TableView(columns=["source", *stages], rows=rows),
        period_from=start,
        period_to=end,
        suppressed=suppressed,
    )
    return MarketingReportView(
        report=report, vega_lite=vega_lite(report), quota=quota_view(ga, checked_at), cached=cached
    )


async def ga_breakdown(
    services: Services, name: str, start: date, end: date
) -> MarketingReportView:
    dims, title, x_title = GA_REPORTS[name]
    ga, cached, checked_at = await ga_report(services, start, end, dims)
    if name == "trend":
        ga = _iso_days(ga)
    report = _by_dimension(name, title, x_title, ga, start, end)
    return MarketingReportView(
        report=report, vega_lite=vega_lite(report), quota=quota_view(ga, checked_at), cached=cached
    )


async def marketing_report(
    services: Services, name: ReportName, start: date, end: date
) -> MarketingReportView:
    if name == "paths":
        return await paths(services, start, end)
    return await ga_breakdown(services, name, start, end)
