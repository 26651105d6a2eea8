"""The loan book through aioodbc: schema, demo seed, and the platform's queries in pence."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import aioodbc
import pytest

from ff_shared.domain.loans import InstalmentStatus, LoanStatus, TransactionType
from ff_shared.settings import LoanBookSettings
from ff_shared.stores.loanbook import queries
from ff_shared.stores.loanbook.connection import (
    LoanBookUnavailable,
    check,
    close_pool,
    connect,
    create_pool,
    dialect_of,
    redacted,
    with_database,
)
from ff_shared.stores.loanbook.schema import (
    LOANBOOK_TABLES,
    create_schema,
    existing_tables,
    schema_statements,
)
from ff_standins.loanbook.seed import seed_demo_loans

TODAY = date(2026, 6, 10)
NOW = datetime(2026, 6, 10, 9, 30, tzinfo=UTC)


async def _seeded(conn: aioodbc.Connection) -> str:
    customer_id = f"sub-{uuid.uuid4().hex}"
    await seed_demo_loans(conn, [customer_id], today=TODAY, now=NOW)
    return customer_id


async def test_the_session_loan_book_has_every_table_and_a_second_create_is_a_no_op(
    loanbook_conn: aioodbc.Connection, loanbook_connection_string: str
) -> None:
    assert await existing_tables(loanbook_conn) == set(LOANBOOK_TABLES)
    assert await create_schema(loanbook_conn, dialect_of(loanbook_connection_string)) is False


def test_the_ddl_is_sql_servers_with_one_type_swapped_for_postgresql() -> None:
    sqlserver = schema_statements("sqlserver")
    postgresql = schema_statements("postgresql")
    assert len(sqlserver) == len(postgresql)
    assert any("DATETIME2" in s for s in sqlserver)
    assert not any("DATETIME2" in s for s in postgresql)
    assert sum(s.startswith("CREATE TABLE") for s in sqlserver) == len(LOANBOOK_TABLES)


async def test_seeding_books_a_live_and_a_repaid_loan_once_per_customer(
    loanbook_conn: aioodbc.Connection,
) -> None:
    customer_id = f"sub-{uuid.uuid4().hex}"
    first = await seed_demo_loans(loanbook_conn, [customer_id], today=TODAY, now=NOW)
    again = await seed_demo_loans(loanbook_conn, [customer_id], today=TODAY, now=NOW)
    assert first == again
    assert sorted(s.status for s in first) == ["live", "settled"]


async def test_loans_come_back_in_pence_with_the_next_payment(
    loanbook_conn: aioodbc.Connection,
) -> None:
    customer_id = await _seeded(loanbook_conn)
    live, repaid = await queries.list_customer_loans(loanbook_conn, customer_id)
    assert live.status is LoanStatus.LIVE
    assert live.customer_id == customer_id
    assert live.advance_pence == 100_000
    assert live.annual_rate_bps == 3600
    assert isinstance(live.balance_pence, int)
    assert live.balance_pence == live.total_repayable_pence - 3 * live.instalment_pence
    assert live.next_payment_date == date(2026, 6, 10)
    assert live.next_payment_pence == live.instalment_pence
    assert live.created_at.tzinfo is not None
    assert repaid.status is LoanStatus.SETTLED
    assert (repaid.balance_pence, repaid.next_payment_date) == (0, None)


async def test_a_loan_is_found_only_for_its_own_customer(
    loanbook_conn: aioodbc.Connection,
) -> None:
    owner = await _seeded(loanbook_conn)
    other = await _seeded(loanbook_conn)
    number = (await queries.list_customer_loans(loanbook_conn, owner))[0].agreement_number
    assert await queries.find_loan(loanbook_conn, number, customer_id=owner) is not None
    assert await queries.find_loan(loanbook_conn, number, customer_id=other) is None
    assert await queries.find_loan(loanbook_conn, "FF-NOT-THERE") is None


async def test_the_schedule_shows_what_was_paid_against_each_instalment(
    loanbook_conn: aioodbc.Connection,
) -> None:
    customer_id = await _seeded(loanbook_conn)
    live = (await queries.list_customer_loans(loanbook_conn, customer_id))[0]
    schedule = await queries.get_schedule(loanbook_conn, live.agreement_number)
    assert [i.number for i in schedule] == list(range(1, 13))
    assert [i.status for i in schedule[:4]] == [
        InstalmentStatus.PAID,
        InstalmentStatus.PAID,
        InstalmentStatus.PAID,
        InstalmentStatus.DUE,
    ]
    assert sum(i.amount_pence - i.paid_pence for i in schedule) == live.balance_pence
    assert all(i.principal_pence + i.interest_pence == i.amount_pence for i in schedule)


async def test_transactions_page_newest_first_with_offset_fetch(
    loanbook_conn: aioodbc.Connection,
) -> None:
    customer_id = await _seeded(loanbook_conn)
    live = (await queries.list_customer_loans(loanbook_conn, customer_id))[0]
    everything = await queries.all_transactions(loanbook_conn, live.agreement_number)
    assert [t.type_id for t in everything] == [
        TransactionType.ADVANCE,
        TransactionType.INTEREST,
        TransactionType.PAYMENT,
        TransactionType.PAYMENT,
        TransactionType.PAYMENT,
    ]
    owed = sum(t.amount_pence * t.direction for t in everything)
    assert owed == live.balance_pence

    seen: list[int] = []
    offset = 0
    while True:
        page = await queries.list_transactions(
            loanbook_conn, live.agreement_number, offset=offset, limit=2
        )
        assert page.total == 5
        seen.extend(t.id for t in page.items)
        offset += len(page.items)
        if offset >= page.total:
            break
    assert seen == [t.id for t in reversed(everything)]
    past_the_end = await queries.list_transactions(
        loanbook_conn, live.agreement_number, offset=10, limit=2
    )
    assert past_the_end.items == ()


async def test_the_lms_customer_record_is_read_by_platform_customer_id(
    loanbook_conn: aioodbc.Connection,
) -> None:
    customer_id = await _seeded(loanbook_conn)
    record = await queries.find_loan_customer(loanbook_conn, customer_id)
    assert record is not None
    assert record.platform_customer_id == customer_id
    assert record.first_name
    assert record.last_name
    assert record.postcode


async def test_verification_reads_counts_and_the_newest_business_date(
    loanbook_conn: aioodbc.Connection,
) -> None:
    await _seeded(loanbook_conn)
    counts = await queries.table_counts(loanbook_conn, ("Agreements", "Transactions"))
    assert counts["Agreements"] >= 2
    assert counts["Transactions"] >= 5
    assert await queries.newest_transaction_date(loanbook_conn) is not None
    with pytest.raises(ValueError, match="not a loan-book table"):
        await queries.table_counts(loanbook_conn, ("Agreements; DROP TABLE Customers",))


async def test_a_loan_book_that_does_not_answer_is_unavailable(
    loanbook_connection_string: str,
) -> None:
    unreachable = with_database(loanbook_connection_string, "ff_no_such_loanbook_db")
    with pytest.raises(LoanBookUnavailable):
        await connect(unreachable)


def test_passwords_are_redacted_from_connection_strings() -> None:
    shown = redacted("Driver={ODBC Driver 18 for SQL Server};Server=db;Uid=sa;Pwd={s3cr;et};")
    assert "s3cr" not in shown
    assert "Pwd=***" in shown
    assert "Driver={ODBC Driver 18 for SQL Server}" in shown


async def test_a_pool_that_connects_on_first_use_can_be_checked_first(
    loanbook_connection_string: str,
) -> None:
    answering = await create_pool(LoanBookSettings(connection_string=loanbook_connection_string))
    gone = await create_pool(
        LoanBookSettings(
            connection_string=with_database(loanbook_connection_string, "ff_no_such_loanbook_db")
        )
    )
    try:
        await check(answering)
        with pytest.raises(LoanBookUnavailable):
            await check(gone)
    finally:
        await close_pool(answering)
        await close_pool(gone)
