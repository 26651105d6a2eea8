"""Queries of the ``tracker`` schema: exactly-once event recording, session merges, funnels.

A batch is applied in one transaction: the event ids are inserted into ``events_seen`` first
(``on conflict do nothing returning``), and only the events that were new are folded into the
session aggregates. A redelivered event therefore changes nothing, and a concurrent processor
inserting the same id waits for the first transaction and then skips it. The merges mirror
``ff_shared.domain.tracking.merge_session`` / ``merge_step`` (least, greatest, sum,
earliest-wins by (time, event id)), so order and batch boundaries do not matter. Each statement
takes its rows sorted by key, so two processors lock rows in the same order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any, Literal

import asyncpg
import msgspec

from ff_shared.domain.funnel import (
    DuplicateCluster,
    FieldErrorCount,
    IdentityLink,
    cluster_duplicates,
)
from ff_shared.domain.tracking import (
    BatchDelta,
    SessionDelta,
    StampedEvent,
    StepDelta,
    fold,
    step_names,
)

Breakdown = Literal["none", "source", "device"]

_GROUP = {
    "none": "'all'",
    "source": "s.source",
    "device": "coalesce(s.device, 'unknown')",
}

SESSION_COLUMNS = (
    "session_id",
    "origin_at",
    "origin_event_id",
    "environment",
    "form",
    "anonymous_id",
    "first_seen",
    "last_seen",
    "events",
    "furthest_step_index",
    "submitted_at",
    "abandoned_at",
    "application_at",
    "application_event_id",
    "application_id",
    "context_at",
    "context_event_id",
    "source",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "referrer_host",
    "device",
)
_SESSION_TYPES = (
    "text",
    "timestamptz",
    "text",
    "text",
    "text",
    "text",
    "timestamptz",
    "timestamptz",
    "int",
    "int",
    "timestamptz",
    "timestamptz",
    "timestamptz",
    "text",
    "text",
    "timestamptz",
    "text",
    "text",
    "text",
    "text",
    "text",
    "text",
    "text",
)
STEP_COLUMNS = ("session_id", "step", "step_index", "first_at", "last_at", "events", "completed_at")
FIELD_ERROR_COLUMNS = ("session_id", "step", "field", "error_code", "errors")
IDENTITY_COLUMNS = ("session_id", "kind", "hash", "first_at")
SEEN_COLUMNS = ("event_id", "session_id", "received_at")


def _earlier_sql(prefix: str) -> str:
    """Whether the incoming row's (at, event id) for ``prefix`` is earlier than the stored one."""
    return (
        f"(excluded.{prefix}_at is not null and (s.{prefix}_at is null or "
        f"(excluded.{prefix}_at, excluded.{prefix}_event_id)"
        f" < (s.{prefix}_at, s.{prefix}_event_id)))"
    )


def _pick(column: str, prefix: str) -> str:
    return f"{column} = case when {_earlier_sql(prefix)} then excluded.{column} else s.{column} end"


_ORIGIN = ("origin_at", "origin_event_id", "environment", "form", "anonymous_id")
_APPLICATION = ("application_at", "application_event_id", "application_id")
_CONTEXT = (
    "context_at",
    "context_event_id",
    "source",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "referrer_host",
    "device",
)

_UPSERT_SESSIONS = f"""
insert into tracker.sessions as s ({", ".join(SESSION_COLUMNS)})
select * from unnest({", ".join(f"${i + 1}::{t}[]" for i, t in enumerate(_SESSION_TYPES))})
on conflict (session_id) do update set
    {", ".join(_pick(c, "origin") for c in _ORIGIN)},
    {", ".join(_pick(c, "application") for c in _APPLICATION)},
    {", ".join(_pick(c, "context") for c in _CONTEXT)},
    first_seen = least(s.first_seen, excluded.first_seen),
    last_seen = greatest(s.last_seen, excluded.last_seen),
    events = s.events + excluded.events,
    furthest_step_index = greatest(s.furthest_step_index, excluded.furthest_step_index),
    submitted_at = least(s.submitted_at, excluded.submitted_at),
    abandoned_at = greatest(s.abandoned_at, excluded.abandoned_at),
    updated_at = now()
"""

