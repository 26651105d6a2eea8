"""Writes into the loan book, as Anchor LMS makes them.

The platform never writes the loan book (it is the LMS's database, restored nightly): these are
used by the LMS simulator, which keeps its agreements there on the local stack, and by the seed
of demo loans. Keys are allocated here (``MAX + 1`` inside the caller's transaction) because the
two servers share no identity or sequence syntax; callers serialise their writers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import aioodbc
import msgspec

from ff_shared.domain.loan_ledger import PaidLoan, mark_unpaid, pay, redate, reverse
from ff_shared.domain.loans import (
    BookedLoan,
    CustomerDetails,
    Instalment,
    Loan,
    LoanCustomer,
    LoanTerms,
    LoanTransaction,
    TransactionType,
    agreement_number_for,
    book,
    decimal_from_pence,
)
from ff_shared.stores.loanbook.connection import transaction
from ff_shared.stores.loanbook.queries import (
    INSTALMENT_STATUS_TO_LMS,
    LOAN_STATUS_TO_LMS,
    all_transactions,
    find_loan,
    get_schedule,
    naive_utc,
)

_ID_COLUMNS = {
    "Customers": "CustomerId",
    "Agreements": "AgreementId",
    "Transactions": "TransactionId",
}


async def _execute(conn: aioodbc.Connection, sql: str, params: tuple[Any, ...]) -> None:
    async with conn.cursor() as cur:
        await cur.execute(sql, params)


async def _scalar(conn: aioodbc.Connection, sql: str, params: tuple[Any, ...]) -> Any:
    async with conn.cursor() as cur:
        await cur.execute(sql, params)
        row = await cur.fetchone()
        return None if row is None else row[0]


async def next_id(conn: aioodbc.Connection, table: str) -> int:
    column = _ID_COLUMNS[table]
    value = await _scalar(conn, f"SELECT COALESCE(MAX({column}), 0) + 1 FROM {table}", ())
    return int(value)


async def agreement_id_of(conn: aioodbc.Connection, agreement_number: str) -> int | None:
    value = await _scalar(
        conn, "SELECT AgreementId FROM Agreements WHERE AgreementNumber = ?", (agreement_number,)
    )
    return None if value is None else int(value)


async def insert_customer(
    conn: aioodbc.Connection, customer: LoanCustomer, *, created_at: datetime
) -> None:
    await _execute(
        conn,
        "INSERT INTO Customers (CustomerId, PlatformCustomerId, Title, FirstName, LastName,"
        " DateOfBirth, Email, MobilePhone, AddressLine1, AddressLine2, Town, Postcode, CreatedAt)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            customer.lms_customer_id,
            customer.platform_customer_id,
            customer.title,
            customer.first_name,
            customer.last_name,
            customer.date_of_birth,
            customer.email,
            customer.mobile_phone,
            customer.address_line1,
            customer.address_line2,
            customer.town,
            customer.postcode,
            naive_utc(created_at),
        ),
    )


async def insert_agreement(
    conn: aioodbc.Connection,
    *,
    agreement_id: int,
    lms_customer_id: int,
    loan: Loan,
    schedule: Sequence[Instalment],
) -> None:
    """The agreement row and its schedule."""
    await _execute(
        conn,
        "INSERT INTO Agreements (AgreementId, AgreementNumber, CustomerId, ExternalReference,"
        " ProductCode, Status, AdvanceAmount, TermMonths, InterestRate, Apr, InstalmentAmount,"
        " TotalRepayable, Balance, ArrearsBalance, StartDate, FirstPaymentDate, FinalPaymentDate,"
        " CreatedAt, UpdatedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            agreement_id,
            loan.agreement_number,
            lms_customer_id,
            loan.application_id,
            loan.product_code,
            LOAN_STATUS_TO_LMS[loan.status],
            decimal_from_pence(loan.advance_pence),
            loan.term_months,
            Decimal(loan.annual_rate_bps) / 100,
            Decimal(str(round(loan.apr_percent, 4))),
            decimal_from_pence(loan.instalment_pence),
            decimal_from_pence(loan.total_repayable_pence),
            decimal_from_pence(loan.balance_pence),
            decimal_from_pence(loan.arrears_pence),
            loan.start_date,
            loan.first_payment_date,
            loan.final_payment_date,
            naive_utc(loan.created_at),
            naive_utc(loan.updated_at),
        ),
    )
    for instalment in schedule:
        await _execute(
            conn,
            "INSERT INTO ScheduleInstalments (AgreementId, InstalmentNumber, DueDate, Amount,"
            " Principal, Interest, PaidAmount, Status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                agreement_id,
                instalment.number,
                instalment.due_date,
                decimal_from_pence(instalment.amount_pence),
                decimal_from_pence(instalment.principal_pence),
                decimal_from_pence(instalment.interest_pence),
                decimal_from_pence(instalment.paid_pence),
                INSTALMENT_STATUS_TO_LMS[instalment.status],
            ),
        )


async def insert_transaction(
    conn: aioodbc.Connection, *, agreement_id: int, transaction: LoanTransaction
) -> None:
    await _execute(
        conn,
        "INSERT INTO Transactions (TransactionId, AgreementId, TypeId, Amount, TransactionDate,"
        " Reference, CreatedAt) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            transaction.id,
            agreement_id,
            transaction.type_id,
            decimal_from_pence(transaction.amount_pence),
            transaction.transaction_date,
            transaction.reference,
            naive_utc(transaction.created_at),
        ),
    )


async def update_balances(
    conn: aioodbc.Connection,
    *,
    agreement_id: int,
    loan: Loan,
    schedule: Sequence[Instalment],
    changed_from: Sequence[Instalment] = (),
) -> None:
    """Store the agreement's balance, arrears and status, and each instalment that changed."""
    await _execute(
        conn,
        "UPDATE Agreements SET Status = ?, Balance = ?, ArrearsBalance = ?, UpdatedAt = ?"
        " WHERE AgreementId = ?",
        (
            LOAN_STATUS_TO_LMS[loan.status],
            decimal_from_pence(loan.balance_pence),
            decimal_from_pence(loan.arrears_pence),
            naive_utc(loan.updated_at),
            agreement_id,
        ),
    )
    before = {i.number: i for i in changed_from}
    for instalment in schedule:
        if before.get(instalment.number) == instalment:
            continue
        await _execute(
            conn,
            "UPDATE ScheduleInstalments SET PaidAmount = ?, Status = ?"
            " WHERE AgreementId = ? AND InstalmentNumber = ?",
            (
                decimal_from_pence(instalment.paid_pence),
                INSTALMENT_STATUS_TO_LMS[instalment.status],
                agreement_id,
                instalment.number,
            ),
        )


