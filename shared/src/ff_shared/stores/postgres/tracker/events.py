"""Recording events: exactly-once, folded into the session aggregates.

A batch is applied atomically. Usually none of its ids was seen: one statement
(:func:`record_and_apply`) inserts them into ``events_seen`` and upserts the fold of the whole
batch, and commits on its own. If an id was recorded before, that statement fails having written
nothing (:class:`SeenBefore`), and :func:`record_new_and_apply` inserts the ids
(``on conflict do nothing returning``) and folds only the events that were new, in one
transaction. A redelivered event therefore changes nothing, and a concurrent processor inserting
the same id waits for the first transaction and then skips it. The merges mirror
``ff_shared.domain.tracking.sessions.merge_session`` / ``merge_step`` (least, greatest, sum,
earliest-wins by (time, event id)), so order and batch boundaries do not matter. Each statement
takes its rows sorted by key, so two processors lock rows in the same order.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
import msgspec

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


_STEP_TYPES = ("text", "text", "int", "timestamptz", "timestamptz", "int", "timestamptz")
_FIELD_ERROR_TYPES = ("text", "text", "text", "text", "int")
_IDENTITY_TYPES = ("text", "text", "text", "timestamptz")
_SEEN_TYPES = ("text", "text", "timestamptz")


def _from_json(param: int, types: Sequence[str]) -> str:
    """Rows from a JSON array of arrays (one per row, in column order): the batch statement's
    parameters are JSON, which msgspec writes and PostgreSQL reads far faster than the driver
    encodes arrays of datetimes and strings element by element."""
    columns = ", ".join(f"(r->>{i})::{t}" for i, t in enumerate(types))
    return f"select {columns} from jsonb_array_elements(${param}::jsonb) as r"


def _json_upsert(upsert: str, param: int, types: Sequence[str]) -> str:
    source, count = re.subn(
        r"select \* from unnest\(.*?\)\non conflict",
        lambda _: _from_json(param, types) + "\non conflict",
        upsert,
        flags=re.DOTALL,
    )
    assert count == 1
    return source.strip()


# The ids are the statement's own insert, without ``on conflict`` (half the work of a
# speculative insert): one recorded before fails the statement before any upsert runs.
# PostgreSQL runs the upserts after the main insert, the last listed first, so they take their
# rows in the order ``apply_delta`` does: sessions, steps, field errors, identities.
_RECORD_AND_UPSERT = f"""
with upsert_identities as ({_json_upsert(_UPSERT_IDENTITIES, 5, _IDENTITY_TYPES)}),
upsert_field_errors as ({_json_upsert(_UPSERT_FIELD_ERRORS, 4, _FIELD_ERROR_TYPES)}),
upsert_steps as ({_json_upsert(_UPSERT_STEPS, 3, _STEP_TYPES)}),
upsert_sessions as ({_json_upsert(_UPSERT_SESSIONS, 2, _SESSION_TYPES)})
insert into tracker.events_seen (event_id, session_id, received_at)
{_from_json(1, _SEEN_TYPES)}
"""

_SEEN_KEY = "events_seen_pkey"


class SeenBefore(Exception):
    """An event of the batch was recorded before (a redelivery, or another processor took it
    first): the statement failed and wrote nothing (inside a transaction, the transaction is
    aborted). Record the batch with :func:`record_new_and_apply` in a new transaction."""


class PreparedBatch(msgspec.Struct, frozen=True, gc=False):
    """The parameters of a batch's one statement (:func:`prepare`), built before a round trip:
    the ids, then the rows of each session table, each a JSON array of rows sorted by key."""

    events: int
    args: tuple[str, str, str, str, str]


_json = msgspec.json.Encoder()
_BY_ID = operator.attrgetter("event_id")
_SEEN_ROW = operator.attrgetter(*SEEN_COLUMNS)


def prepare(events: Sequence[StampedEvent]) -> PreparedBatch:
    """Fold a batch and lay out its ids and rows as the statement's parameters."""
    ordered = sorted(events, key=_BY_ID)
    rows = delta_rows(fold(events))
    seen = list(map(_SEEN_ROW, ordered))
    return PreparedBatch(
        events=len(events),
        args=(
            _json.encode(seen).decode(),
            _json.encode(rows["sessions"]).decode(),
            _json.encode(rows["session_steps"]).decode(),
            _json.encode(rows["session_field_errors"]).decode(),
            _json.encode(rows["session_identities"]).decode(),
        ),
    )


async def record_and_apply(
    conn: asyncpg.Connection, batch: Sequence[StampedEvent] | PreparedBatch
) -> None:
    """Record and fold a batch none of whose ids was seen before (the usual case): one statement
    inserts the ids and upserts the fold of the whole batch into each table. Outside a
    transaction it commits on its own, in one round trip. Raises :class:`SeenBefore`, having
    written nothing, if an id was recorded already (or appears twice in the batch)."""
    prepared = batch if isinstance(batch, PreparedBatch) else prepare(batch)
    try:
        await conn.execute(_RECORD_AND_UPSERT, *prepared.args)
    except asyncpg.exceptions.UniqueViolationError as exc:
        if exc.constraint_name != _SEEN_KEY:
            raise
        raise SeenBefore("an event of the batch was recorded before") from exc


async def record_new_and_apply(
    conn: asyncpg.Connection, events: Sequence[StampedEvent]
) -> list[StampedEvent]:
    """Record a batch that may hold events seen before, statement by statement: the ids (only
    new ones go on), then the fold of the new events. Call inside a transaction; returns the
    events that were new."""
    new = await record_new_events(conn, events)
    if new:
        await apply_delta(conn, fold(new))
    return new


async def store_events(conn: asyncpg.Connection, events: Sequence[StampedEvent]) -> int:
    """Record and fold a batch (call inside a transaction); return how many events were new."""
    return len(await record_new_and_apply(conn, events))


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
