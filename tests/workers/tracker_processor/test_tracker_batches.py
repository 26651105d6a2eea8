"""The processor's one-round-trip batch write gives the same sessions as recording the ids and then
applying the fold of the new events, statement by statement (the store's ``store_events``), on
generated journeys delivered in shuffled batches with redeliveries of whole and part batches."""

from __future__ import annotations

import random

import asyncpg
import msgspec

from ff_shared.clock import now_utc
from ff_shared.domain.tracking.events import StampedEvent
from ff_shared.domain.tracking.sessions import fold
from ff_shared.stores.postgres import tracker as store
from ff_shared.tracking.generator import generate

TABLES = ("events_seen", "sessions", "session_steps", "session_field_errors", "session_identities")


def deliveries(events: list[StampedEvent], seed: int) -> list[list[StampedEvent]]:
    """Shuffled batches of 1 to 60 events; some are redelivered whole, some in part beside new
    events, as SQS may redeliver after a processor was killed."""
    rng = random.Random(seed)
    pending = events[:]
    rng.shuffle(pending)
    batches: list[list[StampedEvent]] = []
    delivered: list[StampedEvent] = []
    while pending:
        size = rng.randint(1, 60)
        batch, pending = pending[:size], pending[size:]
        if delivered and rng.random() < 0.3:
            batch += rng.sample(delivered, min(len(delivered), rng.randint(1, 10)))
        delivered += batch
        batches.append(batch)
        if rng.random() < 0.1:
            batches.append(batch[:])
    return batches


async def clear(pool: asyncpg.Pool, session_ids: list[str]) -> None:
    async with pool.acquire() as conn:
        for table in TABLES:
            await conn.execute(
                f"delete from tracker.{table} where session_id = any($1)", session_ids
            )


async def apply(
    pool: asyncpg.Pool, batches: list[list[StampedEvent]], *, reference: bool
) -> list[int]:
    new_counts: list[int] = []
    for batch in batches:
        async with pool.acquire() as conn, conn.transaction():
            if reference:
                new_counts.append(await store.store_events(conn, batch))
            else:
                new_counts.append(len(await store.record_and_apply(conn, batch)))
    return new_counts


async def test_one_statement_batches_store_the_same_sessions(tracker_pool: asyncpg.Pool) -> None:
    data = generate(sessions=40, days=3, end=now_utc(), seed=6606, environment="staging")
    received = now_utc()
    events = [
        msgspec.convert(
            {**e, "environment": "staging", "received_at": received, "schema_version": 1},
            StampedEvent,
            strict=False,
        )
        for e in data.events
    ]
    batches = deliveries(events, seed=6606)
    assert sum(map(len, batches)) > len(events)
    ids = data.session_ids()
    await clear(tracker_pool, ids)
    reference_counts = await apply(tracker_pool, batches, reference=True)
    async with tracker_pool.acquire() as conn:
        reference = await store.load_aggregate(conn, ids)
    await clear(tracker_pool, ids)
    counts = await apply(tracker_pool, batches, reference=False)
    async with tracker_pool.acquire() as conn:
        actual = await store.load_aggregate(conn, ids)
        assert await store.count_seen(conn, ids) == len(events)
    assert counts == reference_counts
    assert sum(counts) == len(events)
    assert actual.sessions.keys() == reference.sessions.keys() == set(ids)
    assert actual.sessions == reference.sessions
    assert actual.steps == reference.steps
    assert actual.field_errors == reference.field_errors
    assert actual.identities == reference.identities
    assert actual.sessions == fold(events).sessions
