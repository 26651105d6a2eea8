"""The lms catalogue's writes belong to the caller's unit of work: the ones whose statements only
mean something together refuse to run outside a transaction, and inside one they commit or roll
back with it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from ff_shared.clock import now_utc
from ff_shared.stores.postgres import lms as catalogue


@pytest.fixture
async def conn(postgres_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(postgres_dsn)
    try:
        yield connection
    finally:
        await connection.close()


async def _switches(conn: asyncpg.Connection) -> int:
    count: int = await conn.fetchval("select count(*) from lms.loanbook_switches")
    return count


async def test_a_loan_book_switch_outside_a_transaction_is_refused_and_writes_nothing(
    conn: asyncpg.Connection,
) -> None:
    before = await _switches(conn)

    with pytest.raises(RuntimeError, match="caller's transaction"):
        await catalogue.switch_loanbook(
            conn, to_database="loanbook_never", actor="test", run_id=None, now=now_utc()
        )
    with pytest.raises(RuntimeError, match="caller's transaction"):
        await catalogue.rollback_loanbook(conn, actor="test", now=now_utc())

    assert await _switches(conn) == before


async def test_a_loan_book_switch_rolls_back_with_the_callers_transaction(
    conn: asyncpg.Connection,
) -> None:
    pointer_before = await catalogue.current_loanbook(conn)
    switches_before = await _switches(conn)

    transaction = conn.transaction()
    await transaction.start()
    try:
        pointer = await catalogue.switch_loanbook(
            conn, to_database="loanbook_rolled_back", actor="test", run_id=None, now=now_utc()
        )
        assert pointer.current_database == "loanbook_rolled_back"
        assert await _switches(conn) == switches_before + 1
    finally:
        await transaction.rollback()

    assert await catalogue.current_loanbook(conn) == pointer_before
    assert await _switches(conn) == switches_before
