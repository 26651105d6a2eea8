"""Idempotency keys in Redis: the first request with a key claims it, repeats replay its answer.

A claim records a fingerprint of the request, so the same key with a different request is told
apart (a client bug, answered 409) from a retry. A claim whose request never finished (the
process died, the third party's answer was lost) stays ``in_progress`` until it expires; a retry
then goes ahead again, which is safe only when the effect itself is idempotent downstream (a
payment's reference derived from the key).
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from redis.asyncio import Redis

State = Literal["in_progress", "done"]


class IdempotencyRecord(msgspec.Struct, frozen=True, kw_only=True):
    fingerprint: str
    state: State
    response: dict[str, Any] | None = None


def _key(scope: str, key: str) -> str:
    return f"ff:idempotency:{scope}:{key}"


async def claim(
    redis: Redis, scope: str, key: str, *, fingerprint: str, ttl_seconds: int
) -> tuple[bool, IdempotencyRecord]:
    """Claim ``key``; returns whether this call claimed it, and the record now stored."""
    record = IdempotencyRecord(fingerprint=fingerprint, state="in_progress")
    claimed = await redis.set(
        _key(scope, key), msgspec.json.encode(record), nx=True, ex=ttl_seconds
    )
    if claimed:
        return True, record
    raw = await redis.get(_key(scope, key))
    if raw is None:  # expired between the two calls: claim again
        return await claim(redis, scope, key, fingerprint=fingerprint, ttl_seconds=ttl_seconds)
    return False, msgspec.json.decode(raw, type=IdempotencyRecord)


async def find(redis: Redis, scope: str, key: str) -> IdempotencyRecord | None:
    """The record stored for ``key`` (None: unclaimed, released or expired)."""
    raw = await redis.get(_key(scope, key))
    return None if raw is None else msgspec.json.decode(raw, type=IdempotencyRecord)


async def complete(
    redis: Redis,
    scope: str,
    key: str,
    *,
    fingerprint: str,
    response: dict[str, Any],
    ttl_seconds: int,
) -> None:
    record = IdempotencyRecord(fingerprint=fingerprint, state="done", response=response)
    await redis.set(_key(scope, key), msgspec.json.encode(record), ex=ttl_seconds)


async def release(redis: Redis, scope: str, key: str) -> None:
    """Give up a claim whose request had no effect, so the key can be used again."""
    await redis.delete(_key(scope, key))
