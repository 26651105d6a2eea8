"""What the platform reads from the loan book.

Every statement sticks to the SQL that SQL Server and PostgreSQL share: ``?`` parameters,
``OFFSET ? ROWS FETCH NEXT ? ROWS ONLY``, no vendor functions, columns read by position. The LMS
holds money as DECIMAL pounds; everything returned here is integer pence and timezone-aware UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import aioodbc

from ff_shared.domain.loans import (
    Instalment,
    InstalmentStatus,
    Loan,
    LoanCustomer,
    LoanStatus,
    LoanTransaction,
    TransactionPage,
    TransactionType,
    pence_from_decimal,
    rate_bps_from_percent,
)
from ff_shared.stores.loanbook.schema import LOANBOOK_TABLES

# The LMS spells statuses in PascalCase; the platform's enums are snake_case.
LOAN_STATUS_FROM_LMS = {
    "Live": LoanStatus.LIVE,
    "Arrears": LoanStatus.ARREARS,
    "Settled": LoanStatus.SETTLED,
}
LOAN_STATUS_TO_LMS = {v: k for k, v in LOAN_STATUS_FROM_LMS.items()}
INSTALMENT_STATUS_FROM_LMS = {
    "Due": InstalmentStatus.DUE,
    "PartPaid": InstalmentStatus.PART_PAID,
    "Paid": InstalmentStatus.PAID,
    "Overdue": InstalmentStatus.OVERDUE,
}
INSTALMENT_STATUS_TO_LMS = {v: k for k, v in INSTALMENT_STATUS_FROM_LMS.items()}

_LOAN_COLUMNS = """
    a.AgreementNumber, c.PlatformCustomerId, a.ExternalReference, a.ProductCode, a.Status,
    a.AdvanceAmount, a.TermMonths, a.InterestRate, a.Apr, a.InstalmentAmount, a.TotalRepayable,
    a.Balance, a.ArrearsBalance, a.StartDate, a.FirstPaymentDate, a.FinalPaymentDate,
    (SELECT MIN(s.DueDate) FROM ScheduleInstalments s
      WHERE s.AgreementId = a.AgreementId AND s.PaidAmount < s.Amount),
    (SELECT SUM(s.Amount - s.PaidAmount) FROM ScheduleInstalments s
      WHERE s.AgreementId = a.AgreementId AND s.PaidAmount < s.Amount
        AND s.DueDate = (SELECT MIN(s2.DueDate) FROM ScheduleInstalments s2
                          WHERE s2.AgreementId = a.AgreementId AND s2.PaidAmount < s2.Amount)),
    a.CreatedAt, a.UpdatedAt
"""
_LOAN_FROM = "FROM Agreements a JOIN Customers c ON c.CustomerId = a.CustomerId"


def naive_utc(value: datetime) -> datetime:
    """DATETIME2 has no offset: store and compare UTC wall time."""
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def utc(value: datetime) -> datetime:
    """The loan book stores UTC without an offset; give it one back."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _date(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


def _pence(value: Decimal | None) -> int | None:
    return None if value is None else pence_from_decimal(value)


def _loan(row: Any) -> Loan:
    return Loan(
        agreement_number=str(row[0]).strip(),
        customer_id=row[1],
        application_id=row[2],
        product_code=str(row[3]).strip(),
        status=LOAN_STATUS_FROM_LMS[str(row[4]).strip()],
        advance_pence=pence_from_decimal(row[5]),
        term_months=int(row[6]),
        annual_rate_bps=rate_bps_from_percent(row[7]),
        apr_percent=float(row[8]),
        instalment_pence=pence_from_decimal(row[9]),
        total_repayable_pence=pence_from_decimal(row[10]),
        balance_pence=pence_from_decimal(row[11]),
        arrears_pence=pence_from_decimal(row[12]),
        start_date=_date(row[13]),
        first_payment_date=_date(row[14]),
        final_payment_date=_date(row[15]),
        next_payment_date=None if row[16] is None else _date(row[16]),
        next_payment_pence=_pence(row[17]),
        created_at=utc(row[18]),
        updated_at=utc(row[19]),
    )


