"""Staff analytics over the journey tracker: funnels, duplicate applications, daily extracts.

Every route needs ``analytics.read`` (analysts and admins). Responses carry tables and
chart-ready series (``labels`` plus one dataset per breakdown group) for the staff portal.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Literal

import asyncpg
import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from ff_api.security import StaffPrincipal
from ff_api.services import Services
from ff_shared.clock import now_utc
from ff_shared.domain.funnel import (
    DuplicateCluster,
    FunnelStep,
    build_funnel,
    cluster_duplicates,
)
from ff_shared.domain.tracking import FORMS, stages
from ff_shared.errors import FieldProblem, InvalidInput
from ff_shared.integrations.aws.s3 import presigned_get
from ff_shared.stores.postgres import tracker as store

MAX_RANGE_DAYS = 366
DOWNLOAD_SECONDS = 900

Breakdown = Literal["none", "source", "device"]


class Dataset(msgspec.Struct, kw_only=True):
    label: str
    data: list[float | int | None]


class Series(msgspec.Struct, kw_only=True):
    """Chart-ready: one label per stage, one dataset per group."""

    labels: list[str]
    sessions: list[Dataset]
    conversion_from_start: list[Dataset]


class FunnelGroup(msgspec.Struct, kw_only=True):
    key: str
    sessions: int
    submitted: int
    overall_conversion: float | None
    steps: list[FunnelStep]


class FunnelView(msgspec.Struct, kw_only=True):
    form: str
    environment: str
    date_from: date = msgspec.field(name="from")
    date_to: date = msgspec.field(name="to")
    window_days: int
    breakdown: str
    sessions: int
    submitted: int
    overall_conversion: float | None
    steps: list[FunnelStep]
    groups: list[FunnelGroup]
    """One funnel per source or device when ``breakdown`` asks for it; empty otherwise."""
    series: Series


class DuplicatesView(msgspec.Struct, kw_only=True):
    environment: str | None
    date_from: date | None = msgspec.field(name="from")
    date_to: date | None = msgspec.field(name="to")
    window_days: int
    application_id: str | None
    clusters: list[DuplicateCluster]
    applications: int
    """Applications that are in some cluster."""


async def duplicate_cluster_for(services: Services, application_id: str) -> DuplicateCluster | None:
    """What the staff review shows of an application's duplicates (None: in no cluster, or the
    tracker's schema is not deployed where this API runs)."""
    window = timedelta(days=services.settings.tracker.duplicate_window_days)
    try:
        async with services.tracker.pool.acquire() as conn:
            return await store.cluster_of_application(conn, application_id, window=window)
    except asyncpg.exceptions.UndefinedTableError:
        return None


class ExtractView(msgspec.Struct, kw_only=True):
    environment: str
    day: date
    kind: str
    rows: int
    bytes: int
    created_at: datetime
    key: str
    download_url: str
    expires_in_seconds: int


class ExtractPage(msgspec.Struct, kw_only=True):
    items: list[ExtractView]


def _range(date_from: date | None, date_to: date | None) -> tuple[date, date]:
    today = now_utc().date()
    end = date_to or today
    start = date_from or end - timedelta(days=29)
    if start > end:
        raise InvalidInput(
            "`from` is after `to`", errors=[FieldProblem(path="query.from", message="after to")]
        )
    if (end - start).days >= MAX_RANGE_DAYS:
        raise InvalidInput(
            f"a range covers at most {MAX_RANGE_DAYS} days",
            errors=[FieldProblem(path="query.to", message=f"more than {MAX_RANGE_DAYS} days")],
        )
    return start, end


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


DateFrom = Annotated[
    date | None,
    QueryParameter(name="from", description="First day (UTC), default 29 days before to"),
]
DateTo = Annotated[
    date | None, QueryParameter(name="to", description="Last day (UTC), default today")
]
Environment = Annotated[
    str | None, QueryParameter(description="Tracked environment (default: the deployment's)")
]


class AnalyticsController(Controller):
    path = "/analytics"
    tags = ["staff: analytics"]

    @get(
        "/funnel",
        operation_id="staff_analytics_funnel",
        summary="Funnel of a form: reach, conversion, drop-off, time and field errors per step",
        description=(
            "Sessions that started between `from` and `to` (UTC days, inclusive). A session "
            "counts at every stage up to the furthest it reached within `window_days` of its "
            "start; submitting within the window counts as converting. `breakdown` adds one "
            "funnel per traffic source or device class."
        ),
        opt={"permission": "analytics.read"},
    )
    async def funnel(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        form: Annotated[str, QueryParameter(description="Tracked form")] = "application",
        date_from: DateFrom = None,
        date_to: DateTo = None,
        window_days: Annotated[int, QueryParameter(ge=1, le=365)] = 30,
        breakdown: FromQuery[Breakdown] = "none",
        environment: Environment = None,
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
        groups: list[FunnelGroup] = []
        for g in grouped:
            f = build_funnel(form, g.furthest, medians=g.medians, field_errors=g.field_errors)
            groups.append(
                FunnelGroup(
                    key=g.group,
                    sessions=f.sessions,
                    submitted=f.submitted,
                    overall_conversion=f.overall_conversion,
                    steps=f.steps,
                )
            )
        shown = groups or [
            FunnelGroup(
                key="all",
                sessions=total.sessions,
                submitted=total.submitted,
                overall_conversion=total.overall_conversion,
                steps=total.steps,
            )
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
            series=Series(
                labels=list(stages(form)),
                sessions=[Dataset(label=g.key, data=[s.sessions for s in g.steps]) for g in shown],
                conversion_from_start=[
                    Dataset(label=g.key, data=[s.conversion_from_start for s in g.steps])
                    for g in shown
                ],
            ),
        )

    @get(
        "/duplicates",
        operation_id="staff_analytics_duplicates",
        summary="Applications sharing an e-mail, phone, device or bank account hash",
        description=(
            "Clusters of applications that share an identity hash within `window_days` of each "
            "other, with the shared signals. With `application_id`, the cluster of that one "
            "application (as the staff review shows it); otherwise every cluster with an "
            "application first seen between `from` and `to`."
        ),
        opt={"permission": "analytics.read"},
    )
    async def duplicates(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        application_id: Annotated[str | None, QueryParameter(max_length=64)] = None,
        date_from: DateFrom = None,
        date_to: DateTo = None,
        window_days: Annotated[int | None, QueryParameter(ge=1, le=365)] = None,
        environment: Environment = None,
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

    @get(
        "/extracts",
        operation_id="staff_analytics_extracts",
        summary="Daily CSV extracts (sessions, funnel by day, duplicates) with download links",
        opt={"permission": "analytics.read"},
    )
    async def extracts(
        self,
        staff: NamedDependency[StaffPrincipal],
        services: NamedDependency[Services],
        environment: Environment = None,
        before: Annotated[
            date | None, QueryParameter(description="Only days before this one")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=300)] = 30,
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
