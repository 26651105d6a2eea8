"""``ff run tracker-extracts --once`` and ``ff run tracker-prune --once``: the tracker's cron
jobs as one-shot scheduled tasks, which never start the queue drain."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import asyncpg
from tests.fixtures.tracker import run_ff

from ff_shared.clock import now_utc
from ff_shared.settings import Settings
from ff_shared.tracking.config import parse_queues


async def test_the_extracts_task_writes_yesterdays_extracts_for_every_environment(
    tracker_env: dict[str, str],
    tracker_settings: Settings,
    tracker_s3: Any,
    tracker_pool: asyncpg.Pool,
) -> None:
    result = await asyncio.to_thread(run_ff, tracker_env, "run", "tracker-extracts", "--once")

    assert result.returncode == 0, result.stderr
    keys = json.loads(result.stdout.splitlines()[-1])
    environments = list(parse_queues(tracker_settings.tracker.queues))
    assert len(keys) == 3 * len(environments)
    yesterday = now_utc().date() - timedelta(days=1)
    for key in keys:
        assert yesterday.isoformat() in key
        head = await tracker_s3.head_object(Bucket=tracker_settings.tracker.bucket, Key=key)
        assert head["ContentLength"] > 0
    async with tracker_pool.acquire() as conn:
        recorded = await conn.fetch("select key from tracker.extracts where day = $1", yesterday)
    assert set(keys) <= {r["key"] for r in recorded}


async def test_the_prune_task_forgets_old_event_ids_and_leaves_the_queues_alone(
    tracker_env: dict[str, str], tracker_sqs: Any, tracker_settings: Settings
) -> None:
    queue_url = next(iter(parse_queues(tracker_settings.tracker.queues).values()))
    before = await tracker_sqs.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )

    result = await asyncio.to_thread(run_ff, tracker_env, "run", "tracker-prune", "--once")

    assert result.returncode == 0, result.stderr
    assert isinstance(json.loads(result.stdout.splitlines()[-1]), int)
    after = await tracker_sqs.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )
    assert after["Attributes"] == before["Attributes"]


def test_run_without_once_is_refused(tracker_env: dict[str, str]) -> None:
    result = run_ff(tracker_env, "run", "tracker-prune")
    assert result.returncode == 1
    assert "--once" in result.stderr
