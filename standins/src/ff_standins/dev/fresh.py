"""``ff dev`` starts every store fresh, together: the local stack never mixes one run's data with
another's (a catalogue in PostgreSQL naming backups that moto's S3, started empty, never held).

Moto and the embedded Mongo stand-in start empty by nature; the rest is emptied here before the
seeders run: the PostgreSQL database (catalogues, archives, tracker sessions), the loan book's
database when it is PostgreSQL, the stack's Redis database (queues, idempotency keys, rate
limits), and a MongoDB server the stack did not start (its database only).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import asyncpg
from pymongo import AsyncMongoClient
from redis.asyncio import Redis

from ff_shared.settings import LoanBookSettings
from ff_shared.stores.loanbook.connection import database_of, dialect_of
from ff_workers.cli.errors import CommandError

LOCAL_REDIS_URL = "redis://127.0.0.1:6379/1"
"""The local stack's own Redis database (the tests use database 0)."""


async def _drop_databases(dsn: str, databases: list[str]) -> None:
    parsed = urlparse(dsn)
    admin_dsn = parsed._replace(path="/postgres").geturl()
    try:
        conn = await asyncpg.connect(admin_dsn, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        raise CommandError(
            f"PostgreSQL is not reachable at {parsed.hostname}:{parsed.port}: {exc}"
        ) from exc
    try:
        for database in databases:
            # A process of an earlier stack may still hold a connection: FORCE ends it.
            await conn.execute(f'drop database if exists "{database}" with (force)')
    finally:
        await conn.close()


async def _flush_redis(url: str) -> None:
    client: Any = Redis.from_url(url)
    try:
        await client.flushdb()
    finally:
        await client.aclose()


async def _drop_mongo(url: str, database: str) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url, serverSelectionTimeoutMS=5000)
    try:
        await client.drop_database(database)
    finally:
        await client.close()


async def reset_stores(env: dict[str, str], *, mongo_embedded: bool) -> list[str]:
    """Empty every store the stack keeps state in; what was emptied, for the start-up message."""
    dsn = env["FF_POSTGRES_DSN"]
    databases = [urlparse(dsn).path.lstrip("/")]
    loanbook = env.get("FF_LOANBOOK_CONNECTION_STRING", LoanBookSettings().connection_string)
    loanbook_db = database_of(loanbook)
    if dialect_of(loanbook) == "postgresql" and loanbook_db:
        databases.append(loanbook_db)
    await _drop_databases(dsn, databases)
    redis_url = env["FF_REDIS_URL"]
    await _flush_redis(redis_url)
    emptied = [f"PostgreSQL {', '.join(databases)}", f"Redis {urlparse(redis_url).path or '/0'}"]
    if not mongo_embedded:
        mongo_db = env.get("FF_MONGO_DATABASE", "fairfinance")
        await _drop_mongo(env["FF_MONGO_URL"], mongo_db)
        emptied.append(f"MongoDB {mongo_db}")
    return emptied