_UPSERT_STEPS = """
insert into tracker.session_steps as t
    (session_id, step, step_index, first_at, last_at, events, completed_at)
select * from unnest($1::text[], $2::text[], $3::int[], $4::timestamptz[], $5::timestamptz[],
                     $6::int[], $7::timestamptz[])
on conflict (session_id, step) do update set
    first_at = least(t.first_at, excluded.first_at),
    last_at = greatest(t.last_at, excluded.last_at),
    events = t.events + excluded.events,
    completed_at = least(t.completed_at, excluded.completed_at)
"""

_UPSERT_FIELD_ERRORS = """
insert into tracker.session_field_errors as f (session_id, step, field, error_code, errors)
select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[])
on conflict (session_id, step, field, error_code) do update set errors = f.errors + excluded.errors
"""

_UPSERT_IDENTITIES = """
insert into tracker.session_identities as i (session_id, kind, hash, first_at)
select * from unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])
on conflict (session_id, kind, hash) do update set first_at = least(i.first_at, excluded.first_at)
"""


def _columns(rows: Sequence[Sequence[Any]], width: int) -> list[list[Any]]:
    return [[row[i] for row in rows] for i in range(width)]


def session_row(s: SessionDelta) -> tuple[Any, ...]:
    return tuple(getattr(s, c) for c in SESSION_COLUMNS)


def step_row(s: StepDelta) -> tuple[Any, ...]:
    return tuple(getattr(s, c) for c in STEP_COLUMNS)


def delta_rows(delta: BatchDelta) -> dict[str, list[tuple[Any, ...]]]:
    """The delta as rows of each table, sorted by key (the lock order)."""
    return {
        "sessions": [session_row(delta.sessions[k]) for k in sorted(delta.sessions)],
        "session_steps": [step_row(delta.steps[k]) for k in sorted(delta.steps)],
        "session_field_errors": [(*k, n) for k, n in sorted(delta.field_errors.items())],
        "session_identities": [(*k, at) for k, at in sorted(delta.identities.items())],
    }


async def record_new_events(
    conn: asyncpg.Connection, events: Sequence[StampedEvent]
) -> list[StampedEvent]:
    """Insert the events' ids; return only the events whose id was new."""
    ordered = sorted(events, key=lambda e: e.event_id)
    rows = await conn.fetch(
        """
        insert into tracker.events_seen (event_id, session_id, received_at)
        select * from unnest($1::text[], $2::text[], $3::timestamptz[])
        on conflict (event_id) do nothing
        returning event_id
        """,
        [e.event_id for e in ordered],
        [e.session_id for e in ordered],
        [e.received_at for e in ordered],
    )
    new = {r[0] for r in rows}
    return [e for e in events if e.event_id in new]


async def apply_delta(conn: asyncpg.Connection, delta: BatchDelta) -> None:
    rows = delta_rows(delta)
    if rows["sessions"]:
        await conn.execute(_UPSERT_SESSIONS, *_columns(rows["sessions"], len(SESSION_COLUMNS)))
    if rows["session_steps"]:
        await conn.execute(_UPSERT_STEPS, *_columns(rows["session_steps"], len(STEP_COLUMNS)))
    if rows["session_field_errors"]:
        await conn.execute(_UPSERT_FIELD_ERRORS, *_columns(rows["session_field_errors"], 5))
    if rows["session_identities"]:
        await conn.execute(_UPSERT_IDENTITIES, *_columns(rows["session_identities"], 4))


async def store_events(conn: asyncpg.Connection, events: Sequence[StampedEvent]) -> int:
    """Record and fold a batch (call inside a transaction); return how many events were new."""
    new = await record_new_events(conn, events)
    if new:
        await apply_delta(conn, fold(new))
    return len(new)


