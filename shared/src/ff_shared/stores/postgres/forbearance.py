"""Forbearance in PostgreSQL (schema ``payments``): the payment plans and breathing spaces staff
agree (CONC 7), and the customers' requests for another collection day or for help."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import asyncpg

from ff_shared.domain.payments import (
    Arrangement,
    ArrangementKind,
    DifficultyKind,
    DifficultyRequest,
)


def _difficulty(row: Any) -> DifficultyRequest:
    return DifficultyRequest(
        id=row["id"],
        loan_id=row["loan_id"],
        customer_id=row["customer_id"],
        kind=DifficultyKind(row["kind"]),
        preferred_day=row["preferred_day"],
        message=row["message"],
        status=row["status"],
        created_at=row["created_at"],
    )


def _arrangement(row: Any) -> Arrangement:
    return Arrangement(
        id=row["id"],
        loan_id=row["loan_id"],
        kind=ArrangementKind(row["kind"]),
        starts_on=row["starts_on"],
        ends_on=row["ends_on"],
        instalment_pence=row["instalment_pence"],
        note=row["note"],
        agreed_by=row["agreed_by"],
        created_at=row["created_at"],
        ended_at=row["ended_at"],
    )


async def insert_arrangement(
    conn: asyncpg.Connection,
    *,
    loan_id: str,
    customer_id: str,
    kind: ArrangementKind,
    starts_on: date,
    ends_on: date,
    instalment_pence: int | None,
    note: str | None,
    agreed_by: str,
    now: datetime,
) -> Arrangement:
    row = await conn.fetchrow(
        """
        insert into payments.arrangements (loan_id, customer_id, kind, starts_on, ends_on,
            instalment_pence, note, agreed_by, created_at)
        values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning *
        """,
        loan_id,
        customer_id,
        kind.value,
        starts_on,
        ends_on,
        instalment_pence,
        note,
        agreed_by,
        now,
    )
    return _arrangement(row)


async def end_arrangement(
    conn: asyncpg.Connection, loan_id: str, arrangement_id: int, now: datetime
) -> Arrangement | None:
    row = await conn.fetchrow(
        "update payments.arrangements set ended_at = $3 where id = $2 and loan_id = $1"
        " and ended_at is null returning *",
        loan_id,
        arrangement_id,
        now,
    )
    return None if row is None else _arrangement(row)


async def loan_arrangements(conn: asyncpg.Connection, loan_id: str) -> list[Arrangement]:
    rows = await conn.fetch(
        "select * from payments.arrangements where loan_id = $1 order by starts_on, id", loan_id
    )
    return [_arrangement(r) for r in rows]


async def insert_difficulty(
    conn: asyncpg.Connection,
    *,
    loan_id: str,
    customer_id: str,
    kind: DifficultyKind,
    preferred_day: int | None,
    message: str | None,
    now: datetime,
) -> DifficultyRequest:
    row = await conn.fetchrow(
        """
        insert into payments.difficulty_requests (loan_id, customer_id, kind, preferred_day,
            message, created_at)
        values ($1, $2, $3, $4, $5, $6) returning *
        """,
        loan_id,
        customer_id,
        kind.value,
        preferred_day,
        message,
        now,
    )
    return _difficulty(row)


async def open_difficulty_requests(conn: asyncpg.Connection) -> list[DifficultyRequest]:
    rows = await conn.fetch(
        "select * from payments.difficulty_requests where status = 'open' order by created_at"
    )
    return [_difficulty(r) for r in rows]


async def find_difficulty(conn: asyncpg.Connection, request_id: int) -> DifficultyRequest | None:
    sql = "select * from payments.difficulty_requests where id = $1"
    row = await conn.fetchrow(sql, request_id)
    return None if row is None else _difficulty(row)


async def close_difficulty(conn: asyncpg.Connection, request_id: int, *, status: str) -> bool:
    """Close an open request (``agreed``); False when it was not open."""
    result = await conn.execute(
        "update payments.difficulty_requests set status = $2 where id = $1 and status = 'open'",
        request_id,
        status,
    )
    return bool(result.endswith(" 1"))
