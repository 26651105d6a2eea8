"""Sending a generated data set through the ingestion function, optionally paced by the queue's
depth.

A real form sends a trickle; a generated week arrives at once. With ``max_depth`` the loader keeps
each queue's backlog under it (waiting for the processor to catch up), so the producer never runs
far ahead of the consumer and a queue nobody drains is reported (:class:`LoadStalled`) instead of
filled. SQS does not mind a deep queue, and neither does the local stack's moto (its SQS costs
each call what the call does, not the backlog: ``ff_standins.moto_sqs``), so pacing is a choice,
not a need.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import msgspec

from ff_shared.tracking.config import IngestConfig
from ff_shared.tracking.generator import Generated
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
    max_depth: int | None = 60,
    stall_seconds: float = 120.0,
    on_progress: Callable[[LoadReport, int], None] | None = None,
) -> LoadReport:
    """Send ``generated`` through ingestion; ``on_progress(report, events in all)`` after each
    request. ``max_depth=None`` sends without looking at the queue's depth."""
    report = LoadReport()
    environment = generated.environment or config.default_environment
    queue_url = config.queues[environment]
    room = asyncio.Lock()
    started = time.perf_counter()

    seen = {"at": 0.0, "visible": 0}

    async def wait_for_room(limit: int) -> None:
        """At most one depth poll per quarter second, shared by the lanes."""
        waited_since = time.monotonic()
        while True:
            if time.monotonic() - seen["at"] > 0.25:
                seen["visible"] = (await depth(sqs, queue_url)).visible
                seen["at"] = time.monotonic()
            if seen["visible"] < limit:
                seen["visible"] += config.limits.max_events // 10
                return
            if time.monotonic() - waited_since > stall_seconds:
                raise LoadStalled(
                    f"the {environment} queue stayed above {limit} messages for "
                    f"{stall_seconds:.0f} s: is a tracker-processor draining it?"
                )
            await asyncio.sleep(0.1)

    async def lane(batches: list[list[dict[str, Any]]]) -> None:
        for batch in batches:
            if max_depth is not None:
                async with room:
                    await wait_for_room(max_depth)
            raw = [msgspec.Raw(msgspec.json.encode(e)) for e in batch]
            result = await ingest(raw, sqs=sqs, config=config, now=now())
            report.requests += 1
            report.send_calls += -(-len(result.accepted) // 10)
            report.accepted += len(result.accepted)
            report.rejected += len(result.rejected)
            for r in result.rejected:
                report.reasons[r.reason] = report.reasons.get(r.reason, 0) + 1
            if on_progress is not None:
                on_progress(report, generated.event_count)

    lanes = interleaved_lanes(generated, concurrency, config.limits.max_events)
    await asyncio.gather(*(lane(batches) for batches in lanes))
    report.seconds = time.perf_counter() - started
    return report


def interleaved_lanes(
    generated: Generated, lanes: int, max_events: int
) -> list[list[list[dict[str, Any]]]]:
    """Requests as a day's traffic arrives: each lane carries some sessions, their events
    interleaved in time order; a lane sends one request at a time, so each session's events
    stay in order while many sessions are in the queue at once."""
    out: list[list[list[dict[str, Any]]]] = []
    for i in range(lanes):
        events = [e for s in generated.sessions[i::lanes] for e in s.events]
        events.sort(key=lambda e: datetime.fromisoformat(e["client_time"]))
        out.append([events[j : j + max_events] for j in range(0, len(events), max_events)])
    return out
