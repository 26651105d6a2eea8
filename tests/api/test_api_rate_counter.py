"""The rate limiter's counter: one EVALSHA per request counts it and keeps the window's key
for two windows; a Redis that lost the script is given it again; an outage is a 503."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from arq.connections import ArqRedis
from litestar.exceptions import TooManyRequestsException

from ff_api.ratelimit import WINDOW_SECONDS, check_rate, count_request
from ff_shared.errors import DependencyUnavailable
from ff_standins.servers import free_port, wait_for_port


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[ArqRedis]:
    client = ArqRedis.from_url(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[str]:
    """A Redis of this test's own, whose script cache it may flush without touching anyone's."""
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for_port("127.0.0.1", port, name="redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


async def _count(redis: ArqRedis, key: str) -> int:
    return await count_request(redis, key, WINDOW_SECONDS * 2)


async def test_each_request_gets_its_own_count_and_the_window_expires(redis: ArqRedis) -> None:
    key = f"ff:test:counter:{uuid.uuid4().hex}"
    counts = await asyncio.gather(*(_count(redis, key) for _ in range(50)))
    assert sorted(counts) == list(range(1, 51))
    assert int(await redis.get(key) or 0) == 50
    assert 0 < await redis.ttl(key) <= WINDOW_SECONDS * 2
    await redis.delete(key)


async def test_the_limit_bites_at_the_request_past_it(redis: ArqRedis) -> None:
    prefix = f"ff:test:counter:{uuid.uuid4().hex}"
    outcomes = []
    for _ in range(8):
        try:
            await check_rate(redis, "203.0.113.9", limit=5, scope="quotes", prefix=prefix)
            outcomes.append(200)
        except TooManyRequestsException as exc:
            outcomes.append(exc.status_code)
    assert outcomes == [200] * 5 + [429] * 3
    await redis.delete(*await redis.keys(f"{prefix}:*"))


async def test_a_redis_that_forgot_the_script_still_counts_every_request(own_redis: str) -> None:
    client = ArqRedis.from_url(own_redis)
    try:
        assert await _count(client, "k") == 1
        await client.script_flush()
        assert await _count(client, "k") == 2
        assert int(await client.get("k") or 0) == 2
    finally:
        await client.aclose()


async def test_an_unreachable_redis_is_a_dependency_outage() -> None:
    client = ArqRedis(host="127.0.0.1", port=free_port(), socket_connect_timeout=1)
    try:
        with pytest.raises(DependencyUnavailable):
            await check_rate(client, "203.0.113.9", limit=5, scope="quotes")
    finally:
        await client.aclose()
