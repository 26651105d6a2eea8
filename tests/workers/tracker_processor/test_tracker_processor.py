"""The tracker-processor against moto's SQS FIFO and S3 and the session's PostgreSQL: the lake,
sessions, duplicate delivery, poison messages, a processor killed mid-batch, two at once."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import signal
import time
from datetime import timedelta
from typing import Any

import asyncpg
import msgspec
import pytest
from tests.fixtures.tracker import ff_command, run_ff

from ff_shared.clock import now_utc
from ff_shared.domain.tracking.events import StampedEvent
from ff_shared.domain.tracking.sessions import fold
from ff_shared.settings import Settings
from ff_shared.stores.postgres import tracker as store
from ff_shared.tracking.config import ingest_config
from ff_shared.tracking.generator import Generated, generate, request_batches
from ff_shared.tracking.ingest import ingest
from ff_shared.tracking.s3_lake import decode_lines, list_keys
from ff_shared.tracking.sqs import QueuePair
from ff_workers.tracker_processor.processor import Processor


@pytest.fixture
def processor(
    tracker_sqs: Any,
    tracker_s3: Any,
    tracker_pool: asyncpg.Pool,
    tracker_settings: Settings,
    tracker_queues: dict[str, QueuePair],
) -> Processor:
    return Processor(
        sqs_client=tracker_sqs,
        s3_client=tracker_s3,
        pool=tracker_pool,
        settings=tracker_settings.tracker,
        queue_urls=[q.queue_url for q in tracker_queues.values()],
    )


async def send(generated: Generated, tracker_sqs: Any, settings: Settings) -> None:
    """Through the ingestion function, as ``ff tracker generate`` does."""
    config = ingest_config(settings.tracker)
    config = msgspec.structs.replace(
        config, limits=msgspec.structs.replace(config.limits, max_past_age=timedelta(days=30))
    )
    for batch in request_batches(generated, 100):
        raw = [msgspec.Raw(msgspec.json.encode(e)) for e in batch]
        result = await ingest(raw, sqs=tracker_sqs, config=config, now=now_utc())
        assert result.rejected == []


async def stored(pool: asyncpg.Pool, generated: Generated) -> Any:
    async with pool.acquire() as conn:
        return await store.load_aggregate(conn, generated.session_ids())


def truth(generated: Generated, environment: str) -> Any:
    """What the store must hold: the domain's fold of exactly the generated events."""
    events = [
        msgspec.convert(
            {**e, "environment": environment, "received_at": now_utc(), "schema_version": 1},
            StampedEvent,
            strict=False,
        )
        for e in generated.events
    ]
    return fold(events)


def assert_same_sessions(actual: Any, expected: Any) -> None:
    assert actual.sessions.keys() == expected.sessions.keys()
    assert actual.sessions == expected.sessions
    assert actual.steps == expected.steps
    assert actual.field_errors == expected.field_errors
    assert actual.identities == expected.identities


async def test_a_drain_writes_the_lake_then_sessions_then_deletes(
    processor: Processor,
    tracker_sqs: Any,
    tracker_s3: Any,
    tracker_settings: Settings,
    tracker_pool: asyncpg.Pool,
    tracker_queues: dict[str, QueuePair],
) -> None:
    data = generate(sessions=5, days=2, end=now_utc(), seed=1101, environment="staging")
    await send(data, tracker_sqs, tracker_settings)
    totals = await processor.drain_until_empty()
    assert totals.new_events == data.event_count
    assert totals.poison == 0
    assert_same_sessions(await stored(tracker_pool, data), truth(data, "staging"))
    async with tracker_pool.acquire() as conn:
        assert await store.count_seen(conn, data.session_ids()) == data.event_count
    keys = await list_keys(tracker_s3, tracker_settings.tracker.bucket, "raw/environment=staging/")
    hour = now_utc().strftime("dt=%Y-%m-%d/hour=%H")
    lake: list[StampedEvent] = []
    for key in keys:
        assert key.endswith(".jsonl.gz")
        obj = await tracker_s3.get_object(Bucket=tracker_settings.tracker.bucket, Key=key)
        raw = await obj["Body"].read()
        lines = gzip.decompress(raw).splitlines()
        assert all(json.loads(line)["environment"] == "staging" for line in lines)
        lake += decode_lines(raw)
    mine = {e.event_id for e in lake if e.session_id in set(data.session_ids())}
    assert mine == {e["event_id"] for e in data.events}
    assert any(hour in k for k in keys) or any(
        (now_utc() - timedelta(hours=1)).strftime("dt=%Y-%m-%d/hour=%H") in k for k in keys
    )
    depth = await tracker_sqs.get_queue_attributes(
        QueueUrl=tracker_queues["staging"].queue_url, AttributeNames=["All"]
    )
    assert depth["Attributes"]["ApproximateNumberOfMessages"] == "0"


