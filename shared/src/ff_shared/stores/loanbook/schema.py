"""Creating a loan-book database and its tables (tests, the local stack, restore verification).

Only these helpers know which server they talk to: creating a database and asking whether one
exists differ between SQL Server and PostgreSQL; the platform's queries do not.
"""

from __future__ import annotations

import re
from pathlib import Path

import aioodbc
import structlog

from ff_shared.stores.loanbook.connection import (
    Dialect,
    connect,
    database_of,
    dialect_of,
    transaction,
    with_database,
)

log = structlog.get_logger()

SCHEMA_FILE = Path(__file__).with_name("schema.sql")

LOANBOOK_TABLES: tuple[str, ...] = (
    "TransactionTypes",
    "Customers",
    "Agreements",
    "ScheduleInstalments",
    "Transactions",
)
"""Every table the platform reads, in creation order (drop in reverse)."""

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def schema_sql(dialect: Dialect) -> str:
    """The DDL and reference rows for ``dialect``."""
    text = SCHEMA_FILE.read_text()
    if dialect == "postgresql":
        text = re.sub(r"\bDATETIME2\b", "TIMESTAMP(6)", text)
    return text


def schema_statements(dialect: Dialect) -> list[str]:
    """:func:`schema_sql` split into single statements (ODBC runs one at a time)."""
    lines = [ln for ln in schema_sql(dialect).splitlines() if not ln.lstrip().startswith("--")]
    body = "\n".join(ln.split(" --", 1)[0] for ln in lines)
    return [stmt.strip() for stmt in body.split(";") if stmt.strip()]


def _check_name(database: str) -> str:
    if not _NAME.match(database):
        raise ValueError(f"not a plain database name: {database!r}")
    return database


async def database_exists(admin_connection_string: str, database: str) -> bool:
    dialect = dialect_of(admin_connection_string)
    sql = (
        "SELECT 1 FROM pg_database WHERE datname = ?"
        if dialect == "postgresql"
        else "SELECT 1 FROM sys.databases WHERE name = ?"
    )
    conn = await connect(admin_connection_string)
    try:
        async with conn.cursor() as cur:
            await cur.execute(sql, (database,))
            return await cur.fetchone() is not None
    finally:
        await conn.close()


async def create_database(connection_string: str) -> bool:
    """Create the database ``connection_string`` names unless it exists; True if created.

    Connects to the server's administrative database (``postgres`` / ``master``) to do it.
    """
    database = _check_name(database_of(connection_string) or "")
    dialect = dialect_of(connection_string)
    admin = with_database(connection_string, "postgres" if dialect == "postgresql" else "master")
    if await database_exists(admin, database):
        return False
    conn = await connect(admin)
    try:
        async with conn.cursor() as cur:
            await cur.execute(f"CREATE DATABASE {database}")
    finally:
        await conn.close()
    log.info("loan_book_database_created", database=database)
    return True


async def drop_database(connection_string: str) -> None:
    """Drop the database ``connection_string`` names, if it exists (tests clean up with this)."""
    database = _check_name(database_of(connection_string) or "")
    dialect = dialect_of(connection_string)
    admin = with_database(connection_string, "postgres" if dialect == "postgresql" else "master")
    if not await database_exists(admin, database):
        return
    conn = await connect(admin)
    try:
        async with conn.cursor() as cur:
            if dialect == "postgresql":
                await cur.execute(f"DROP DATABASE {database} WITH (FORCE)")
            else:
                await cur.execute(
                    f"ALTER DATABASE {database} SET SINGLE_USER WITH ROLLBACK IMMEDIATE"
                )
                await cur.execute(f"DROP DATABASE {database}")
    finally:
        await conn.close()


async def existing_tables(conn: aioodbc.Connection) -> set[str]:
    """Which of :data:`LOANBOOK_TABLES` exist in the connected database (names as declared)."""
    async with conn.cursor() as cur:
        await cur.execute(
            "SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_TYPE = 'BASE TABLE'"
        )
        present = {str(row[0]).lower() for row in await cur.fetchall()}
    return {t for t in LOANBOOK_TABLES if t.lower() in present}


async def create_schema(conn: aioodbc.Connection, dialect: Dialect) -> bool:
    """Create the loan-book tables on ``conn`` unless they exist; True if created.

    All in one transaction, so a failure leaves no half-made schema.
    """
    present = await existing_tables(conn)
    if present == set(LOANBOOK_TABLES):
        return False
    if present:
        raise RuntimeError(
            f"the loan book is half made (has {sorted(present)}); drop it and start again"
        )
    async with transaction(conn), conn.cursor() as cur:
        for statement in schema_statements(dialect):
            await cur.execute(statement)
    log.info("loan_book_schema_created", tables=len(LOANBOOK_TABLES))
    return True


async def ensure_loanbook(connection_string: str) -> None:
    """The database and its tables exist after this (idempotent)."""
    await create_database(connection_string)
    conn = await connect(connection_string)
    try:
        await create_schema(conn, dialect_of(connection_string))
    finally:
        await conn.close()
