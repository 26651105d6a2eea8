"""Which customer e-mails went out: one entry per event, so a job run twice sends once.

Workers pass their own database handle (``db``); the API uses the bound beanie model's
collection. Entries hold the event and the SES message id, never the address or the text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from ff_shared.domain.records import ApplicationRecord
from ff_shared.stores.mongo.connection import collection
from ff_shared.stores.mongo.documents import ApplicationDocument, EmailLogDocument
from ff_shared.stores.mongo.review import record_of


class SentEmail(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    application_id: str
    kind: str
    message_id: str | None
    sent_at: datetime | None


def _collection(db: Any | None) -> Any:
    if db is None:
        return collection(EmailLogDocument)
    return db[EmailLogDocument.Settings.name]


def event_key(application_id: str, kind: str, version: int) -> str:
    return f"{application_id}:{kind}:{version}"


async def find(key: str, *, db: Any | None = None) -> SentEmail | None:
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
    db: Any | None = None,
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


async def for_application(application_id: str, *, db: Any | None = None) -> list[SentEmail]:
    cursor = _collection(db).find({"application_id": application_id}).sort([("sent_at", 1)])
    out: list[SentEmail] = []
    async for raw in cursor:
        raw = dict(raw)
        raw["id"] = raw.pop("_id")
        out.append(msgspec.convert(raw, SentEmail))
    return out


async def load_application(application_id: str, *, db: Any) -> ApplicationRecord | None:
    """The application as a worker reads it, through the worker's own client."""
    raw = await db[ApplicationDocument.Settings.name].find_one({"_id": application_id})
    return None if raw is None else record_of(raw)


async def load_profile_email(customer_id: str, *, db: Any) -> str | None:
    raw = await db["customers"].find_one({"_id": customer_id}, {"email": 1})
    return None if raw is None else raw.get("email")
