"""Plain-SQL migrations: ``migrations/<schema>/NNN_description.sql``, applied in order, once.

Each schema (``obv``, ``lms``, ``tracker``...) has its own folder and version sequence. Applied
files are recorded with a SHA-256 of their text in ``public.ff_schema_migrations``; a recorded file
whose text changed is refused rather than silently re-run. An advisory lock makes concurrent
starters (two worker containers) apply each migration exactly once.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import asyncpg
import msgspec
import structlog

log = structlog.get_logger()

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_FILE = re.compile(r"^(?P<version>\d{3,})_(?P<name>[a-z0-9_]+)\.sql$")
_LOCK_KEY = 0x4646_4D49  # "FFMI"


class Migration(msgspec.Struct, frozen=True, kw_only=True):
    schema: str
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


class MigrationError(Exception):
    pass


def discover(schema: str, root: Path = MIGRATIONS_DIR) -> list[Migration]:
    folder = root / schema
    if not folder.is_dir():
        raise MigrationError(f"no migrations for schema {schema!r} in {root}")
    found: list[Migration] = []
    for path in sorted(folder.iterdir()):
        match = _FILE.match(path.name)
        if match is None:
            if path.suffix == ".sql":
                raise MigrationError(f"{path.name} is not named NNN_description.sql")
            continue
        found.append(
            Migration(
                schema=schema,
                version=int(match["version"]),
                name=match["name"],
                sql=path.read_text(),
            )
        )
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"schema {schema!r} has two migrations with the same number")
    return found


def known_schemas(root: Path = MIGRATIONS_DIR) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("_"))


async def apply_migrations(
    conn: asyncpg.Connection, schema: str, root: Path = MIGRATIONS_DIR
) -> list[str]:
    """Apply ``schema``'s pending migrations; return the names applied now."""
    migrations = discover(schema, root)
    applied_now: list[str] = []
    await conn.execute("select pg_advisory_lock($1)", _LOCK_KEY)
    try:
        await conn.execute(
            """
            create table if not exists public.ff_schema_migrations (
                schema_name text not null,
                version integer not null,
                name text not null,
                checksum text not null,
                applied_at timestamptz not null default now(),
                primary key (schema_name, version)
            )
            """
        )
        rows = await conn.fetch(
            "select version, checksum from public.ff_schema_migrations where schema_name = $1",
            schema,
        )
        recorded = {r["version"]: r["checksum"] for r in rows}
        for migration in migrations:
            if migration.version in recorded:
                if recorded[migration.version] != migration.checksum:
                    raise MigrationError(
                        f"{schema}/{migration.version:03d}_{migration.name}.sql changed after it "
                        "was applied; add a new migration instead"
                    )
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(
                    "insert into public.ff_schema_migrations (schema_name, version, name, checksum)"
                    " values ($1, $2, $3, $4)",
                    schema,
                    migration.version,
                    migration.name,
                    migration.checksum,
                )
            applied_now.append(f"{schema}/{migration.version:03d}_{migration.name}")
            log.info(
                "migration_applied", schema=schema, version=migration.version, name=migration.name
            )
    finally:
        await conn.execute("select pg_advisory_unlock($1)", _LOCK_KEY)
    return applied_now
