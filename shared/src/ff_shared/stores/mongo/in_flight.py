"""Applications left in an in-flight state: a CRM sync ``syncing`` or an LMS booking ``creating``
whose job stopped (a worker killed mid-call, a queue that lost the job) and never came back."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec
from pymongo.asynchronous.database import AsyncDatabase

from ff_shared.stores.mongo.applications import COLLECTION

InFlight = Literal["crm", "lms"]

IN_FLIGHT_STATES: dict[InFlight, str] = {"crm": "syncing", "lms": "creating"}


class StuckRecord(msgspec.Struct, frozen=True, kw_only=True):
    application_id: str
    version: int
    since: datetime
    """When the in-flight state was recorded (the sync's ``updated_at``)."""


async def stuck(
    db: AsyncDatabase[dict[str, Any]], part: InFlight, *, before: datetime, limit: int = 200
) -> list[StuckRecord]:
    """Applications whose ``part`` has been in its in-flight state since before ``before``."""
    query = {f"{part}.state": IN_FLIGHT_STATES[part], f"{part}.updated_at": {"$lt": before}}
    cursor = db[COLLECTION].find(query, {"_id": 1, "version": 1, part: 1}).limit(limit)
    return [
        StuckRecord(
            application_id=str(doc["_id"]),
            version=int(doc.get("version", 1)),
            since=doc[part]["updated_at"],
        )
        async for doc in cursor
    ]
