"""Erasure in the journey tracker: the identity hashes seen in an erased customer's sessions."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg


async def delete_identities(conn: asyncpg.Connection, application_ids: Sequence[str]) -> int:
    """Delete the identity hashes of every session linked to these applications; how many.
    Nothing to do where the tracker's schema does not exist in this database."""
    if await conn.fetchval("select to_regclass('tracker.session_identities')") is None:
        return 0
    deleted = await conn.fetchval(
        """
        with gone as (
            delete from tracker.session_identities i
            using tracker.sessions s
            where s.session_id = i.session_id and s.application_id = any($1)
            returning 1
        )
        select count(*)::int from gone
        """,
        list(application_ids),
    )
    return int(deleted or 0)
