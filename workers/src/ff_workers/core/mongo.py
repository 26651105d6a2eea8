"""The core worker's one MongoDB client, opened at start-up and kept in ``ctx``; jobs reach
applications through the repository built on its database."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from ff_shared.settings import Settings
from ff_shared.stores.mongo.applications import ApplicationRepository


def open_mongo(ctx: dict[str, Any]) -> None:
    """Open the client unless another job's start-up (or a test) put a database in ``ctx``."""
    if "mongo_db" in ctx:
        return
    settings: Settings = ctx["settings"]
    timeout_ms = int(settings.mongo.timeout_seconds * 1000)
    # Deadlines as the API's: a silent server fails the job (retried with backoff), not hangs it.
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        settings.mongo.url,
        tz_aware=True,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        socketTimeoutMS=timeout_ms * 2,
    )
    ctx["mongo_client"] = client
    ctx["mongo_db"] = client[settings.mongo.database]


async def close_mongo(ctx: dict[str, Any]) -> None:
    client: AsyncMongoClient[dict[str, Any]] | None = ctx.pop("mongo_client", None)
    if client is not None:
        ctx.pop("mongo_db", None)
        await client.close()


def database(ctx: dict[str, Any]) -> AsyncDatabase[dict[str, Any]]:
    db: AsyncDatabase[dict[str, Any]] = ctx["mongo_db"]
    return db


def applications(ctx: dict[str, Any]) -> ApplicationRepository:
    return ApplicationRepository(database(ctx))
