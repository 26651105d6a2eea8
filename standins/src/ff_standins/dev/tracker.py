"""``ff dev``'s journey tracker: FIFO queues (each with a DLQ) per environment, the lake bucket,
the ``tracker`` schema; the stack then runs the ``tracker-processor`` worker.

The local stack is its own environment: events that name none are labelled ``local`` (in the
funnel and in the lake's and extracts' S3 keys), never ``production``."""

from __future__ import annotations

import sys
from pathlib import Path

import aioboto3
import asyncpg

from ff_shared.settings import TrackerSettings
from ff_shared.stores.postgres import apply_migrations
from ff_shared.tracking.config import format_queues
from ff_shared.tracking.s3_lake import ensure_bucket
from ff_shared.tracking.sqs import ensure_queue_pair
from ff_standins.dev.stack import Stack

LOCAL_ENVIRONMENT = "local"
LOCAL_ENVIRONMENTS = (LOCAL_ENVIRONMENT, "staging")
LOCAL_BUCKET = "ff-tracker-local"

TRACKER_PROCESSOR = (
    "worker-tracker-processor",
    [str(Path(sys.executable).parent / "ff"), "worker", "tracker-processor"],
)


async def seed_tracker(stack: Stack) -> None:
    defaults = TrackerSettings()
    session = aioboto3.Session(region_name=stack.aws_region)
    async with (
        session.client("sqs", endpoint_url=stack.aws_endpoint_url) as sqs,
        session.client("s3", endpoint_url=stack.aws_endpoint_url) as s3,
    ):
        if "FF_TRACKER_QUEUES" not in stack.env:
            queues = {
                env: (
                    await ensure_queue_pair(
                        sqs,
                        f"ff-local-tracker-{env}",
                        max_receives=defaults.max_receives,
                        visibility_timeout=defaults.visibility_timeout_seconds,
                    )
                ).queue_url
                for env in LOCAL_ENVIRONMENTS
            }
            stack.env["FF_TRACKER_QUEUES"] = format_queues(queues)
        stack.env.setdefault("FF_TRACKER_DEFAULT_ENVIRONMENT", LOCAL_ENVIRONMENT)
        bucket = stack.env.setdefault("FF_TRACKER_BUCKET", LOCAL_BUCKET)
        await ensure_bucket(s3, bucket, stack.aws_region)
    conn = await asyncpg.connect(stack.env["FF_POSTGRES_DSN"], timeout=10)
    try:
        await apply_migrations(conn, "tracker")
    finally:
        await conn.close()
