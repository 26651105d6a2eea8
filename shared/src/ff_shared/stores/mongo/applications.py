"""Application queries. Every write is conditional on the version the caller saw."""

from __future__ import annotations

import secrets
import time
import uuid
from datetime import datetime
from typing import Any

import msgspec

from ff_shared.domain.records import ApplicationRecord, ApplicationStatus
from ff_shared.errors import ApplicationLocked, NotFound
from ff_shared.stores.mongo.connection import collection
from ff_shared.stores.mongo.documents import ApplicationDocument
from ff_shared.stores.mongo.versioned import replace_if_version, update_versioned

_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_id() -> str:
    """A UUIDv7: ids sort in creation order, so pages can be cut on the id alone."""
    millis = time.time_ns() // 1_000_000
    value = (millis & ((1 << 48) - 1)) << 80 | secrets.randbits(80)
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    return str(uuid.UUID(int=value))


def new_reference() -> str:
    """A short reference a customer can read over the phone (no 0/O or 1/I)."""
    return "FF-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))


def _record(raw: dict[str, Any]) -> ApplicationRecord:
    raw = dict(raw)
    raw["id"] = raw.pop("_id")
    raw.pop("revision_id", None)
    return msgspec.convert(raw, ApplicationRecord)


def _collection() -> Any:
    return collection(ApplicationDocument)


async def create_application(customer_id: str, now: datetime) -> ApplicationRecord:
    document = ApplicationDocument(
        id=new_id(),
        reference=new_reference(),
        customer_id=customer_id,
        status=ApplicationStatus.DRAFT.value,
        version=1,
        created_at=now,
        updated_at=now,
    )
    await collection(ApplicationDocument).insert_one(document.model_dump(by_alias=True))
    return await get_application(document.id, customer_id=customer_id)


async def find_application(
    application_id: str, *, customer_id: str | None = None
) -> ApplicationRecord | None:
    query: dict[str, Any] = {"_id": application_id}
    if customer_id is not None:
        query["customer_id"] = customer_id
    raw = await _collection().find_one(query)
    return None if raw is None else _record(raw)


async def get_application(
    application_id: str, *, customer_id: str | None = None
) -> ApplicationRecord:
    """Load one application; for a customer, someone else's application does not exist."""
    record = await find_application(application_id, customer_id=customer_id)
    if record is None:
        raise NotFound("no such application")
    return record


async def list_customer_applications(
    customer_id: str, *, limit: int, before_id: str | None = None
) -> list[ApplicationRecord]:
    """Newest first; ``before_id`` is the id of the last item already seen (ids sort by time)."""
    query: dict[str, Any] = {"customer_id": customer_id}
    if before_id is not None:
        query["_id"] = {"$lt": before_id}
    cursor = _collection().find(query).sort([("_id", -1)]).limit(limit)
    return [_record(raw) async for raw in cursor]


def _ensure_draft(document: dict[str, Any]) -> None:
    if document["status"] != ApplicationStatus.DRAFT.value:
        raise ApplicationLocked(
            f"the application is {document['status']} and can no longer be edited"
        )


async def save_step(
    application_id: str,
    *,
    customer_id: str,
    step: str,
    data: dict[str, Any],
    expected_version: int | None,
    now: datetime,
) -> ApplicationRecord:
    def change(document: dict[str, Any]) -> None:
        _ensure_draft(document)
        document.setdefault("steps", {})[step] = data
        document["updated_at"] = now

    document = await update_versioned(
        _collection(),
        {"_id": application_id, "customer_id": customer_id},
        change,
        expected_version=expected_version,
        what="application",
    )
    return _record(document)


async def record_submission(
    application_id: str,
    *,
    customer_id: str,
    expected_version: int,
    status: ApplicationStatus,
    decision: dict[str, Any],
    idempotency_key: str | None,
    now: datetime,
) -> ApplicationRecord | None:
    """Move a draft to its decided state; ``None`` when someone else wrote first."""
    document = await _collection().find_one({"_id": application_id, "customer_id": customer_id})
    if document is None or document["status"] != ApplicationStatus.DRAFT.value:
        return None
    document.update(
        status=status.value,
        decision=decision,
        submitted_at=now,
        updated_at=now,
        submit_idempotency_key=idempotency_key,
    )
    if not await replace_if_version(_collection(), document, expected_version):
        return None
    return _record(document)
