"""Report queries, written once in Athena's (Trino) dialect, run on DuckDB or Athena.

The SQL files in ``queries/`` are the only statement of each figure. Locally and in tests they
run on embedded DuckDB over the lake's tables (read from S3 with pyarrow and handed over as Arrow:
DuckDB's S3 extension is not always installable), translated by sqlglot; in production they run
on Athena over the Glue tables of the same Parquet. Parameters are positional ``?`` dates.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping, Sequence
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa
import sqlglot

QUERIES = Path(__file__).with_name("queries")
QUERY_NAMES = (
    "kpis",
    "decline_reasons",
    "arrears_buckets",
    "roll_rates",
    "vintages",
    "collections",
    "losses",
    "breakdown",
)

BREAKDOWNS: dict[str, tuple[str, str]] = {
    "product": ("a.product_code", "l.product_code"),
    "term": ("coalesce(t.term_band, 'unknown')", "coalesce(t.term_band, 'unknown')"),
    "source": ("a.source", "l.source"),
    "region": ("a.postcode_area", "l.postcode_area"),
}
"""The dimensions a breakdown may group by, and the column each fact gives it."""

Row = dict[str, Any]


@cache
def query_text(name: str) -> str:
    if name not in QUERY_NAMES:
        raise KeyError(name)
    return (QUERIES / f"{name}.sql").read_text()


def breakdown_query(dimension: str) -> str:
    app_group, loan_group = BREAKDOWNS[dimension]
    return (
        query_text("breakdown")
        .replace("${app_group}", app_group)
        .replace("${loan_group}", loan_group)
    )


def sql_for(name: str, dimension: str | None = None) -> str:
    """The Trino text of a query (a breakdown needs its dimension)."""
    return breakdown_query(dimension or "product") if name == "breakdown" else query_text(name)


@cache
def to_duckdb(trino_sql: str) -> str:
    return sqlglot.transpile(trino_sql, read="trino", write="duckdb")[0]


class QueryEngine(Protocol):
    async def query(self, sql: str, params: Sequence[date | str | int]) -> list[Row]: ...


class DuckDbEngine:
    """An in-memory DuckDB with the lake's tables registered under their Glue names."""

    def __init__(self, tables: Mapping[str, pa.Table]) -> None:
        self._db = duckdb.connect(":memory:")
        self._db.execute("SET TimeZone = 'UTC'")
        for name, table in tables.items():
            # Copied in (not a view over the Arrow data): DuckDB's own storage is what its
            # planner knows best, and registered views are not seen by other cursors.
            self._db.register("incoming", table)
            self._db.execute(f'CREATE TABLE "{name}" AS SELECT * FROM incoming')
            self._db.unregister("incoming")
        self._lock = threading.Lock()

    def query_sync(self, sql: str, params: Sequence[date | str | int]) -> list[Row]:
        with self._lock:
            cursor = self._db.cursor()
            try:
                result = cursor.execute(to_duckdb(sql), list(params))
                columns = [d[0] for d in result.description or ()]
                return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]
            finally:
                cursor.close()

    async def query(self, sql: str, params: Sequence[date | str | int]) -> list[Row]:
        return await asyncio.to_thread(self.query_sync, sql, params)

    def close(self) -> None:
        self._db.close()


def _athena_literal(value: date | str | int) -> str:
    if isinstance(value, int):
        return str(value)
    text = value.isoformat() if isinstance(value, date) else value
    return "'" + text.replace("'", "''") + "'"


class AthenaEngine:
    """The same SQL on Athena over the Glue tables (execution parameters are SQL literals)."""

    def __init__(
        self,
        athena: Any,
        *,
        database: str,
        workgroup: str,
        output: str,
        poll_seconds: float = 0.5,
        timeout_seconds: float = 120.0,
    ) -> None:
        self._athena = athena
        self._database = database
        self._workgroup = workgroup
        self._output = output
        self._poll = poll_seconds
        self._timeout = timeout_seconds

    async def query(self, sql: str, params: Sequence[date | str | int]) -> list[Row]:
        request: dict[str, Any] = {
            "QueryString": sql,
            "QueryExecutionContext": {"Database": self._database},
            "WorkGroup": self._workgroup,
        }
        if params:
            request["ExecutionParameters"] = [_athena_literal(p) for p in params]
        if self._output:
            request["ResultConfiguration"] = {"OutputLocation": self._output}
        started = await self._athena.start_query_execution(**request)
        execution_id = started["QueryExecutionId"]
        async with asyncio.timeout(self._timeout):
            while True:
                status = await self._athena.get_query_execution(QueryExecutionId=execution_id)
                state = status["QueryExecution"]["Status"]["State"]
                if state == "SUCCEEDED":
                    break
                if state in {"FAILED", "CANCELLED"}:
                    reason = status["QueryExecution"]["Status"].get("StateChangeReason", state)
                    raise RuntimeError(f"Athena query {execution_id} {state}: {reason}")
                await asyncio.sleep(self._poll)
        rows: list[Row] = []
        columns: list[str] = []
        paginator = self._athena.get_paginator("get_query_results")
        async for page in paginator.paginate(QueryExecutionId=execution_id):
            result = page["ResultSet"]
            if not columns:
                columns = [c["Name"] for c in result["ResultSetMetadata"]["ColumnInfo"]]
                data = result["Rows"][1:]  # the first row repeats the column names
            else:
                data = result["Rows"]
            rows.extend(
                {c: v.get("VarCharValue") for c, v in zip(columns, r["Data"], strict=False)}
                for r in data
            )
        return rows
