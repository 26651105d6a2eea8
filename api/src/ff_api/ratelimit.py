"""Per-client fixed-window rate limits in Redis, one mechanism for every limited route.

Public routes (quotes, the application form, the open-banking callback, tracking) and every
customer write (drafts, uploads, offers, payments...) are counted per client address and route
group, one counter per minute. The client address is read through the configured number of
trusted proxies (``FF_API_TRUSTED_PROXIES``): each proxy appends the address it saw to
``X-Forwarded-For``, so only the entry that many hops from the right is trustworthy; whatever a
client writes further left is ignored. Past the limit the answer is ``429 rate_limited`` with
``Retry-After``.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable
from typing import cast

from arq.connections import ArqRedis
from litestar.enums import ScopeType
from litestar.exceptions import TooManyRequestsException
from litestar.types import ASGIApp, Receive, Scope, Send
from redis.exceptions import NoScriptError, RedisError

from ff_shared.errors import DependencyUnavailable
from ff_shared.settings import Settings

WINDOW_SECONDS = 60
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
_PUBLIC = {
    "/v1/quotes": "quotes",
    "/v1/application-form": "application_form",
    "/v1/open-banking/callback": "open_banking_callback",
}
_UNLIMITED = ("/v1/staff", "/v1/payments/webhooks")


def client_address(headers: list[tuple[bytes, bytes]], peer: str | None, trusted: int) -> str:
    """The caller's address as the ``trusted`` proxies in front of the API saw it.

    The chain is every ``X-Forwarded-For`` entry followed by the connection's peer; each trusted
    proxy appended one entry, so the client is ``trusted`` entries left of the peer (the leftmost
    entry when the chain is shorter, as when a request bypasses a proxy).
    """
    chain: list[str] = []
    if trusted > 0:
        for name, value in headers:
            if name == b"x-forwarded-for":
                chain += [h.strip() for h in value.decode("latin-1").split(",") if h.strip()]
    chain.append(peer or "unknown")
    return chain[max(0, len(chain) - 1 - trusted)]


def limit_for(method: str, path: str, settings: Settings) -> tuple[str, int] | None:
    """The route group a request counts against and its limit per minute; None: not limited
    (a CORS preflight is not counted)."""
    if method == "OPTIONS":
        return None
    if path == "/v1/track" or path.startswith("/v1/track/"):
        return "track", settings.tracker.rate_limit_per_minute
    for prefix, group in _PUBLIC.items():
        if path == prefix or path.startswith(f"{prefix}/"):
            return group, settings.api.public_rate_limit_per_minute
    if method in _READS or not path.startswith("/v1/") or path.startswith(_UNLIMITED):
        return None
    return "customer_write", settings.api.customer_write_rate_limit_per_minute


# Count the request and keep the window's counter for two windows, atomically, in one round
# trip: EVALSHA of a script Redis keeps (loaded again when a restarted Redis has lost it).
_COUNT = b"""
local count = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[1])
return count
"""
_COUNT_SHA = hashlib.sha1(_COUNT, usedforsecurity=False).hexdigest()


async def count_request(redis: ArqRedis, key: str, ttl: int) -> int:
    """Count one request under ``key`` (kept ``ttl`` seconds); the count so far."""
    try:
        return await _evalsha(redis, key, ttl)
    except NoScriptError:
        # A restarted or flushed Redis has forgotten the script.
        await redis.script_load(_COUNT)
        return await _evalsha(redis, key, ttl)


async def _evalsha(redis: ArqRedis, key: str, ttl: int) -> int:
    # redis-py types its commands for its sync and async clients at once.
    answer = await cast(Awaitable[int], redis.evalsha(_COUNT_SHA, 1, key, str(ttl)))
    return int(answer)


async def check_rate(
    redis: ArqRedis, client: str, *, limit: int, scope: str, prefix: str = "ff:ratelimit"
) -> None:
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    key = f"{prefix}:{scope}:{client}:{window}"
    try:
        count = await count_request(redis, key, WINDOW_SECONDS * 2)
    except (OSError, ConnectionError, RedisError) as exc:
        raise DependencyUnavailable("the rate limiter is unavailable") from exc
    if int(count) > limit:
        retry_after = max(1, int((window + 1) * WINDOW_SECONDS - now))
        raise TooManyRequestsException(
            f"too many requests to this route; retry in {retry_after} s",
            headers={"Retry-After": str(retry_after)},
        )


def rate_limit_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP:
            services = scope["app"].state.services
            settings: Settings = services.settings
            limited = limit_for(scope.get("method", "GET"), scope["path"], settings)
            if limited is not None:
                group, limit = limited
                peer = scope.get("client")
                client = client_address(
                    list(scope["headers"]), peer[0] if peer else None, settings.api.trusted_proxies
                )
                await check_rate(
                    services.redis,
                    client,
                    limit=limit,
                    scope=group,
                    prefix=settings.api.rate_limit_key_prefix,
                )
        await app(scope, receive, send)

    return middleware
