"""The tracker's long-lived clients in the API: its SQS client and the API's PostgreSQL pool."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aioboto3
import asyncpg

from ff_shared.integrations.aws.session import client_options
from ff_shared.settings import Settings
from ff_shared.tracking.config import IngestConfig, ingest_config

if TYPE_CHECKING:
    from types_aiobotocore_sqs import SQSClient
else:
    # The stubs are a development dependency; at run time the annotation only has to resolve.
    SQSClient = Any


@dataclass
class TrackerServices:
    sqs: SQSClient
    """aioboto3 SQS client for the environments' FIFO queues."""
    pool: asyncpg.Pool
    """The API's PostgreSQL pool (the ``tracker`` schema) for the staff analytics routes."""
    config: IngestConfig


async def open_tracker_services(
    stack: AsyncExitStack, settings: Settings, aws: aioboto3.Session, pool: asyncpg.Pool
) -> TrackerServices:
    config = ingest_config(settings.tracker)
    sqs = await stack.enter_async_context(aws.client("sqs", **client_options(settings.aws)))
    return TrackerServices(sqs=sqs, pool=pool, config=config)
