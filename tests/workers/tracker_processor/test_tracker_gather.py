"""How the processor gathers a batch: receives of ten until the batch is full, a receive returns
nothing, or ``gather_seconds`` have passed since the first messages arrived. SQS is a scripted
stand-in here (the moto tests drain real queues); the loop under test is the processor's."""

from __future__ import annotations

import asyncio
from typing import Any

from ff_shared.settings import TrackerSettings
from ff_workers.tracker_processor.processor import Processor


class ScriptedQueue:
    """Answers each receive with the next count of messages; records what was asked."""

    def __init__(self, counts: list[int], delay: float = 0.0) -> None:
        self.counts = counts
        self.delay = delay
        self.asked: list[tuple[int, int]] = []
        self.sent = 0

    async def receive_message(self, **call: Any) -> dict[str, Any]:
        self.asked.append((call["MaxNumberOfMessages"], call["WaitTimeSeconds"]))
        await asyncio.sleep(self.delay)
        count = min(self.counts.pop(0) if self.counts else 0, call["MaxNumberOfMessages"])
        messages = [
            {"MessageId": f"m{self.sent + i}", "ReceiptHandle": f"r{self.sent + i}", "Body": "{}"}
            for i in range(count)
        ]
        self.sent += count
        return {"Messages": messages}


def processor(queue: ScriptedQueue, **settings: Any) -> Processor:
    return Processor(
        sqs_client=queue,
        s3_client=None,
        pool=None,
        settings=TrackerSettings(**settings),
        queue_urls=["q"],
    )


async def test_part_full_receives_go_on_until_one_returns_nothing() -> None:
    queue = ScriptedQueue([10, 3, 7, 0, 10])
    got, calls = await processor(queue).gather("q", wait_seconds=5)
    assert len(got) == 20
    assert calls == 4
    # Only the first receive long-polls.
    assert queue.asked == [(10, 5), (10, 0), (10, 0), (10, 0)]


async def test_a_batch_stops_when_full() -> None:
    queue = ScriptedQueue([10] * 10)
    got, calls = await processor(queue, batch_messages=25).gather("q", wait_seconds=1)
    assert len(got) == 25
    assert calls == 3
    assert [asked for asked, _wait in queue.asked] == [10, 10, 5]
    assert len({m.message_id for m in got}) == 25


async def test_a_batch_stops_after_gather_seconds() -> None:
    queue = ScriptedQueue([10] * 100, delay=0.05)
    got, calls = await processor(queue, gather_seconds=0.2).gather("q", wait_seconds=0)
    # The first receive, then receives of at least 0.05 s each for 0.2 s: far from the ten
    # receives the queue could fill.
    assert 2 <= calls <= 6
    assert len(got) == 10 * calls


async def test_an_empty_queue_costs_one_receive() -> None:
    queue = ScriptedQueue([])
    assert await processor(queue).gather("q", wait_seconds=10) == ([], 1)
