"""The staff queue's queries over applications, and the versioned writes of review actions.

Pages are cut on (sort value, id) — keyset pagination — so applications that arrive while
someone pages through the queue never shift, repeat or hide items on later pages.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import msgspec

from ff_shared.domain.records import ApplicationRecord
from ff_shared.errors import NotFound, StaleVersion
from ff_shared.stores.mongo.applications import (
    ApplicationRepository,
    Position,
    QueueFilter,
    SortKey,
    record_from_document,
    sort_value,
    text_clause,
)
from ff_shared.stores.mongo.connection import collection
from ff_shared.stores.mongo.documents import ApplicationDocument
from ff_shared.stores.mongo.versioned import replace_if_version

__all__ = ["Position", "QueueFilter", "SortKey", "sort_value", "text_clause"]

T = TypeVar("T")


def _collection() -> Any:
    return collection(ApplicationDocument)


def _bound() -> ApplicationRepository:
    return ApplicationRepository(collection(ApplicationDocument).database)


record_of = record_from_document


async def list_queue(
    where: QueueFilter,
    *,
    sort: SortKey,
    descending: bool,
    after: Position | None,
    limit: int,
) -> list[ApplicationRecord]:
    return await _bound().list_queue(
        where, sort=sort, descending=descending, after=after, limit=limit
    )


async def count_by_status(where: QueueFilter) -> dict[str, int]:
    return await _bound().count_by_status(where)


async def load(application_id: str) -> dict[str, Any]:
    raw = await _collection().find_one({"_id": application_id})
    if raw is None:
        raise NotFound("no such application")
    return dict(raw)


class Change(msgspec.Struct, frozen=True, kw_only=True):
    before: ApplicationRecord
    after: ApplicationRecord


async def change_application(
    application_id: str,
    change: Callable[[dict[str, Any], ApplicationRecord], T],
    *,
    expected_version: int | None,
    customer_id: str | None = None,
    before_write: Callable[[T, int], Awaitable[None]] | None = None,
) -> tuple[Change, T]:
    """Read the application, let ``change`` edit the stored document in memory (it may refuse
    with a domain error), then write it only if nobody wrote since the version read.

    ``expected_version`` is the version the caller saw: any other is a stale write. For a
    customer (``customer_id``) someone else's application does not exist. ``before_write``
    runs between the change and the write with ``change``'s result and the version the write
    will produce (the caller enqueues follow-up jobs there, which check that the write landed).
    """
    query: dict[str, Any] = {"_id": application_id}
    if customer_id is not None:
        query["customer_id"] = customer_id
    raw = await _collection().find_one(query)
    if raw is None:
        raise NotFound("no such application")
    current = record_of(raw)
    if expected_version is not None and current.version != expected_version:
        raise StaleVersion(
            f"the application is at version {current.version}, not {expected_version}"
        )
    result = change(raw, current)
    if before_write is not None:
        await before_write(result, current.version + 1)
    if not await replace_if_version(_collection(), raw, current.version):
        latest = await _collection().find_one(query)
        version = None if latest is None else latest.get("version")
        raise StaleVersion(f"the application changed (now version {version}) while saving")
    return Change(before=current, after=record_of(raw)), result


async def for_customer(customer_id: str) -> list[ApplicationRecord]:
    return await _bound().all_for_customer(customer_id)


async def raw_for_customer(customer_id: str) -> list[dict[str, Any]]:
    cursor = _collection().find({"customer_id": customer_id}).sort([("_id", 1)])
    return [dict(raw) async for raw in cursor]


async def customer_ids_matching(clause: dict[str, Any]) -> list[str]:
    return await _bound().customer_ids_matching(clause)