async def customer_id_of(conn: aioodbc.Connection, platform_customer_id: str) -> int | None:
    value = await _scalar(
        conn,
        "SELECT MIN(CustomerId) FROM Customers WHERE PlatformCustomerId = ?",
        (platform_customer_id,),
    )
    return None if value is None else int(value)


async def agreement_numbers_for_reference(
    conn: aioodbc.Connection, external_reference: str
) -> list[str]:
    async with conn.cursor() as cur:
        await cur.execute(
            "SELECT AgreementNumber FROM Agreements WHERE ExternalReference = ?"
            " ORDER BY AgreementId",
            (external_reference,),
        )
        return [str(r[0]).strip() for r in await cur.fetchall()]


async def book_agreement(
    conn: aioodbc.Connection,
    *,
    customer: CustomerDetails,
    terms: LoanTerms,
    application_id: str | None,
    today: date,
    now: datetime,
) -> BookedLoan:
    """Book a loan for ``customer`` (its LMS record made on first use), in one transaction."""
    async with transaction(conn):
        lms_customer_id = None
        if customer.platform_customer_id is not None:
            lms_customer_id = await customer_id_of(conn, customer.platform_customer_id)
        if lms_customer_id is None:
            lms_customer_id = await next_id(conn, "Customers")
            await insert_customer(
                conn,
                LoanCustomer(**msgspec.structs.asdict(customer), lms_customer_id=lms_customer_id),
                created_at=now,
            )
        agreement_id = await next_id(conn, "Agreements")
        booked = book(
            terms,
            agreement_number=agreement_number_for(agreement_id),
            customer_id=customer.platform_customer_id,
            application_id=application_id,
            first_transaction_id=await next_id(conn, "Transactions"),
            today=today,
            now=now,
        )
        await insert_agreement(
            conn,
            agreement_id=agreement_id,
            lms_customer_id=lms_customer_id,
            loan=booked.loan,
            schedule=booked.schedule,
        )
        for entry in booked.transactions:
            await insert_transaction(conn, agreement_id=agreement_id, transaction=entry)
    return booked


class UnknownAgreement(LookupError):
    pass


async def record_payment(
    conn: aioodbc.Connection,
    *,
    agreement_number: str,
    amount_pence: int,
    reference: str,
    payment_date: date,
    today: date,
    now: datetime,
) -> PaidLoan:
    """Apply a payment to the agreement in one transaction.

    Raises :class:`UnknownAgreement`, or ``PaymentTooLarge`` above the balance.
    """
    async with transaction(conn):
        agreement_id = await agreement_id_of(conn, agreement_number)
        loan = await find_loan(conn, agreement_number)
        if agreement_id is None or loan is None:
            raise UnknownAgreement(agreement_number)
        schedule = await get_schedule(conn, agreement_number)
        paid = pay(
            loan,
            schedule,
            amount_pence=amount_pence,
            reference=reference,
            transaction_id=await next_id(conn, "Transactions"),
            payment_date=payment_date,
            today=today,
            now=now,
        )
        await update_balances(
            conn,
            agreement_id=agreement_id,
            loan=paid.loan,
            schedule=paid.schedule,
            changed_from=schedule,
        )
        await insert_transaction(conn, agreement_id=agreement_id, transaction=paid.transaction)
    return paid


