from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import msgspec

from ff_shared.settings import PostgresSettings


async def create_pool(settings: PostgresSettings) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        settings.dsn,
        min_size=settings.min_pool_size,
        max_size=settings.max_pool_size,
        timeout=settings.connect_timeout_seconds,
        command_timeout=settings.command_timeout_seconds,
    )
    assert pool is not None
    return pool


def for_requests(settings: PostgresSettings, **changes: int) -> PostgresSettings:
    """A pool for the API: it connects on first use and holds a statement to a request's
    deadline (``request_timeout_seconds``), so a silent server costs seconds, not a minute."""
    return msgspec.structs.replace(
        settings,
        min_pool_size=0,
        command_timeout_seconds=settings.request_timeout_seconds,
        **changes,
    )


@asynccontextmanager
async def transaction(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """One unit of work: commits when the block ends, rolls back if it raises."""
    async with pool.acquire() as conn, conn.transaction():
        yield conn


def require_transaction(conn: asyncpg.Connection) -> None:
    """Refuse to run a multi-statement write outside the caller's unit of work: its statements
    (and the row locks it takes) only mean something together, inside one transaction."""
    if not conn.is_in_transaction():
        raise RuntimeError("this store function runs inside the caller's transaction")
