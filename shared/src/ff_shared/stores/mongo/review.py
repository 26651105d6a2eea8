"""The staff queue's queries over applications, and the versioned writes of review actions.

Pages are cut on (sort value, id) — keyset pagination — so applications that arrive while
someone pages through the queue never shift, repeat or hide items on later pages.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Literal, TypeVar

import msgspec

from ff_shared.domain.lifecycle import (
    SUBMITTED,
    FourEyesError,
    IllegalTransitionError,
    SeniorOverrideRequiredError,
)
from ff_shared.domain.records import ApplicationRecord, ApplicationStatus
from ff_shared.errors import (
    FourEyesRequired,
    IllegalTransition,
    NotFound,
    SeniorOverrideRequired,
    StaleVersion,
)
from ff_shared.stores.mongo.connection import collection
from ff_shared.stores.mongo.documents import ApplicationDocument
from ff_shared.stores.mongo.versioned import replace_if_version

SortKey = Literal["submitted_at", "amount"]
SORT_PATHS: dict[str, str] = {"submitted_at": "submitted_at", "amount": "steps.loan.amount_pence"}

SortValue = int | datetime
T = TypeVar("T")


class QueueFilter(msgspec.Struct, frozen=True, kw_only=True):
    statuses: tuple[ApplicationStatus, ...] = ()
    """Empty: every submitted status."""
    outcome: str | None = None
    assigned_to: str | None = None
    unassigned: bool = False
    min_amount_pence: int | None = None
    max_amount_pence: int | None = None
    submitted_from: datetime | None = None
    submitted_to: datetime | None = None
    q: str | None = None


class Position(msgspec.Struct, frozen=True, kw_only=True):
    """Where the previous page ended."""

    value: SortValue
    id: str


def _collection() -> Any:
    return collection(ApplicationDocument)


def record_of(raw: dict[str, Any]) -> ApplicationRecord:
    raw = dict(raw)
    raw["id"] = raw.pop("_id")
    raw.pop("revision_id", None)
    return msgspec.convert(raw, ApplicationRecord)


def _contains(word: str) -> dict[str, str]:
    return {"$regex": re.escape(word), "$options": "i"}


def text_clause(q: str) -> dict[str, Any] | None:
    """Every word must appear in the reference, the e-mail, or the first or last name."""
    words = q.split()
    if not words:
        return None
    return {
        "$and": [
            {
                "$or": [
                    {"reference": _contains(word)},
                    {"steps.personal.email": _contains(word)},
                    {"steps.personal.first_name": _contains(word)},
                    {"steps.personal.last_name": _contains(word)},
                ]
            }
            for word in words
        ]
    }


def _match(where: QueueFilter, *, with_status: bool = True) -> dict[str, Any]:
    clauses: list[dict[str, Any]] = []
    statuses = where.statuses if with_status and where.statuses else tuple(SUBMITTED)
    clauses.append({"status": {"$in": sorted(s.value for s in statuses)}})
    if where.outcome is not None:
        clauses.append({"decision.outcome": where.outcome})
    if where.unassigned:
        clauses.append({"assigned_to": None})
    elif where.assigned_to is not None:
        clauses.append({"assigned_to.staff.id": where.assigned_to})
    amount: dict[str, int] = {}
    if where.min_amount_pence is not None:
        amount["$gte"] = where.min_amount_pence
    if where.max_amount_pence is not None:
        amount["$lte"] = where.max_amount_pence
    if amount:
        clauses.append({"steps.loan.amount_pence": amount})
    submitted: dict[str, datetime] = {}
    if where.submitted_from is not None:
        submitted["$gte"] = where.submitted_from
    if where.submitted_to is not None:
        submitted["$lt"] = where.submitted_to
    if submitted:
        clauses.append({"submitted_at": submitted})
    if where.q and (text := text_clause(where.q)) is not None:
        clauses.append(text)
    return {"$and": clauses}


def sort_value(record: ApplicationRecord, sort: SortKey) -> SortValue:
    if sort == "amount":
        return int(record.steps.get("loan", {}).get("amount_pence", 0))
    assert record.submitted_at is not None
    return record.submitted_at


async def list_queue(
    where: QueueFilter,
    *,
    sort: SortKey,
    descending: bool,
    after: Position | None,
    limit: int,
) -> list[ApplicationRecord]:
    path = SORT_PATHS[sort]
    match = _match(where)
    if after is not None:
        beyond = "$lt" if descending else "$gt"
        match["$and"].append(
            {
                "$or": [
                    {path: {beyond: after.value}},
                    {path: after.value, "_id": {beyond: after.id}},
                ]
            }
        )
    order = -1 if descending else 1
    cursor = _collection().find(match).sort([(path, order), ("_id", order)]).limit(limit)
    return [record_of(raw) async for raw in cursor]


async def count_by_status(where: QueueFilter) -> dict[str, int]:
    """How many applications each submitted status holds, under every filter but status."""
    counts = {status.value: 0 for status in ApplicationStatus if status in SUBMITTED}
    pipeline = [
        {"$match": _match(where, with_status=False)},
        {"$group": {"_id": "$status", "n": {"$sum": 1}}},
    ]
    async for row in await _collection().aggregate(pipeline):
        counts[str(row["_id"])] = int(row["n"])
    return counts


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
    try:
        result = change(raw, current)
    except IllegalTransitionError as exc:
        raise IllegalTransition(str(exc)) from exc
    except SeniorOverrideRequiredError as exc:
        raise SeniorOverrideRequired(str(exc)) from exc
    except FourEyesError as exc:
        raise FourEyesRequired(str(exc)) from exc
    if before_write is not None:
        await before_write(result, current.version + 1)
    if not await replace_if_version(_collection(), raw, current.version):
        latest = await _collection().find_one(query)
        version = None if latest is None else latest.get("version")
        raise StaleVersion(f"the application changed (now version {version}) while saving")
    return Change(before=current, after=record_of(raw)), result


async def for_customer(customer_id: str) -> list[ApplicationRecord]:
    cursor = _collection().find({"customer_id": customer_id}).sort([("_id", 1)])
    return [record_of(raw) async for raw in cursor]


async def raw_for_customer(customer_id: str) -> list[dict[str, Any]]:
    cursor = _collection().find({"customer_id": customer_id}).sort([("_id", 1)])
    return [dict(raw) async for raw in cursor]


async def customer_ids_matching(clause: dict[str, Any]) -> list[str]:
    """Customers with an application matching ``clause`` (``find``, not ``distinct``: the
    embedded MongoDB stand-in's ``distinct`` ignores its filter)."""
    found = {
        str(raw["customer_id"]) async for raw in _collection().find(clause, {"customer_id": 1})
    }
    return sorted(found)