_TYPE_NAMES = {
    TransactionType.PAYMENT_REVERSAL: "PaymentReversal",
    TransactionType.UNPAID_COLLECTION: "UnpaidCollection",
}


async def _ensure_type(conn: aioodbc.Connection, kind: TransactionType) -> None:
    """A loan book made before this transaction type existed gains its row on first use."""
    if await _scalar(conn, "SELECT COUNT(*) FROM TransactionTypes WHERE TypeId = ?", (int(kind),)):
        return
    await _execute(
        conn,
        "INSERT INTO TransactionTypes (TypeId, Name, Direction) VALUES (?, ?, ?)",
        (int(kind), _TYPE_NAMES[kind], kind.direction),
    )


async def find_transaction(
    conn: aioodbc.Connection, agreement_number: str, kind: TransactionType, reference: str
) -> LoanTransaction | None:
    """The agreement's transaction of ``kind`` under ``reference``, if any."""
    for entry in await all_transactions(conn, agreement_number):
        if entry.type_id == int(kind) and entry.reference == reference:
            return entry
    return None


async def _loan_and_schedule(
    conn: aioodbc.Connection, agreement_number: str
) -> tuple[int, Loan, list[Instalment]]:
    agreement_id = await agreement_id_of(conn, agreement_number)
    loan = await find_loan(conn, agreement_number)
    if agreement_id is None or loan is None:
        raise UnknownAgreement(agreement_number)
    return agreement_id, loan, await get_schedule(conn, agreement_number)


async def _store(
    conn: aioodbc.Connection, agreement_id: int, before: Sequence[Instalment], done: PaidLoan
) -> None:
    await update_balances(
        conn, agreement_id=agreement_id, loan=done.loan, schedule=done.schedule, changed_from=before
    )
    await insert_transaction(conn, agreement_id=agreement_id, transaction=done.transaction)


async def reverse_payment(
    conn: aioodbc.Connection,
    *,
    agreement_number: str,
    amount_pence: int,
    reference: str,
    reversal_date: date,
    today: date,
    now: datetime,
) -> PaidLoan:
    """Take back the payment recorded under ``reference``, in one transaction (the caller has
    checked it exists and was not reversed before)."""
    async with transaction(conn):
        await _ensure_type(conn, TransactionType.PAYMENT_REVERSAL)
        agreement_id, loan, schedule = await _loan_and_schedule(conn, agreement_number)
        done = reverse(
            loan,
            schedule,
            amount_pence=amount_pence,
            reference=reference,
            transaction_id=await next_id(conn, "Transactions"),
            reversal_date=reversal_date,
            today=today,
            now=now,
        )
        await _store(conn, agreement_id, schedule, done)
    return done


async def record_unpaid_collection(
    conn: aioodbc.Connection,
    *,
    agreement_number: str,
    instalment_number: int,
    amount_pence: int,
    reference: str,
    return_date: date,
    today: date,
    now: datetime,
) -> PaidLoan:
    """Note a Direct Debit returned unpaid against its instalment, in one transaction.

    Raises :class:`UnknownAgreement`, or ``LookupError`` for an instalment it does not have."""
    async with transaction(conn):
        await _ensure_type(conn, TransactionType.UNPAID_COLLECTION)
        agreement_id, loan, schedule = await _loan_and_schedule(conn, agreement_number)
        done = mark_unpaid(
            loan,
            schedule,
            instalment_number=instalment_number,
            amount_pence=amount_pence,
            reference=reference,
            transaction_id=await next_id(conn, "Transactions"),
            return_date=return_date,
            today=today,
            now=now,
        )
        await _store(conn, agreement_id, schedule, done)
    return done


async def change_payment_day(
    conn: aioodbc.Connection,
    *,
    agreement_number: str,
    payment_day: int,
    from_instalment: int,
    today: date,
    now: datetime,
) -> list[Instalment]:
    """Re-date the schedule from ``from_instalment`` in one transaction; the new schedule.

    Raises :class:`UnknownAgreement`, or ``BadPaymentDay``."""
    async with transaction(conn):
        agreement_id, loan, schedule = await _loan_and_schedule(conn, agreement_number)
        moved, after = redate(
            loan,
            schedule,
            payment_day=payment_day,
            from_instalment=from_instalment,
            today=today,
            now=now,
        )
        await update_balances(conn, agreement_id=agreement_id, loan=moved, schedule=after)
        for instalment in after:
            await _execute(
                conn,
                "UPDATE ScheduleInstalments SET DueDate = ? WHERE AgreementId = ?"
                " AND InstalmentNumber = ?",
                (instalment.due_date, agreement_id, instalment.number),
            )
        await _execute(
            conn,
            "UPDATE Agreements SET FirstPaymentDate = ?, FinalPaymentDate = ?"
            " WHERE AgreementId = ?",
            (moved.first_payment_date, moved.final_payment_date, agreement_id),
        )
    return list(after)