async def _fetchall(conn: aioodbc.Connection, sql: str, params: tuple[Any, ...]) -> list[Any]:
    async with conn.cursor() as cur:
        await cur.execute(sql, params)
        return list(await cur.fetchall())


async def _fetchone(conn: aioodbc.Connection, sql: str, params: tuple[Any, ...]) -> Any:
    async with conn.cursor() as cur:
        await cur.execute(sql, params)
        return await cur.fetchone()


async def list_customer_loans(conn: aioodbc.Connection, customer_id: str) -> list[Loan]:
    """Every agreement of the platform customer ``customer_id``, newest first."""
    rows = await _fetchall(
        conn,
        f"SELECT {_LOAN_COLUMNS} {_LOAN_FROM} WHERE c.PlatformCustomerId = ?"
        " ORDER BY a.StartDate DESC, a.AgreementId DESC",
        (customer_id,),
    )
    return [_loan(r) for r in rows]


async def find_loan(
    conn: aioodbc.Connection, agreement_number: str, *, customer_id: str | None = None
) -> Loan | None:
    """One agreement; with ``customer_id``, only if it is that customer's."""
    sql = f"SELECT {_LOAN_COLUMNS} {_LOAN_FROM} WHERE a.AgreementNumber = ?"
    params: tuple[Any, ...] = (agreement_number,)
    if customer_id is not None:
        sql += " AND c.PlatformCustomerId = ?"
        params = (*params, customer_id)
    row = await _fetchone(conn, sql, params)
    return None if row is None else _loan(row)


async def find_loan_by_application(conn: aioodbc.Connection, application_id: str) -> Loan | None:
    """The agreement the LMS booked for the platform's application ``application_id``."""
    row = await _fetchone(
        conn,
        f"SELECT {_LOAN_COLUMNS} {_LOAN_FROM} WHERE a.ExternalReference = ? ORDER BY a.AgreementId",
        (application_id,),
    )
    return None if row is None else _loan(row)


async def get_schedule(conn: aioodbc.Connection, agreement_number: str) -> list[Instalment]:
    rows = await _fetchall(
        conn,
        "SELECT s.InstalmentNumber, s.DueDate, s.Amount, s.Principal, s.Interest, s.PaidAmount,"
        " s.Status FROM ScheduleInstalments s JOIN Agreements a ON a.AgreementId = s.AgreementId"
        " WHERE a.AgreementNumber = ? ORDER BY s.InstalmentNumber",
        (agreement_number,),
    )
    return [
        Instalment(
            number=int(r[0]),
            due_date=_date(r[1]),
            amount_pence=pence_from_decimal(r[2]),
            principal_pence=pence_from_decimal(r[3]),
            interest_pence=pence_from_decimal(r[4]),
            paid_pence=pence_from_decimal(r[5]),
            status=INSTALMENT_STATUS_FROM_LMS[str(r[6]).strip()],
        )
        for r in rows
    ]


def _transaction(r: Any) -> LoanTransaction:
    type_id = int(r[1])
    known = type_id in TransactionType._value2member_map_
    return LoanTransaction(
        id=int(r[0]),
        type_id=type_id,
        type=TransactionType(type_id).label if known else str(r[2]).strip().lower(),
        amount_pence=pence_from_decimal(r[3]),
        direction=int(r[4]),
        transaction_date=_date(r[5]),
        reference=r[6],
        created_at=utc(r[7]),
    )


_TRANSACTION_SELECT = (
    "SELECT t.TransactionId, t.TypeId, tt.Name, t.Amount, tt.Direction, t.TransactionDate,"
    " t.Reference, t.CreatedAt FROM Transactions t"
    " JOIN TransactionTypes tt ON tt.TypeId = t.TypeId"
    " JOIN Agreements a ON a.AgreementId = t.AgreementId WHERE a.AgreementNumber = ?"
)


