"""Customer profile queries."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

import msgspec
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from ff_shared.domain.records import CustomerProfile
from ff_shared.errors import NotFound, StaleVersion
from ff_shared.stores.mongo.documents import CustomerDocument


def _profile(raw: dict[str, Any]) -> CustomerProfile:
    raw = dict(raw)
    raw["id"] = raw.pop("_id")
    raw.pop("revision_id", None)
    return msgspec.convert(raw, CustomerProfile)


def _collection() -> Any:
    return CustomerDocument.get_pymongo_collection()


async def ensure_profile(customer_id: str, *, email: str | None, now: datetime) -> CustomerProfile:
    """The profile of an authenticated customer, created on first sight."""
    raw = await _collection().find_one({"_id": customer_id})
    if raw is not None:
        return _profile(raw)
    # A concurrent first request may have created it: either way it exists now.
    with contextlib.suppress(DuplicateKeyError):
        await CustomerDocument(
            id=customer_id, email=email, version=1, created_at=now, updated_at=now
        ).insert()
    return await get_profile(customer_id)


async def get_profile(customer_id: str) -> CustomerProfile:
    raw = await _collection().find_one({"_id": customer_id})
    if raw is None:
        raise NotFound("no such customer")
    return _profile(raw)


async def update_profile(
    customer_id: str, *, expected_version: int, changes: dict[str, Any], now: datetime
) -> CustomerProfile:
    """Apply ``changes`` (dotted paths allowed) only if nobody wrote since ``expected_version``."""
    raw = await _collection().find_one_and_update(
        {"_id": customer_id, "version": expected_version},
        {"$set": {**changes, "updated_at": now}, "$inc": {"version": 1}},
        return_document=ReturnDocument.AFTER,
    )
    if raw is None:
        current = await get_profile(customer_id)
        raise StaleVersion(f"the profile is at version {current.version}, not {expected_version}")
    return _profile(raw)
