"""Daily CSV extracts written to S3: sessions, the funnel by day, duplicate applications.

Each extract covers the sessions (or applications) that started on one UTC day; building a day
again overwrites its objects and its catalogue rows, so the cron job may run more than once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import asyncpg
import msgspec
import structlog

from ff_shared.clock import now_utc
from ff_shared.domain.funnel import build_funnel, cluster_duplicates
from ff_shared.domain.tracking.events import FORMS
from ff_shared.settings import TrackerSettings
from ff_shared.stores.postgres import tracker as store
from ff_shared.tracking import s3_lake

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client
else:
    S3Client = Any

log = structlog.get_logger()

KINDS = ("sessions", "funnel_by_day", "duplicates")
FUNNEL_WINDOW = timedelta(days=30)


class ExtractResult(msgspec.Struct, frozen=True, kw_only=True):
    environment: str
    day: date
    kind: str
    key: str
    rows: int


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> tuple[bytes, int]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow(
            ["" if v is None else v.isoformat() if isinstance(v, datetime) else v for v in row]
        )
        count += 1
    return buffer.getvalue().encode(), count


async def _sessions_csv(
    conn: asyncpg.Connection, environment: str, start: datetime, end: datetime
) -> tuple[bytes, int]:
    rows = await store.sessions_started(conn, environment=environment, start=start, end=end)
    header = [f.name for f in msgspec.structs.fields(store.SessionRow)]
    return _csv(header, ([getattr(r, h) for h in header] for r in rows))


async def _funnel_csv(
    conn: asyncpg.Connection, environment: str, day: date, start: datetime, end: datetime
) -> tuple[bytes, int]:
    out: list[list[Any]] = []
    for form in FORMS:
        for group in await store.funnel_counts(
            conn,
            environment=environment,
            form=form,
            start=start,
            end=end,
            window=FUNNEL_WINDOW,
            breakdown="source",
        ):
            funnel = build_funnel(form, group.furthest, medians=group.medians)
            for step in funnel.steps:
                out.append(
                    [
                        day.isoformat(),
                        form,
                        group.group,
                        step.step,
                        step.sessions,
                        step.conversion_from_previous,
                        step.drop_off,
                        step.median_seconds_in_step,
                    ]
                )
    header = [
        "day",
        "form",
        "source",
        "stage",
        "sessions",
        "conversion_from_previous",
        "drop_off",
        "median_seconds_in_step",
    ]
    return _csv(header, out)


async def _duplicates_csv(
    conn: asyncpg.Connection, environment: str, start: datetime, end: datetime, window: timedelta
) -> tuple[bytes, int]:
    links = await store.application_links(
        conn, environment=environment, start=start - window, end=end
    )
    rows: list[list[Any]] = []
    for cluster in cluster_duplicates(links, window=window):
        if not any(start <= m.first_seen < end for m in cluster.applications):
            continue
        signals = ";".join(f"{s.kind}:{s.hash_prefix}" for s in cluster.signals)
        for member in cluster.applications:
            rows.append([cluster.cluster_id, member.application_id, member.first_seen, signals])
    return _csv(["cluster_id", "application_id", "first_seen", "shared_signals"], rows)


async def build_extracts(
    pool: asyncpg.Pool,
    s3: S3Client,
    settings: TrackerSettings,
    *,
    environment: str,
    day: date,
) -> list[ExtractResult]:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    end = start + timedelta(days=1)
    window = timedelta(days=settings.duplicate_window_days)
    async with pool.acquire() as conn:
        bodies = {
            "sessions": await _sessions_csv(conn, environment, start, end),
            "funnel_by_day": await _funnel_csv(conn, environment, day, start, end),
            "duplicates": await _duplicates_csv(conn, environment, start, end, window),
        }
    results: list[ExtractResult] = []
    for kind, (body, count) in bodies.items():
        key = s3_lake.extract_key(environment, day.isoformat(), kind)
        await s3_lake.put_extract(s3, settings.bucket, key, body)
        async with pool.acquire() as conn:
            await store.record_extract(
                conn,
                store.ExtractRecord(
                    environment=environment,
                    day=day,
                    kind=kind,
                    key=key,
                    rows=count,
                    bytes=len(body),
                    created_at=now_utc(),
                ),
            )
        results.append(
            ExtractResult(environment=environment, day=day, kind=kind, key=key, rows=count)
        )
    log.info("tracker_extracts_built", environment=environment, day=day.isoformat())
    return results