async def list_transactions(
    conn: aioodbc.Connection, agreement_number: str, *, offset: int, limit: int
) -> TransactionPage:
    """Newest first, a page at a time, with the total to page through."""
    count = await _fetchone(
        conn,
        "SELECT COUNT(*) FROM Transactions t JOIN Agreements a ON a.AgreementId = t.AgreementId"
        " WHERE a.AgreementNumber = ?",
        (agreement_number,),
    )
    rows = await _fetchall(
        conn,
        _TRANSACTION_SELECT + " ORDER BY t.TransactionDate DESC, t.TransactionId DESC"
        " OFFSET ? ROWS FETCH NEXT ? ROWS ONLY",
        (agreement_number, offset, limit),
    )
    return TransactionPage(
        items=tuple(_transaction(r) for r in rows),
        total=int(count[0]),
        offset=offset,
        limit=limit,
    )


async def all_transactions(
    conn: aioodbc.Connection, agreement_number: str
) -> list[LoanTransaction]:
    """Oldest first: the whole ledger of one agreement."""
    rows = await _fetchall(
        conn,
        _TRANSACTION_SELECT + " ORDER BY t.TransactionDate, t.TransactionId",
        (agreement_number,),
    )
    return [_transaction(r) for r in rows]


async def find_payment(
    conn: aioodbc.Connection, agreement_number: str, reference: str
) -> LoanTransaction | None:
    """The payment recorded under ``reference`` on the agreement, if any."""
    row = await _fetchone(
        conn,
        _TRANSACTION_SELECT + " AND t.TypeId = ? AND t.Reference = ?",
        (agreement_number, int(TransactionType.PAYMENT), reference),
    )
    return None if row is None else _transaction(row)


_CUSTOMER_COLUMNS = (
    "c.CustomerId, c.PlatformCustomerId, c.Title, c.FirstName, c.LastName, c.DateOfBirth,"
    " c.Email, c.MobilePhone, c.AddressLine1, c.AddressLine2, c.Town, c.Postcode"
)


def _customer(r: Any) -> LoanCustomer:
    return LoanCustomer(
        lms_customer_id=int(r[0]),
        platform_customer_id=r[1],
        title=r[2],
        first_name=r[3],
        last_name=r[4],
        date_of_birth=None if r[5] is None else _date(r[5]),
        email=r[6],
        mobile_phone=r[7],
        address_line1=r[8],
        address_line2=r[9],
        town=r[10],
        postcode=r[11],
    )


async def find_loan_customer(conn: aioodbc.Connection, customer_id: str) -> LoanCustomer | None:
    """The LMS's record of the platform customer ``customer_id`` (oldest, if several)."""
    row = await _fetchone(
        conn,
        f"SELECT {_CUSTOMER_COLUMNS} FROM Customers c WHERE c.PlatformCustomerId = ?"
        " ORDER BY c.CustomerId",
        (customer_id,),
    )
    return None if row is None else _customer(row)


async def find_agreement_customer(
    conn: aioodbc.Connection, agreement_number: str
) -> LoanCustomer | None:
    row = await _fetchone(
        conn,
        f"SELECT {_CUSTOMER_COLUMNS} FROM Customers c"
        " JOIN Agreements a ON a.CustomerId = c.CustomerId WHERE a.AgreementNumber = ?",
        (agreement_number,),
    )
    return None if row is None else _customer(row)


async def table_counts(conn: aioodbc.Connection, tables: tuple[str, ...]) -> dict[str, int]:
    """Row counts of the named loan-book tables (restore verification compares these)."""
    counts: dict[str, int] = {}
    for table in tables:
        if table not in LOANBOOK_TABLES:
            raise ValueError(f"{table!r} is not a loan-book table")
        row = await _fetchone(conn, f"SELECT COUNT(*) FROM {table}", ())
        counts[table] = int(row[0])
    return counts


async def newest_transaction_date(conn: aioodbc.Connection) -> date | None:
    """The latest business date in the ledger (how fresh a restored loan book is)."""
    row = await _fetchone(conn, "SELECT MAX(TransactionDate) FROM Transactions", ())
    return None if row is None or row[0] is None else _date(row[0])
