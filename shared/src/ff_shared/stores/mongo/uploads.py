"""Document records (the files themselves are in S3). Writes are conditional on the version."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from ff_shared.domain.documents import DocumentRecord, DocumentStatus, Uploader
from ff_shared.errors import NotFound, StaleVersion
from ff_shared.stores.mongo.connection import collection
from ff_shared.stores.mongo.documents import UploadedDocument
from ff_shared.stores.mongo.versioned import replace_if_version


def _collection() -> Any:
    return collection(UploadedDocument)


def _record(raw: dict[str, Any]) -> DocumentRecord:
    raw = dict(raw)
    raw["id"] = raw.pop("_id")
    raw.pop("revision_id", None)
    return msgspec.convert(raw, DocumentRecord)


async def create(
    *,
    document_id: str,
    customer_id: str,
    application_id: str | None,
    kind: str,
    content_type: str,
    size_bytes: int,
    object_key: str,
    uploaded_by: Uploader,
    now: datetime,
) -> DocumentRecord:
    raw: dict[str, Any] = {
        "_id": document_id,
        "customer_id": customer_id,
        "application_id": application_id,
        "kind": kind,
        "content_type": content_type,
        "size_bytes": size_bytes,
        "status": DocumentStatus.PENDING.value,
        "object_key": object_key,
        "uploaded_by": msgspec.to_builtins(uploaded_by),
        "created_at": now,
        "updated_at": now,
        "confirmed_at": None,
        "rejected_reason": None,
        "version": 1,
    }
    await _collection().insert_one(raw)
    return _record(raw)


async def get(document_id: str, *, customer_id: str | None = None) -> DocumentRecord:
    """One document; for a customer, someone else's document does not exist."""
    query: dict[str, Any] = {"_id": document_id}
    if customer_id is not None:
        query["customer_id"] = customer_id
    raw = await _collection().find_one(query)
    if raw is None:
        raise NotFound("no such document")
    return _record(raw)


async def set_status(
    record: DocumentRecord,
    status: DocumentStatus,
    *,
    now: datetime,
    reason: str | None = None,
    object_key: str | None = None,
) -> DocumentRecord:
    """The new status (and, at confirmation, the object's confirmed key)."""
    raw = await _collection().find_one({"_id": record.id})
    if raw is None:
        raise NotFound("no such document")
    raw.update(status=status.value, updated_at=now, rejected_reason=reason)
    if object_key is not None:
        raw["object_key"] = object_key
    if status is DocumentStatus.AVAILABLE:
        raw["confirmed_at"] = now
    if not await replace_if_version(_collection(), raw, record.version):
        raise StaleVersion("the document changed while it was being checked; try again")
    return _record(raw)


async def for_application(application_id: str) -> list[DocumentRecord]:
    cursor = _collection().find({"application_id": application_id}).sort([("_id", 1)])
    return [_record(raw) async for raw in cursor]


async def for_customer(customer_id: str) -> list[DocumentRecord]:
    cursor = _collection().find({"customer_id": customer_id}).sort([("_id", 1)])
    return [_record(raw) async for raw in cursor]


async def replace(record: DocumentRecord, changes: dict[str, Any]) -> DocumentRecord:
    """Apply ``changes`` to a document last read at ``record.version`` (erasure)."""
    raw = await _collection().find_one({"_id": record.id})
    if raw is None:
        raise NotFound("no such document")
    raw.update(changes)
    if not await replace_if_version(_collection(), raw, record.version):
        raise StaleVersion("the document changed while it was being erased; try again")
    return _record(raw)
