"""Payloads that failed validation, kept exactly as received until a valid version resolves them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import asyncpg
import msgspec

from ff_shared.domain.obv_archive.reports import QuarantineReason
from ff_shared.stores.postgres.obv.records import QuarantineEntry


async def quarantine(
    conn: asyncpg.Connection,
    *,
    application_id: str,
    obv_reference: str,
    run_id: UUID,
    payload: bytes,
    payload_sha256: str,
    reasons: Sequence[QuarantineReason],
    now: datetime,
) -> int:
    """Keep a payload that failed validation, exactly as received; the same payload again is
    counted on its existing row. The application stays pending."""
    quarantine_id: int = await conn.fetchval(
        """
        insert into obv.quarantine (application_id, obv_reference, payload_sha256, payload,
            reasons, first_seen_at, last_seen_at, first_run_id, last_run_id)
        values ($1, $2, $3, $4, $5::jsonb, $6, $6, $7, $7)
        on conflict (application_id, payload_sha256) do update set
            reasons = excluded.reasons, last_seen_at = excluded.last_seen_at,
            seen_count = obv.quarantine.seen_count + 1, last_run_id = excluded.last_run_id,
            resolved_at = null, resolved_by_version_id = null
        returning quarantine_id
        """,
        application_id,
        obv_reference,
        payload_sha256,
        payload,
        msgspec.json.encode(list(reasons)).decode(),
        now,
        run_id,
    )
    await conn.execute(
        """
        update obv.applications set last_attempt_at = $2, last_outcome = 'quarantined',
            last_error = $3, attempts = attempts + 1
        where application_id = $1
        """,
        application_id,
        now,
        ", ".join(sorted({r.code for r in reasons})),
    )
    return quarantine_id


async def quarantined(
    conn: asyncpg.Connection, application_id: str | None = None, *, unresolved_only: bool = False
) -> list[QuarantineEntry]:
    rows = await conn.fetch(
        """
        select quarantine_id, application_id, obv_reference, payload_sha256, payload, reasons,
               seen_count, first_seen_at, last_seen_at, resolved_at, resolved_by_version_id
        from obv.quarantine
        where ($1::text is null or application_id = $1)
          and (not $2 or resolved_at is null)
        order by quarantine_id
        """,
        application_id,
        unresolved_only,
    )
    return [
        QuarantineEntry(
            quarantine_id=r["quarantine_id"],
            application_id=r["application_id"],
            obv_reference=r["obv_reference"],
            payload_sha256=r["payload_sha256"],
            payload=r["payload"],
            reasons=msgspec.json.decode(r["reasons"], type=list[QuarantineReason]),
            seen_count=r["seen_count"],
            first_seen_at=r["first_seen_at"],
            last_seen_at=r["last_seen_at"],
            resolved_at=r["resolved_at"],
            resolved_by_version_id=r["resolved_by_version_id"],
        )
        for r in rows
    ]
