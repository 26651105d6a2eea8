"""Repayments in PostgreSQL (schema ``payments``): mandates, payments and webhook events
(forbearance is :mod:`ff_shared.stores.postgres.forbearance`).

Payments are money: the exactly-once rules (an event stored once by its id, a payment booked in
the loan book once) are enforced by unique keys and row locks inside one transaction.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import asyncpg

from ff_shared.domain.payments import (
    MandateRecord,
    MandateStatus,
    PaymentKind,
    PaymentRecord,
    PaymentStatus,
)
from ff_shared.stores.postgres.migrations import apply_migrations

SCHEMA = "payments"


async def migrate(conn: asyncpg.Connection) -> list[str]:
    return await apply_migrations(conn, SCHEMA)


def _mandate(row: Any) -> MandateRecord:
    return MandateRecord(
        application_id=row["application_id"],
        customer_id=row["customer_id"],
        request_id=row["request_id"],
        authorisation_url=row["authorisation_url"],
        mandate_id=row["mandate_id"],
        status=MandateStatus(row["status"]),
        failure_cause=row["failure_cause"],
        loan_id=row["loan_id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _payment(row: Any) -> PaymentRecord:
    return PaymentRecord(
        id=row["id"],
        kind=PaymentKind(row["kind"]),
        customer_id=row["customer_id"],
        loan_id=row["loan_id"],
        amount_pence=row["amount_pence"],
        provider_payment_id=row["provider_payment_id"],
        request_id=row["request_id"],
        authorisation_url=row["authorisation_url"],
        idempotency_key=row["idempotency_key"],
        instalment_number=row["instalment_number"],
        charge_date=row["charge_date"],
        status=PaymentStatus(row["status"]),
        failure_cause=row["failure_cause"],
        retries=row["retries"],
        booked_at=row["booked_at"],
        lms_transaction_id=row["lms_transaction_id"],
        reversed_at=row["reversed_at"],
        lms_reversal_id=row["lms_reversal_id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def find_mandate(
    conn: asyncpg.Connection, application_id: str, *, lock: bool = False
) -> MandateRecord | None:
    sql = "select * from payments.mandates where application_id = $1"
    row = await conn.fetchrow(sql + (" for update" if lock else ""), application_id)
    return None if row is None else _mandate(row)


async def find_mandate_for_loan(conn: asyncpg.Connection, loan_id: str) -> MandateRecord | None:
    row = await conn.fetchrow("select * from payments.mandates where loan_id = $1", loan_id)
    return None if row is None else _mandate(row)


async def find_mandate_by_request(
    conn: asyncpg.Connection, request_id: str, *, lock: bool = False
) -> MandateRecord | None:
    sql = "select * from payments.mandates where request_id = $1"
    row = await conn.fetchrow(sql + (" for update" if lock else ""), request_id)
    return None if row is None else _mandate(row)


async def find_mandate_by_provider_id(
    conn: asyncpg.Connection, mandate_id: str, *, lock: bool = False
) -> MandateRecord | None:
    sql = "select * from payments.mandates where mandate_id = $1"
    row = await conn.fetchrow(sql + (" for update" if lock else ""), mandate_id)
    return None if row is None else _mandate(row)


async def insert_mandate_setup(
    conn: asyncpg.Connection,
    *,
    application_id: str,
    customer_id: str,
    request_id: str,
    authorisation_url: str,
    now: datetime,
) -> MandateRecord:
    """Record a new set-up; a set-up already recorded for the application is kept and returned."""
    row = await conn.fetchrow(
        """
        insert into payments.mandates (application_id, customer_id, request_id,
            authorisation_url, status, created_at, updated_at)
        values ($1, $2, $3, $4, 'pending_customer_approval', $5, $5)
        on conflict (application_id) do update set updated_at = payments.mandates.updated_at
        returning *
        """,
        application_id,
        customer_id,
        request_id,
        authorisation_url,
        now,
    )
    return _mandate(row)


async def replace_mandate_setup(
    conn: asyncpg.Connection,
    *,
    application_id: str,
    request_id: str,
    authorisation_url: str,
    now: datetime,
) -> MandateRecord:
    """Start again after a refused or cancelled set-up."""
    row = await conn.fetchrow(
        """
        update payments.mandates set request_id = $2, authorisation_url = $3, mandate_id = null,
            status = 'pending_customer_approval', failure_cause = null, updated_at = $4
        where application_id = $1 returning *
        """,
        application_id,
        request_id,
        authorisation_url,
        now,
    )
    return _mandate(row)


async def update_mandate(
    conn: asyncpg.Connection,
    application_id: str,
    *,
    mandate_id: str | None,
    status: MandateStatus,
    failure_cause: str | None,
    now: datetime,
) -> None:
    await conn.execute(
        """
        update payments.mandates set mandate_id = coalesce($2, mandate_id), status = $3,
            failure_cause = $4, updated_at = $5
        where application_id = $1
        """,
        application_id,
        mandate_id,
        status.value,
        failure_cause,
        now,
    )


async def link_loan(
    conn: asyncpg.Connection, application_id: str, loan_id: str, now: datetime
) -> None:
    await conn.execute(
        "update payments.mandates set loan_id = $2, updated_at = $3 where application_id = $1",
        application_id,
        loan_id,
        now,
    )


async def active_mandates_with_loans(conn: asyncpg.Connection) -> list[MandateRecord]:
    rows = await conn.fetch(
        "select * from payments.mandates where status = 'active' and loan_id is not null"
        " order by application_id"
    )
    return [_mandate(r) for r in rows]


async def mandates_without_loans(conn: asyncpg.Connection) -> list[MandateRecord]:
    rows = await conn.fetch(
        "select * from payments.mandates where status = 'active' and loan_id is null"
    )
    return [_mandate(r) for r in rows]


# --- payments ----------------------------------------------------------------------------------


async def find_payment_by_key(
    conn: asyncpg.Connection, idempotency_key: str, *, lock: bool = False
) -> PaymentRecord | None:
    sql = "select * from payments.payments where idempotency_key = $1"
    row = await conn.fetchrow(sql + (" for update" if lock else ""), idempotency_key)
    return None if row is None else _payment(row)


async def find_payment_by_provider_id(
    conn: asyncpg.Connection, provider_payment_id: str, *, lock: bool = False
) -> PaymentRecord | None:
    sql = "select * from payments.payments where provider_payment_id = $1"
    row = await conn.fetchrow(sql + (" for update" if lock else ""), provider_payment_id)
    return None if row is None else _payment(row)


async def find_payment_by_request(
    conn: asyncpg.Connection, request_id: str, *, lock: bool = False
) -> PaymentRecord | None:
    sql = "select * from payments.payments where request_id = $1"
    row = await conn.fetchrow(sql + (" for update" if lock else ""), request_id)
    return None if row is None else _payment(row)


async def find_collection(
    conn: asyncpg.Connection, loan_id: str, instalment_number: int
) -> PaymentRecord | None:
    row = await conn.fetchrow(
        "select * from payments.payments where kind = 'collection' and loan_id = $1"
        " and instalment_number = $2",
        loan_id,
        instalment_number,
    )
    return None if row is None else _payment(row)


async def insert_payment(
    conn: asyncpg.Connection,
    *,
    kind: PaymentKind,
    customer_id: str,
    loan_id: str,
    amount_pence: int,
    idempotency_key: str,
    status: PaymentStatus,
    now: datetime,
    provider_payment_id: str | None = None,
    request_id: str | None = None,
    authorisation_url: str | None = None,
    instalment_number: int | None = None,
    charge_date: date | None = None,
) -> PaymentRecord:
    row = await conn.fetchrow(
        """
        insert into payments.payments (kind, customer_id, loan_id, amount_pence, idempotency_key,
            status, provider_payment_id, request_id, authorisation_url, instalment_number,
            charge_date, created_at, updated_at)
        values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
        returning *
        """,
        kind.value,
        customer_id,
        loan_id,
        amount_pence,
        idempotency_key,
        status.value,
        provider_payment_id,
        request_id,
        authorisation_url,
        instalment_number,
        charge_date,
        now,
    )
    return _payment(row)


async def update_payment(
    conn: asyncpg.Connection,
    payment_id: int,
    *,
    status: PaymentStatus,
    now: datetime,
    provider_payment_id: str | None = None,
    failure_cause: str | None = None,
    charge_date: date | None = None,
    retries: int | None = None,
) -> PaymentRecord:
    row = await conn.fetchrow(
        """
        update payments.payments set status = $2, updated_at = $3,
            provider_payment_id = coalesce($4, provider_payment_id),
            failure_cause = case when $2 in ('failed', 'charged_back')
                then coalesce($5, failure_cause) else null end,
            charge_date = coalesce($6, charge_date),
            retries = coalesce($7, retries)
        where id = $1 returning *
        """,
        payment_id,
        status.value,
        now,
        provider_payment_id,
        failure_cause,
        charge_date,
        retries,
    )
    return _payment(row)


async def mark_booked(
    conn: asyncpg.Connection, payment_id: int, *, lms_transaction_id: int, now: datetime
) -> None:
    await conn.execute(
        "update payments.payments set booked_at = $2, lms_transaction_id = $3, updated_at = $2"
        " where id = $1 and booked_at is null",
        payment_id,
        now,
        lms_transaction_id,
    )


async def mark_reversed(
    conn: asyncpg.Connection, payment_id: int, *, lms_transaction_id: int, now: datetime
) -> None:
    await conn.execute(
        "update payments.payments set reversed_at = $2, lms_reversal_id = $3, updated_at = $2"
        " where id = $1 and reversed_at is null",
        payment_id,
        now,
        lms_transaction_id,
    )


async def loan_payments(conn: asyncpg.Connection, loan_id: str) -> list[PaymentRecord]:
    rows = await conn.fetch(
        "select * from payments.payments where loan_id = $1 order by created_at desc, id desc",
        loan_id,
    )
    return [_payment(r) for r in rows]


async def failed_payments(
    conn: asyncpg.Connection, *, limit: int, offset: int
) -> tuple[list[PaymentRecord], int]:
    where = "where status in ('failed', 'charged_back')"
    rows = await conn.fetch(
        f"select * from payments.payments {where} order by updated_at desc, id desc"
        " limit $1 offset $2",
        limit,
        offset,
    )
    total = await conn.fetchval(f"select count(*) from payments.payments {where}")
    return [_payment(r) for r in rows], int(total)


# --- events ------------------------------------------------------------------------------------
