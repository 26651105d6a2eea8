"""Staff notes on a customer or one of their applications."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from ff_shared.domain.privacy import erase_note
from ff_shared.domain.review import StaffRef
from ff_shared.stores.mongo.applications import new_id
from ff_shared.stores.mongo.connection import collection
from ff_shared.stores.mongo.documents import NoteDocument


class Note(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    customer_id: str
    application_id: str | None
    author: StaffRef
    text: str
    created_at: datetime
    erased_at: datetime | None = None


def _collection() -> Any:
    return collection(NoteDocument)


def _note(raw: dict[str, Any]) -> Note:
    raw = dict(raw)
    raw["id"] = raw.pop("_id")
    raw.pop("revision_id", None)
    return msgspec.convert(raw, Note)


async def add(
    *, customer_id: str, application_id: str | None, author: StaffRef, text: str, now: datetime
) -> Note:
    raw: dict[str, Any] = {
        "_id": new_id(),
        "customer_id": customer_id,
        "application_id": application_id,
        "author": msgspec.to_builtins(author),
        "text": text,
        "created_at": now,
        "erased_at": None,
    }
    await _collection().insert_one(raw)
    return _note(raw)


async def for_application(application_id: str) -> list[Note]:
    cursor = _collection().find({"application_id": application_id}).sort([("_id", 1)])
    return [_note(raw) async for raw in cursor]


async def for_customer(customer_id: str) -> list[Note]:
    cursor = _collection().find({"customer_id": customer_id}).sort([("_id", 1)])
    return [_note(raw) async for raw in cursor]


async def erase_for_customer(customer_id: str, *, now: datetime) -> int:
    """Blank the text of every note about the customer; returns how many were erased."""
    erased = 0
    async for raw in _collection().find({"customer_id": customer_id, "erased_at": None}):
        await _collection().replace_one({"_id": raw["_id"]}, erase_note(raw, now=now))
        erased += 1
    return erased
