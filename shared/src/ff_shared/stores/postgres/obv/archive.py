"""Applications to archive: discovery's upserts, the per-application claim, and the outcome.

Two archivers never work on one application at the same time: each claims it with a
session-level advisory lock held from before the OBV fetch until its transaction has committed,
which PostgreSQL releases by itself if the archiver dies.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

import asyncpg

from ff_shared.stores.postgres.obv.records import (
    ArchivedApplication,
    CurrentVersion,
    SeenApplication,
    struct_from_row,
)

_CLAIM_NAMESPACE = 0x4F42_5641  # "OBVA"


async def record_seen(
    conn: asyncpg.Connection, seen: Sequence[SeenApplication], *, now: datetime
) -> None:
    """Upsert a page of discovered applications; one newer than its last archive becomes pending.

    A row already seen with a later modification keeps its later values (discovery re-reads an
    overlap window, and two archivers may discover out of order).
    """
    if not seen:
        return
    await conn.execute(
        """
        insert into obv.applications as a (application_id, platform_id, application_reference,
            obv_reference, dynamics_modified_on, pending, first_seen_at, last_seen_at)
        select s.application_id, s.platform_id, s.application_reference, s.obv_reference,
               s.modified_on, true, $6, $6
        from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])
            as s(application_id, platform_id, application_reference, obv_reference, modified_on)
        on conflict (application_id) do update set
            last_seen_at = excluded.last_seen_at,
            obv_reference = case when excluded.dynamics_modified_on >= a.dynamics_modified_on
                                 then excluded.obv_reference else a.obv_reference end,
            platform_id = coalesce(excluded.platform_id, a.platform_id),
            application_reference = coalesce(excluded.application_reference,
                                             a.application_reference),
            dynamics_modified_on = greatest(a.dynamics_modified_on,
                                            excluded.dynamics_modified_on),
            pending = a.pending or excluded.dynamics_modified_on
                                   > coalesce(a.archived_modified_on, '-infinity')
        """,
        [s.application_id for s in seen],
        [s.platform_id for s in seen],
        [s.application_reference for s in seen],
        [s.obv_reference for s in seen],
        [s.modified_on for s in seen],
        now,
    )


async def would_be_pending(conn: asyncpg.Connection, seen: Sequence[SeenApplication]) -> set[str]:
    """The ids of ``seen`` that :func:`record_seen` would leave pending (a dry run's preview of
    it): new ones, ones already pending, and ones modified after their last archive."""
    rows = await conn.fetch(
        """
        select s.application_id
        from unnest($1::text[], $2::timestamptz[]) as s(application_id, modified_on)
        left join obv.applications a on a.application_id = s.application_id
        where a.application_id is null or a.pending
           or s.modified_on > coalesce(a.archived_modified_on, '-infinity')
        """,
        [s.application_id for s in seen],
        [s.modified_on for s in seen],
    )
    return {r["application_id"] for r in rows}


_APPLICATION_COLUMNS = """
    application_id, obv_reference, dynamics_modified_on, pending, platform_id,
    application_reference, archived_modified_on, current_version, last_outcome, last_error, attempts
"""


async def pending_applications(conn: asyncpg.Connection) -> list[ArchivedApplication]:
    rows = await conn.fetch(
        f"select {_APPLICATION_COLUMNS} from obv.applications where pending"
        " order by dynamics_modified_on, application_id"
    )
    return [struct_from_row(ArchivedApplication, r) for r in rows]


async def get_application(
    conn: asyncpg.Connection, application_id: str
) -> ArchivedApplication | None:
    row = await conn.fetchrow(
        f"select {_APPLICATION_COLUMNS} from obv.applications where application_id = $1",
        application_id,
    )
    return struct_from_row(ArchivedApplication, row) if row is not None else None


async def try_claim(conn: asyncpg.Connection, application_id: str) -> bool:
    """Claim the application for this connection's session; False if another archiver has it."""
    claimed: bool = await conn.fetchval(
        "select pg_try_advisory_lock($1, hashtext($2))", _CLAIM_NAMESPACE, application_id
    )
    return claimed


async def release_claim(conn: asyncpg.Connection, application_id: str) -> None:
    await conn.execute(
        "select pg_advisory_unlock($1, hashtext($2))", _CLAIM_NAMESPACE, application_id
    )


async def current_version(conn: asyncpg.Connection, application_id: str) -> CurrentVersion | None:
    row = await conn.fetchrow(
        """
        select version_id, version, payload_sha256 from obv.report_versions
        where application_id = $1 order by version desc limit 1
        """,
        application_id,
    )
    return struct_from_row(CurrentVersion, row) if row is not None else None


async def complete_application(
    conn: asyncpg.Connection,
    application_id: str,
    *,
    outcome: Literal["archived", "unchanged"],
    version: int,
    version_id: int,
    covered_modified_on: datetime,
    now: datetime,
) -> None:
    """The application's report as of ``covered_modified_on`` is archived: it stops being
    pending unless Dynamics has shown a newer change meanwhile, and its quarantined payloads are
    resolved by this version."""
    # One statement, one round trip: the two updates touch different tables.
    await conn.execute(
        """
        with resolved as (
            update obv.quarantine set resolved_at = $4, resolved_by_version_id = $6
            where application_id = $1 and resolved_at is null
        )
        update obv.applications set
            current_version = $2,
            archived_modified_on = greatest(coalesce(archived_modified_on, '-infinity'), $3),
            pending = dynamics_modified_on > $3,
            last_attempt_at = $4, last_outcome = $5, last_error = null, attempts = 0
        where application_id = $1
        """,
        application_id,
        version,
        covered_modified_on,
        now,
        outcome,
        version_id,
    )


async def record_failure(
    conn: asyncpg.Connection, application_id: str, *, error: str, now: datetime
) -> None:
    await conn.execute(
        """
        update obv.applications set last_attempt_at = $2, last_outcome = 'failed',
            last_error = $3, attempts = attempts + 1
        where application_id = $1
        """,
        application_id,
        now,
        error,
    )
