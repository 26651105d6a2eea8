"""Recording events: exactly-once, folded into the session aggregates.

A batch is applied in one transaction: the event ids are inserted into ``events_seen`` first
(``on conflict do nothing returning``), and only the events that were new are folded into the
session aggregates. A redelivered event therefore changes nothing, and a concurrent processor
inserting the same id waits for the first transaction and then skips it. The merges mirror
``ff_shared.domain.tracking.sessions.merge_session`` / ``merge_step`` (least, greatest, sum,
earliest-wins by (time, event id)), so order and batch boundaries do not matter. Each statement
takes its rows sorted by key, so two processors lock rows in the same order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from ff_shared.domain.tracking.events import StampedEvent
from ff_shared.domain.tracking.sessions import BatchDelta, SessionDelta, StepDelta, fold

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


def _shifted(sql: str, offset: int) -> str:
    return re.sub(r"\$(\d+)", lambda m: f"${int(m[1]) + offset}", sql)


def _gated(upsert: str, offset: int) -> str:
    """An upsert that writes only when every id of the batch was new."""
    gated = upsert.replace("\non conflict", "\nwhere (select all_new from fresh)\non conflict", 1)
    return _shifted(gated, offset).strip()


_WIDTHS = (len(SESSION_COLUMNS), len(STEP_COLUMNS), 5, 4)
_OFFSETS = tuple(3 + sum(_WIDTHS[:i]) for i in range(len(_WIDTHS)))

_RECORD_AND_UPSERT = f"""
with seen as (
    insert into tracker.events_seen (event_id, session_id, received_at)
    select * from unnest($1::text[], $2::text[], $3::timestamptz[])
    on conflict (event_id) do nothing
    returning event_id
),
fresh as (select count(*) = cardinality($1::text[]) as all_new from seen),
upsert_sessions as ({_gated(_UPSERT_SESSIONS, _OFFSETS[0])}),
upsert_steps as ({_gated(_UPSERT_STEPS, _OFFSETS[1])}),
upsert_field_errors as ({_gated(_UPSERT_FIELD_ERRORS, _OFFSETS[2])}),
upsert_identities as ({_gated(_UPSERT_IDENTITIES, _OFFSETS[3])})
select case when (select all_new from fresh) then null
            else array(select event_id from seen) end
"""


async def record_and_apply(
    conn: asyncpg.Connection, events: Sequence[StampedEvent]
) -> list[StampedEvent]:
    """Record and fold a batch in one round trip when none of its ids was seen before (the usual
    case): one statement inserts the ids and, only if every one was new, upserts the fold of the
    whole batch into each table. Otherwise nothing is upserted and the new events alone are folded
    and applied. Call inside a transaction; returns the events that were new."""
    ordered = sorted(events, key=lambda e: e.event_id)
    rows = delta_rows(fold(events))
    args: list[list[Any]] = [
        [e.event_id for e in ordered],
        [e.session_id for e in ordered],
        [e.received_at for e in ordered],
    ]
    for table, width in zip(
        ("sessions", "session_steps", "session_field_errors", "session_identities"),
        _WIDTHS,
        strict=True,
    ):
        args += _columns(rows[table], width)
    seen_ids = await conn.fetchval(_RECORD_AND_UPSERT, *args)
    if seen_ids is None:
        return list(events)
    new_ids = set(seen_ids)
    new = [e for e in events if e.event_id in new_ids]
    if new:
        await apply_delta(conn, fold(new))
    return new


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