async def copy_rows(
    conn: asyncpg.Connection,
    delta: BatchDelta,
    seen: Sequence[tuple[str, str, datetime]],
) -> None:
    """Bulk-load final rows with COPY: the benchmark's floor, and a rebuild from the lake."""
    rows = delta_rows(delta)
    await conn.copy_records_to_table(
        "events_seen", schema_name="tracker", records=list(seen), columns=list(SEEN_COLUMNS)
    )
    await conn.copy_records_to_table(
        "sessions", schema_name="tracker", records=rows["sessions"], columns=list(SESSION_COLUMNS)
    )
    for table, columns in (
        ("session_steps", STEP_COLUMNS),
        ("session_field_errors", FIELD_ERROR_COLUMNS),
        ("session_identities", IDENTITY_COLUMNS),
    ):
        await conn.copy_records_to_table(
            table, schema_name="tracker", records=rows[table], columns=list(columns)
        )


async def load_aggregate(conn: asyncpg.Connection, session_ids: Sequence[str]) -> BatchDelta:
    """The stored aggregates of these sessions, in the domain's shape (tests, operators)."""
    delta = BatchDelta()
    ids = list(session_ids)
    for r in await conn.fetch(
        f"select {', '.join(SESSION_COLUMNS)} from tracker.sessions where session_id = any($1)",
        ids,
    ):
        delta.sessions[r["session_id"]] = SessionDelta(**dict(r))
    for r in await conn.fetch(
        f"select {', '.join(STEP_COLUMNS)} from tracker.session_steps where session_id = any($1)",
        ids,
    ):
        delta.steps[(r["session_id"], r["step"])] = StepDelta(**dict(r))
    for r in await conn.fetch(
        "select session_id, step, field, error_code, errors from tracker.session_field_errors"
        " where session_id = any($1)",
        ids,
    ):
        delta.field_errors[(r[0], r[1], r[2], r[3])] = r[4]
    for r in await conn.fetch(
        "select session_id, kind, hash, first_at from tracker.session_identities"
        " where session_id = any($1)",
        ids,
    ):
        delta.identities[(r[0], r[1], r[2])] = r[3]
    return delta


async def count_seen(conn: asyncpg.Connection, session_ids: Sequence[str]) -> int:
    value = await conn.fetchval(
        "select count(*) from tracker.events_seen where session_id = any($1)", list(session_ids)
    )
    return int(value)


async def prune_seen(conn: asyncpg.Connection, older_than: datetime) -> int:
    status = await conn.execute(
        "delete from tracker.events_seen where processed_at < $1", older_than
    )
    return int(status.split()[-1])


class FunnelCounts(msgspec.Struct, frozen=True, kw_only=True):
    group: str
    furthest: dict[int, int]
    medians: dict[str, float | None]
    field_errors: dict[str, list[FieldErrorCount]]


def _sessions_cte(breakdown: Breakdown) -> str:
    return f"""
    s as (
        select s.session_id, s.first_seen, s.submitted_at, {_GROUP[breakdown]} as grp
        from tracker.sessions s
        where s.environment = $1 and s.form = $2 and s.first_seen >= $3 and s.first_seen < $4
    )"""


