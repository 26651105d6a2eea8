"""The processor's batch write (one statement that records the ids and upserts the fold, or, when
an id was seen before, a transaction that records them one statement at a time) gives the same
sessions as recording the ids and then applying the fold of the new events, statement by
statement (the store's ``store_events``), on generated journeys delivered in shuffled batches
with redeliveries of whole and part batches; and every recorded event is in the lake."""

from __future__ import annotations

import random

import asyncpg
import msgspec
import pytest

from ff_shared.clock import now_utc
from ff_shared.domain.tracking.events import StampedEvent
from ff_shared.domain.tracking.sessions import fold
from ff_shared.settings import TrackerSettings
from ff_shared.stores.postgres import tracker as store
from ff_shared.tracking.generator import generate
from ff_shared.tracking.s3_lake import decode_lines
from ff_workers.tracker_processor.processor import Processor

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


class Lake:
    """The processor's S3 client, keeping the objects it is given (their keys and bodies)."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    async def put_object(self, *, Key: str, Body: bytes, **_: object) -> dict[str, object]:
        self.objects[Key] = Body
        return {}


async def apply(
    pool: asyncpg.Pool, batches: list[list[StampedEvent]], *, reference: bool, lake: Lake
) -> list[int]:
    processor = Processor(
        sqs_client=None,
        s3_client=lake,
        pool=pool,
        settings=TrackerSettings(bucket="lake"),
        queue_urls=[],
    )
    new_counts: list[int] = []
    for batch in batches:
        if reference:
            async with pool.acquire() as conn, conn.transaction():
                new_counts.append(await store.store_events(conn, batch))
        else:
            new, _objects = await processor.write(batch)
            new_counts.append(new)
    return new_counts


async def test_one_statement_batches_store_the_same_sessions(tracker_pool: asyncpg.Pool) -> None:
    # Its own seed: the generator's ids derive from it, and the staff analytics tests load
    # seed 6606's journeys into the same database.
    data = generate(sessions=40, days=3, end=now_utc(), seed=6616, environment="staging")
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
    reference_counts = await apply(tracker_pool, batches, reference=True, lake=Lake())
    async with tracker_pool.acquire() as conn:
        reference = await store.load_aggregate(conn, ids)
    await clear(tracker_pool, ids)
    lake = Lake()
    counts = await apply(tracker_pool, batches, reference=False, lake=lake)
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
    # Redelivered batches were written again, so the lake holds every event, some more than once,
    # and each copy is the event as it was delivered.
    in_lake = [e for body in lake.objects.values() for e in decode_lines(body)]
    assert {e.event_id for e in in_lake} == {e.event_id for e in events}
    by_id = {e.event_id: e for e in events}
    assert all(e == by_id[e.event_id] for e in in_lake)
    await clear(tracker_pool, ids)


async def test_a_batch_seen_before_writes_nothing_in_its_one_statement(
    tracker_pool: asyncpg.Pool,
) -> None:
    data = generate(sessions=3, days=1, end=now_utc(), seed=6607, environment="staging")
    received = now_utc()
    events = [
        msgspec.convert(
            {**e, "environment": "staging", "received_at": received, "schema_version": 1},
            StampedEvent,
            strict=False,
        )
        for e in data.events
    ]
    ids = data.session_ids()
    await clear(tracker_pool, ids)
    first, rest = events[:5], events[5:]
    async with tracker_pool.acquire() as conn:
        await store.record_and_apply(conn, first)
        before = await store.load_aggregate(conn, ids)
        with pytest.raises(store.SeenBefore):
            await store.record_and_apply(conn, [*rest, first[0]])
        assert await store.load_aggregate(conn, ids) == before
        assert await store.count_seen(conn, ids) == len(first)
        async with conn.transaction():
            new = await store.record_new_and_apply(conn, [*rest, first[0]])
        assert new == rest
        assert await store.load_aggregate(conn, ids) == fold(events)
    await clear(tracker_pool, ids)
