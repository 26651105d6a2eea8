"""The retention register: what erasure kept, and when it goes; and the retention job's runs.

A hold names the kept item by kind and internal id only (never a person's details), so the
register and the run records hold no personal data. Functions take the caller's database, as
the API and the core worker each hold their own client.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from ff_shared.domain.privacy_retention import HoldKind

HOLDS = "retention_holds"
RUNS = "retention_runs"
APPLICATIONS = "applications"
DOCUMENTS = "documents"
NOTES = "notes"

Db = AsyncDatabase[dict[str, Any]]


def hold_id(kind: HoldKind, ref: str) -> str:
    return f"{kind.value}:{ref}"


async def hold(
    db: Db, *, kind: HoldKind, ref: str, until: date, reason: str, now: datetime
) -> None:
    """Keep ``ref`` until ``until`` (a repeated erasure keeps the first entry)."""
    await db[HOLDS].update_one(
        {"_id": hold_id(kind, ref)},
        {
            "$setOnInsert": {
                "kind": kind.value,
                "ref": ref,
                "until": datetime.combine(until, time.min, tzinfo=UTC),
                "reason": reason,
                "created_at": now,
            }
        },
        upsert=True,
    )


async def due(db: Db, *, today: date, limit: int = 500) -> list[dict[str, Any]]:
    """Holds whose date has come (``until`` on or before ``today``)."""
    cutoff = datetime.combine(today, time.min, tzinfo=UTC)
    cursor = db[HOLDS].find({"until": {"$lte": cutoff}}).sort([("until", 1)]).limit(limit)
    return [raw async for raw in cursor]


async def held_after(db: Db, *, kind: HoldKind, refs: list[str], today: date) -> set[str]:
    """Which of ``refs`` a hold of ``kind`` still keeps after ``today``."""
    if not refs:
        return set()
    cutoff = datetime.combine(today, time.min, tzinfo=UTC)
    cursor = db[HOLDS].find(
        {"kind": kind.value, "ref": {"$in": refs}, "until": {"$gt": cutoff}}, {"ref": 1}
    )
    return {str(raw["ref"]) async for raw in cursor}


async def uploads_of_application(db: Db, application_id: str) -> list[dict[str, Any]]:
    """The upload records tied to an application: id, object key and status."""
    cursor = (
        db[DOCUMENTS]
        .find({"application_id": application_id}, {"object_key": 1, "status": 1})
        .sort([("_id", 1)])
    )
    return [raw async for raw in cursor]


async def delete_upload(db: Db, document_id: str) -> int:
    return int((await db[DOCUMENTS].delete_one({"_id": document_id})).deleted_count)


async def delete_notes_of_application(db: Db, application_id: str) -> int:
    return int((await db[NOTES].delete_many({"application_id": application_id})).deleted_count)


async def delete_application(db: Db, application_id: str) -> int:
    return int((await db[APPLICATIONS].delete_one({"_id": application_id})).deleted_count)


async def release(db: Db, hold_key: str) -> None:
    await db[HOLDS].delete_one({"_id": hold_key})


async def record_run(db: Db, run: dict[str, Any]) -> None:
    await db[RUNS].insert_one(run)


async def last_runs(db: Db, limit: int = 10) -> list[dict[str, Any]]:
    cursor = db[RUNS].find({}).sort([("started_at", -1)]).limit(limit)
    return [raw async for raw in cursor]
