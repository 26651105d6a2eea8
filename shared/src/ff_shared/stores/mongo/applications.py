"""Application queries. Every write is conditional on the version the caller saw."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Any

import msgspec
from pymongo import ReturnDocument

from ff_shared.domain.records import ApplicationRecord, ApplicationStatus
from ff_shared.errors import ApplicationLocked, NotFound, StaleVersion
from ff_shared.stores.mongo.documents import ApplicationDocument

_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_reference() -> str:
    """A short reference a customer can read over the phone (no 0/O or 1/I)."""
    return "FF-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))


def _record(raw: dict[str, Any]) -> ApplicationRecord:
    raw = dict(raw)
    raw["id"] = raw.pop("_id")
    raw.pop("revision_id", None)
    return msgspec.convert(raw, ApplicationRecord)


def _collection() -> Any:
    return ApplicationDocument.get_pymongo_collection()


async def create_application(customer_id: str, now: datetime) -> ApplicationRecord:
    document = ApplicationDocument(
        id=str(uuid.uuid4()),
        reference=new_reference(),
        customer_id=customer_id,
        status=ApplicationStatus.DRAFT.value,
        version=1,
        created_at=now,
        updated_at=now,
    )
    await document.insert()
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
    customer_id: str, *, limit: int, before: tuple[datetime, str] | None = None
) -> list[ApplicationRecord]:
    """Newest first; ``before`` is the (created_at, id) of the last item already seen."""
    query: dict[str, Any] = {"customer_id": customer_id}
    if before is not None:
        created_at, last_id = before
        query["$or"] = [
            {"created_at": {"$lt": created_at}},
            {"created_at": created_at, "_id": {"$lt": last_id}},
        ]
    cursor = _collection().find(query).sort([("created_at", -1), ("_id", -1)]).limit(limit)
    return [_record(raw) async for raw in cursor]


async def _explain_failed_write(
    application_id: str, customer_id: str | None, expected_version: int | None
) -> None:
    """A conditional update matched nothing: say precisely why."""
    current = await get_application(application_id, customer_id=customer_id)
    if current.status != ApplicationStatus.DRAFT:
        raise ApplicationLocked(
            f"the application is {current.status.value} and can no longer be edited"
        )
    if expected_version is not None and current.version != expected_version:
        raise StaleVersion(
            f"the application is at version {current.version}, not {expected_version}"
        )
    raise StaleVersion("the application changed while it was being saved")


async def save_step(
    application_id: str,
    *,
    customer_id: str,
    step: str,
    data: dict[str, Any],
    expected_version: int | None,
    now: datetime,
) -> ApplicationRecord:
    query: dict[str, Any] = {
        "_id": application_id,
        "customer_id": customer_id,
        "status": ApplicationStatus.DRAFT.value,
    }
    if expected_version is not None:
        query["version"] = expected_version
    raw = await _collection().find_one_and_update(
        query,
        {"$set": {f"steps.{step}": data, "updated_at": now}, "$inc": {"version": 1}},
        return_document=ReturnDocument.AFTER,
    )
    if raw is None:
        await _explain_failed_write(application_id, customer_id, expected_version)
    return _record(raw)


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
    """Move a draft to its decided state; ``None`` when someone else got there first."""
    raw = await _collection().find_one_and_update(
        {
            "_id": application_id,
            "customer_id": customer_id,
            "status": ApplicationStatus.DRAFT.value,
            "version": expected_version,
        },
        {
            "$set": {
                "status": status.value,
                "decision": decision,
                "submitted_at": now,
                "updated_at": now,
                "submit_idempotency_key": idempotency_key,
            },
            "$inc": {"version": 1},
        },
        return_document=ReturnDocument.AFTER,
    )
    return None if raw is None else _record(raw)
