"""Sending a generated data set through the ingestion function, paced by the queue's depth.

A real form sends a trickle; a generated week arrives at once. The loader keeps each queue's
backlog under ``max_depth`` (waiting for the processor to catch up), so the producer never runs
far ahead of the consumer: SQS does not mind a deep queue, but the local stand-in (moto) spends
time proportional to the backlog on every call.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import msgspec

from ff_shared.tracking.config import IngestConfig
from ff_shared.tracking.generator import Generated, request_batches
from ff_shared.tracking.ingest import ingest
from ff_shared.tracking.sqs import depth


class LoadStalled(Exception):
    """The queue stayed full: nothing is draining it."""


class LoadReport(msgspec.Struct, kw_only=True):
    requests: int = 0
    accepted: int = 0
    rejected: int = 0
    reasons: dict[str, int] = msgspec.field(default_factory=dict)
    send_calls: int = 0
    seconds: float = 0.0


async def load(
    generated: Generated,
    *,
    sqs: Any,
    config: IngestConfig,
    now: Callable[[], datetime],
    concurrency: int = 4,
    max_depth: int = 60,
    stall_seconds: float = 120.0,
) -> LoadReport:
    report = LoadReport()
    environment = generated.environment or config.default_environment
    queue_url = config.queues[environment]
    batches = list(request_batches(generated, config.limits.max_events))
    next_batch = 0
    lock = asyncio.Lock()
    started = time.perf_counter()

    async def wait_for_room() -> None:
        waited_since = time.monotonic()
        while True:
            backlog = await depth(sqs, queue_url)
            if backlog.visible < max_depth:
                return
            if time.monotonic() - waited_since > stall_seconds:
                raise LoadStalled(
                    f"the {environment} queue stayed above {max_depth} messages for "
                    f"{stall_seconds:.0f} s: is a tracker-processor draining it?"
                )
            await asyncio.sleep(0.1)

    async def sender() -> None:
        nonlocal next_batch
        while True:
            async with lock:
                if next_batch >= len(batches):
                    return
                batch = batches[next_batch]
                next_batch += 1
                await wait_for_room()
            raw = [msgspec.Raw(msgspec.json.encode(e)) for e in batch]
            result = await ingest(raw, sqs=sqs, config=config, now=now())
            report.requests += 1
            report.send_calls += -(-len(result.accepted) // 10)
            report.accepted += len(result.accepted)
            report.rejected += len(result.rejected)
            for r in result.rejected:
                report.reasons[r.reason] = report.reasons.get(r.reason, 0) + 1

    await asyncio.gather(*(sender() for _ in range(concurrency)))
    report.seconds = time.perf_counter() - started
    return report
