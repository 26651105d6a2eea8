"""The AI analyst's MongoDB data: conversations, and the aggregate and look-up queries it needs.

Conversations belong to the staff member who started them. A conversation keeps the messages
exactly as sent to the model (aggregates only: the guard saw each of them) and one exchange per
question with its tool calls, token counts and cost, so an answer can be traced to its figures.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from pymongo.asynchronous.database import AsyncDatabase

from ff_shared.domain.analyst import Conversation, ConversationSummary, Exchange

CONVERSATIONS = "analyst_conversations"


def _builtins(value: Any) -> Any:
    return msgspec.to_builtins(value, builtin_types=(datetime,))


def _instant(value: Any) -> datetime:
    """A stored time as an aware UTC datetime (a store may hand back a ``$set`` time as text)."""
    moment = msgspec.convert(value, datetime, strict=False)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


APPLICATIONS = "applications"


class ConversationRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._collection = db[CONVERSATIONS]

    async def create(self, conversation: Conversation) -> None:
        raw = _builtins(conversation)
        raw["_id"] = raw.pop("id")
        await self._collection.insert_one(raw)

    async def get(self, conversation_id: str, *, staff_id: str) -> Conversation | None:
        raw = await self._collection.find_one({"_id": conversation_id, "staff_id": staff_id})
        if raw is None:
            return None
        raw["id"] = raw.pop("_id")
        return msgspec.convert(raw, Conversation)

    async def save_exchanges(
        self,
        conversation_id: str,
        *,
        messages: list[dict[str, Any]],
        exchanges: tuple[Exchange, ...],
        now: datetime,
    ) -> None:
        """Store the conversation's messages and every exchange, the newest last."""
        await self._collection.update_one(
            {"_id": conversation_id},
            {
                "$set": {
                    "messages": messages,
                    "exchanges": _builtins(list(exchanges)),
                    "updated_at": now,
                }
            },
        )

    async def list_for(
        self, staff_id: str, *, before: datetime | None, limit: int
    ) -> list[ConversationSummary]:
        query: dict[str, Any] = {"staff_id": staff_id}
        if before is not None:
            query["updated_at"] = {"$lt": before}
        cursor = (
            self._collection.find(
                query, {"_id": 1, "title": 1, "created_at": 1, "updated_at": 1, "exchanges": 1}
            )
            .sort("updated_at", -1)
            .limit(limit)
        )
        return [
            ConversationSummary(
                id=raw["_id"],
                title=raw["title"],
                created_at=_instant(raw["created_at"]),
                updated_at=_instant(raw["updated_at"]),
                questions=len(raw.get("exchanges", [])),
            )
            async for raw in cursor
        ]


async def outcome_counts(db: AsyncDatabase[dict[str, Any]], *, since: datetime) -> dict[str, int]:
    """Applications submitted since ``since``, counted by status."""
    cursor = await db[APPLICATIONS].aggregate(
        [
            {"$match": {"submitted_at": {"$gte": since}}},
            {"$group": {"_id": "$status", "n": {"$sum": 1}}},
        ]
    )
    return {str(row["_id"]): int(row["n"]) async for row in cursor}


async def decision_outcome_counts(
    db: AsyncDatabase[dict[str, Any]], *, since: datetime
) -> dict[str, int]:
    """Applications submitted since ``since``, counted by the decision engine's outcome."""
    cursor = await db[APPLICATIONS].aggregate(
        [
            {"$match": {"submitted_at": {"$gte": since}}},
            {"$group": {"_id": "$decision.outcome", "n": {"$sum": 1}}},
        ]
    )
    return {str(row["_id"]): int(row["n"]) async for row in cursor if row["_id"] is not None}


async def statuses_of(
    db: AsyncDatabase[dict[str, Any]], application_ids: list[str]
) -> dict[str, tuple[str, bool]]:
    """Each application's status and whether its loan was booked, by id (ids asked in chunks)."""
    found: dict[str, tuple[str, bool]] = {}
    for start in range(0, len(application_ids), 500):
        chunk = application_ids[start : start + 500]
        cursor = db[APPLICATIONS].find(
            {"_id": {"$in": chunk}}, {"_id": 1, "status": 1, "lms.agreement_number": 1}
        )
        async for raw in cursor:
            booked = bool((raw.get("lms") or {}).get("agreement_number"))
            found[str(raw["_id"])] = (str(raw["status"]), booked)
    return found


async def is_customer_name(db: AsyncDatabase[dict[str, Any]], pairs: list[tuple[str, str]]) -> bool:
    """Whether any (first, last) pair is the name an applicant gave."""
    if not pairs:
        return False
    query = {
        "$or": [
            {"steps.personal.first_name": first, "steps.personal.last_name": last}
            for first, last in pairs
        ]
    }
    return await db[APPLICATIONS].find_one(query, {"_id": 1}) is not None
