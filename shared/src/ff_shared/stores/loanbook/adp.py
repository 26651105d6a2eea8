"""The financial data platform's reads of the loan book: rows changed since a watermark, and the
totals its reconciliation checks against. No name, date of birth or address leaves here: the
customer becomes a salted key and the postcode its area."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import aioodbc

from ff_shared.adp.sources import (
    AgreementRow,
    InstalmentRow,
    LoanBookTotals,
    TransactionRow,
    customer_key,
    postcode_area,
)
from ff_shared.domain.loans import TransactionType, pence_from_decimal
from ff_shared.stores.loanbook.queries import naive_utc, utc

_EPOCH = datetime(1900, 1, 1, tzinfo=UTC)
_FETCH = 5000


def _since(watermark: datetime | None) -> datetime:
    return naive_utc(_EPOCH if watermark is None else watermark)


async def _rows(conn: aioodbc.Connection, sql: str, params: tuple[Any, ...]) -> list[Any]:
    out: list[Any] = []
    async with conn.cursor() as cur:
        await cur.execute(sql, params)
        while batch := await cur.fetchmany(_FETCH):
            out.extend(batch)
    return out


def _date(value: Any) -> Any:
    return value.date() if isinstance(value, datetime) else value


async def agreements_since(
    conn: aioodbc.Connection, watermark: datetime | None, *, salt: str
) -> list[AgreementRow]:
    """Agreements updated at or after ``watermark`` (all when None)."""
    rows = await _rows(
        conn,
        "SELECT a.AgreementNumber, a.ExternalReference, c.PlatformCustomerId, c.Postcode,"
        " a.ProductCode, a.Status, a.AdvanceAmount, a.TermMonths, a.InstalmentAmount,"
        " a.TotalRepayable, a.Balance, a.ArrearsBalance, a.StartDate, a.CreatedAt, a.UpdatedAt"
        " FROM Agreements a JOIN Customers c ON c.CustomerId = a.CustomerId"
        " WHERE a.UpdatedAt >= ? ORDER BY a.AgreementId",
        (_since(watermark),),
    )
    return [
        AgreementRow(
            agreement_number=str(r[0]).strip(),
            application_id=r[1],
            customer_key=customer_key(r[2], salt),
            postcode_area=postcode_area(r[3]),
            product_code=str(r[4]).strip(),
            status=str(r[5]).strip(),
            advance_pence=pence_from_decimal(r[6]),
            term_months=int(r[7]),
            instalment_pence=pence_from_decimal(r[8]),
            total_repayable_pence=pence_from_decimal(r[9]),
            balance_pence=pence_from_decimal(r[10]),
            arrears_pence=pence_from_decimal(r[11]),
            start_date=_date(r[12]),
            created_at=utc(r[13]),
            updated_at=utc(r[14]),
        )
        for r in rows
    ]


async def instalments_since(
    conn: aioodbc.Connection, watermark: datetime | None
) -> list[InstalmentRow]:
    """Every instalment of the agreements updated at or after ``watermark``."""
    rows = await _rows(
        conn,
        "SELECT a.AgreementNumber, s.InstalmentNumber, s.DueDate, s.Amount, s.Principal,"
        " s.Interest, s.PaidAmount, s.Status"
        " FROM ScheduleInstalments s JOIN Agreements a ON a.AgreementId = s.AgreementId"
        " WHERE a.UpdatedAt >= ? ORDER BY s.AgreementId, s.InstalmentNumber",
        (_since(watermark),),
    )
    return [
        InstalmentRow(
            agreement_number=str(r[0]).strip(),
            number=int(r[1]),
            due_date=_date(r[2]),
            amount_pence=pence_from_decimal(r[3]),
            principal_pence=pence_from_decimal(r[4]),
            interest_pence=pence_from_decimal(r[5]),
            paid_pence=pence_from_decimal(r[6]),
            status=str(r[7]).strip(),
        )
        for r in rows
    ]


async def transactions_since(
    conn: aioodbc.Connection, watermark: datetime | None
) -> list[TransactionRow]:
    """Transactions recorded at or after ``watermark`` (the LMS never edits one)."""
    rows = await _rows(
        conn,
        "SELECT t.TransactionId, a.AgreementNumber, t.TypeId, t.Amount, t.TransactionDate,"
        " t.CreatedAt FROM Transactions t JOIN Agreements a ON a.AgreementId = t.AgreementId"
        " WHERE t.CreatedAt >= ? ORDER BY t.TransactionId",
        (_since(watermark),),
    )
    return [
        TransactionRow(
            transaction_id=int(r[0]),
            agreement_number=str(r[1]).strip(),
            type_id=int(r[2]),
            amount_pence=pence_from_decimal(r[3]),
            transaction_date=_date(r[4]),
            created_at=utc(r[5]),
        )
        for r in rows
    ]


async def totals(conn: aioodbc.Connection) -> LoanBookTotals:
    """Counts and sums of the whole book; payments net of their reversals."""
    async with conn.cursor() as cur:
        await cur.execute("SELECT COUNT(*), SUM(AdvanceAmount), SUM(Balance) FROM Agreements")
        agreements = await cur.fetchone()
        await cur.execute("SELECT COUNT(*) FROM ScheduleInstalments")
        instalments = await cur.fetchone()
        await cur.execute(
            "SELECT COUNT(*), SUM(CASE WHEN TypeId = ? THEN Amount WHEN TypeId = ? THEN -Amount"
            " ELSE 0 END) FROM Transactions",
            (int(TransactionType.PAYMENT), int(TransactionType.PAYMENT_REVERSAL)),
        )
        transactions = await cur.fetchone()
    return LoanBookTotals(
        agreements=int(agreements[0]),
        instalments=int(instalments[0]),
        transactions=int(transactions[0]),
        advance_pence=pence_from_decimal(agreements[1] or 0),
        balance_pence=pence_from_decimal(agreements[2] or 0),
        payments_pence=pence_from_decimal(transactions[1] or 0),
    )


_LOANBOOK_TABLES = {"Customers", "Agreements", "ScheduleInstalments", "Transactions"}


async def insert_rows(
    conn: aioodbc.Connection,
    table: str,
    columns: tuple[str, ...],
    rows: list[tuple[Any, ...]],
    *,
    batch: int = 100,
) -> None:
    """Multi-row INSERTs (both servers take up to 1,000 rows and 2,100 parameters in one), for
    seeding the local stack's demo portfolio in the LMS's stead."""
    if table not in _LOANBOOK_TABLES:
        raise ValueError(f"not a loan-book table: {table}")
    size = max(1, min(batch, 2000 // max(1, len(columns))))
    one = "(" + ", ".join("?" for _ in columns) + ")"
    async with conn.cursor() as cur:
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES " + ", ".join(
                one for _ in chunk
            )
            await cur.execute(sql, tuple(v for row in chunk for v in row))


async def max_id(conn: aioodbc.Connection, table: str, column: str) -> int:
    if table not in _LOANBOOK_TABLES:
        raise ValueError(f"not a loan-book table: {table}")
    async with conn.cursor() as cur:
        await cur.execute(f"SELECT COALESCE(MAX({column}), 0) FROM {table}")
        row = await cur.fetchone()
    return int(row[0])


async def has_agreements_like(conn: aioodbc.Connection, prefix: str) -> bool:
    async with conn.cursor() as cur:
        await cur.execute(
            "SELECT COUNT(*) FROM Agreements WHERE AgreementNumber LIKE ?", (prefix + "%",)
        )
        row = await cur.fetchone()
    return int(row[0]) > 0
