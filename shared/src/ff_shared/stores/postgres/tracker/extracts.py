"""The daily extracts: the sessions a day started, and the extracts written for them."""

from __future__ import annotations

from datetime import date, datetime

import asyncpg
import msgspec

from ff_shared.domain.tracking.events import step_names


class SessionRow(msgspec.Struct, frozen=True, kw_only=True):
    session_id: str
    environment: str
    form: str
    first_seen: datetime
    last_seen: datetime
    events: int
    furthest_step: str | None
    steps_reached: int
    submitted_at: datetime | None
    abandoned_at: datetime | None
    application_id: str | None
    source: str
    utm_medium: str | None
    utm_campaign: str | None
    device: str | None


async def sessions_started(
    conn: asyncpg.Connection, *, environment: str, start: datetime, end: datetime
) -> list[SessionRow]:
    rows = await conn.fetch(
        """
        select s.session_id, s.environment, s.form, s.first_seen, s.last_seen, s.events,
               s.furthest_step_index, s.submitted_at, s.abandoned_at, s.application_id,
               s.source, s.utm_medium, s.utm_campaign, s.device,
               (select count(*) from tracker.session_steps st
                where st.session_id = s.session_id)::int as steps_reached
        from tracker.sessions s
        where s.environment = $1 and s.first_seen >= $2 and s.first_seen < $3
        order by s.first_seen, s.session_id
        """,
        environment,
        start,
        end,
    )
    out: list[SessionRow] = []
    for r in rows:
        steps = step_names(r["form"])
        idx = r["furthest_step_index"]
        out.append(
            SessionRow(
                session_id=r["session_id"],
                environment=r["environment"],
                form=r["form"],
                first_seen=r["first_seen"],
                last_seen=r["last_seen"],
                events=r["events"],
                furthest_step=steps[idx] if 0 <= idx < len(steps) else None,
                steps_reached=r["steps_reached"],
                submitted_at=r["submitted_at"],
                abandoned_at=r["abandoned_at"],
                application_id=r["application_id"],
                source=r["source"],
                utm_medium=r["utm_medium"],
                utm_campaign=r["utm_campaign"],
                device=r["device"],
            )
        )
    return out


class ExtractRecord(msgspec.Struct, frozen=True, kw_only=True):
    environment: str
    day: date
    kind: str
    key: str
    rows: int
    bytes: int
    created_at: datetime


async def record_extract(conn: asyncpg.Connection, extract: ExtractRecord) -> None:
    await conn.execute(
        """
        insert into tracker.extracts (environment, day, kind, key, rows, bytes, created_at)
        values ($1, $2, $3, $4, $5, $6, $7)
        on conflict (environment, day, kind) do update set
            key = excluded.key, rows = excluded.rows, bytes = excluded.bytes,
            created_at = excluded.created_at
        """,
        extract.environment,
        extract.day,
        extract.kind,
        extract.key,
        extract.rows,
        extract.bytes,
        extract.created_at,
    )


async def list_extracts(
    conn: asyncpg.Connection, *, environment: str, limit: int, before: date | None = None
) -> list[ExtractRecord]:
    rows = await conn.fetch(
        """
        select environment, day, kind, key, rows, bytes, created_at from tracker.extracts
        where environment = $1 and ($2::date is null or day < $2)
        order by day desc, kind
        limit $3
        """,
        environment,
        before,
        limit,
    )
    return [ExtractRecord(**dict(r)) for r in rows]
