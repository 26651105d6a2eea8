"""Typed access to an arq job's ``ctx``: the settings and long-lived clients start-up put there.

arq hands every job and hook a plain ``dict[str, Any]``; reading a client through these
accessors checks what start-up stored, so a job never works on an untyped handle.
"""

from __future__ import annotations

from typing import Any, TypeVar

from arq.connections import ArqRedis
from pymongo.asynchronous.database import AsyncDatabase

from ff_shared.integrations.aws.email import SesClient
from ff_shared.settings import Settings

JobContext = dict[str, Any]
"""What arq passes to every job, cron job and start-up or shutdown hook."""

T = TypeVar("T")


def get(ctx: JobContext, key: str, kind: type[T]) -> T:
    """``ctx[key]``, checked to be the ``kind`` start-up stored there."""
    value = ctx[key]
    if not isinstance(value, kind):
        raise TypeError(f"ctx[{key!r}] holds {type(value).__name__}, not {kind.__name__}")
    return value


def settings(ctx: JobContext) -> Settings:
    return get(ctx, "settings", Settings)


def job_try(ctx: JobContext) -> int:
    """Which try of the job this is (1 for the first)."""
    return int(ctx.get("job_try") or 1)


def redis(ctx: JobContext) -> ArqRedis:
    return get(ctx, "redis", ArqRedis)


def mongo_db(ctx: JobContext) -> AsyncDatabase[dict[str, Any]]:
    database: AsyncDatabase[dict[str, Any]] = get(ctx, "mongo_db", AsyncDatabase)
    return database


def ses(ctx: JobContext) -> SesClient:
    value = ctx["ses"]
    if not isinstance(value, SesClient):
        raise TypeError(f"ctx['ses'] holds {type(value).__name__}, not an SES client")
    return value
