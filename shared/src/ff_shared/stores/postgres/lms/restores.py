"""Restores, their verification, and the pointer to the loan book the portals read.

Switching the pointer is one row update plus a history row, so a rollback is the same operation
backwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg
import msgspec

from ff_shared.domain.backups.checks import CheckResult
from ff_shared.errors import IllegalTransition
from ff_shared.stores.postgres.connection import require_transaction
from ff_shared.stores.postgres.lms.records import (
    LoanBookPointer,
    RestoreRecord,
    dump_json,
    load_json,
    restore_from_row,
)


async def record_restore(
    conn: asyncpg.Connection,
    *,
    database_name: str,
    backup_id: str,
    run_id: str,
    mode: str,
    now: datetime,
) -> None:
    await conn.execute(
        """
        insert into lms.restores (database_name, backup_id, run_id, mode, restored_at)
        values ($1, $2, $3, $4, $5)
        on conflict (database_name) do update set run_id = excluded.run_id
        """,
        database_name,
        backup_id,
        run_id,
        mode,
        now,
    )


async def record_verification(
    conn: asyncpg.Connection,
    database_name: str,
    *,
    verified: bool,
    checks: Sequence[CheckResult],
    row_counts: dict[str, int],
    now: datetime,
) -> None:
    await conn.execute(
        """
        update lms.restores set verified = $2, checks = $3::jsonb, row_counts = $4::jsonb,
            verified_at = $5
        where database_name = $1
        """,
        database_name,
        verified,
        dump_json(list(checks)),
        dump_json(row_counts),
        now,
    )


async def get_restore(conn: asyncpg.Connection, database_name: str) -> RestoreRecord | None:
    row = await conn.fetchrow("select * from lms.restores where database_name = $1", database_name)
    return None if row is None else restore_from_row(row)


async def restores_of(conn: asyncpg.Connection, backup_id: str) -> list[RestoreRecord]:
    rows = await conn.fetch(
        "select * from lms.restores where backup_id = $1 order by restored_at", backup_id
    )
    return [restore_from_row(r) for r in rows]


async def previous_row_counts(
    conn: asyncpg.Connection, *, excluding: str
) -> tuple[str, dict[str, int]] | None:
    """Row counts of the newest verified restore other than ``excluding``."""
    row = await conn.fetchrow(
        """
        select database_name, row_counts from lms.restores
        where verified and row_counts is not null and database_name <> $1
        order by verified_at desc limit 1
        """,
        excluding,
    )
    if row is None:
        return None
    return row["database_name"], msgspec.convert(load_json(row["row_counts"]), dict[str, int])


async def current_loanbook(conn: asyncpg.Connection) -> LoanBookPointer | None:
    """The restored database the portals read (None until a restore has verified)."""
    row = await conn.fetchrow("select * from lms.loanbook where singleton")
    if row is None:
        return None
    data = dict(row)
    data.pop("singleton")
    return msgspec.convert(data, LoanBookPointer)


async def switch_loanbook(
    conn: asyncpg.Connection,
    *,
    to_database: str,
    actor: str,
    run_id: str | None,
    now: datetime,
) -> LoanBookPointer:
    """Put ``to_database`` in service, keeping the one it replaces for rollback. Idempotent."""
    require_transaction(conn)
    await conn.execute("lock table lms.loanbook in exclusive mode")
    current = await current_loanbook(conn)
    if current is not None and current.current_database == to_database:
        return current
    previous = current.current_database if current else None
    await conn.execute(
        """
        insert into lms.loanbook (singleton, current_database, previous_database, switched_at,
                                  switched_by, run_id)
        values (true, $1, $2, $3, $4, $5)
        on conflict (singleton) do update set current_database = excluded.current_database,
            previous_database = excluded.previous_database,
            switched_at = excluded.switched_at, switched_by = excluded.switched_by,
            run_id = excluded.run_id
        """,
        to_database,
        previous,
        now,
        actor,
        run_id,
    )
    await conn.execute(
        """
        insert into lms.loanbook_switches (from_database, to_database, reason, actor, run_id,
                                           switched_at)
        values ($1, $2, 'verified', $3, $4, $5)
        """,
        previous,
        to_database,
        actor,
        run_id,
        now,
    )
    pointer = await current_loanbook(conn)
    assert pointer is not None
    return pointer


async def rollback_loanbook(
    conn: asyncpg.Connection, *, actor: str, now: datetime
) -> LoanBookPointer:
    """Put the previous loan book back in service; the rolled-back one is not kept for another
    rollback (rolling back twice would be a switch to an older, unverified-for-today book)."""
    require_transaction(conn)
    await conn.execute("lock table lms.loanbook in exclusive mode")
    current = await current_loanbook(conn)
    if current is None or current.previous_database is None:
        raise IllegalTransition("there is no previous loan book to roll back to")
    await conn.execute(
        """
        update lms.loanbook set current_database = $1, previous_database = null,
            switched_at = $2, switched_by = $3, run_id = null
        where singleton
        """,
        current.previous_database,
        now,
        actor,
    )
    await conn.execute(
        """
        insert into lms.loanbook_switches (from_database, to_database, reason, actor, run_id,
                                           switched_at)
        values ($1, $2, 'rollback', $3, null, $4)
        """,
        current.current_database,
        current.previous_database,
        actor,
        now,
    )
    pointer = await current_loanbook(conn)
    assert pointer is not None
    return pointer


async def protected_backup_ids(conn: asyncpg.Connection) -> set[str]:
    """Backups behind the loan book in service and the one kept for rollback."""
    rows = await conn.fetch(
        """
        select r.backup_id from lms.restores r
        join lms.loanbook l on r.database_name in (l.current_database, l.previous_database)
        """
    )
    return {r["backup_id"] for r in rows}
