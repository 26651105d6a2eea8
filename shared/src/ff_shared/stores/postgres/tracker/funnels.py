"""Funnels: how far sessions got, how long each step took, and which fields failed."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

import asyncpg
import msgspec

from ff_shared.domain.funnel import FieldErrorCount
from ff_shared.domain.tracking.events import step_names

Breakdown = Literal["none", "source", "device"]


_GROUP = {
    "none": "'all'",
    "source": "s.source",
    "device": "coalesce(s.device, 'unknown')",
}

_Args = tuple[str, str, datetime, datetime, timedelta]


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
    args = (environment, form, start, end, window)
    reach = await _reach(conn, breakdown, args, n_steps=len(step_names(form)))
    medians = await _medians(conn, breakdown, args)
    errors = await _field_errors(conn, breakdown, args[:4])
    return _grouped(reach, medians, errors)


async def _reach(
    conn: asyncpg.Connection, breakdown: Breakdown, args: _Args, *, n_steps: int
) -> list[tuple[str, int, int]]:
    rows = await conn.fetch(
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
    return [(r["grp"], r["stage"], r["sessions"]) for r in rows]


async def _medians(
    conn: asyncpg.Connection, breakdown: Breakdown, args: _Args
) -> list[tuple[str, str, float]]:
    rows = await conn.fetch(
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
    return [(r["grp"], r["step"], round(float(r["median"]), 3)) for r in rows]


async def _field_errors(
    conn: asyncpg.Connection, breakdown: Breakdown, args: tuple[str, str, datetime, datetime]
) -> list[tuple[str, str, FieldErrorCount]]:
    rows = await conn.fetch(
        f"""
        with {_sessions_cte(breakdown)}
        select s.grp, e.step, e.field, e.error_code, sum(e.errors)::int as errors,
               count(*)::int as sessions
        from tracker.session_field_errors e join s on s.session_id = e.session_id
        group by s.grp, e.step, e.field, e.error_code
        """,
        *args,
    )
    return [
        (
            r["grp"],
            r["step"],
            FieldErrorCount(
                field=r["field"],
                error_code=r["error_code"],
                errors=r["errors"],
                sessions=r["sessions"],
            ),
        )
        for r in rows
    ]


def _grouped(
    reach: list[tuple[str, int, int]],
    medians: list[tuple[str, str, float]],
    errors: list[tuple[str, str, FieldErrorCount]],
) -> list[FunnelCounts]:
    groups: dict[str, FunnelCounts] = {}

    def group(key: str) -> FunnelCounts:
        if key not in groups:
            groups[key] = FunnelCounts(group=key, furthest={}, medians={}, field_errors={})
        return groups[key]

    for grp, stage, sessions in reach:
        group(grp).furthest[stage] = sessions
    for grp, step, median in medians:
        group(grp).medians[step] = median
    for grp, step, count in errors:
        group(grp).field_errors.setdefault(step, []).append(count)
    return sorted(groups.values(), key=lambda g: g.group)
