"""The tracker-processor's throughput, each figure beside a floor measured in the same run.

    uv run python bench/tracker_bench.py [--events 200000] [--e2e-events 10000] [--batch 1000]
        [--demo-sessions 100] [--demo-days 7]

A generated day of journeys (about ``--events`` events) is pushed through the processor twice:

1. **core**: the processor's own work (decode the message bodies, skip ids already seen, fold
   into sessions, gzip the JSON Lines, write PostgreSQL in one transaction per batch) fed from
   in-memory batches of ``--batch`` message bodies (``FF_TRACKER_BATCH_MESSAGES``'s default);
   the lake objects go to memory, not S3.
2. **end to end**: ``--e2e-events`` of them through the ingestion function onto moto's SQS FIFO
   queue while the processor drains it into moto's S3 and PostgreSQL, as on the local stack.
3. **demo load**: the README's ``ff tracker generate`` (``--demo-sessions`` 100 over
   ``--demo-days`` 7) generated, sent through the same ingestion and SQS calls as the command and
   processed into PostgreSQL, timed whole, paced by queue depth as the command is and unpaced.

Beside each, the floor: the same final rows bulk-loaded with COPY into the same tables, with no
queue, no S3 and no per-event logic; the core's floor is measured before and after it, and the
core printed against both (the machine is shared, so one floor alone can mislead). End to end
also prints SQS calls per event and how full the batches were. Needs PostgreSQL on
127.0.0.1:5432 (FF_BENCH_POSTGRES_URL overrides); a database is created for the run and dropped
after; moto is started here.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import tempfile
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import aioboto3
import asyncpg
import msgspec

from ff_shared.clock import now_utc
from ff_shared.domain.tracking.events import StampedEvent
from ff_shared.domain.tracking.sessions import fold
from ff_shared.settings import TrackerSettings
from ff_shared.stores.postgres import apply_migrations
from ff_shared.stores.postgres import tracker as store
from ff_shared.tracking.config import IngestConfig, batch_limits
from ff_shared.tracking.generator import Generated, generate
from ff_shared.tracking.loader import load
from ff_shared.tracking.s3_lake import ensure_bucket
from ff_shared.tracking.sqs import ensure_queue_pair
from ff_standins.servers import start_moto
from ff_workers.tracker_processor.processor import Processor, Totals

REGION = "eu-west-2"
os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
TABLES = ("events_seen", "sessions", "session_steps", "session_field_errors", "session_identities")
EVENTS_PER_SESSION = 28


class MemoryS3:
    """Where the core's lake objects go: counted, kept in memory, no network."""

    def __init__(self) -> None:
        self.objects = 0
        self.bytes = 0
        self.peak_at_tenth = 0.0

    async def put_object(self, *, Body: bytes, **_: Any) -> dict[str, Any]:
        self.objects += 1
        self.bytes += len(Body)
        return {}