async def test_duplicate_delivery_is_counted_once(
    processor: Processor,
    tracker_sqs: Any,
    tracker_settings: Settings,
    tracker_pool: asyncpg.Pool,
    tracker_queues: dict[str, QueuePair],
) -> None:
    data = generate(sessions=4, days=1, end=now_utc(), seed=2202, environment="staging")
    await send(data, tracker_sqs, tracker_settings)
    await processor.drain_until_empty()
    # SQS dedups within five minutes by id; past that (or from another producer) the same
    # event can arrive again under another deduplication id.
    url = tracker_queues["staging"].queue_url
    again = list(data.events)[:15]
    for i, e in enumerate(again):
        stamped = {
            **e,
            "environment": "staging",
            "received_at": now_utc().isoformat(),
            "schema_version": 1,
        }
        await tracker_sqs.send_message(
            QueueUrl=url,
            MessageBody=json.dumps(stamped),
            MessageGroupId=e["session_id"],
            MessageDeduplicationId=f"redelivery-{i}-{e['event_id']}",
        )
    totals = await processor.drain_until_empty()
    assert totals.messages == 15
    assert totals.new_events == 0
    assert totals.duplicates == 15
    assert_same_sessions(await stored(tracker_pool, data), truth(data, "staging"))


async def test_poison_messages_go_to_the_dlq_after_bounded_receives(
    processor: Processor,
    tracker_sqs: Any,
    tracker_settings: Settings,
    tracker_pool: asyncpg.Pool,
    tracker_queues: dict[str, QueuePair],
) -> None:
    pair = tracker_queues["staging"]
    data = generate(sessions=2, days=1, end=now_utc(), seed=3303, environment="staging")
    await send(data, tracker_sqs, tracker_settings)
    marker = f"poison-{time.time_ns()}"
    await tracker_sqs.send_message(
        QueueUrl=pair.queue_url,
        MessageBody=f'{{"not": "an event", "marker": "{marker}"}}',
        MessageGroupId="poison-group",
        MessageDeduplicationId=marker,
    )
    await tracker_sqs.send_message(
        QueueUrl=pair.queue_url,
        MessageBody="\x00 not json",
        MessageGroupId="poison-group-2",
        MessageDeduplicationId=marker + "-2",
    )
    totals = await processor.drain_until_empty()
    assert totals.poison == 2 * tracker_settings.tracker.max_receives
    assert totals.new_events == data.event_count
    dead = await tracker_sqs.receive_message(QueueUrl=pair.dlq_url, MaxNumberOfMessages=10)
    bodies = [m["Body"] for m in dead.get("Messages", [])]
    assert any(marker in b for b in bodies)
    assert "\x00 not json" in bodies
    assert_same_sessions(await stored(tracker_pool, data), truth(data, "staging"))


async def _wait_for(predicate: Any, within: float) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached in time")


