"""The provider's webhook events (schema payments): stored first, by id, then processed once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from ff_shared.domain.payments import (
    StoredEvent,
)
from ff_shared.integrations.payments.provider import ProviderEvent


def _event(row: Any) -> StoredEvent:
    return StoredEvent(**{k: row[k] for k in StoredEvent.__struct_fields__})


# --- mandates ----------------------------------------------------------------------------------


async def store_events(
    conn: asyncpg.Connection, events: list[ProviderEvent], now: datetime
) -> list[str]:
    """Store each event once by its id; returns the ids new to us (a replay returns none)."""
    new: list[str] = []
    for e in events:
        inserted = await conn.fetchval(
            """
            insert into payments.events (event_id, resource_type, action, resource_id, cause,
                description, created_at, received_at)
            values ($1, $2, $3, $4, $5, $6, $7, $8)
            on conflict (event_id) do nothing
            returning event_id
            """,
            e.id,
            e.resource_type,
            e.action,
            e.resource_id,
            e.cause,
            e.description,
            e.created_at,
            now,
        )
        if inserted is not None:
            new.append(str(inserted))
    return new


async def lock_event(conn: asyncpg.Connection, event_id: str) -> StoredEvent | None:
    row = await conn.fetchrow(
        "select * from payments.events where event_id = $1 for update", event_id
    )
    return None if row is None else _event(row)


async def mark_processed(
    conn: asyncpg.Connection, event_id: str, outcome: str, now: datetime
) -> None:
    await conn.execute(
        "update payments.events set processed_at = $2, outcome = $3 where event_id = $1",
        event_id,
        now,
        outcome,
    )


async def unprocessed_events(conn: asyncpg.Connection, *, older_than: datetime) -> list[str]:
    rows = await conn.fetch(
        "select event_id from payments.events where processed_at is null and received_at < $1"
        " order by received_at limit 500",
        older_than,
    )
    return [r["event_id"] for r in rows]
