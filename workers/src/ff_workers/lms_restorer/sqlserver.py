"""The one boundary with the restore target: a SQL Server that runs one statement at a time.

The tests capture statements at :class:`SqlServerRestorer`; production sends them over ODBC.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol

import aioodbc
import pyodbc

from ff_shared.domain.backups.files import is_plain_database_name

Row = dict[str, Any]


class SqlServerRestorer(Protocol):
    """Runs one statement on the restore target (outside any transaction: RDS and RESTORE refuse
    to run inside one) and returns the rows of its first result set."""

    async def run(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...


class RestoreFailed(Exception):
    def __init__(self, message: str, detail: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.detail = detail or {}


class OdbcSqlServer:
    """:class:`SqlServerRestorer` over one aioodbc connection in autocommit mode."""

    def __init__(self, conn: aioodbc.Connection) -> None:
        self._conn = conn

    async def run(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self._conn.cursor() as cur:
            await cur.execute(sql, *([tuple(params)] if params else []))
            rows: list[Row] = []
            while True:
                if cur.description is not None:
                    names = [d[0] for d in cur.description]
                    rows = [dict(zip(names, r, strict=True)) for r in await cur.fetchall()]
                    break
                if not await cur.nextset():
                    break
            return rows


@asynccontextmanager
async def odbc_restorer(
    connection_string: str, *, statement_timeout: int
) -> AsyncIterator[SqlServerRestorer]:
    try:
        conn = await aioodbc.connect(dsn=connection_string, autocommit=True, timeout=15)
    except pyodbc.Error as exc:
        raise RestoreFailed(
            f"the restore target did not accept a connection ({type(exc).__name__})"
        ) from exc
    conn._conn.timeout = statement_timeout
    try:
        yield OdbcSqlServer(conn)
    finally:
        await conn.close()


def quote_name(name: str) -> str:
    if not is_plain_database_name(name):
        raise RestoreFailed(f"{name!r} is not a plain database name")
    return f"[{name}]"


def quote_literal(value: str) -> str:
    return "N'" + value.replace("'", "''") + "'"


async def database_exists(server: SqlServerRestorer, name: str) -> bool:
    rows = await server.run("SELECT DB_ID(?) AS database_id", (name,))
    return bool(rows) and rows[0].get("database_id") is not None