async def funnel_counts(
    conn: asyncpg.Connection,
    *,
    environment: str,
    form: str,
    start: datetime,
    end: datetime,
    window: timedelta,
    breakdown: Breakdown = "none",
) -> list[FunnelCounts]:
    """Per breakdown group: sessions by furthest stage, median seconds per step, field errors.

    Sessions are those that started in [start, end); a step or submission counts only when it
    happened within ``window`` of the session's start.
    """
    n_steps = len(step_names(form))
    args = (environment, form, start, end, window)
    reach = await conn.fetch(
        f"""
        with {_sessions_cte(breakdown)},
        reach as (
            select s.grp,
                case when s.submitted_at is not null and s.submitted_at <= s.first_seen + $5
                     then $6::int + 1
                     else coalesce(max(st.step_index) + 1, 0) end as stage
            from s left join tracker.session_steps st
                on st.session_id = s.session_id and st.first_at <= s.first_seen + $5
            group by s.session_id, s.grp, s.submitted_at, s.first_seen
        )
        select grp, stage, count(*) as sessions from reach group by grp, stage
        """,
        *args,
        n_steps,
    )
    medians = await conn.fetch(
        f"""
        with {_sessions_cte(breakdown)},
        st as (
            select st.session_id, s.grp, st.step, st.step_index, st.first_at, st.last_at,
                   case when s.submitted_at <= s.first_seen + $5 then s.submitted_at end
                       as submitted_at
            from tracker.session_steps st join s on s.session_id = st.session_id
            where st.first_at <= s.first_seen + $5
        ),
        timed as (
            select grp, step, greatest(0, extract(epoch from coalesce(
                min(first_at) over (
                    partition by session_id order by step_index desc
                    rows between unbounded preceding and 1 preceding),
                submitted_at,
                last_at) - first_at)) as seconds
            from st
        )
        select grp, step, percentile_cont(0.5) within group (order by seconds) as median
        from timed group by grp, step
        """,
        *args,
    )
    errors = await conn.fetch(
        f"""
        with {_sessions_cte(breakdown)}
        select s.grp, e.step, e.field, e.error_code, sum(e.errors)::int as errors,
               count(*)::int as sessions
        from tracker.session_field_errors e join s on s.session_id = e.session_id
        group by s.grp, e.step, e.field, e.error_code
        """,
        *args[:4],
    )
    groups: dict[str, FunnelCounts] = {}

    def group(key: str) -> FunnelCounts:
        if key not in groups:
            groups[key] = FunnelCounts(group=key, furthest={}, medians={}, field_errors={})
        return groups[key]

    for r in reach:
        group(r["grp"]).furthest[r["stage"]] = r["sessions"]
    for r in medians:
        group(r["grp"]).medians[r["step"]] = round(float(r["median"]), 3)
    for r in errors:
        group(r["grp"]).field_errors.setdefault(r["step"], []).append(
            FieldErrorCount(
                field=r["field"],
                error_code=r["error_code"],
                errors=r["errors"],
                sessions=r["sessions"],
            )
        )
    return sorted(groups.values(), key=lambda g: g.group)


async def application_links(
    conn: asyncpg.Connection, *, environment: str, start: datetime, end: datetime
) -> list[IdentityLink]:
    """Identity hashes of applications first seen in [start, end)."""
    rows = await conn.fetch(
        """
        with apps as (
            select application_id, min(first_seen) as seen_at
            from tracker.sessions
            where application_id is not null and environment = $1
            group by application_id
            having min(first_seen) >= $2 and min(first_seen) < $3
        )
        select distinct a.application_id, i.kind, i.hash, a.seen_at
        from apps a
        join tracker.sessions s on s.application_id = a.application_id
        join tracker.session_identities i on i.session_id = s.session_id
        """,
        environment,
        start,
        end,
    )
    return [IdentityLink(application_id=r[0], kind=r[1], hash=r[2], seen_at=r[3]) for r in rows]


async def links_sharing_hashes(
    conn: asyncpg.Connection, application_ids: Sequence[str]
) -> list[IdentityLink]:
    """Links of these applications and of every application sharing a hash with them."""
    rows = await conn.fetch(
        """
        with mine as (
            select distinct i.kind, i.hash
            from tracker.sessions s join tracker.session_identities i using (session_id)
            where s.application_id = any($1)
        ),
        apps as (
            select s.application_id, min(s.first_seen) over (partition by s.application_id)
                       as seen_at, i.kind, i.hash
            from tracker.sessions s join tracker.session_identities i using (session_id)
            where s.application_id is not null
              and (s.application_id = any($1)
                   or exists (select 1 from mine m where m.kind = i.kind and m.hash = i.hash))
        )
        select distinct application_id, kind, hash, seen_at from apps
        """,
        list(application_ids),
    )
    return [IdentityLink(application_id=r[0], kind=r[1], hash=r[2], seen_at=r[3]) for r in rows]


async def cluster_of_application(
    conn: asyncpg.Connection, application_id: str, *, window: timedelta, max_hops: int = 10
) -> DuplicateCluster | None:
    """The duplicate cluster an application belongs to, following shared hashes hop by hop."""
    known = {application_id}
    links = await links_sharing_hashes(conn, [application_id])
    for _ in range(max_hops):
        grown = known | {link.application_id for link in links}
        if grown == known:
            break
        known = grown
        links = await links_sharing_hashes(conn, sorted(known))
    for cluster in cluster_duplicates(links, window=window):
        if any(m.application_id == application_id for m in cluster.applications):
            return cluster
    return None


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
