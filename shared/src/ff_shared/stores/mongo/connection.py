from __future__ import annotations

import asyncio
import weakref
from typing import Any

from beanie import Document, init_beanie
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from ff_shared.settings import MongoSettings
from ff_shared.stores.mongo.documents import (
    ApplicationDocument,
    AuditChainDocument,
    AuditEventDocument,
    CustomerDocument,
    DataKeyDocument,
    EmailLogDocument,
    NoteDocument,
    UploadedDocument,
)

DOCUMENT_MODELS: list[type[Document]] = [
    ApplicationDocument,
    CustomerDocument,
    AuditEventDocument,
    AuditChainDocument,
    DataKeyDocument,
    UploadedDocument,
    NoteDocument,
    EmailLogDocument,
]


# pymongo's async client belongs to the event loop that made it, while beanie binds document
# classes process-wide. Each loop's database is kept here, so a process that runs several loops
# (a test session with the app under test beside burst-mode workers) reaches the right client.
_DATABASES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncDatabase[dict[str, Any]]]
_DATABASES = weakref.WeakKeyDictionary()


def collection(model: type[Document]) -> AsyncCollection[dict[str, Any]]:
    """The collection of ``model`` on this event loop's database."""
    database = _DATABASES.get(asyncio.get_running_loop())
    if database is None:
        return model.get_pymongo_collection()
    return database[model.get_collection_name()]


async def connect_mongo(
    settings: MongoSettings, models: list[type[Document]] | None = None
) -> AsyncMongoClient[dict[str, Any]]:
    """Open the client and bind every document model; indexes are created on the way."""
    timeout_ms = int(settings.timeout_seconds * 1000)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        settings.url,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        socketTimeoutMS=timeout_ms * 2,
        tz_aware=True,
    )
    database = client[settings.database]
    await init_beanie(database=database, document_models=models or DOCUMENT_MODELS)
    _DATABASES[asyncio.get_running_loop()] = database
    return client


async def ping(client: AsyncMongoClient[dict[str, Any]]) -> None:
    await client.admin.command("ping")


async def close_mongo(client: AsyncMongoClient[dict[str, Any]]) -> None:
    loop = asyncio.get_running_loop()
    database = _DATABASES.get(loop)
    if database is not None and database.client is client:
        del _DATABASES[loop]
    await client.close()
