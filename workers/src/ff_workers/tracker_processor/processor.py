"""One batch at a time: receive, decode, write the lake and merge sessions, only then delete.

At-least-once delivery becomes exactly-once in effect: the batch is written to the S3 lake, then
the store records the event ids and folds only the new events into the sessions atomically (one
statement that commits, or a transaction when some id was seen before); only then are the
messages deleted. A processor killed at any point leaves its messages undeleted; they come back
after the visibility timeout and are recognised by id. A message that cannot be decoded is
released (not deleted) so SQS counts its receives and moves it to the DLQ after ``max_receives``.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import asyncpg
import msgspec
import structlog

from ff_shared.domain.tracking.events import SUPPORTED_VERSIONS, StampedEvent
from ff_shared.settings import TrackerSettings
from ff_shared.stores.postgres import tracker as store
from ff_shared.tracking import s3_lake, sqs
from ff_shared.tracking.s3_lake import LakeError
from ff_shared.tracking.sqs import QueueError, Received

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client
    from types_aiobotocore_sqs import SQSClient
else:
    S3Client = Any
    SQSClient = Any

log = structlog.get_logger()

_decoder = msgspec.json.Decoder(StampedEvent)
_RETRYABLE_DB = (
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.exceptions.SerializationError,
)
TRANSIENT = (QueueError, LakeError, OSError, asyncpg.exceptions.PostgresConnectionError)


@dataclass
class Totals:
    """Counters of a drain: what the bench and ``ff tracker process`` print."""

    batches: int = 0
    messages: int = 0
    new_events: int = 0
    duplicates: int = 0
    poison: int = 0
    receive_calls: int = 0
    delete_calls: int = 0
    lake_objects: int = 0
    batch_sizes: list[int] = field(default_factory=list)

    def add(self, other: Totals) -> None:
        for name in ("batches", "messages", "new_events", "duplicates", "poison"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.receive_calls += other.receive_calls
        self.delete_calls += other.delete_calls
        self.lake_objects += other.lake_objects
        self.batch_sizes += other.batch_sizes


def decode(message: Received) -> StampedEvent | None:
    try:
        event = _decoder.decode(message.body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    return event if event.schema_version in SUPPORTED_VERSIONS else None


class Processor:
    def __init__(
        self,
        *,
        sqs_client: SQSClient,
        s3_client: S3Client,
        pool: asyncpg.Pool,
        settings: TrackerSettings,
        queue_urls: Sequence[str],
    ) -> None:
        self.sqs = sqs_client
        self.s3 = s3_client
        self.pool = pool
        self.settings = settings
        self.queue_urls = list(queue_urls)

    async def write(self, events: Sequence[StampedEvent]) -> tuple[int, int]:
        """The core: write the batch to the lake, then record and fold it in PostgreSQL, which
        commits. Returns (new events, lake objects).

        The lake objects are compressed in a thread while the batch is folded, and written
        before anything is recorded: a batch that fails anywhere is retried whole, and a
        recorded event is always in the lake. Usually every id is new and one statement records
        and folds the whole batch and commits (one round trip); if one was seen before, nothing
        was written and a transaction records the ids one statement at a time and folds only
        the new events (the lake then holds another copy of the old ones, as after a crash)."""
        lines = s3_lake.batch_lines(events)
        compressed = asyncio.ensure_future(asyncio.to_thread(s3_lake.compress_objects, lines))
        try:
            prepared = store.prepare(events)
            objects = await compressed
        finally:
            if not compressed.done():
                compressed.cancel()
        await s3_lake.put_objects(self.s3, self.settings.bucket, objects)
        for attempt in range(1, 6):
            try:
                return await self._record(events, prepared), len(objects)
            except _RETRYABLE_DB:
                log.info("tracker_batch_retried", attempt=attempt)
                await asyncio.sleep(0.05 * attempt)
        return await self._record(events, prepared), len(objects)

    async def _record(self, events: Sequence[StampedEvent], prepared: store.PreparedBatch) -> int:
        async with self.pool.acquire() as conn:
            with contextlib.suppress(store.SeenBefore):
                await store.record_and_apply(conn, prepared)
                return len(events)
            async with conn.transaction():
                return len(await store.record_new_and_apply(conn, events))

    async def gather(self, queue_url: str, *, wait_seconds: int) -> tuple[list[Received], int]:
        """Up to ``batch_messages`` messages, in receives of ten: the first long-polls, the next
        ones (without waiting) follow until the batch is full, a receive returns nothing, or
        ``gather_seconds`` have passed since the first messages arrived."""
        target = self.settings.batch_messages
        visibility = self.settings.visibility_timeout_seconds
        loop = asyncio.get_running_loop()
        got: list[Received] = []
        calls = 0
        wait = wait_seconds
        deadline: float | None = None
        while len(got) < target and (deadline is None or loop.time() < deadline):
            received = await sqs.receive(
                self.sqs,
                queue_url,
                max_messages=min(sqs.SQS_BATCH, target - len(got)),
                wait_seconds=wait,
                visibility_timeout=visibility,
            )
            calls += 1
            if not received:
                break
            got += received
            if deadline is None:
                deadline = loop.time() + self.settings.gather_seconds
            wait = 0
        return got, calls

    async def handle(self, queue_url: str, messages: Sequence[Received]) -> Totals:
        totals = Totals(batches=1, messages=len(messages), batch_sizes=[len(messages)])
        events: dict[str, StampedEvent] = {}
        good: list[str] = []
        poison: list[Received] = []
        for message in messages:
            event = decode(message)
            if event is None:
                poison.append(message)
                continue
            events.setdefault(event.event_id, event)
            good.append(message.receipt_handle)
        if events:
            new, totals.lake_objects = await self.write(list(events.values()))
            totals.new_events = new
            totals.duplicates = len(good) - new
        if good:
            await sqs.delete(self.sqs, queue_url, good)
            totals.delete_calls = math.ceil(len(good) / sqs.SQS_BATCH)
        for message in poison:
            log.warning(
                "tracker_message_poisoned",
                message_id=message.message_id,
                receive_count=message.receive_count,
                max_receives=self.settings.max_receives,
            )
            await sqs.release(
                self.sqs,
                queue_url,
                message.receipt_handle,
                delay_seconds=self.settings.poison_retry_seconds,
            )
        totals.poison = len(poison)
        return totals

    async def step(self, queue_url: str, *, wait_seconds: int) -> Totals:
        messages, calls = await self.gather(queue_url, wait_seconds=wait_seconds)
        totals = await self.handle(queue_url, messages) if messages else Totals()
        totals.receive_calls += calls
        if messages:
            log.info(
                "tracker_batch_processed",
                messages=totals.messages,
                new_events=totals.new_events,
                duplicates=totals.duplicates,
                poison=totals.poison,
            )
        return totals

    async def empty(self) -> bool:
        depths = await asyncio.gather(*(sqs.depth(self.sqs, url) for url in self.queue_urls))
        return all(d.empty for d in depths)

    async def drain_until_empty(self, *, idle_poll_seconds: float = 0.5) -> Totals:
        """Drain every queue until none holds a message, visible or in flight (what
        ``ff tracker process --until-empty`` runs). Errors propagate."""
        totals = Totals()
        while True:
            round_totals = Totals()
            for url in self.queue_urls:
                round_totals.add(await self.step(url, wait_seconds=0))
            totals.add(round_totals)
            if round_totals.messages == 0:
                if await self.empty():
                    return totals
                await asyncio.sleep(idle_poll_seconds)

    async def run_forever(self, stop: asyncio.Event) -> Totals:
        """The worker's long-running drain: one long-polling loop per queue, surviving outages of
        SQS, S3 and PostgreSQL by backing off (the messages stay queued), until ``stop`` is set."""
        loops = [self._drain_queue(url, stop) for url in self.queue_urls]
        totals = Totals()
        for part in await asyncio.gather(*loops):
            totals.add(part)
        return totals

    async def _drain_queue(self, url: str, stop: asyncio.Event) -> Totals:
        totals = Totals()
        backoff = 1.0
        while not stop.is_set():
            try:
                totals.add(await self.step(url, wait_seconds=self.settings.wait_seconds))
                backoff = 1.0
            except TRANSIENT as exc:
                cause = exc.__cause__
                log.warning(
                    "tracker_drain_interrupted",
                    error=str(exc),
                    cause=f"{type(cause).__name__}: {cause}" if cause is not None else None,
                    retry_in=backoff,
                )
                # Nothing is lost: the batch's messages were not deleted and come back.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=backoff)
                backoff = min(backoff * 2, 30.0)
        return totals
