"""The platform's Redis client: arq's, with a deadline on connecting and on every command.

arq's own ``create_pool`` sets no command deadline, so a Redis that stops answering (paused, a
network partition) would hang a request or a worker's poll for as long as the socket lives;
here each command fails after ``FF_REDIS_OPERATION_TIMEOUT_SECONDS`` and the connection is
opened again on the next one.
"""

from __future__ import annotations

from arq.connections import ArqRedis
from redis.asyncio import ConnectionPool

from ff_shared.settings import RedisSettings


def redis_client(settings: RedisSettings, *, queue_name: str | None = None) -> ArqRedis:
    """An arq Redis client for ``settings.url``; it connects on first use."""
    pool = ConnectionPool.from_url(
        settings.url,
        socket_connect_timeout=settings.connect_timeout_seconds,
        socket_timeout=settings.operation_timeout_seconds,
        health_check_interval=30,
    )
    return ArqRedis(pool, default_queue_name=queue_name or settings.queue_name)


async def open_redis(settings: RedisSettings, *, queue_name: str | None = None) -> ArqRedis:
    """:func:`redis_client`, checked once: a platform that starts without its Redis says so."""
    client = redis_client(settings, queue_name=queue_name)
    try:
        await client.ping()
    except BaseException:
        await client.aclose(close_connection_pool=True)
        raise
    return client


async def close_redis(client: ArqRedis) -> None:
    await client.aclose(close_connection_pool=True)