async def test_a_processor_killed_mid_batch_loses_and_doubles_nothing(
    tracker_sqs: Any,
    tracker_env: dict[str, str],
    tracker_settings: Settings,
    tracker_pool: asyncpg.Pool,
    tracker_queues: dict[str, QueuePair],
) -> None:
    data = generate(sessions=7, days=2, end=now_utc(), seed=4404, environment="production")
    await send(data, tracker_sqs, tracker_settings)
    url = tracker_queues["production"].queue_url
    child = await asyncio.create_subprocess_exec(
        *ff_command("tracker", "process", "--until-empty"),
        env={**os.environ, **tracker_env, "FF_DEV_DIR": "/nonexistent-ff-dev"},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )

    async def some_processed() -> bool:
        async with tracker_pool.acquire() as conn:
            return await store.count_seen(conn, data.session_ids()) > 0

    try:
        await _wait_for(some_processed, within=60)

        # Kill while a batch is in flight: received (invisible) but not deleted.
        async def in_flight() -> bool:
            attrs = await tracker_sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
            )
            return int(attrs["Attributes"]["ApproximateNumberOfMessagesNotVisible"]) > 0

        await _wait_for(in_flight, within=30)
        child.send_signal(signal.SIGKILL)
    finally:
        if child.returncode is None:
            child.kill()
        await asyncio.wait_for(child.wait(), timeout=30)
    assert child.returncode == -signal.SIGKILL
    async with tracker_pool.acquire() as conn:
        processed_at_kill = await store.count_seen(conn, data.session_ids())
    assert 0 < processed_at_kill < data.event_count
    rerun = await asyncio.to_thread(run_ff, tracker_env, "tracker", "process", "--until-empty")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    async with tracker_pool.acquire() as conn:
        assert await store.count_seen(conn, data.session_ids()) == data.event_count
    assert_same_sessions(await stored(tracker_pool, data), truth(data, "production"))


async def test_two_processors_at_once_give_the_same_sessions_as_one(
    tracker_sqs: Any,
    tracker_env: dict[str, str],
    tracker_settings: Settings,
    tracker_pool: asyncpg.Pool,
    processor: Processor,
) -> None:
    one = generate(sessions=4, days=2, end=now_utc(), seed=5505, environment="production")
    await send(one, tracker_sqs, tracker_settings)
    await processor.drain_until_empty()
    single = await stored(tracker_pool, one)
    assert_same_sessions(single, truth(one, "production"))

    # Many more sessions (message groups) than one receive hands out (10): while one processor
    # holds its messages' groups, the other finds others to take, as with SQS itself.
    two = generate(sessions=40, days=2, end=now_utc(), seed=5506, environment="production")
    await send(two, tracker_sqs, tracker_settings)
    env = {
        **os.environ,
        **tracker_env,
        "FF_DEV_DIR": "/nonexistent-ff-dev",
        "FF_TRACKER_BATCH_MESSAGES": "10",
    }
    children = [
        await asyncio.create_subprocess_exec(
            *ff_command("tracker", "process", "--until-empty"),
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        for _ in range(2)
    ]
    outputs = [(await asyncio.wait_for(c.communicate(), timeout=240))[0].decode() for c in children]
    assert [c.returncode for c in children] == [0, 0], outputs
    new_counts = [int(o.split(" new events")[0].rsplit(" ", 1)[-1]) for o in outputs]
    assert sum(new_counts) == two.event_count
    assert all(n > 0 for n in new_counts), outputs
    both = await stored(tracker_pool, two)
    assert_same_sessions(both, truth(two, "production"))
    # Same generator, same shape: the two-processor sessions equal a one-processor fold of
    # the same events, field for field.
    assert len(both.sessions) == len(two.sessions)


async def test_ff_tracker_generate_loads_journeys_and_prints_their_funnel(
    tracker_env: dict[str, str], tracker_pool: asyncpg.Pool
) -> None:
    result = await asyncio.to_thread(
        run_ff,
        tracker_env,
        "tracker",
        "generate",
        "--sessions",
        "6",
        "--days",
        "2",
        "--environment",
        "staging",
        "--seed",
        "7707",
        "--process",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    expected = generate(sessions=6, days=2, end=now_utc(), seed=7707, environment="staging")
    assert f"generated 6 sessions, {expected.event_count} events" in result.stdout
    assert "the funnel generated" in result.stdout
    start_line = next(line for line in result.stdout.splitlines() if line.startswith("start"))
    assert start_line.split()[1] == "6"
    async with tracker_pool.acquire() as conn:
        assert await store.count_seen(conn, expected.session_ids()) == expected.event_count
    stored_now = await stored(tracker_pool, expected)
    assert {sid: s.events for sid, s in stored_now.sessions.items()} == {
        s.session_id: len(s.events) for s in expected.sessions
    }
