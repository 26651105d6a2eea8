"""Outages mid-traffic: the API over a real socket, on a Redis, a MongoDB stand-in and a
PostgreSQL cluster of this module's own, which the tests stop, start again, pause and resume.
While one is down the API answers 503 ``dependency_unavailable`` naming it, with
``Retry-After``; once it is back, full service resumes and nothing written before is lost."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from tests.fixtures.api import TokenFactory, bearer
from tests.fixtures.outages import PostgresCluster, Restartable

from ff_shared.settings import Settings, load_settings, settings_to_env
from ff_shared.stores.postgres import apply_migrations
from ff_standins.dev.run import api_argv
from ff_standins.servers import ServerProcess, free_port

pytestmark = pytest.mark.usefixtures("own_redis", "own_mongo", "own_postgres")


@pytest.fixture(scope="module")
async def outage_settings(
    base_env: dict[str, str],
    own_redis: Restartable,
    own_mongo: Restartable,
    own_postgres: PostgresCluster,
) -> Settings:
    conn = await asyncpg.connect(own_postgres.dsn())
    try:
        await apply_migrations(conn, "lms")
    finally:
        await conn.close()
    return load_settings(
        {
            **base_env,
            "FF_REDIS_URL": f"redis://127.0.0.1:{own_redis.port}/0",
            "FF_REDIS_OPERATION_TIMEOUT_SECONDS": "1",
            "FF_REDIS_CONNECT_TIMEOUT_SECONDS": "1",
            "FF_MONGO_URL": f"mongodb://127.0.0.1:{own_mongo.port}",
            "FF_MONGO_TIMEOUT_SECONDS": "1",
            "FF_POSTGRES_DSN": own_postgres.dsn(),
            "FF_POSTGRES_CONNECT_TIMEOUT_SECONDS": "1",
            "FF_POSTGRES_REQUEST_TIMEOUT_SECONDS": "2",
        }
    )


@pytest.fixture(scope="module")
def outage_api(outage_settings: Settings, outage_dir: Path) -> Iterator[str]:
    port = free_port()
    saved = dict(os.environ)
    os.environ.update(settings_to_env(outage_settings))
    try:
        server = ServerProcess("granian-outages", api_argv(port), port=port, workdir=outage_dir)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()


@pytest.fixture(scope="module")
async def http(outage_api: str) -> AsyncIterator[aiohttp.ClientSession]:
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(base_url=outage_api, timeout=timeout) as session:
        yield session


async def _call(
    http: aiohttp.ClientSession, method: str, path: str, token: str, **kwargs: Any
) -> tuple[int, Any, aiohttp.typedefs.LooseHeaders]:
    async with http.request(method, path, headers=bearer(token), **kwargs) as response:
        body = await response.json(content_type=None)
        return response.status, body, response.headers


def _assert_unavailable(status: int, body: Any, headers: Any, dependency: str) -> None:
    assert status == 503, body
    assert headers["content-type"].startswith("application/problem+json")
    assert body["code"] == "dependency_unavailable"
    assert body["dependency"] == dependency
    assert int(headers["Retry-After"]) >= 1


async def _until_served(
    http: aiohttp.ClientSession, method: str, path: str, token: str, expected: int
) -> Any:
    """The first answer with ``expected`` status; a pooled connection broken by the outage may
    cost one 503 before the client connects again (bounded by attempts, not by time)."""
    status, body = 0, None
    for _ in range(10):
        status, body, _headers = await _call(http, method, path, token)
        if status == expected:
            return body
        assert status == 503, body
        await asyncio.sleep(0.3)
    raise AssertionError(f"{method} {path} still answers {status}: {body}")


async def test_redis_stopped_then_started(
    http: aiohttp.ClientSession, own_redis: Restartable, staff_token: TokenFactory
) -> None:
    staff = await staff_token("operations")
    queued = await _call(http, "POST", "/v1/staff/ops/lms/runs", staff)
    assert queued[0] == 202, queued[1]

    own_redis.stop()
    try:
        _assert_unavailable(*await _call(http, "POST", "/v1/staff/ops/lms/runs", staff), "redis")
        ready = await _call(http, "GET", "/health/ready", staff)
        assert ready[0] == 503
    finally:
        own_redis.start()

    again = await _until_served(http, "POST", "/v1/staff/ops/lms/runs", staff, 202)
    # The job queued before the outage is still queued, beside the one queued after.
    async with http.get("/health/ready") as ready_again:
        assert ready_again.status == 200, await ready_again.text()
    for run in (queued[1], again):
        status, body, _ = await _call(http, "GET", f"/v1/staff/ops/lms/runs/{run['id']}", staff)
        assert status == 200, body
        assert body["status"] == "queued"


async def test_a_silent_redis_costs_its_deadline_then_a_503(
    http: aiohttp.ClientSession, own_redis: Restartable, staff_token: TokenFactory
) -> None:
    staff = await staff_token("operations")
    own_redis.pause()
    try:
        _assert_unavailable(*await _call(http, "POST", "/v1/staff/ops/lms/runs", staff), "redis")
    finally:
        own_redis.resume()
    await _until_served(http, "POST", "/v1/staff/ops/lms/runs", staff, 202)


async def test_mongodb_stopped_then_started(
    http: aiohttp.ClientSession, own_mongo: Restartable, customer_token: TokenFactory
) -> None:
    customer = await customer_token()
    before = await _call(http, "POST", "/v1/applications", customer)
    assert before[0] == 201, before[1]

    own_mongo.stop()
    try:
        _assert_unavailable(*await _call(http, "POST", "/v1/applications", customer), "mongodb")
        _assert_unavailable(*await _call(http, "GET", "/v1/applications", customer), "mongodb")
    finally:
        own_mongo.start()

    after = await _until_served(http, "POST", "/v1/applications", customer, 201)
    listed = await _until_served(http, "GET", "/v1/applications", customer, 200)
    ids = {item["id"] for item in listed["items"]}
    assert {before[1]["id"], after["id"]} <= ids


async def test_postgres_stopped_then_started(
    http: aiohttp.ClientSession,
    own_postgres: PostgresCluster,
    staff_token: TokenFactory,
    customer_token: TokenFactory,
) -> None:
    operator = await staff_token("operations")
    underwriter = await staff_token("underwriter")
    before = await _call(http, "POST", "/v1/staff/ops/lms/runs", operator)
    assert before[0] == 202, before[1]
    application = await _call(http, "POST", "/v1/applications", await customer_token())
    assert application[0] == 201
    detail_path = f"/v1/staff/applications/{application[1]['id']}"

    own_postgres.stop()
    try:
        _assert_unavailable(
            *await _call(http, "GET", "/v1/staff/ops/lms/runs", operator), "postgres"
        )
        # The review screen still opens: only its duplicate cluster is unavailable.
        status, detail, _ = await _call(http, "GET", detail_path, underwriter)
        assert status == 200, detail
        assert detail["unavailable"] == ["duplicates"]
    finally:
        own_postgres.start()

    after = await _until_served(http, "POST", "/v1/staff/ops/lms/runs", operator, 202)
    runs = await _until_served(http, "GET", "/v1/staff/ops/lms/runs?limit=100", operator, 200)
    ids = {run["id"] for run in runs["items"]}
    assert {before[1]["id"], after["id"]} <= ids
    status, detail, _ = await _call(http, "GET", detail_path, underwriter)
    assert status == 200
    assert detail["unavailable"] == []


async def test_a_silent_postgres_costs_its_deadline_then_a_503(
    http: aiohttp.ClientSession, own_postgres: PostgresCluster, staff_token: TokenFactory
) -> None:
    operator = await staff_token("operations")
    await _until_served(http, "GET", "/v1/staff/ops/lms/runs", operator, 200)
    own_postgres.pause()
    try:
        _assert_unavailable(
            *await _call(http, "GET", "/v1/staff/ops/lms/runs", operator), "postgres"
        )
    finally:
        own_postgres.resume()
    await _until_served(http, "GET", "/v1/staff/ops/lms/runs", operator, 200)
