"""Customer profile queries."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

import msgspec
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from ff_shared.domain.records import CustomerProfile
from ff_shared.errors import NotFound
from ff_shared.stores.mongo.connection import collection
from ff_shared.stores.mongo.documents import CustomerDocument
from ff_shared.stores.mongo.versioned import update_versioned


def _profile(raw: dict[str, Any]) -> CustomerProfile:
    raw = dict(raw)
    raw["id"] = raw.pop("_id")
    raw.pop("revision_id", None)
    return msgspec.convert(raw, CustomerProfile)


def _collection() -> Any:
    return collection(CustomerDocument)


async def ensure_profile(customer_id: str, *, email: str | None, now: datetime) -> CustomerProfile:
    """The profile of an authenticated customer, created on first sight."""
    raw = await _collection().find_one({"_id": customer_id})
    if raw is not None:
        return _profile(raw)
    # A concurrent first request may have created it: either way it exists now.
    with contextlib.suppress(DuplicateKeyError):
        document = CustomerDocument(
            id=customer_id, email=email, version=1, created_at=now, updated_at=now
        )
        await collection(CustomerDocument).insert_one(document.model_dump(by_alias=True))
    return await get_profile(customer_id)


async def get_profile(customer_id: str) -> CustomerProfile:
    raw = await _collection().find_one({"_id": customer_id})
    if raw is None:
        raise NotFound("no such customer")
    return _profile(raw)


async def is_erased(customer_id: str) -> bool:
    """Whether the customer was erased (a customer without a profile yet was not)."""
    raw = await _collection().find_one({"_id": customer_id}, {"erased_at": 1})
    return raw is not None and raw.get("erased_at") is not None


async def update_profile(
    customer_id: str, *, expected_version: int, changes: dict[str, Any], now: datetime
) -> CustomerProfile:
    """Apply ``changes`` (dotted paths allowed) only if nobody wrote since ``expected_version``."""

    def change(document: dict[str, Any]) -> None:
        for path, value in changes.items():
            target = document
            *parents, leaf = path.split(".")
            for part in parents:
                target = target.setdefault(part, {})
            target[leaf] = value
        document["updated_at"] = now

    document = await update_versioned(
        _collection(),
        {"_id": customer_id},
        change,
        expected_version=expected_version,
        what="profile",
    )
    return _profile(document)


class Contact(msgspec.Struct, frozen=True, kw_only=True):
    """What a job that writes to a customer or about them needs of their profile."""

    email: str | None
    erased: bool
    mobile: str | None = None
    version: int = 0
    """The profile's version (0: no profile)."""


async def contact_of(db: AsyncDatabase[dict[str, Any]], customer_id: str) -> Contact:
    """The customer's contact e-mail and mobile and whether they were erased, through the
    caller's database (no profile: no address, not erased)."""
    raw = await db[CustomerDocument.Settings.name].find_one(
        {"_id": customer_id}, {"email": 1, "mobile": 1, "erased_at": 1, "version": 1}
    )
    found = raw or {}
    return Contact(
        email=found.get("email"),
        erased=found.get("erased_at") is not None,
        mobile=found.get("mobile"),
        version=int(found.get("version") or 0),
    )
