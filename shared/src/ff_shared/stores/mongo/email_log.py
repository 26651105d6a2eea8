"""Which customer e-mails went out: one entry per event, so a job run twice sends once.

Workers pass their own database handle (``db``); the API uses the bound beanie model's
collection. Entries hold the event and the SES message id, never the address or the text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from ff_shared.stores.mongo.connection import collection
from ff_shared.stores.mongo.documents import EmailLogDocument


class SentEmail(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    application_id: str
    kind: str
    message_id: str | None
    sent_at: datetime | None


Database = AsyncDatabase[dict[str, Any]]


def _collection(db: Database | None) -> AsyncCollection[dict[str, Any]]:
    if db is None:
        return collection(EmailLogDocument)
    return db[EmailLogDocument.Settings.name]


def event_key(application_id: str, kind: str, version: int) -> str:
    return f"{application_id}:{kind}:{version}"


async def find(key: str, *, db: Database | None = None) -> SentEmail | None:
    raw = await _collection(db).find_one({"_id": key})
    if raw is None:
        return None
    raw = dict(raw)
    raw["id"] = raw.pop("_id")
    return msgspec.convert(raw, SentEmail)


async def record_sent(
    key: str,
    *,
    application_id: str,
    kind: str,
    message_id: str,
    now: datetime,
    db: Database | None = None,
) -> None:
    await _collection(db).replace_one(
        {"_id": key},
        {
            "_id": key,
            "application_id": application_id,
            "kind": kind,
            "message_id": message_id,
            "sent_at": now,
        },
        upsert=True,
    )


async def for_application(application_id: str, *, db: Database | None = None) -> list[SentEmail]:
    cursor = _collection(db).find({"application_id": application_id}).sort([("sent_at", 1)])
    out: list[SentEmail] = []
    async for raw in cursor:
        raw = dict(raw)
        raw["id"] = raw.pop("_id")
        out.append(msgspec.convert(raw, SentEmail))
    return out