class CpuMeter:
    """CPU seconds used by this process (its threads included) and by the run's PostgreSQL
    backends, read from /proc: a figure other processes' load on the machine barely changes,
    unlike wall-clock time. The server's part is left out when its backends are not local."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.tick = os.sysconf("SC_CLK_TCK")
        self.server = all(Path(f"/proc/{pid}/stat").exists() for pid in pids)
        self.last = (0.0, 0.0)

    def read(self) -> tuple[float, float]:
        own = resource.getrusage(resource.RUSAGE_SELF)
        server = 0.0
        if self.server:
            for pid in self.pids:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                server += (int(fields[11]) + int(fields[12])) / self.tick
        return own.ru_utime + own.ru_stime, server

    @staticmethod
    def spent(before: tuple[float, float], after: tuple[float, float]) -> tuple[float, float]:
        return after[0] - before[0], after[1] - before[1]


async def _backend_pids(pool: asyncpg.Pool) -> list[int]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "select pid from pg_stat_activity where datname = current_database()"
        )
    return [int(r[0]) for r in rows]


def _cpu_line(events: int, core: tuple[float, float], floor: tuple[float, float]) -> str:
    per = 1e6 / events
    return (
        f"  CPU per event: core {sum(core) * per:.1f} us (Python {core[0] * per:.1f}, "
        f"PostgreSQL {core[1] * per:.1f}), floor {sum(floor) * per:.1f} us "
        f"(Python {floor[0] * per:.1f}, PostgreSQL {floor[1] * per:.1f}) "
        f"(= {sum(floor) / sum(core):.1%} of floor in CPU)"
    )


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _day(events: int, seed: int) -> Generated:
    sessions = max(1, events // EVENTS_PER_SESSION)
    data = generate(sessions=sessions, days=1, end=now_utc(), seed=seed, environment="bench")
    while data.event_count < events:
        sessions = int(sessions * events / data.event_count) + 1
        data = generate(sessions=sessions, days=1, end=now_utc(), seed=seed, environment="bench")
    return data


def _stamped(data: Generated) -> list[StampedEvent]:
    received = now_utc()
    return [
        msgspec.convert(
            {**e, "received_at": received, "schema_version": 1}, StampedEvent, strict=False
        )
        for e in data.events
    ]


async def _truncate(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await conn.execute(
            "truncate " + ", ".join(f"tracker.{t}" for t in TABLES) + ", tracker.extracts"
        )


async def _floor(
    pool: asyncpg.Pool, events: list[StampedEvent], meter: CpuMeter | None = None
) -> float:
    """Seconds to COPY the final rows of ``events`` into the empty tables (and its CPU, in
    ``meter.last``)."""
    delta = fold(events)
    seen = sorted({(e.event_id, e.session_id, e.received_at) for e in events})
    await _truncate(pool)
    cpu = meter.read() if meter else (0.0, 0.0)
    started = time.perf_counter()
    async with pool.acquire() as conn, conn.transaction():
        await store.copy_rows(conn, delta, seen)
    elapsed = time.perf_counter() - started
    if meter:
        meter.last = meter.spent(cpu, meter.read())
    await _truncate(pool)
    return elapsed


async def _core(
    pool: asyncpg.Pool,
    events: list[StampedEvent],
    batch: int,
    settings: TrackerSettings,
    meter: CpuMeter | None = None,
) -> tuple[float, int, MemoryS3]:
    bodies = [msgspec.json.encode(e) for e in events]
    lake = MemoryS3()
    processor = Processor(
        sqs_client=None, s3_client=lake, pool=pool, settings=settings, queue_urls=[]
    )
    decoder = msgspec.json.Decoder(StampedEvent)
    cpu = meter.read() if meter else (0.0, 0.0)
    started = time.perf_counter()
    new = 0
    for i in range(0, len(bodies), batch):
        decoded = [decoder.decode(b) for b in bodies[i : i + batch]]
        added, _objects = await processor.write(decoded)
        new += added
        if i // batch == len(bodies) // batch // 10:
            lake.peak_at_tenth = _peak_mb()
    elapsed = time.perf_counter() - started
    if meter:
        meter.last = meter.spent(cpu, meter.read())
    return elapsed, new, lake


SECONDS: Counter[str] = Counter()


def _count_calls(client: Any, counter: Counter[str]) -> None:
    started: dict[str, float] = {}

    def count(model: Any, context: Any = None, **_: Any) -> None:
        counter[model.name] += 1
        started[str(id(context))] = time.perf_counter()

    def done(model: Any, context: Any = None, **_: Any) -> None:
        at = started.pop(str(id(context)), None)
        if at is not None:
            SECONDS[model.name] += time.perf_counter() - at

    client.meta.events.register("before-call.sqs.*", count)
    client.meta.events.register("after-call.sqs.*", done)


async def _end_to_end(
    pool: asyncpg.Pool,
    data: Generated,
    moto_url: str,
    settings: TrackerSettings,
    max_depth: int | None,
    lanes: int,
    *,
    days: int = 1,
    max_events: int | None = None,
) -> tuple[float, Totals, Counter[str], int]:
    session = aioboto3.Session(region_name=REGION)
    calls: Counter[str] = Counter()
    async with (
        session.client("sqs", endpoint_url=moto_url) as producer_sqs,
        session.client("sqs", endpoint_url=moto_url) as sqs,
        session.client("s3", endpoint_url=moto_url) as s3,
    ):
        pair = await ensure_queue_pair(
            sqs, f"bench-{uuid.uuid4().hex[:8]}", max_receives=5, visibility_timeout=60
        )
        await ensure_bucket(s3, settings.bucket, REGION)
        _count_calls(producer_sqs, calls)
        _count_calls(sqs, calls)
        processor = Processor(
            sqs_client=sqs, s3_client=s3, pool=pool, settings=settings, queue_urls=[pair.queue_url]
        )
        config = IngestConfig(
            queues={"bench": pair.queue_url},
            default_environment="bench",
            limits=msgspec.structs.replace(
                batch_limits(settings),
                max_past_age=timedelta(days=days + 2),
                max_events=max_events or settings.max_batch_events,
            ),
        )
        stop = asyncio.Event()
        started = time.perf_counter()
        drain = asyncio.create_task(processor.run_forever(stop))
        report = await load(
            data,
            sqs=producer_sqs,
            config=config,
            now=now_utc,
            max_depth=max_depth,
            concurrency=lanes,
        )
        tail = await processor.drain_until_empty(idle_poll_seconds=0.05)
        stop.set()
        totals = await drain
        totals.add(tail)
        elapsed = time.perf_counter() - started
    return elapsed, totals, calls, report.accepted


async def _demo(
    pool: asyncpg.Pool, moto_url: str, settings: TrackerSettings, args: argparse.Namespace
) -> None:
    """The README's demo load as ``ff tracker generate`` sends it (its defaults: 100 sessions
    over 7 days, 4 senders, requests of 100 events), generated, queued on moto's SQS FIFO queue
    and processed into PostgreSQL, once paced by queue depth as the command is and once unpaced,
    each timed from generation to the last batch committed."""
    for label, max_depth in (("paced, depth < 60", 60), ("unpaced", None)):
        await _truncate(pool)
        SECONDS.clear()
        started = time.perf_counter()
        data = generate(
            sessions=args.demo_sessions,
            days=args.demo_days,
            end=now_utc(),
            seed=args.seed,
            environment="bench",
        )
        generated = time.perf_counter() - started
        elapsed, totals, calls, accepted = await _end_to_end(
            pool, data, moto_url, settings, max_depth, 4, days=args.demo_days, max_events=100
        )
        total = generated + elapsed
        assert accepted == data.event_count == totals.new_events, (accepted, totals.new_events)
        floor = await _floor(pool, _stamped(data))
        sqs_calls = sum(n for op, n in calls.items() if op != "GetQueueAttributes")
        print(
            f"demo load, {label}: {args.demo_sessions} sessions x {args.demo_days} days, "
            f"{accepted:,} events generated, queued and processed "
            f"({accepted / total:,.0f} events/s, {total:.1f} s; target < 30 s)\n"
            f"  floor: COPY of the same rows into the same tables  "
            f"{accepted / floor:>10,.0f} events/s (= {accepted / total / (accepted / floor):.1%}"
            f" of floor)\n"
            f"  SQS calls {sqs_calls / accepted:.3f} per event, depth polls "
            f"{calls['GetQueueAttributes']}; batches {totals.batches:,}, mean "
            f"{statistics.mean(totals.batch_sizes):.1f} of {args.batch} messages"
        )


def _line(label: str, rate: float, floor: float) -> str:
    return (
        f"{label:<44}{rate:>10,.0f} events/s\n"
        f"  floor: COPY of the same rows into the same tables  {floor:>10,.0f} events/s"
        f" (= {rate / floor:.1%} of floor)"
    )


async def main(args: argparse.Namespace) -> None:
    base = os.environ.get("FF_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"ff_bench_tracker_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(base)
    await admin.execute(f'create database "{name}"')
    await admin.close()
    dsn = urlparse(base)._replace(path=f"/{name}").geturl()
    workdir = Path(tempfile.mkdtemp(prefix="tracker-bench-"))
    moto = start_moto(workdir)
    pool = await asyncpg.create_pool(dsn, min_size=4, max_size=4)
    assert pool is not None
    settings = TrackerSettings(
        bucket=f"bench-{uuid.uuid4().hex[:8]}", batch_messages=args.batch, wait_seconds=1
    )
    try:
        async with pool.acquire() as conn:
            await apply_migrations(conn, "tracker")
        data = _day(args.events, seed=args.seed)
        events = _stamped(data)
        print(
            f"generated a day: {len(data.sessions):,} sessions, {len(events):,} events "
            f"(PostgreSQL {name}, batches of {args.batch})"
        )
        meter = CpuMeter(await _backend_pids(pool))
        floor_seconds = await _floor(pool, events, meter)
        floor_cpu = meter.last
        core_seconds, new, lake = await _core(pool, events, args.batch, settings, meter)
        core_cpu = meter.last
        assert new == len(events)
        peak_after_core = _peak_mb()
        after_seconds = await _floor(pool, events, meter)
        after_cpu = meter.last
        print(
            _line(
                "processor core (in-memory batches)",
                len(events) / core_seconds,
                len(events) / floor_seconds,
            )
        )
        print(
            f"  floor again after the core                        "
            f"{len(events) / after_seconds:>10,.0f} events/s"
            f" (= {after_seconds / core_seconds:.1%} of floor)"
        )
        print(_cpu_line(len(events), core_cpu, min(floor_cpu, after_cpu, key=sum)))
        print(
            f"  lake: {lake.objects:,} gzip JSON Lines objects, "
            f"{lake.bytes / len(events):.0f} bytes/event"
        )
        print(
            f"  peak memory (the day's events and bodies held by the bench): "
            f"{lake.peak_at_tenth:,.0f} MB after a tenth of the batches, "
            f"{peak_after_core:,.0f} MB after all of them"
        )
        await _truncate(pool)

        subset_sessions = max(1, args.e2e_events // EVENTS_PER_SESSION)
        subset = Generated(sessions=data.sessions[:subset_sessions], environment="bench")
        sub_events = _stamped(subset)
        sub_floor = await _floor(pool, sub_events)
        e2e_seconds, totals, calls, accepted = await _end_to_end(
            pool, subset, moto.url, settings, args.max_depth, args.lanes
        )
        assert accepted == len(sub_events) == totals.new_events, (accepted, totals.new_events)
        print(
            _line(
                "end to end (ingest -> moto SQS FIFO -> S3 + PG)",
                len(sub_events) / e2e_seconds,
                len(sub_events) / sub_floor,
            )
        )
        n = len(sub_events)
        pacing = calls.pop("GetQueueAttributes", 0)
        sqs_calls = sum(calls.values())
        detail = ", ".join(f"{op} {c / n:.3f}" for op, c in sorted(calls.items()))
        print(f"  SQS calls per event: {sqs_calls / n:.3f} ({detail})")
        print(f"  plus {pacing / n:.3f} depth polls per event by the bench's pacing loader")
        print("  time in SQS calls: " + ", ".join(f"{op} {t:.1f}s" for op, t in SECONDS.items()))
        receives = calls["ReceiveMessage"]
        print(
            f"  batches: {totals.batches:,}, mean {statistics.mean(totals.batch_sizes):.1f} of "
            f"{args.batch} messages ({statistics.mean(totals.batch_sizes) / args.batch:.0%} full); "
            f"receives returned {totals.messages / max(receives, 1):.1f} of 10 on average"
        )
        print(f"  {n:,} events, {e2e_seconds:.1f}s; queue depth kept under {args.max_depth}")

        if args.demo_sessions:
            await _truncate(pool)
            await _demo(pool, moto.url, settings, args)
    finally:
        await pool.close()
        moto.close()
        admin = await asyncpg.connect(base)
        await admin.execute(f'drop database if exists "{name}" with (force)')
        await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=200_000, help="a day's events (200000)")
    parser.add_argument("--e2e-events", type=int, default=10_000, help="end to end (10000)")
    default_batch = TrackerSettings().batch_messages
    parser.add_argument(
        "--batch", type=int, default=default_batch, help=f"messages per batch ({default_batch})"
    )
    parser.add_argument("--max-depth", type=int, default=60, help="queue backlog limit (60)")
    parser.add_argument("--lanes", type=int, default=16, help="concurrent senders (16)")
    parser.add_argument(
        "--demo-sessions", type=int, default=100, help="demo load's sessions (100; 0: skip)"
    )
    parser.add_argument("--demo-days", type=int, default=7, help="demo load's days (7)")
    parser.add_argument("--seed", type=int, default=2026)
    asyncio.run(main(parser.parse_args()))
