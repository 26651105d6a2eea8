"""Staff analytics over the journey tracker: funnels, duplicate applications, daily extracts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Literal

import asyncpg

from ff_api.analytics.schemas import (
    Dataset,
    DuplicatesView,
    ExtractPage,
    ExtractView,
    FunnelGroup,
    FunnelView,
    Series,
)
from ff_api.periods import query_period
from ff_api.services import Services
from ff_shared.clock import now_utc
from ff_shared.domain.funnel import DuplicateCluster, Funnel, build_funnel, cluster_duplicates
from ff_shared.domain.tracking.events import FORMS, stages
from ff_shared.errors import FieldProblem, InvalidInput
from ff_shared.integrations.aws.s3 import presigned_get
from ff_shared.stores.postgres import tracker as store

MAX_RANGE_DAYS = 366
DOWNLOAD_SECONDS = 900

Breakdown = Literal["none", "source", "device"]


async def duplicate_cluster_for(services: Services, application_id: str) -> DuplicateCluster | None:
    """What the staff review shows of an application's duplicates (None: in no cluster, or the
    tracker's schema is not deployed where this API runs)."""
    window = timedelta(days=services.settings.tracker.duplicate_window_days)
    try:
        async with services.tracker.pool.acquire() as conn:
            return await store.cluster_of_application(conn, application_id, window=window)
    except asyncpg.exceptions.UndefinedTableError:
        return None


def _range(date_from: date | None, date_to: date | None) -> tuple[date, date]:
    return query_period(
        date_from, date_to, last=now_utc().date(), default_days=30, max_days=MAX_RANGE_DAYS
    )


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _environment(services: Services, environment: str | None) -> str:
    env = environment or services.settings.tracker.default_environment
    if env not in services.tracker.config.queues:
        raise InvalidInput(
            f"environment {env!r} is not tracked",
            errors=[FieldProblem(path="query.environment", message="is not configured")],
        )
    return env


def _group(key: str, funnel: Funnel) -> FunnelGroup:
    return FunnelGroup(
        key=key,
        sessions=funnel.sessions,
        submitted=funnel.submitted,
        overall_conversion=funnel.overall_conversion,
        steps=funnel.steps,
    )


def _series(form: str, shown: list[FunnelGroup]) -> Series:
    return Series(
        labels=list(stages(form)),
        sessions=[Dataset(label=g.key, data=[s.sessions for s in g.steps]) for g in shown],
        conversion_from_start=[
            Dataset(label=g.key, data=[s.conversion_from_start for s in g.steps]) for g in shown
        ],
    )


async def funnel(
    services: Services,
    *,
    form: str,
    date_from: date | None,
    date_to: date | None,
    window_days: int,
    breakdown: Breakdown,
    environment: str | None,
) -> FunnelView:
    if form not in FORMS:
        raise InvalidInput(
            f"form {form!r} is not tracked",
            errors=[FieldProblem(path="query.form", message=f"one of {sorted(FORMS)}")],
        )
    start, end = _range(date_from, date_to)
    env = _environment(services, environment)
    window = timedelta(days=window_days)
    lo, hi = _midnight(start), _midnight(end) + timedelta(days=1)
    async with services.tracker.pool.acquire() as conn:
        overall = await store.funnel_counts(
            conn, environment=env, form=form, start=lo, end=hi, window=window
        )
        grouped = (
            await store.funnel_counts(
                conn,
                environment=env,
                form=form,
                start=lo,
                end=hi,
                window=window,
                breakdown=breakdown,
            )
            if breakdown != "none"
            else []
        )
    whole = overall[0] if overall else None
    total = build_funnel(
        form,
        whole.furthest if whole else {},
        medians=whole.medians if whole else None,
        field_errors=whole.field_errors if whole else None,
    )
    groups = [
        _group(
            g.group, build_funnel(form, g.furthest, medians=g.medians, field_errors=g.field_errors)
        )
        for g in grouped
    ]
    return FunnelView(
        form=form,
        environment=env,
        date_from=start,
        date_to=end,
        window_days=window_days,
        breakdown=breakdown,
        sessions=total.sessions,
        submitted=total.submitted,
        overall_conversion=total.overall_conversion,
        steps=total.steps,
        groups=groups,
        series=_series(form, groups or [_group("all", total)]),
    )


async def duplicates(
    services: Services,
    *,
    application_id: str | None,
    date_from: date | None,
    date_to: date | None,
    window_days: int | None,
    environment: str | None,
) -> DuplicatesView:
    days = window_days or services.settings.tracker.duplicate_window_days
    window = timedelta(days=days)
    if application_id is not None:
        async with services.tracker.pool.acquire() as conn:
            found = await store.cluster_of_application(conn, application_id, window=window)
        clusters = [found] if found is not None else []
        return DuplicatesView(
            environment=None,
            date_from=None,
            date_to=None,
            window_days=days,
            application_id=application_id,
            clusters=clusters,
            applications=sum(len(c.applications) for c in clusters),
        )
    start, end = _range(date_from, date_to)
    env = _environment(services, environment)
    lo, hi = _midnight(start), _midnight(end) + timedelta(days=1)
    async with services.tracker.pool.acquire() as conn:
        links = await store.application_links(
            conn, environment=env, start=lo - window, end=hi + window
        )
    clusters = [
        c
        for c in cluster_duplicates(links, window=window)
        if any(lo <= m.first_seen < hi for m in c.applications)
    ]
    return DuplicatesView(
        environment=env,
        date_from=start,
        date_to=end,
        window_days=days,
        application_id=None,
        clusters=clusters,
        applications=sum(len(c.applications) for c in clusters),
    )


async def extracts(
    services: Services, *, environment: str | None, before: date | None, limit: int
) -> ExtractPage:
    env = _environment(services, environment)
    async with services.tracker.pool.acquire() as conn:
        records = await store.list_extracts(conn, environment=env, limit=limit, before=before)
    bucket = services.settings.tracker.bucket
    items = [
        ExtractView(
            environment=r.environment,
            day=r.day,
            kind=r.kind,
            rows=r.rows,
            bytes=r.bytes,
            created_at=r.created_at,
            key=r.key,
            download_url=await presigned_get(
                services.s3,
                bucket=bucket,
                key=r.key,
                expires_seconds=DOWNLOAD_SECONDS,
                content_type="text/csv",
            ),
            expires_in_seconds=DOWNLOAD_SECONDS,
        )
        for r in records
    ]
    return ExtractPage(items=items)
