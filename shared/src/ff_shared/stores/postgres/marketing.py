"""Journey-tracker queries the marketing reports join with Google Analytics, by traffic source."""

from __future__ import annotations

from datetime import datetime

import asyncpg


async def sources_reached(
    conn: asyncpg.Connection, *, environment: str, form: str, start: datetime, end: datetime
) -> dict[str, tuple[int, int]]:
    """Per source: sessions of ``form`` that started in [start, end) and reached its first step,
    and those that submitted it."""
    rows = await conn.fetch(
        """
        select s.source,
               count(*) filter (where exists (
                   select 1 from tracker.session_steps st where st.session_id = s.session_id
               ))::int as started,
               count(s.submitted_at)::int as submitted
        from tracker.sessions s
        where s.environment = $1 and s.form = $2 and s.first_seen >= $3 and s.first_seen < $4
        group by s.source
        """,
        environment,
        form,
        start,
        end,
    )
    return {r["source"]: (r["started"], r["submitted"]) for r in rows}


async def applications_by_source(
    conn: asyncpg.Connection, *, environment: str, start: datetime, end: datetime
) -> dict[str, str]:
    """Application id to the traffic source of its first session, for sessions in [start, end)."""
    rows = await conn.fetch(
        """
        select distinct on (application_id) application_id, source
        from tracker.sessions
        where environment = $1 and application_id is not null
          and first_seen >= $2 and first_seen < $3
        order by application_id, first_seen
        """,
        environment,
        start,
        end,
    )
    return {r["application_id"]: r["source"] for r in rows}
