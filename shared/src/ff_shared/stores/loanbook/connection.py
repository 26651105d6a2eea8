"""Connections to the loan book: an aioodbc pool over an ODBC connection string.

Production reads SQL Server (``Driver={ODBC Driver 18 for SQL Server}``); the local stack and the
tests read PostgreSQL through psqlODBC (``Driver={PostgreSQL Unicode}``). Queries stay in the SQL
both share, so the only place the two differ is :func:`dialect_of` and the DDL helpers in
:mod:`ff_shared.stores.loanbook.schema`. A connection string may hold a password: it is never
logged (use :func:`redacted`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

import aioodbc
import pyodbc
import structlog

from ff_shared.errors import DependencyUnavailable
from ff_shared.settings import LoanBookSettings

log = structlog.get_logger()

Dialect = Literal["sqlserver", "postgresql"]

_SECRET_KEYS = {"pwd", "password"}


class LoanBookUnavailable(DependencyUnavailable):
    """The loan-book database did not answer (retryable)."""

    title = "The loan book is unavailable"
    dependency = "loan_book"


def parse_connection_string(connection_string: str) -> list[tuple[str, str]]:
    """``Key=Value;`` pairs in order; a value may be braced (``{...}``) and hold ``;``."""
    pairs: list[tuple[str, str]] = []
    i, n = 0, len(connection_string)
    while i < n:
        while i < n and connection_string[i] in "; \t":
            i += 1
        if i >= n:
            break
        eq = connection_string.find("=", i)
        if eq < 0:
            raise ValueError("connection string part without '='")
        key = connection_string[i:eq].strip()
        i = eq + 1
        if i < n and connection_string[i] == "{":
            end = connection_string.find("}", i)
            if end < 0:
                raise ValueError(f"unclosed brace in the value of {key}")
            value = connection_string[i : end + 1]
            i = end + 1
        else:
            end = connection_string.find(";", i)
            end = n if end < 0 else end
            value = connection_string[i:end].strip()
            i = end
        pairs.append((key, value))
    return pairs


def format_connection_string(pairs: list[tuple[str, str]]) -> str:
    return "".join(f"{key}={value};" for key, value in pairs)


def _get(pairs: list[tuple[str, str]], key: str) -> str | None:
    for k, v in pairs:
        if k.lower() == key.lower():
            return v
    return None


def with_database(connection_string: str, database: str) -> str:
    """The same server and login, another database."""
    pairs = [
        (k, v) for k, v in parse_connection_string(connection_string) if k.lower() != "database"
    ]
    pairs.append(("Database", database))
    return format_connection_string(pairs)


def database_of(connection_string: str) -> str | None:
    return _get(parse_connection_string(connection_string), "Database")


def dialect_of(connection_string: str) -> Dialect:
    """PostgreSQL when the ODBC driver is psqlODBC, SQL Server otherwise."""
    driver = (_get(parse_connection_string(connection_string), "Driver") or "").lower()
    return "postgresql" if "postgres" in driver else "sqlserver"


def redacted(connection_string: str) -> str:
    """The connection string with its password replaced, for messages and logs."""
    return format_connection_string(
        [
            (k, "***" if k.lower() in _SECRET_KEYS else v)
            for k, v in parse_connection_string(connection_string)
        ]
    )


def _query_timeout(seconds: int, dialect: Dialect) -> Any:
    async def after_created(conn: pyodbc.Connection) -> None:
        # aioodbc hands over the driver connection. SQL Server's driver applies pyodbc's
        # timeout (SQL_ATTR_QUERY_TIMEOUT) to every statement; psqlODBC refuses that attribute,
        # so the server's own statement_timeout does the same there.
        if dialect == "postgresql":
            conn.execute(f"SET statement_timeout = {int(seconds) * 1000}")
        else:
            conn.timeout = seconds

    return after_created


async def create_pool(settings: LoanBookSettings) -> aioodbc.Pool:
    """A pool of loan-book connections; each statement runs in its own transaction unless
    taken through :func:`transaction`."""
    try:
        pool = await aioodbc.create_pool(
            dsn=settings.connection_string,
            minsize=settings.min_pool_size,
            maxsize=settings.max_pool_size,
            autocommit=True,
            timeout=settings.connect_timeout_seconds,
            after_created=_query_timeout(
                settings.query_timeout_seconds, dialect_of(settings.connection_string)
            ),
        )
    except pyodbc.Error as exc:
        log.warning(
            "loan_book_connect_failed",
            server=redacted(settings.connection_string),
            error=type(exc).__name__,
        )
        raise LoanBookUnavailable("the loan book did not accept a connection") from exc
    return pool


async def close_pool(pool: aioodbc.Pool) -> None:
    pool.close()
    await pool.wait_closed()


async def connect(
    connection_string: str, *, autocommit: bool = True, login_timeout: int = 5
) -> aioodbc.Connection:
    """One connection outside a pool (schema set-up, seeding, verification runs)."""
    try:
        return await aioodbc.connect(
            dsn=connection_string, autocommit=autocommit, timeout=login_timeout
        )
    except pyodbc.Error as exc:
        raise LoanBookUnavailable("the loan book did not accept a connection") from exc


@asynccontextmanager
async def acquire(pool: aioodbc.Pool) -> AsyncIterator[aioodbc.Connection]:
    """A pooled connection (autocommit); a server that does not answer, or a connection that
    drops, becomes :class:`LoanBookUnavailable` (503, retryable)."""
    try:
        async with pool.acquire() as conn:
            yield conn
    except (pyodbc.OperationalError, pyodbc.InterfaceError) as exc:
        log.warning("loan_book_unavailable", error=type(exc).__name__)
        raise LoanBookUnavailable("the loan book is unavailable; try again shortly") from exc


async def check(pool: aioodbc.Pool) -> None:
    """Raise :class:`LoanBookUnavailable` unless the pool's database answers a query.

    A pool made with ``min_pool_size=0`` (the default) connects on first use only, so a caller
    that must know the database answers before relying on it (switching to a restored loan
    book) asks here first.
    """
    async with acquire(pool) as conn, conn.cursor() as cur:
        await cur.execute("SELECT 1")
        await cur.fetchone()


@asynccontextmanager
async def transaction(conn: aioodbc.Connection) -> AsyncIterator[aioodbc.Connection]:
    """One unit of work on ``conn``: commits when the block ends, rolls back if it raises."""
    previous = conn.autocommit
    # Switching autocommit is a local attribute call on the driver, cheap enough for the loop.
    conn._conn.autocommit = False
    try:
        yield conn
    except BaseException:
        await conn.rollback()
        raise
    else:
        await conn.commit()
    finally:
        conn._conn.autocommit = previous
