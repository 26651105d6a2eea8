from __future__ import annotations

from typing import Any

from beanie import Document, init_beanie
from pymongo import AsyncMongoClient

from ff_shared.settings import MongoSettings
from ff_shared.stores.mongo.documents import (
    ApplicationDocument,
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
    DataKeyDocument,
    UploadedDocument,
    NoteDocument,
    EmailLogDocument,
]


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
    await init_beanie(database=client[settings.database], document_models=models or DOCUMENT_MODELS)
    return client


async def ping(client: AsyncMongoClient[dict[str, Any]]) -> None:
    await client.admin.command("ping")


async def close_mongo(client: AsyncMongoClient[dict[str, Any]]) -> None:
    await client.close()
