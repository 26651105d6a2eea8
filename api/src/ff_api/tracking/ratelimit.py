"""A per-client fixed-window rate limit in Redis (one counter per client per minute)."""

from __future__ import annotations

import time
from typing import Any

from arq.connections import ArqRedis
from litestar.connection import ASGIConnection
from litestar.exceptions import TooManyRequestsException

from ff_shared.errors import DependencyUnavailable

WINDOW_SECONDS = 60


def client_key(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The caller's address. Behind the load balancer that is the last X-Forwarded-For entry:
    the one the balancer appended, which a client cannot forge."""
    forwarded = connection.headers.get("x-forwarded-for", "")
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    if hops:
        return hops[-1]
    client = connection.client
    return client.host if client is not None else "unknown"


async def check_rate(redis: ArqRedis, client: str, *, limit: int, scope: str = "track") -> None:
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    key = f"ff:ratelimit:{scope}:{client}:{window}"
    try:
        pipe = redis.pipeline(transaction=True)
        pipe.incr(key)
        pipe.expire(key, WINDOW_SECONDS * 2)
        count, _ = await pipe.execute()
    except (OSError, ConnectionError) as exc:
        raise DependencyUnavailable("the rate limiter is unavailable") from exc
    if int(count) > limit:
        retry_after = max(1, int((window + 1) * WINDOW_SECONDS - now))
        raise TooManyRequestsException(
            f"too many tracking requests; retry in {retry_after} s",
            headers={"Retry-After": str(retry_after)},
        )
