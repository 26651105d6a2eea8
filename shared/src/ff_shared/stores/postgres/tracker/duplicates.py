"""Duplicate applications: the identity hashes applications share, followed hop by hop."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import asyncpg

from ff_shared.domain.funnel import DuplicateCluster, IdentityLink, cluster_duplicates


async def application_links(
    conn: asyncpg.Connection, *, environment: str, start: datetime, end: datetime
) -> list[IdentityLink]:
    """Identity hashes of applications first seen in [start, end)."""
    rows = await conn.fetch(
        """
        with apps as (
            select application_id, min(first_seen) as seen_at
            from tracker.sessions
            where application_id is not null and environment = $1
            group by application_id
            having min(first_seen) >= $2 and min(first_seen) < $3
        )
        select distinct a.application_id, i.kind, i.hash, a.seen_at
        from apps a
        join tracker.sessions s on s.application_id = a.application_id
        join tracker.session_identities i on i.session_id = s.session_id
        """,
        environment,
        start,
        end,
    )
    return [IdentityLink(application_id=r[0], kind=r[1], hash=r[2], seen_at=r[3]) for r in rows]


async def links_sharing_hashes(
    conn: asyncpg.Connection, application_ids: Sequence[str]
) -> list[IdentityLink]:
    """Links of these applications and of every application sharing a hash with them."""
    rows = await conn.fetch(
        """
        with mine as (
            select distinct i.kind, i.hash
            from tracker.sessions s join tracker.session_identities i using (session_id)
            where s.application_id = any($1)
        ),
        apps as (
            select s.application_id, min(s.first_seen) over (partition by s.application_id)
                       as seen_at, i.kind, i.hash
            from tracker.sessions s join tracker.session_identities i using (session_id)
            where s.application_id is not null
              and (s.application_id = any($1)
                   or exists (select 1 from mine m where m.kind = i.kind and m.hash = i.hash))
        )
        select distinct application_id, kind, hash, seen_at from apps
        """,
        list(application_ids),
    )
    return [IdentityLink(application_id=r[0], kind=r[1], hash=r[2], seen_at=r[3]) for r in rows]


async def cluster_of_application(
    conn: asyncpg.Connection, application_id: str, *, window: timedelta, max_hops: int = 10
) -> DuplicateCluster | None:
    """The duplicate cluster an application belongs to, following shared hashes hop by hop."""
    known = {application_id}
    links = await links_sharing_hashes(conn, [application_id])
    for _ in range(max_hops):
        grown = known | {link.application_id for link in links}
        if grown == known:
            break
        known = grown
        links = await links_sharing_hashes(conn, sorted(known))
    for cluster in cluster_duplicates(links, window=window):
        if any(m.application_id == application_id for m in cluster.applications):
            return cluster
    return None
