"""``ff migrate``: apply the PostgreSQL schemas' pending migrations."""

from __future__ import annotations

import argparse
import asyncio

import asyncpg

from ff_shared.startup import load_runtime_settings
from ff_shared.stores.postgres.migrations import MigrationError, apply_migrations, known_schemas
from ff_workers.cli.errors import CommandError


async def _migrate(dsn: str, schemas: list[str]) -> list[str]:
    try:
        conn = await asyncpg.connect(dsn, timeout=10)
    except (OSError, asyncpg.PostgresError) as exc:
        raise CommandError(f"PostgreSQL is not reachable: {exc}") from exc
    applied: list[str] = []
    try:
        for schema in schemas:
            applied += await apply_migrations(conn, schema)
    except MigrationError as exc:
        raise CommandError(str(exc)) from exc
    finally:
        await conn.close()
    return applied


def _run(args: argparse.Namespace) -> int:
    settings = load_runtime_settings()
    schemas = args.schema or known_schemas()
    applied = asyncio.run(_migrate(settings.postgres.dsn, schemas))
    for name in applied:
        print(f"applied {name}")
    print(
        f"{len(applied)} migration(s) applied; schemas up to date: {', '.join(schemas) or 'none'}"
    )
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("migrate", help="apply pending PostgreSQL migrations")
    parser.add_argument("--schema", action="append", help="only this schema (repeatable)")
    parser.set_defaults(handler=_run)
